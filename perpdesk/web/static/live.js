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
 *   #live-banner                          shown while the stream itself is down
 * Values arrive as exact decimal strings and are shown as they are (no float arithmetic here).
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
            var span = el.querySelector("span") || el;
            setText(span, b[key]);
            if (key === "unrealized_pnl") { sign(span, b[key]); }
          });
        });
      });
      var margin = scope.querySelector('[data-live="margin_in_use"]');
      if (margin && data.margin_in_use != null) { setText(margin, data.margin_in_use); }
      var upnl = scope.querySelector('[data-live="account_pnl"]');
      if (upnl && data.unrealized_pnl != null) { setText(upnl, data.unrealized_pnl); sign(upnl, data.unrealized_pnl); }
      (data.positions || []).forEach(function (p) {
        var row = scope.querySelector('tr[data-symbol="' + p.symbol + '"][data-side="' + p.side + '"]');
        if (!row) { return; }
        setText(row.querySelector('[data-col="mark"]'), p.mark_price);
        setText(row.querySelector('[data-col="size"]'), p.size);
        setText(row.querySelector('[data-col="entry"]'), p.entry_price);
        var pnl = row.querySelector('[data-col="pnl"] > span') || row.querySelector('[data-col="pnl"]');
        if (pnl) { setText(pnl, p.unrealized_pnl); sign(pnl, p.unrealized_pnl); }
        var pct = row.querySelector('[data-col="pnl"] .tiny');
        if (pct && p.pnl_percent != null) { setText(pct, "(" + p.pnl_percent + "%)"); }
      });
    });
  }

  function totals(data) {
    if (data.fresh === false) { return; }  // a sum over stale or missing accounts is not current
    ["equity", "available", "margin", "unrealized_pnl"].forEach(function (key) {
      document.querySelectorAll('[data-live-total="' + key + '"]').forEach(function (el) {
        var span = el.querySelector("span") || el;
        setText(span, data[key]);
        if (key === "unrealized_pnl") { sign(span, data[key]); }
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
