// The Terminal's frame: the account's tabs (positions, open orders, conditional orders, fills), the
// handle between the chart and the tabs (drag it, or arrow keys on it; the height is remembered),
// and the one confirmation window the page asks through (cancel all, moving an order on the chart).
(function () {
  "use strict";
  const root = document.getElementById("terminal");
  if (!root) return;
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- tabs

  const tabs = [...root.querySelectorAll('[role="tab"]')];
  function select(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
  }
  for (const t of tabs) {
    t.addEventListener("click", () => select(t));
    t.addEventListener("keydown", (ev) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[ev.key];
      if (!step) return;
      const next = tabs[(tabs.indexOf(t) + step + tabs.length) % tabs.length];
      select(next); next.focus(); ev.preventDefault();
    });
  }

  // ---------------------------------------------------------------- the chart / tabs handle

  const KEY = "perpdesk.terminal.tabsHeight";
  const handle = $("tabs-resize");
  const MIN_TABS = 110, MIN_CHART = 220;
  function setTabs(px) {
    const box = root.getBoundingClientRect();
    const head = root.querySelector(".term-head").getBoundingClientRect().height;
    const most = Math.max(MIN_TABS, box.height - head - MIN_CHART);
    const h = Math.round(Math.min(most, Math.max(MIN_TABS, px)));
    root.style.setProperty("--tabs-h", h + "px");
    handle.setAttribute("aria-valuenow", String(Math.round(100 * (1 - h / Math.max(1, box.height - head)))));
    return h;
  }
  const saved = Number(window.localStorage.getItem(KEY) || 0);
  if (saved) setTabs(saved);
  let dragging = false;
  handle.addEventListener("pointerdown", (ev) => { dragging = true; handle.setPointerCapture(ev.pointerId); ev.preventDefault(); });
  handle.addEventListener("pointermove", (ev) => {
    if (!dragging) return;
    setTabs(root.getBoundingClientRect().bottom - ev.clientY);
  });
  handle.addEventListener("pointerup", () => {
    if (!dragging) return;
    dragging = false;
    window.localStorage.setItem(KEY, String(root.querySelector(".term-tabs").getBoundingClientRect().height));
  });
  handle.addEventListener("keydown", (ev) => {
    const step = { ArrowUp: 20, ArrowDown: -20 }[ev.key];
    if (!step) return;
    ev.preventDefault();
    const h = setTabs(root.querySelector(".term-tabs").getBoundingClientRect().height + step);
    window.localStorage.setItem(KEY, String(h));
  });

  // ---------------------------------------------------------------- confirmation

  // resolves true when the trader confirms, false on "Keep as is" or Esc
  function confirm(text, okLabel) {
    const dialog = $("t-confirm");
    $("t-confirm-text").textContent = text;
    $("t-confirm-ok").textContent = okLabel || "Confirm";
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    });
  }

  window.perpdeskTerminalLayout = { select, confirm, showTab: (name) => select($("tab-" + name)) };
})();
