// The Terminal's keyboard shortcuts, listed in the Shortcuts window ("?" or its button):
//   B buy / long and S sell / short with the ticket as filled in (the ticket's own buttons, so the
//   ticket's checks apply), Shift+C cancel all (asks first), / the contract search.
// Never while typing in a field, with Ctrl/Alt/Meta held, or while a window is open.
(function () {
  "use strict";
  const root = document.getElementById("terminal");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const list = $("shortcuts");

  const typing = (t) => t && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName));
  const sideButton = (side) => $("ticket").querySelector(`button[data-side="${side}"]`);

  async function cancelAll() {
    const ok = await window.perpdeskTerminalLayout.confirm(
      `Cancel all open and trigger orders of ${root.dataset.symbol}?`, "Cancel all orders");
    if (ok) $("cancel-all").click();
  }
  function trade(side) {
    const kind = $("o-kind");
    // a trailing stop has one button of its own: B and S are for the other order types
    if (kind.value === "trail") { kind.value = "limit"; kind.dispatchEvent(new Event("change")); }
    sideButton(side).click();
  }

  $("shortcuts-open").addEventListener("click", () => list.showModal());
  document.addEventListener("keydown", (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.altKey || ev.metaKey || typing(ev.target)) return;
    if (document.querySelector("dialog[open]")) return;
    const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    const act = k === "c" ? (ev.shiftKey ? cancelAll : null)
      : { b: () => trade("buy"), s: () => trade("sell"), "?": () => list.showModal(), "/": () => $("t-symbol").focus() }[k];
    if (!act) return;
    ev.preventDefault();
    act();
  });
})();
