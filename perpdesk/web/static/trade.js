(function () {
  var symbol = document.getElementById("t-symbol"), type = document.getElementById("t-type");
  var price = document.getElementById("t-price"), tif = document.getElementById("t-tif");
  var rules = document.getElementById("t-rules");
  var unit = document.getElementById("t-size-unit");
  var leverage = document.getElementById("t-leverage"), margin = document.getElementById("t-margin");
  function sync() {
    var market = type.value === "market";
    price.disabled = market;
    if (market && tif.value === "post_only") { tif.value = "gtc"; }
    tif.querySelector('option[value="post_only"]').disabled = market;
    var o = symbol.options[symbol.selectedIndex];
    if (o) {
      unit.textContent = o.dataset.unit;  // contracts, or the base asset where the exchange sizes in it
      rules.textContent = (o.dataset.unit === "contracts" ? "1 contract = " + o.dataset.contract + " · " : "") + "price tick " + o.dataset.tick +
        " · size step " + o.dataset.step + " (min " + o.dataset.min + ") · leverage up to " + o.dataset.maxLeverage + "x";
    }
  }
  // a ticket in a symbol with an open position starts from that position's leverage and margin mode
  function fromPosition() {
    var o = symbol.options[symbol.selectedIndex];
    if (o && o.dataset.leverage) { leverage.value = o.dataset.leverage; margin.value = o.dataset.margin; }
  }
  type.addEventListener("change", sync);
  symbol.addEventListener("change", function () { sync(); fromPosition(); });
  sync();

  // One order per intention: a ticket (or TP/SL, leverage form) being sent is disabled (a second click sends nothing) and
  // says so; the clicked side travels in a hidden field, since a disabled button is not submitted.
  function sendingOnce(form, status) {
    if (!form) return;
    form.addEventListener("submit", function (ev) {
      if (form.dataset.sending) { ev.preventDefault(); return; }
      form.dataset.sending = "1";
      var by = ev.submitter;
      if (by && by.name) {
        var keep = document.createElement("input");
        keep.type = "hidden"; keep.name = by.name; keep.value = by.value;
        form.appendChild(keep);
      }
      form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.disabled = true; });
      if (by) { by.textContent = "Sending…"; }
      if (status) { status.hidden = false; }
    });
  }
  sendingOnce(document.getElementById("ticket"), document.getElementById("t-sending"));
  sendingOnce(document.getElementById("confirm-ticket"), null);
  sendingOnce(document.getElementById("tpsl-form"), null);
  sendingOnce(document.getElementById("leverage-form"), null);
  // back to this page from the history: the ticket is a fresh one again
  window.addEventListener("pageshow", function (ev) { if (ev.persisted) { window.location.reload(); } });
})();
