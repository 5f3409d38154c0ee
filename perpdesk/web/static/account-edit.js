(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const id = document.getElementById("account").dataset.account;
  const box = document.getElementById("msg");
  const STATUS = {active: "Active", awaiting_whitelist: "Awaiting whitelisting", error: "Needs attention"};
  async function api(method, url, body) {
    const res = await fetch(url, {method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body)});
    let data = null; try { data = await res.json(); } catch (e) {}
    return {ok: res.ok, status: res.status, data};
  }
  function show(m, kind) {
    box.replaceChildren();
    if (!m) return;
    const sev = kind || (m.severity === "warning" ? "warn" : m.severity === "info" ? "ok" : "error");
    const d = document.createElement("div"); d.className = "alert " + sev;
    d.setAttribute("role", sev === "error" ? "alert" : "status");
    if (m.code) d.dataset.code = m.code;
    for (const [cls, t] of [["title", m.title], ["body", m.message], ["steps", m.steps], ["next", m.next_step]]) {
      if (!t || (Array.isArray(t) && !t.length)) continue;
      if (Array.isArray(t)) {
        const ol = document.createElement("ol");
        for (const step of t) { const li = document.createElement("li"); li.textContent = step; ol.append(li); }
        d.append(ol); continue;
      }
      const s = document.createElement("span"); s.className = cls; s.style.display = "block"; s.textContent = t; d.append(s);
    }
    box.append(d);
  }
  function err(r) { return (r.data && (r.data.error || (r.data.code && r.data))) || {title: "Something went wrong", message: "The request failed (" + r.status + ")."}; }
  function setStatus(a) { const s = document.getElementById("status"); s.textContent = STATUS[a.status] || a.status; s.className = "status-" + a.status; }
  document.getElementById("label-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await api("PATCH", "/api/accounts/" + id, {label: document.getElementById("edit-label").value});
    if (!r.ok) return show(err(r));
    document.getElementById("current-label").textContent = r.data.label;
    show({title: "Label saved", message: "The account is now called “" + r.data.label + "”.", severity: "info"});
  });
  document.getElementById("creds-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const pass = document.getElementById("passphrase");  // only for an exchange whose keys have one
    show({title: "Checking the new key at the exchange…", severity: "info"});
    const body = {api_key: document.getElementById("api-key").value, secret: document.getElementById("secret").value,
                  passphrase: pass ? pass.value : "",
                  allow_withdraw: document.getElementById("allow-withdraw").checked};
    const r = await api("PUT", "/api/accounts/" + id + "/credentials", body);
    if (!r.ok) return show(err(r));
    for (const f of ["api-key", "secret"]) document.getElementById(f).value = "";
    if (pass) pass.value = "";
    setStatus(r.data.account);
    show({title: "Credentials replaced", message: "The new key works; the old credentials were dropped.", severity: "info"});
  });
  document.getElementById("check").addEventListener("click", async () => {
    const r = await api("POST", "/api/accounts/" + id + "/check");
    if (!r.ok) return show(err(r));
    setStatus(r.data.account);
    const i = r.data.inspection;
    show(i.problem || {title: "The key works", message: "Checked just now.", severity: "info"});
  });
  document.getElementById("disconnect").addEventListener("click", async () => {
    if (!window.confirm("Disconnect this account from perpdesk?")) return;
    const r = await api("DELETE", "/api/accounts/" + id);
    if (!r.ok) return show(err(r));
    if (r.data.warnings && r.data.warnings.length) { show(r.data.warnings[0], "warn"); return; }
    window.location.href = "/settings/exchange-accounts";
  });
})();
