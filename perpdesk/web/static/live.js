/* Live values on perpdesk pages, from GET /api/live/stream (server-sent events).
 *
 * Hooks in the page (no inline script needed):
 *   [data-live-stream]                    on <body> or any element: opens the stream;
 *                                         data-live-account="ID" limits it to one account
 *   [data-live-account="ID"] ...          a container of one account's values:
 *     [data-live="equity|available|unrealized_pnl|position_margin|frozen"][data-currency="USDT"]
 *     tr[data-symbol][data-side] [data-col="mark|pnl|size|entry|liq"]
 *     [data-live-freshness]              "live" / "stale since …" / "disconnected since …"
 *     [data-live="margin_in_use"]        position margin + order margin (USDT)
 *   [data-live-total="equity|available|margin|unrealized_pnl"]   portfolio sums
 *   table[data-live-positions][data-ticks='{"SYM": "tick"}']   every account's positions: rows
 *     tr[data-position-account][data-symbol][data-side] kept (added, updated, removed) per account
 *   #live-banner                          shown while the stream itself is down
 * Values arrive as exact decimal strings; they are shown as traders read them through numfmt.js
 * (perpdeskNum.show: the element's data-num kind, tick and currency), the exact value kept in
 * data-exact and title. No float arithmetic here.
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-live-stream]");
  if (!root || !window.EventSource) { return; }

  function sign(el, value) {
    el.classList.remove("pos", "neg");
    if (value && value.charAt(0) === "-") { el.classList.add("neg"); }
    else if (value && !/^0(\.0*)?$/.test(value)) { el.classList.add("pos"); }
  }
  function setText(el, value) { if (el && value != null && el.textContent !== value) { el.textContent = value; } }

  // The element showing a number inside `el` (the template filters' <span data-num>), set to
  // `value` formatted; returns it (for the sign's colour).
  function num(el, value, opts) {
    if (!el || value == null) { return null; }
    var target = el.matches("[data-num]") ? el : (el.querySelector("[data-num]") || el.querySelector("span") || el);
    if (window.perpdeskNum && (opts || target.dataset.num)) { window.perpdeskNum.show(target, value, opts); }
    else { setText(target, value); }
    return target;
  }
  function clock(ms) { return ms ? new Date(ms).toISOString().substring(11, 19) + " UTC" : ""; }

  function banner(show, text) {
    var b = document.getElementById("live-banner");
    if (!b) { return; }
    if (text) { b.textContent = text; }
    b.hidden = !show;
  }

  function freshness(scope, f) {
    var state = f.state;
    scope.dataset.liveState = state;
    scope.querySelectorAll("[data-live-freshness]").forEach(function (el) {
      var text = state === "fresh" ? "live" :
        state + (f.since_ms ? " since " + clock(f.since_ms) : "") + (f.reason ? ": " + f.reason : "");
      setText(el, text);
      el.classList.toggle("stale", state !== "fresh");
    });
  }

  function account(data) {
    document.querySelectorAll('[data-live-account="' + data.account_id + '"]').forEach(function (scope) {
      if (data.freshness) { freshness(scope, data.freshness); }
      if (data.freshness && !data.freshness.fresh && data.freshness.state !== "stale") { return; }
      (data.balances || []).forEach(function (b) {
        ["equity", "available", "unrealized_pnl", "position_margin", "frozen"].forEach(function (key) {
          scope.querySelectorAll('[data-live="' + key + '"][data-currency="' + b.currency + '"]').forEach(function (el) {
            var shown = num(el, b[key]);
            if (key === "unrealized_pnl") { sign(shown, b[key]); }
          });
        });
      });
      num(scope.querySelector('[data-live="margin_in_use"]'), data.margin_in_use);
      var upnl = num(scope.querySelector('[data-live="account_pnl"]'), data.unrealized_pnl);
      if (upnl) { sign(upnl, data.unrealized_pnl); }
      (data.positions || []).forEach(function (p) {
        var row = scope.querySelector('tr[data-symbol="' + p.symbol + '"][data-side="' + p.side + '"]');
        if (row) { positionCells(row, p); }
      });
    });
    var usable = !data.freshness || data.freshness.fresh || data.freshness.state === "stale";
    if (data.positions && usable) { positionsTable(data); }
  }

  function positionCells(row, p) {
    num(row.querySelector('[data-col="mark"]'), p.mark_price);
    num(row.querySelector('[data-col="size"]'), p.size);
    num(row.querySelector('[data-col="entry"]'), p.entry_price);
    num(row.querySelector('[data-col="liq"]'), p.liquidation_price);
    num(row.querySelector('[data-col="margin"]'), p.margin);
    var pnl = num(row.querySelector('[data-col="pnl"]'), p.unrealized_pnl);
    if (pnl) { sign(pnl, p.unrealized_pnl); }
    var pct = row.querySelector('[data-col="pnl"] .tiny');
    if (pct && p.pnl_percent != null) { setText(pct, "(" + p.pnl_percent + "%)"); }
  }

  // The positions of every account (the portfolio): this account's rows added, kept or removed.
  function positionsTable(data) {
    document.querySelectorAll("table[data-live-positions]").forEach(function (table) {
      var ticks = JSON.parse(table.dataset.ticks || "{}");
      var body = table.tBodies[0];
      var seen = {};
      data.positions.forEach(function (p) {
        var key = p.symbol + "|" + p.side;
        seen[key] = true;
        var row = body.querySelector('tr[data-position-account="' + data.account_id + '"][data-symbol="' +
          p.symbol + '"][data-side="' + p.side + '"]');
        if (!row) { row = body.appendChild(positionRow(data, p, ticks[p.symbol])); }
        positionCells(row, p);
      });
      body.querySelectorAll('tr[data-position-account="' + data.account_id + '"]').forEach(function (row) {
        if (!seen[row.dataset.symbol + "|" + row.dataset.side]) { row.remove(); }
      });
      var empty = table.parentElement.parentElement.querySelector("[data-positions-empty]");
      if (empty) { empty.hidden = body.rows.length > 0; }
    });
  }

  function positionRow(data, p, tick) {
    var row = document.createElement("tr");
    row.dataset.positionAccount = data.account_id;
    row.dataset.symbol = p.symbol;
    row.dataset.side = p.side;
    var cols = [["symbol", "Symbol", null], ["side", "Side", null], ["size", "Size", "size"],
      ["entry", "Entry", "price"], ["mark", "Mark", "price"], ["liq", "Liq. price", "price"],
      ["pnl", "Unrealised PnL", "money"], ["margin", "Margin", "money"], ["account", "Account", null]];
    cols.forEach(function (c) {
      var td = document.createElement("td");
      td.dataset.col = c[0];
      td.dataset.label = c[1];
      if (c[2]) {
        td.className = "num";
        var span = document.createElement("span");
        span.className = "num";
        span.dataset.num = c[2];
        if (c[2] === "price" && tick) { span.dataset.tick = tick; }
        if (c[2] === "money") { span.dataset.currency = "USDT"; }
        td.appendChild(span);
      }
      row.appendChild(td);
    });
    row.cells[0].textContent = p.symbol;
    row.cells[1].textContent = p.side.charAt(0).toUpperCase() + p.side.slice(1);
    row.cells[8].textContent = data.label || "";
    return row;
  }

  function totals(data) {
    if (data.fresh === false) { return; }  // a sum over stale or missing accounts is not current
    ["equity", "available", "margin", "unrealized_pnl"].forEach(function (key) {
      document.querySelectorAll('[data-live-total="' + key + '"]').forEach(function (el) {
        var shown = num(el, data[key], el.querySelector("[data-num]") ? null : {kind: "money"});
        if (key === "unrealized_pnl") { sign(shown, data[key]); }
      });
    });
  }

  var url = "/api/live/stream";
  if (root.dataset.liveAccount) { url += "?account=" + encodeURIComponent(root.dataset.liveAccount); }
  var source = new EventSource(url);
  document.documentElement.dataset.live = "connecting";
  source.addEventListener("open", function () {
    document.documentElement.dataset.live = "open";
    banner(false);
  });
  source.addEventListener("error", function () {
    document.documentElement.dataset.live = "down";
    banner(true, "Live updates paused, reconnecting… Values shown may be out of date.");
  });
  source.addEventListener("account", function (e) { account(JSON.parse(e.data)); });
  source.addEventListener("totals", function (e) { totals(JSON.parse(e.data)); });
  window.addEventListener("pagehide", function () { source.close(); });
})();
