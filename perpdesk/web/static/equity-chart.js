/* The dashboard's equity chart (drawn by the server as SVG): its time labels, rendered in UTC,
 * rewritten in the browser's time zone, and the caption saying which zone that is. */
(function () {
  "use strict";
  var svg = document.querySelector("svg[data-equity-chart]");
  if (!svg || !window.Intl) { return; }
  var daily = svg.dataset.daily === "true";
  var format = new Intl.DateTimeFormat(undefined, daily ? { month: "short", day: "2-digit" }
    : { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  svg.querySelectorAll("text[data-utc-ms]").forEach(function (label) {
    label.textContent = format.format(new Date(Number(label.dataset.utcMs)));
  });

  function offset(date) {
    var minutes = -date.getTimezoneOffset();
    var sign = minutes < 0 ? "-" : "+";
    minutes = Math.abs(minutes);
    var hh = String(Math.floor(minutes / 60)).padStart(2, "0"), mm = String(minutes % 60).padStart(2, "0");
    return "UTC" + sign + hh + ":" + mm;
  }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  var caption = document.querySelector("[data-chart-zone]");
  if (caption) { caption.textContent = "Times in your time zone (" + zone + ", " + offset(new Date()) + ")."; }
})();
