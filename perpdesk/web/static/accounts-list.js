(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  let exchange = null, exchangeName = "the exchange";

  async function api(method, url, body) {
    const res = await fetch(url, {
      method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return {ok: res.ok, status: res.status, data};
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function showMessage(box, m, kind) {
    box.replaceChildren();
    if (!m) return;
    const sev = kind || (m.severity === "warning" ? "warn" : m.severity === "info" ? "ok" : "error");
    const p = el("div", "alert " + sev);
    p.setAttribute("role", sev === "error" ? "alert" : "status");
    if (m.code) p.dataset.code = m.code;
    p.append(el("span", "title", m.title || ""));
    if (m.message) p.append(el("span", "body", m.message));
    if (m.steps && m.steps.length) {
      const ol = el("ol", "steps");
      for (const s of m.steps) ol.append(el("li", null, s));
      p.append(ol);
    }
    if (m.next_step) p.append(el("span", "next", m.next_step));
    box.append(p);
  }

  function addMessages(box, list) {
    for (const w of list || []) {
      const wrap = el("div");
      showMessage(wrap, w);
      box.append(...wrap.childNodes);
    }
  }

  function errorOf(r) {
    if (r.data && r.data.error) return r.data.error;
    if (r.data && r.data.code) return r.data;
    if (r.status === 401) return {title: "Signed out", message: "Your perpdesk session ended.", next_step: "Sign in again."};
    return {title: "Something went wrong", message: "The request failed (" + r.status + ").", next_step: "Try again."};
  }

  // --- the list (refreshed without reloading the page) ------------------------------------
  const STATUS = {active: "Active", awaiting_whitelist: "Awaiting whitelisting", error: "Needs attention"};
  const METHOD = {manual: "Manual", fast_connect: "Fast Connect"};
  // each equity as traders read it (numfmt.js), the exact value kept for hover and copy
  function balancesCell(balances) {
    const td = el("td");
    balances.forEach((b, i) => {
      const n = el("span", "num"); n.dataset.num = "money"; n.dataset.currency = b.currency;
      window.perpdeskNum.show(n, b.equity, {kind: "money", currency: b.currency});
      td.append(i ? ", " : "", n, " " + b.currency);
    });
    if (!balances.length) td.textContent = "—";
    return td;
  }
  async function refreshList() {
    const r = await api("GET", "/api/accounts");
    if (!r.ok) return;
    const body = $("accounts-body");
    body.replaceChildren();
    for (const a of r.data.accounts) {
      const tr = el("tr"); tr.dataset.account = a.id;
      tr.append(el("td", "label", a.label), el("td", null, a.exchange_name), el("td", null, a.market),
        el("td", null, METHOD[a.method] || a.method),
        el("td", "status status-" + a.status, STATUS[a.status] || a.status),
        el("td", null, a.last_check_at ? a.last_check_at.replace("T", " ").slice(0, 16) + " UTC" : "—"),
        balancesCell(a.balances));
      const td = el("td"); const link = el("a", "button", "Edit");
      link.href = "/settings/exchange-accounts/" + a.id + "/edit"; link.setAttribute("aria-label", "Edit " + a.label);
      const trade = el("a", "button", "Trade");
      trade.href = "/accounts/" + a.id + "/trade"; trade.setAttribute("aria-label", "Trade " + a.label);
      td.append(trade, " ", link); tr.append(td); body.append(tr);
    }
    $("no-accounts").hidden = r.data.accounts.length > 0;
    const n = await api("GET", "/api/accounts/notices");
    if (n.ok) {
      const box = $("notices");
      for (const notice of n.data.notices) {
        if (box.querySelector('[data-notice="' + notice.id + '"]')) continue;
        const p = el("p", "alert ok notice", notice.message + " ");
        p.setAttribute("role", "status"); p.dataset.notice = notice.id;
        const b = el("button", "dismiss", "Dismiss"); b.type = "button"; b.dataset.dismiss = notice.id;
        b.setAttribute("aria-label", "Dismiss notice"); p.append(b); box.append(p);
      }
    }
    return r.data.accounts;
  }
  $("notices").addEventListener("click", async (e) => {
    const id = e.target && e.target.dataset ? e.target.dataset.dismiss : null;
    if (!id) return;
    const r = await api("POST", "/api/accounts/notices/read?notice_id=" + encodeURIComponent(id));
    if (r.ok) e.target.closest(".notice").remove();
  });
  // Accounts awaiting whitelisting turn active in the background: keep the list current.
  setInterval(async () => {
    if (document.querySelector(".status-awaiting_whitelist")) await refreshList();
  }, 3000);

  // --- chooser and window ---------------------------------------------------------------
  const chooser = $("chooser"), win = $("connect-window");
  for (const d of [chooser, win]) d.querySelector(".close").addEventListener("click", () => d.close());
  $("connect-account").addEventListener("click", () => chooser.showModal());
  for (const b of chooser.querySelectorAll(".choice:not([disabled])")) {
    b.addEventListener("click", () => {
      exchange = b.dataset.exchange;
      chooser.close();
      resetWindow();
      shape(b.dataset);
      selectTab(b.dataset.fast === "yes" ? "tab-fast" : "tab-manual");
      win.showModal();
    });
  }
  function selectTab(id) {
    for (const t of win.querySelectorAll('[role=tab]')) {
      const on = t.id === id;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
  }
  for (const t of win.querySelectorAll('[role=tab]')) t.addEventListener("click", () => selectTab(t.id));
  win.querySelector('[role=tablist]').addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    const tabs = [...win.querySelectorAll('[role=tab]')];
    const i = tabs.findIndex(t => t.getAttribute("aria-selected") === "true");
    const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    selectTab(next.id); next.focus(); e.preventDefault();
  });

  // The window asks what the chosen exchange's keys have (its ExchangeInfo, as data-* of its button).
  function shape(d) {
    exchangeName = d.name;
    $("connect-title").textContent = "Connect " + d.name + " Futures";
    for (const n of win.querySelectorAll(".ex-name")) n.textContent = d.name;
    $("tab-fast").hidden = d.fast !== "yes";
    const fields = d.fields.split(" ");
    $("passphrase-field").hidden = !fields.includes("passphrase");
    $("passphrase-hint").textContent = d.passphraseHint ? d.passphraseHint + " (the Passphrase)." : "";
    $("label").placeholder = d.label;
    $("key-page").textContent = d.keyPage;
    const needs = $("key-needs"); needs.replaceChildren();
    for (const n of d.needs ? d.needs.split("|") : []) needs.append(el("li", null, n));
  }

  function resetWindow() {
    $("fast-msg").replaceChildren(); $("manual-msg").replaceChildren();
    $("balance").hidden = true; $("manual-add").hidden = true; $("manual-await").hidden = true;
    $("fast-connect").disabled = false;
  }

  // --- Fast Connect ------------------------------------------------------------------------
  const sw = $("enable-futures");
  sw.addEventListener("change", () => sw.setAttribute("aria-checked", sw.checked ? "true" : "false"));
  let polling = null;
  $("fast-connect").addEventListener("click", async () => {
    const box = $("fast-msg");
    if (!sw.checked) {
      showMessage(box, {title: "Enable Futures Account first", message: "Fast Connect creates a futures key; the Enable Futures Account switch is off.", next_step: "Turn on the Enable Futures Account switch, then click Connect."});
      return;
    }
    // Open the tab inside the click (popup blockers), point it at the exchange once we have the URL.
    const tab = window.open("about:blank", "_blank");
    const r = await api("POST", "/api/fast-connect/start", {exchange, enable_futures: true});
    if (!r.ok) { if (tab) tab.close(); showMessage(box, errorOf(r)); return; }
    if (tab) { tab.opener = null; tab.location.href = r.data.authorize_url; }
    else { window.open(r.data.authorize_url, "_blank", "noopener"); }
    $("fast-connect").disabled = true;
    showMessage(box, {title: "Waiting for " + exchangeName + "…", message: "Sign in and confirm in the new tab; this window updates by itself.", severity: "info"});
    if (polling) clearInterval(polling);
    const state = r.data.state;
    polling = setInterval(async () => {
      const s = await api("GET", "/api/fast-connect/status?state=" + encodeURIComponent(state));
      if (!s.ok) return;
      if (s.data.status === "pending") return;
      clearInterval(polling); polling = null;
      $("fast-connect").disabled = false;
      if (s.data.status === "connected") {
        showMessage(box, s.data.message, s.data.message && s.data.message.severity === "warning" ? "warn" : "ok");
        addMessages(box, s.data.warnings);
        await refreshList();
      } else {
        showMessage(box, s.data.message);
      }
    }, 1000);
  });

  // --- Manual connect ----------------------------------------------------------------------
  $("copy-ips").addEventListener("click", async () => {
    const text = $("copy-ips").dataset.copy;
    try { await navigator.clipboard.writeText(text); $("copy-done").textContent = "Copied."; }
    catch (e) { $("copy-done").textContent = "Copy failed: select the addresses and copy them."; }
  });
  function form() {
    return {exchange, api_key: $("api-key").value, secret: $("secret").value, passphrase: $("passphrase-field").hidden ? "" : $("passphrase").value,
            label: $("label").value || null, allow_withdraw: $("allow-withdraw").checked};
  }
  function markField(field) {
    for (const id of ["api-key", "secret", "passphrase", "label"]) $(id).removeAttribute("aria-invalid");
    const map = {api_key: "api-key", secret: "secret", passphrase: "passphrase", label: "label"};
    if (field && map[field]) { $(map[field]).setAttribute("aria-invalid", "true"); $(map[field]).focus(); }
  }
  function showBalances(list) {
    const body = $("balance-body"); body.replaceChildren();
    for (const b of list || []) {
      const tr = el("tr");
      tr.append(el("td", null, b.currency), el("td", null, b.equity), el("td", null, b.available), el("td", null, b.unrealized_pnl));
      body.append(tr);
    }
    $("balance").hidden = false;
  }
  $("manual-save").addEventListener("click", async () => {
    const box = $("manual-msg");
    $("manual-add").hidden = true; $("manual-await").hidden = true; $("balance").hidden = true;
    showMessage(box, {title: "Checking the key at " + exchangeName + "…", severity: "info"});
    $("manual-save").disabled = true;
    const r = await api("POST", "/api/accounts/inspect", form());
    $("manual-save").disabled = false;
    if (!r.ok) { const e = errorOf(r); showMessage(box, e); markField(e.field); return; }
    markField(null);
    const d = r.data;
    if (d.verdict === "refused") { showMessage(box, d.problem); markField(d.problem && d.problem.field); return; }
    showBalances(d.balances);
    box.replaceChildren();
    if (d.verdict === "awaiting_whitelist") {
      showMessage(box, d.problem, "warn");
      if (d.exchange_account_id) box.append(el("p", "hint cid", "Your BitMart CID (for the API Whitelist Request): " + d.exchange_account_id));
      $("manual-await").hidden = false;
    }
    else { showMessage(box, {title: "The key works", message: "Check the balance below, then click Add.", severity: "info"}); $("manual-add").hidden = false; }
    addMessages(box, d.warnings);
  });
  async function add(accept) {
    const box = $("manual-msg");
    const r = await api("POST", "/api/accounts", {...form(), accept_awaiting_whitelist: accept});
    if (!r.ok) { const e = errorOf(r); showMessage(box, e); markField(e.field); return; }
    $("manual-add").hidden = true; $("manual-await").hidden = true;
    for (const id of ["api-key", "secret", "passphrase", "label"]) $(id).value = "";
    $("allow-withdraw").checked = false;
    showMessage(box, {title: "API key successfully connected", message: r.data.account.status === "awaiting_whitelist" ? "The account is awaiting whitelisting by " + exchangeName + "; perpdesk turns it active once " + exchangeName + " lets it trade." : "The account now appears in your list of connected Trading Accounts.", severity: "info"}, "ok");
    await refreshList();
  }
  $("manual-add").addEventListener("click", () => add(false));
  $("manual-await").addEventListener("click", () => add(true));
})();
