// The Terminal's live source: server-sent events from the platform's live runtime.
//   market:  GET /api/live/market/{exchange}/{symbol}?depth=true&kline=<interval>&funding=true
//   account: GET /api/live/stream?account=ID&symbol=SYM: every change of the account's mirror as the
//            symbol's whole view (positions, open orders, plan/TP/SL/trailing orders, fills); no
//            other read (0 exchange requests).
// A stream the platform does not serve (404/503: live off) ends at once, and an account without a
// mirror (not active, starting) says so: terminal.js then polls the REST API instead, until the
// mirror's views arrive. A dropped stream reconnects by itself and is said to be down meanwhile.
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
    // h: {exchange, account, symbol, interval(), onTicker, onFunding, onBook, onCandle, onLive(view),
    //     say(text|null, stale), pollMarket(), pollAccount(), stopPollingAccount()}
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
      const account = stream(`/api/live/stream?account=${encodeURIComponent(h.account)}&symbol=${encodeURIComponent(h.symbol)}`, {
        account: (a) => {
          const f = a.freshness || { fresh: true };
          sayDown(f.fresh ? null : "Account " + f.state + (f.reason ? ": " + f.reason : ""));
          // no mirror yet (or none): the REST API meanwhile; a "starting" mirror has no snapshot
          if (!a.open_orders || f.state === "starting") { h.pollAccount(); return; }
          h.stopPollingAccount();
          h.onLive(a);
        },
      }, () => h.pollAccount(), sayDown);
      return { reopenMarket: openMarket, account: () => account.readyState !== EventSource.CLOSED };
    },
  };
})();
