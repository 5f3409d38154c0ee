// The Terminal's rows, built as DOM nodes from the JSON the API and the live stream send: a
// position (with its TP/SL cards in p.tpsl, and its Set TP/SL and Close % forms), an open order,
// a trigger/TP/SL/trailing order, a fill. Money, prices and sizes arrive as exact strings and are
// shown as traders read them (numfmt.js: the contract's tick and step), the exact value kept in
// data-exact and the title.
(function () {
  "use strict";
  const SIDE_WORDS = {
    buy_open_long: "Buy / Long", sell_open_short: "Sell / Short",
    sell_close_long: "Sell (close long)", buy_close_short: "Buy (close short)",
  };
  const KIND_WORDS = { plan: "Trigger", take_profit: "Take profit", stop_loss: "Stop loss", trailing: "Trailing stop" };

  function el(tag, attrs, ...kids) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || ["type", "name", "value", "for", "id", "class", "role", "inputmode", "placeholder"].includes(k)) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const kid of kids) if (kid !== null && kid !== undefined) node.append(kid);
    return node;
  }
  const RULES = (document.getElementById("terminal") || { dataset: {} }).dataset;
  // a number as a span: kind "price" (the tick), "size" (the volume step) or "money" (USDT)
  function num(value, kind) {
    const span = el("span", { class: "n" });
    if (window.perpdeskNum) window.perpdeskNum.show(span, value, { kind, tick: kind === "size" ? RULES.step : RULES.tick, currency: "USDT" });
    else span.textContent = String(value ?? "—");
    return span;
  }
  const shown = (value, kind) => num(value, kind).textContent;
  // ask - bid, exact (BigInt on the digits), shown at the tick
  function spread(ask, bid, tick) {
    const places = Math.max(...[ask, bid].map((v) => (String(v).split(".")[1] || "").length));
    const units = (v) => { const [i, f = ""] = String(v).split("."); return BigInt(i + f.padEnd(places, "0")); };
    const d = (units(ask) - units(bid)).toString().replace("-", "").padStart(places + 1, "0");
    const text = (units(ask) < units(bid) ? "-" : "") + (places ? d.slice(0, -places) + "." + d.slice(-places) : d);
    return window.perpdeskNum ? window.perpdeskNum.price(text, tick) : text;
  }
  const fact = (label, value, col, kind) =>
    el("span", { "data-col": col }, el("b", { text: label }), kind && value != null && value !== "" ? num(value, kind) : String(value ?? "—"));

  function tpSlItem(o) {
    const word = KIND_WORDS[o.kind];
    return el("form", { class: "tpsl", "data-order": o.order_id, "data-kind": o.kind, "aria-label": word },
      el("span", { "data-col": "trigger" }, word + " ", num(o.trigger_price, "price")),
      el("label", { for: "e-" + o.order_id, text: "New " + word.toLowerCase() }),
      el("input", { id: "e-" + o.order_id, name: "trigger_price", value: o.trigger_price, inputmode: "decimal" }),
      el("button", { type: "submit", text: "Save " + word.toLowerCase() }),
      el("button", { type: "button", "data-cancel": o.order_id, text: "Cancel " + word.toLowerCase() }));
  }
  function positionItem(p) {
    const pnl = Number(p.unrealized_pnl);
    const id = p.symbol + "-" + p.side;
    return el("article", { class: "item", "data-position": p.side, "aria-label": "Position " + p.side },
      el("div", { class: "facts" },
        el("strong", { text: p.symbol + " " + p.side }), fact("Size", p.size, "size", "size"), fact("Entry", p.entry_price, "entry", "price"),
        fact("Mark", p.mark_price, "mark", "price"), fact("Liq.", p.liquidation_price, "liquidation", "price"),
        el("span", { "data-col": "upnl", class: pnl >= 0 ? "pos" : "neg" }, el("b", { text: "uPnL" }), num(p.unrealized_pnl, "money"),
          p.pnl_percent ? " (" + p.pnl_percent + " %)" : ""),
        fact("Leverage", p.leverage + "x " + p.margin_mode, "leverage")),
      el("div", { class: "cards", "data-part": "tpsl" }, ...(p.tpsl || []).map(tpSlItem)),
      el("form", { class: "set-tpsl", "data-side": p.side, "aria-label": "Set TP/SL " + p.side },
        el("label", { for: "tp-" + id, text: "Take profit" }), el("input", { id: "tp-" + id, name: "take_profit", inputmode: "decimal" }),
        el("label", { for: "sl-" + id, text: "Stop loss" }), el("input", { id: "sl-" + id, name: "stop_loss", inputmode: "decimal" }),
        el("button", { type: "submit", text: "Set TP/SL" })),
      el("form", { class: "close-pct", "data-side": p.side, "aria-label": "Close " + p.side },
        el("label", { for: "cp-" + id, text: "Close %" }), el("input", { id: "cp-" + id, name: "percent", value: "100", inputmode: "decimal" }),
        el("label", { for: "ct-" + id, text: "Close by" }),
        el("select", { id: "ct-" + id, name: "type" }, el("option", { value: "market", text: "Market" }), el("option", { value: "limit", text: "Limit" })),
        el("label", { for: "cl-" + id, text: "Limit price" }), el("input", { id: "cl-" + id, name: "price", inputmode: "decimal" }),
        el("button", { type: "submit", text: "Close" })));
  }
  // an open order, with its amend form (terminal_amend.js sends it)
  function orderItem(o) {
    const id = "a-" + o.order_id;
    return el("article", { class: "item", "data-order": o.order_id },
      el("div", { class: "facts" }, el("strong", { text: SIDE_WORDS[o.side] || o.side }), fact("Type", o.type, "type"),
        fact("Price", o.price, "price", "price"), fact("Size", o.size, "size", "size"), fact("Filled", o.filled_size, "filled", "size"),
        el("button", { type: "button", "data-cancel-order": o.order_id, text: "Cancel" })),
      o.type === "limit" ? el("form", { class: "amend", "data-amend": o.order_id, "aria-label": "Amend order" },
        el("label", { for: id + "-price", text: "New price" }),
        el("input", { id: id + "-price", name: "price", value: o.price, inputmode: "decimal", autocomplete: "off", "data-was": o.price }),
        el("label", { for: id + "-size", text: "New size" }),
        el("input", { id: id + "-size", name: "size", value: o.size, inputmode: "decimal", autocomplete: "off", "data-was": o.size }),
        el("button", { type: "submit", text: "Amend" })) : null);
  }
  function conditionalItem(o) {
    return el("article", { class: "item", "data-conditional": o.order_id, "data-kind": o.kind },
      el("div", { class: "facts" }, el("strong", { text: KIND_WORDS[o.kind] || o.kind }), fact("Side", SIDE_WORDS[o.side] || o.side, "side"),
        fact(o.kind === "trailing" ? "Activation" : "Trigger", o.trigger_price, "trigger", "price"),
        o.callback_rate ? fact("Callback", o.callback_rate + " %", "callback") : null,
        Number(o.size) ? fact("Size", o.size, "size", "size") : fact("Size", "whole position", "size"),
        o.execution_price ? fact("Price", o.execution_price, "price", "price") : fact("Price", "market", "price"),
        el("button", { type: "button", "data-cancel": o.order_id, text: "Cancel" })));
  }
  // fills as the connector reports them (older shapes: time_ms, realised_pnl)
  const fillTime = (f) => f.at_ms ?? f.time_ms;
  const fillPnl = (f) => f.realized_pnl ?? f.realised_pnl;
  function fillItem(f) {
    return el("article", { class: "item", "data-fill": f.trade_id },
      el("div", { class: "facts" }, el("strong", { text: SIDE_WORDS[f.side] || f.side || "Fill" }), fact("Price", f.price, "price", "price"),
        fact("Size", f.size, "size", "size"), fact("Fee", f.fee, "fee", "money"), fact("Realised PnL", fillPnl(f), "pnl", "money"),
        fact("Time", new Date(fillTime(f)).toISOString().replace("T", " ").slice(0, 19), "time")));
  }

  window.perpdeskTerminalItems = { el, fact, num, shown, spread, SIDE_WORDS, KIND_WORDS, positionItem, orderItem, conditionalItem, fillItem, fillTime };
})();
