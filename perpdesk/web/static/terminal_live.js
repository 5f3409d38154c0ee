// The Terminal's live source: server-sent events from the platform's live runtime.
//   market:  GET /api/live/market/{exchange}/{symbol}?depth=true&kline=<interval>&funding=true
//   account: GET /api/live/stream?account=ID (a change) -> GET /api/accounts/{id}/live (the mirror,
//            0 exchange requests) for positions, open orders, plans and fills.
// A stream the platform does not serve (404/503: live off) ends at once: terminal.js then polls the
// REST API instead. A dropped stream reconnects by itself and is said to be down meanwhile.
(function () {
  "use strict";

  // exact sum of non-negative decimal strings (book totals), no float
  function addDec(a, b) {
    const [ai, af = ""] = a.split("."), [bi, bf = ""] = b.split(".");
    const places = Math.max(af.length, bf.length);
    const sum = BigInt(ai + af.padEnd(places, "0")) + BigInt(bi + bf.padEnd(places, "0"));
    if (!places) return sum.toString();
    const digits = sum.toString().padStart(places + 1, "0");
    const frac = digits.slice(-places).replace(/0+$/, "");
    return digits.slice(0, -places) + (frac ? "." + frac : "");
  }
  function levels(rows) {
    let total = "0";
    return (rows || []).map(([price, size]) => { total = addDec(total, size); return { price, size, total }; });
  }

  function stream(url, handlers, onGone, say) {
    const es = new EventSource(url, { withCredentials: true });
    let opened = false;
    for (const [kind, fn] of Object.entries(handlers)) {
      es.addEventListener(kind, (ev) => { try { fn(JSON.parse(ev.data)); } catch (e) { /* a bad frame is skipped */ } });
    }
    es.onopen = () => { opened = true; say(null); };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) { es.close(); onGone(opened); }
      else say("Live stream down — reconnecting…");
    };
    return es;
  }

  window.perpdeskTerminalLive = {
    // h: {exchange, account, symbol, interval(), onTicker, onFunding, onBook, onCandle, onAccount,
    //     refreshAccount(), say(text|null, stale), pollMarket(), pollAccount()}
    start(h) {
      if (!window.EventSource) return false;
      const sayDown = (text) => h.say(text || "Live", Boolean(text));
      let market = null;
      const openMarket = () => {
        if (market) market.close();
        const q = "depth=true&funding=true&kline=" + encodeURIComponent(h.interval());
        market = stream(`/api/live/market/${encodeURIComponent(h.exchange)}/${encodeURIComponent(h.symbol)}?${q}`, {
          ticker: (t) => h.onTicker({ last_price: t.last_price, mark_price: t.mark_price, change_24h: t.change_24h }),
          funding: (f) => h.onFunding({ funding_rate: f.rate, next_funding_ms: f.funding_time_ms }),
          depth: (d) => h.onBook({ bids: levels(d.bids), asks: levels(d.asks) }),
          candle: (c) => { if (!c.mark && c.interval === h.interval()) h.onCandle({ time: c.start_s, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) }); },
          status: (s) => sayDown(s.connected ? null : "Exchange market stream down" + (s.reason ? ": " + s.reason : "")),
        }, () => { market = null; h.pollMarket(); }, sayDown);
      };
      openMarket();
      stream(`/api/live/stream?account=${encodeURIComponent(h.account)}`, {
        account: (a) => {
          const fresh = !a.freshness || a.freshness.fresh;
          if (!fresh) sayDown("Account " + a.freshness.state + (a.freshness.reason ? ": " + a.freshness.reason : ""));
          h.refreshAccount().catch(() => h.pollAccount());
        },
      }, () => h.pollAccount(), sayDown);
      return { reopenMarket: openMarket };
    },
  };
})();
