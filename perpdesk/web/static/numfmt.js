/* How money, prices and sizes are shown: as traders read them (thousands separators, the
 * instrument's tick or the currency's usual decimals), while the exact value stays on hover
 * (title), in data-exact and in copies. Values arrive as exact decimal strings; rounding is done
 * on the digits (half-even, as the server's Decimal does), never through floats.
 *
 *   perpdeskNum.money("15002.4384473")          -> "15,002.44"
 *   perpdeskNum.price("95000.5", "0.1")         -> "95,000.5"
 *   perpdeskNum.fixed("-0.125", 2)              -> "-0.12"
 *   perpdeskNum.show(el, "15002.4384473", {kind: "money"})  sets text, title and data-exact
 *   Elements with data-num="money|price|size" (and data-tick / data-decimals) are formatted on load.
 */
(function () {
  "use strict";
  var CURRENCY_DECIMALS = { USDT: 2, USDC: 2, USD: 2, BTC: 8, ETH: 6 };
  var NUMBER = /^([+-]?)(\d+)(?:\.(\d*))?$/;

  function decimalsOf(step) {
    var m = NUMBER.exec(String(step || "").trim());
    if (!m) { return null; }
    var frac = (m[3] || "").replace(/0+$/, "");
    return frac.length;
  }

  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  // Round the decimal string `text` to `places` decimals, half to even; null if not a number.
  function round(text, places) {
    var m = NUMBER.exec(String(text).trim());
    if (!m) { return null; }
    var sign = m[1] === "-" ? "-" : "";
    var whole = m[2], frac = m[3] || "";
    if (frac.length <= places) {
      return { sign: sign, whole: whole.replace(/^0+(?=\d)/, ""), frac: frac + "0".repeat(places - frac.length) };
    }
    var kept = BigInt(whole + frac.slice(0, places));
    var rest = frac.slice(places);
    var first = rest.charCodeAt(0) - 48, tail = /[1-9]/.test(rest.slice(1));
    if (first > 5 || (first === 5 && (tail || kept % 2n === 1n))) { kept += 1n; }
    var digits = kept.toString().padStart(places + 1, "0");
    return {
      sign: sign,
      whole: digits.slice(0, digits.length - places),
      frac: digits.slice(digits.length - places),
    };
  }

  function fixed(text, places) {
    var r = round(text, places);
    if (!r) { return text == null ? "" : String(text); }
    var negZero = r.sign && /^0*$/.test(r.whole + r.frac);
    return (negZero ? "" : r.sign) + group(r.whole) + (places > 0 ? "." + r.frac : "");
  }

  function money(text, currency) {
    var places = CURRENCY_DECIMALS[currency || "USDT"];
    return fixed(text, places == null ? 2 : places);
  }

  function price(text, tick) {
    var places = decimalsOf(tick);
    if (places == null) {
      // No tick known: keep every digit the value has, grouped.
      var m = NUMBER.exec(String(text).trim());
      places = m && m[3] ? m[3].replace(/0+$/, "").length : 0;
    }
    return fixed(text, places);
  }

  function size(text, step) { return price(text, step); }

  function format(text, opts) {
    opts = opts || {};
    var kind = opts.kind || "money";
    if (opts.decimals != null && opts.decimals !== "") { return fixed(text, Number(opts.decimals)); }
    if (kind === "price") { return price(text, opts.tick); }
    if (kind === "size") { return size(text, opts.tick); }
    if (kind === "pct") { return fixed(text, opts.decimals == null ? 2 : Number(opts.decimals)) + "%"; }
    return money(text, opts.currency);
  }

  // Show `text` in `el` formatted, keeping the exact value for hover and copy.
  function show(el, text, opts) {
    if (!el) { return; }
    if (text == null || text === "") { el.textContent = "—"; el.removeAttribute("title"); delete el.dataset.exact; return; }
    var exact = String(text);
    var shown = format(exact, opts || optionsOf(el));
    if (el.textContent !== shown) { el.textContent = shown; }
    el.title = exact;
    el.dataset.exact = exact;
  }

  function optionsOf(el) {
    return {
      kind: el.dataset.num || "money",
      tick: el.dataset.tick,
      decimals: el.dataset.decimals,
      currency: el.dataset.currency,
    };
  }

  function formatAll(root) {
    (root || document).querySelectorAll("[data-num]").forEach(function (el) {
      var exact = el.dataset.exact != null ? el.dataset.exact : el.textContent.trim();
      if (NUMBER.test(exact)) { show(el, exact, optionsOf(el)); }
    });
  }

  // A copy of a formatted number copies the exact value.
  document.addEventListener("copy", function (event) {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || !event.clipboardData) { return; }
    var node = sel.getRangeAt(0).commonAncestorContainer;
    var el = node.nodeType === 1 ? node : node.parentElement;
    var holder = el && el.closest ? el.closest("[data-exact]") : null;
    if (!holder) { return; }
    event.clipboardData.setData("text/plain", holder.dataset.exact);
    event.preventDefault();
  });

  window.perpdeskNum = { fixed: fixed, money: money, price: price, size: size, format: format, show: show,
    formatAll: formatAll, decimalsOf: decimalsOf };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { formatAll(document); });
  } else {
    formatAll(document);
  }
})();
