// Amending an open limit order from the Terminal: its price and size in the open-orders tab (the
// form terminal_items.js draws in each order), or its price by dragging its line on the chart
// (terminal_chart.js calls move, which asks first). Sent to the platform's amend API (PATCH
// /api/accounts/{id}/orders/{order_id}, as the Trade page does); a refusal about one field is shown
// under that field, marked invalid, and in the page's notice.
(function () {
  "use strict";
  const root = document.getElementById("terminal");
  if (!root) return;
  const SYMBOL = root.dataset.symbol;
  const T = () => window.perpdeskTerminal;
  const { el, SIDE_WORDS } = window.perpdeskTerminalItems;
  const FIELDS = ["price", "size"];

  function clearErrors(form) {
    for (const p of form.querySelectorAll(".field-error")) p.remove();
    for (const i of form.querySelectorAll("input")) { i.removeAttribute("aria-invalid"); i.removeAttribute("aria-describedby"); }
  }
  // the message under its field (or under the form when it names none of them)
  function showError(form, field, message) {
    const input = FIELDS.includes(field) ? form.querySelector(`input[name="${field}"]`) : null;
    const id = form.dataset.amend + "-err-" + (input ? field : "form");
    const p = el("p", { class: "field-error", id, role: "alert", "data-field": input ? field : "", text: message });
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      input.after(p);
    } else form.append(p);
  }
  const messageOf = (e) => (e.info ? [e.info.message, e.info.next_step].filter(Boolean).join(" ") : String(e.message || e));

  // amend one order; true once the exchange took it
  async function amend(orderId, changes, form) {
    let done = false;
    await T().act(async () => {
      try {
        await T().api("PATCH", "/orders/" + encodeURIComponent(orderId), { symbol: SYMBOL, ...changes });
        done = true;
      } catch (e) {
        if (form) showError(form, e.info && e.info.field, messageOf(e));
        throw e;
      }
    }, "Order amended.");
    return done;
  }

  root.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!form.classList.contains("amend")) return;
    ev.preventDefault();
    clearErrors(form);
    // only what was changed is sent
    const changes = {};
    for (const name of FIELDS) {
      const input = form.querySelector(`input[name="${name}"]`);
      const value = input.value.trim();
      if (value !== input.dataset.was) changes[name] = value;
    }
    if (!Object.keys(changes).length) {
      showError(form, "price", "Nothing to change: type a new price or a new size (or both), then Amend.");
      return;
    }
    amend(form.dataset.amend, changes, form);
  });

  // an order's line dropped at `price` (already on the tick) on the chart
  async function move(order, price) {
    const num = window.perpdeskNum, tick = root.dataset.tick;
    const text = `Move the ${SIDE_WORDS[order.side] || order.side} order of ${num.size(order.size, root.dataset.step)} ` +
      `from ${num.price(order.price, tick)} to ${num.price(price, tick)} USDT?`;
    if (!(await window.perpdeskTerminalLayout.confirm(text, "Move order"))) return false;
    return amend(order.order_id, { price });
  }

  window.perpdeskTerminalAmend = { amend, move };
})();
