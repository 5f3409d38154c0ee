/* The nav's Alerts badge, live: GET /api/notifications/stream sends `event: unread` with the
 * signed-in user's unread count at once and whenever a notification arrives or is read. Without
 * the stream (live updates off) the badge keeps its htmx refresh. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-alerts-badge]");
  if (!holder || !window.EventSource) { return; }

  function render(count) {
    var badge = holder.querySelector(".badge");
    if (!count) { if (badge) { holder.textContent = ""; } return; }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      holder.textContent = "";
      holder.appendChild(badge);
    }
    badge.dataset.unread = String(count);
    badge.textContent = String(count);
  }

  var source = new EventSource("/api/notifications/stream");
  source.addEventListener("unread", function (e) {
    var data = JSON.parse(e.data);
    render(Number(data.unread) || 0);
    holder.closest("a").setAttribute("aria-label", data.unread ? "Notifications, " + data.unread + " unread" : "Notifications");
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
