// The contract search: a combobox over every contract the exchange lists (the page renders them
// all as options; any number). Typing filters ("et" → ETHUSDT, …; contracts whose name starts with
// it first), arrow keys move, Enter or a click opens that contract's Terminal, Esc closes the list.
(function () {
  "use strict";
  const root = document.getElementById("terminal");
  const input = document.getElementById("t-symbol");
  const list = document.getElementById("t-symbol-list");
  if (!root || !input || !list) return;
  const options = [...list.querySelectorAll('[role="option"]')];
  let shown = [], active = -1;

  function open(query) {
    const q = query.trim().toUpperCase();
    const hits = options.filter((o) => o.dataset.symbol.includes(q));
    // a name that starts with the query before one that only contains it, then A→Z
    hits.sort((a, b) => Number(!a.dataset.symbol.startsWith(q)) - Number(!b.dataset.symbol.startsWith(q))
      || a.dataset.symbol.localeCompare(b.dataset.symbol));
    for (const o of options) o.hidden = true;
    hits.forEach((o) => { o.hidden = false; list.append(o); });  // re-ordered in place
    shown = hits;
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
    mark(hits.length ? 0 : -1);
  }
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    mark(-1);
  }
  function mark(i) {
    active = i;
    shown.forEach((o, n) => o.setAttribute("aria-selected", String(n === i)));
    if (i >= 0) { input.setAttribute("aria-activedescendant", shown[i].id); shown[i].scrollIntoView({ block: "nearest" }); }
  }
  function go(option) {
    window.location.href = "/trade/" + encodeURIComponent(root.dataset.account) + "/" + encodeURIComponent(option.dataset.symbol);
  }

  input.addEventListener("focus", () => { input.select(); open(""); });
  input.addEventListener("input", () => open(input.value));
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (list.hidden) open(input.value);
      else if (shown.length) mark((active + (ev.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length);
      ev.preventDefault();
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      if (active >= 0) go(shown[active]);
    } else if (ev.key === "Escape") {
      close();
      input.value = root.dataset.symbol;
      input.blur();
    }
  });
  // mousedown, not click: the input's blur would close the list first
  list.addEventListener("mousedown", (ev) => {
    const option = ev.target.closest('[role="option"]');
    if (option) { ev.preventDefault(); go(option); }
  });
  input.addEventListener("blur", () => { close(); if (!input.value.trim()) input.value = root.dataset.symbol; });
})();
