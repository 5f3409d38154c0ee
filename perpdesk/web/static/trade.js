(function () {
  var symbol = document.getElementById("t-symbol"), type = document.getElementById("t-type");
  var price = document.getElementById("t-price"), tif = document.getElementById("t-tif");
  var rules = document.getElementById("t-rules");
  function sync() {
    var market = type.value === "market";
    price.disabled = market;
    if (market && tif.value === "post_only") { tif.value = "gtc"; }
    tif.querySelector('option[value="post_only"]').disabled = market;
    var o = symbol.options[symbol.selectedIndex];
    if (o) {
      rules.textContent = "1 contract = " + o.dataset.contract + " · price tick " + o.dataset.tick +
        " · size step " + o.dataset.step + " (min " + o.dataset.min + ") · leverage up to " + o.dataset.maxLeverage + "x";
    }
  }
  type.addEventListener("change", sync); symbol.addEventListener("change", sync); sync();
})();
