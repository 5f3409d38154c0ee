// The Terminal page: fills the frame rendered by templates/terminal/terminal.html and keeps it
// current: by the live streams (terminal_live.js; the account's state from its mirror) where the
// platform serves them, else by polling the JSON API (/api/accounts/{id}/...).
// Prices are drawn as numbers on the chart only (terminal_chart.js); every value sent stays an exact
// string, and is shown as traders read it (numfmt.js: the contract's tick and volume step).
(function () {
  "use strict";
  const root = document.getElementById("terminal");
  if (!root) return;
  const ACCOUNT = root.dataset.account;
  const SYMBOL = root.dataset.symbol;
  const BASE = "/api/accounts/" + encodeURIComponent(ACCOUNT);
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const $ = (id) => document.getElementById(id);
  const state = { interval: "15m", candles: [], lines: [], markers: [], positions: [], orders: [], conditional: [], fills: [] };
  const hook = { ready: false, candleCount: () => state.candles.length, lines: () => state.lines.map((l) => l.title),
                 markerCount: () => state.markers.length, refresh: () => Promise.all([market(), account(true)]),
                 priceRange: () => chart && chart.priceRange(), lineY: (id) => chart && chart.lineY(id),
                 candleRange: () => ({ low: Math.min(...state.candles.map((c) => c.low)), high: Math.max(...state.candles.map((c) => c.high)) }),
                 orders: () => state.orders, api: (...a) => api(...a), act: (...a) => act(...a), notice: (...a) => notice(...a) };
  window.perpdeskTerminal = hook;

  // ---------------------------------------------------------------- helpers

  const { el, num, shown, SIDE_WORDS, KIND_WORDS, positionItem, orderItem, conditionalItem, fillItem, fillTime } = window.perpdeskTerminalItems;
  const TICK = root.dataset.tick || "0.01", STEP = root.dataset.step || "1";
  const show = (id, value, kind) => window.perpdeskNum.show($(id), value, { kind, tick: kind === "size" ? STEP : TICK, currency: "USDT" });

  async function api(method, path, body) {
    const opts = { method, headers: { Accept: "application/json", "X-CSRF-Token": CSRF }, credentials: "same-origin" };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(BASE + path, opts);
    let data = {};
    try { data = await r.json(); } catch (e) { data = {}; }
    if (!r.ok || r.status === 202) {
      const err = data.error || { message: "The request failed (" + r.status + ")." };
      const e = new Error(err.message); e.info = err; e.status = r.status; e.data = data; throw e;
    }
    return data;
  }

  function notice(kind, text, next) {
    const box = $("notice");
    box.className = "alert " + kind;
    box.replaceChildren(el("span", { "data-part": "message", text }));
    if (next) box.append(el("span", { "data-part": "next", text: " " + next }));
    box.hidden = false;
  }
  function failed(e) { notice("error", e.info ? e.info.message : String(e.message || e), e.info ? e.info.next_step : ""); }

  function pct(ratio, places) {
    const n = Number(ratio) * 100;
    return (n > 0 ? "+" : "") + n.toFixed(places) + " %";
  }

  // ---------------------------------------------------------------- chart

  let chart = null, live = null;
  function makeChart() {
    chart = window.perpdeskTerminalChart.create($("chart"), { tick: TICK, onMove: (o, price) => window.perpdeskTerminalAmend.move(o, price) });
  }
  const bar = (c) => ({ time: c.time_s, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) });

  async function loadCandles() {
    const data = await api("GET", `/market/${SYMBOL}/candles?interval=${encodeURIComponent(state.interval)}&limit=300`);
    state.candles = data.candles.map(bar);
    if (chart) chart.setBars(state.candles);
  }
  async function updateCandles() {
    const data = await api("GET", `/market/${SYMBOL}/candles?interval=${encodeURIComponent(state.interval)}&limit=2`);
    for (const c of data.candles.map(bar)) onCandle(c);
  }
  function onCandle(c) {
    const last = state.candles[state.candles.length - 1];
    if (last && c.time < last.time) return;
    if (last && c.time === last.time) state.candles[state.candles.length - 1] = c; else state.candles.push(c);
    if (chart) chart.update(c);
  }

  function drawOverlays() {
    if (!chart) return;
    const lines = [];
    const add = (price, title, color, style, order) => { if (price) lines.push({ price, title, color, style, order }); };
    for (const o of state.orders) add(o.price, "Order " + (SIDE_WORDS[o.side] || o.side) + " " + shown(o.size, "size"), "#1769e0", 2, o);
    for (const o of state.conditional) add(o.trigger_price, (KIND_WORDS[o.kind] || o.kind) + " " + shown(o.trigger_price, "price"), o.kind === "take_profit" ? "#1e7b34" : o.kind === "stop_loss" ? "#b3261e" : "#7a5200", 1);
    for (const p of state.positions) {
      add(p.entry_price, "Entry " + p.side, "#5b6570", 0);
      if (p.liquidation_price) add(p.liquidation_price, "Liquidation " + p.side, "#b3261e", 3);
    }
    chart.setLines(lines);
    state.lines = lines;
    state.markers = state.fills.filter((f) => fillTime(f)).map((f) => {
      const buy = (f.side || "").startsWith("buy");
      return { time: Math.floor(fillTime(f) / 1000 / intervalSeconds()) * intervalSeconds(), position: buy ? "belowBar" : "aboveBar",
               color: buy ? "#1e7b34" : "#b3261e", shape: buy ? "arrowUp" : "arrowDown", text: (buy ? "B " : "S ") + shown(f.size, "size") + " @ " + shown(f.price, "price") };
    }).sort((a, b) => a.time - b.time);
    chart.setMarkers(state.markers);
  }
  function intervalSeconds() {
    const m = { "1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1H": 3600, "4H": 14400, "1D": 86400, "1W": 604800 };
    return m[state.interval] || 60;
  }

  // ---------------------------------------------------------------- market: ticker and book

  function onTicker(t) {
    show("tk-last", t.last_price, "price");
    show("tk-mark", t.mark_price, "price");
    const ch = $("tk-change");
    ch.textContent = pct(t.change_24h, 2);
    ch.className = Number(t.change_24h) >= 0 ? "pos" : "neg";
  }
  function onFunding(f) {
    $("tk-funding").textContent = pct(f.funding_rate, 4);
    $("tk-next").dataset.ms = f.next_funding_ms;
    showCountdown();
  }
  function showCountdown() {
    const next = $("tk-next");
    const ms = Number(next.dataset.ms || 0);
    if (!ms) return;
    const left = Math.max(0, Math.floor((ms - Date.now()) / 1000));
    const hh = String(Math.floor(left / 3600)).padStart(2, "0"), mm = String(Math.floor(left / 60) % 60).padStart(2, "0"), ss = String(left % 60).padStart(2, "0");
    next.textContent = `${hh}:${mm}:${ss} (${new Date(ms).toISOString().slice(11, 16)} UTC)`;
  }
  function levelRow(level, side) {
    return el("tr", { "data-price": level.price },
      el("td", {}, el("button", { type: "button", class: "level", "data-price": level.price, "aria-label": side + " " + level.price }, num(level.price, "price"))),
      el("td", { class: "num" }, num(level.size, "size")), el("td", { class: "num" }, num(level.total, "size")));
  }
  function onBook(b) {
    $("book-asks").replaceChildren(...b.asks.slice(0, 10).reverse().map((l) => levelRow(l, "Ask")));
    $("book-bids").replaceChildren(...b.bids.slice(0, 10).map((l) => levelRow(l, "Bid")));
    if (b.asks.length && b.bids.length) $("book-spread").textContent = "Spread " + window.perpdeskTerminalItems.spread(b.asks[0].price, b.bids[0].price, TICK);
  }
  $("book").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button.level");
    if (!btn) return;
    const kind = $("o-kind");
    if (kind.value === "market") { kind.value = "limit"; showKind(); }
    $(kind.value === "trail" ? "o-activation" : "o-price").value = btn.dataset.price;
    $("o-price").focus();
  });

  async function market() {
    const [t, b] = await Promise.all([api("GET", `/market/${SYMBOL}/ticker`), api("GET", `/market/${SYMBOL}/book?depth=10`)]);
    onTicker(t.ticker); onFunding(t.ticker); onBook(b.book);
    await updateCandles();
  }

  // ---------------------------------------------------------------- account: positions, orders, fills

  function tpSlOf(p) {
    const closeSide = p.side === "long" ? "sell_close_long" : "buy_close_short";
    return state.conditional.filter((o) => (o.kind === "take_profit" || o.kind === "stop_loss") && o.side === closeSide);
  }
  const drawn = {};  // what each list shows: redrawn only when it changes
  function fill(id, items, render, empty) {
    const box = $(id);
    // keep a form the user is typing in: only redraw when nothing inside has focus
    if (box.contains(document.activeElement) && document.activeElement.tagName === "INPUT") return;
    const key = JSON.stringify(items);
    if (drawn[id] === key) return;
    drawn[id] = key;
    box.replaceChildren(...(items.length ? items.map(render) : [el("p", { class: "hint", text: empty })]));
  }
  function onAccount(parts) {
    Object.assign(state, parts);
    // a position's TP/SL cards come from the conditional orders
    fill("positions", state.positions.map((p) => ({ ...p, tpsl: tpSlOf(p) })), positionItem, "No open position.");
    fill("orders", state.orders, orderItem, "No open order.");
    fill("conditional", state.conditional, conditionalItem, "None waiting.");
    fill("fills", state.fills.slice(0, 30), fillItem, "No fill yet.");
    for (const [part, n] of [["positions", state.positions.length], ["orders", state.orders.length], ["conditional", state.conditional.length]]) {
      root.querySelector(`[data-count="${part}"]`).textContent = n ? "(" + n + ")" : "";
    }
    const usdt = (state.balances || []).find((b) => b.currency === "USDT");
    if (usdt) { show("tk-equity", usdt.equity, "money"); show("tk-available", usdt.available, "money"); }
    startFromPosition();
    drawOverlays();
  }

  let fillsAt = 0;
  async function account(withFills) {
    const q = "symbol=" + SYMBOL;
    const wantFills = withFills || Date.now() - fillsAt > 6000;
    const [p, o, c, f, b] = await Promise.all([
      api("GET", "/positions?" + q), api("GET", "/orders?state=open&" + q), api("GET", "/conditional-orders?" + q),
      wantFills ? api("GET", "/fills?" + q) : Promise.resolve(null), wantFills ? api("GET", "/balances") : Promise.resolve(null),
    ]);
    if (f) fillsAt = Date.now();
    onAccount({ positions: p.positions, orders: o.orders, conditional: c.orders, fills: f ? f.fills : state.fills,
                balances: b ? b.balances : state.balances });
  }
  // the symbol's view from the account's mirror, as the live stream sends it
  function onLive(v) {
    onAccount({ positions: v.positions, orders: v.open_orders, conditional: v.plans, fills: v.fills, balances: v.balances });
    // after a switch here, the mirror's mode counts again once it has read the new one
    if (v.position_mode && (!modeSet || v.position_mode === modeSet)) { modeSet = null; showMode(v.position_mode); }
  }

  let modeSet = null;
  function showMode(mode) {
    $("pm-current").textContent = mode === "hedge" ? "Hedge" : "One-way";
    $("pm-mode").value = mode === "hedge" ? "one_way" : "hedge";
  }
  async function positionMode() { showMode((await api("GET", "/position-mode")).mode); }

  // ---------------------------------------------------------------- actions

  async function act(fn, ok) {
    try { await fn(); notice("ok", ok); } catch (e) { failed(e); }
    if (live && live.account() && !accountPoll) return;  // the mirror sends what changed
    try { await account(true); } catch (e) { /* shown on the next poll */ }
  }
  const formValues = (form) => Object.fromEntries([...new FormData(form).entries()].map(([k, v]) => [k, String(v).trim()]).filter(([, v]) => v !== ""));

  function showKind() {
    const kind = $("o-kind").value;
    for (const part of root.querySelectorAll("#ticket [data-for]")) part.hidden = !part.dataset.for.split(" ").includes(kind);
  }
  $("o-kind").addEventListener("change", showKind);

  // One order per intention: a form (the ticket, TP/SL, leverage) is disabled while it is sent and
  // says so; a refusal the trader may overrule (the same ticket being sent, a leverage change)
  // offers its confirm button.
  const CONFIRM = { duplicate_ticket: ["confirm_duplicate", "Send another"], order_being_confirmed: ["confirm_duplicate", "Send another"],
                    leverage_change: ["confirm_leverage", "Change leverage and send"] };
  let sending = false;
  function ticketBusy(busy, by, form = $("ticket")) {
    sending = busy;
    form.setAttribute("aria-busy", String(busy));
    for (const b of form.querySelectorAll('button[type="submit"]')) {
      if (!b.dataset.label) b.dataset.label = b.textContent;
      b.disabled = busy;
      b.textContent = busy && b === by ? "Sending…" : b.dataset.label;
    }
  }
  async function sendTicket(path, body, ok, by, form = $("ticket"), method = "POST") {
    if (sending) return;
    ticketBusy(true, by, form);
    notice("warn", "Sending… on its way to the exchange.");
    try {
      await api(method, path, body);
      notice("ok", ok);
      if (form === $("ticket") || form === $("leverage-form")) touched.clear();  // they follow the position again
    } catch (e) {
      failed(e);
      const c = e.status === 409 && e.info && CONFIRM[e.info.code];
      if (c) {
        const again = el("button", { type: "button", id: "confirm-send", text: c[1] });
        again.addEventListener("click", () => sendTicket(path, { ...body, [c[0]]: true }, ok, by, form, method));
        $("notice").append(" ", again);
      }
    } finally { ticketBusy(false, by, form); }
    if (live && live.account() && !accountPoll) return;  // the mirror sends what changed
    try { await account(true); } catch (e) { /* shown on the next poll */ }
  }
  // a position's TP/SL or close form, sent once: the clicked button (or its first) says "Sending…"
  const sendForm = (ev, method, path, body, ok) =>
    sendTicket(path, body, ok, ev.submitter || ev.target.querySelector('button[type="submit"]'), ev.target, method);

  $("ticket").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (sending) return undefined;
    const v = formValues(ev.target);
    const by = ev.submitter || null;
    const side = by ? by.dataset.side : "buy";
    const kind = v.kind; delete v.kind;
    if (kind === "trail") {
      const body = { symbol: SYMBOL, side: v.trail_side, size: v.size, activation_price: v.activation_price, callback_rate: v.callback_rate,
                     leverage: v.leverage, margin_mode: v.margin_mode, price_type: "last" };
      return sendTicket("/trail-orders", body, "Trailing stop placed.", by);
    }
    if (kind === "plan") {
      const body = { symbol: SYMBOL, side, size: v.size, trigger_price: v.trigger_price, price: v.price || null,
                     leverage: v.leverage, margin_mode: v.margin_mode, price_type: v.price_type };
      return sendTicket("/plan-orders", body, "Trigger order placed.", by);
    }
    const body = { symbol: SYMBOL, side, type: kind, size: v.size, price: kind === "limit" ? v.price : null, leverage: v.leverage,
                   margin_mode: v.margin_mode, take_profit: v.take_profit || null, stop_loss: v.stop_loss || null };
    return sendTicket("/orders", body, "Order placed.", by);
  });

  // the ticket and the leverage form start from the open position's leverage and margin mode
  // (the exchange's, by the mirror), until the trader changes them
  const touched = new Set();
  const TERMS = [["o-leverage", "leverage"], ["l-leverage", "leverage"], ["o-margin", "margin_mode"], ["l-margin", "margin_mode"]];
  for (const [id] of TERMS) for (const type of ["input", "change"]) $(id).addEventListener(type, () => touched.add(id));
  function startFromPosition() {
    const p = state.positions.find((x) => x.symbol === SYMBOL && Number(x.size) > 0);
    if (!p || !(Number(p.leverage) > 0)) return;  // a pushed position's leverage comes with the re-read
    for (const [id, key] of TERMS) if (!touched.has(id) && document.activeElement !== $(id)) $(id).value = p[key];
  }

  $("leverage-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    sendForm(ev, "POST", "/leverage", { symbol: SYMBOL, leverage: v.leverage, margin_mode: v.margin_mode }, "Leverage and margin mode set.");
  });
  $("position-mode-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(async () => { modeSet = (await api("PUT", "/position-mode", { mode: $("pm-mode").value })).mode; showMode(modeSet); },
      "Position mode switched.");
  });
  $("cancel-all").addEventListener("click", () =>
    act(async () => {
      const r = await api("POST", "/orders/cancel-all", { symbol: SYMBOL, include_tp_sl: false });
      return r;
    }, "All open and trigger orders of " + SYMBOL + " cancelled."));

  root.addEventListener("click", (ev) => {
    const c = ev.target.closest("button[data-cancel]");
    if (c) return act(() => api("DELETE", `/conditional-orders/${encodeURIComponent(c.dataset.cancel)}?symbol=${SYMBOL}`), "Cancelled.");
    const o = ev.target.closest("button[data-cancel-order]");
    if (o) return act(() => api("DELETE", `/orders/${encodeURIComponent(o.dataset.cancelOrder)}?symbol=${SYMBOL}`), "Order cancelled.");
    const iv = ev.target.closest("button[data-interval]");
    if (iv) {
      state.interval = iv.dataset.interval;
      for (const b of root.querySelectorAll("button[data-interval]")) b.setAttribute("aria-pressed", String(b === iv));
      loadCandles().then(drawOverlays).catch(failed);
      if (live) live.reopenMarket();
    }
    return undefined;
  });
  root.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (form.classList.contains("tpsl")) {
      ev.preventDefault();
      sendForm(ev, "PATCH", `/conditional-orders/${encodeURIComponent(form.dataset.order)}`, { symbol: SYMBOL, trigger_price: formValues(form).trigger_price }, "TP/SL changed.");
    } else if (form.classList.contains("set-tpsl")) {
      ev.preventDefault();
      const v = formValues(form);
      sendForm(ev, "POST", "/tp-sl", { symbol: SYMBOL, side: form.dataset.side, take_profit: v.take_profit || null, stop_loss: v.stop_loss || null }, "TP/SL set.");
    } else if (form.classList.contains("close-pct")) {
      ev.preventDefault();
      const v = formValues(form);
      sendForm(ev, "POST", "/positions/close-percent", { symbol: SYMBOL, side: form.dataset.side, percent: v.percent, type: v.type, price: v.type === "limit" ? v.price : null },
        "Close order placed.");
    }
  });

  // ---------------------------------------------------------------- updates: the live stream, else polling

  function say(text, stale) { $("live-state").textContent = $("live-state").title = text; root.classList.toggle("stale", Boolean(stale)); }
  function poll(fn, everyMs) {
    let busy = false;
    return setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try { await fn(); say("Updated " + new Date().toISOString().slice(11, 19) + " UTC", false); }
      catch (e) { say("Not updating: " + (e.info ? e.info.message : "the platform does not answer") + " — retrying.", true); }
      finally { busy = false; }
    }, everyMs);
  }

  let accountPoll = null;
  async function start() {
    makeChart();
    showKind();
    let pollingMarket = false;
    const pollMarket = () => { if (!pollingMarket) { pollingMarket = true; poll(market, 1500); } };
    // the REST API while the account has no live view: read now, then every 2.5 s
    const pollAccount = () => {
      if (accountPoll) return;
      accountPoll = poll(() => account(false), 2500);
      Promise.all([account(true), positionMode()]).catch(failed);
    };
    const stopPollingAccount = () => { if (accountPoll) { clearInterval(accountPoll); accountPoll = null; } };
    if (window.perpdeskTerminalLive) {
      live = window.perpdeskTerminalLive.start({
        exchange: root.dataset.exchange, account: ACCOUNT, symbol: SYMBOL, interval: () => state.interval,
        onTicker, onFunding, onBook, onCandle, onLive, pollMarket, pollAccount, stopPollingAccount,
        say: (text, stale) => say(text, stale),
      });
    }
    hook.live = Boolean(live);
    try {
      await Promise.all([loadCandles(), market(), live ? null : Promise.all([account(true), positionMode()])]);
      if (!live) say("Updated " + new Date().toISOString().slice(11, 19) + " UTC", false);
    } catch (e) { failed(e); }
    hook.ready = true;
    setInterval(showCountdown, 1000);
    if (!live) { pollMarket(); pollAccount(); }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
