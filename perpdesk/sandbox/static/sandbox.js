// Profile menu (hover is CSS; click and keyboard here) and copy buttons. No inline scripts (CSP).
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    var button = document.getElementById("profile-button");
    var profile = document.getElementById("profile");
    if (button && profile) {
      button.addEventListener("click", function () {
        var open = profile.classList.toggle("open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
      document.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && profile.classList.contains("open")) {
          profile.classList.remove("open"); button.setAttribute("aria-expanded", "false"); button.focus();
        }
      });
      document.addEventListener("click", function (e) {
        if (!profile.contains(e.target)) { profile.classList.remove("open"); button.setAttribute("aria-expanded", "false"); }
      });
    }
    document.querySelectorAll("button.copy").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.getAttribute("data-copy-target"));
        if (!target) return;
        var text = target.value !== undefined ? target.value : target.textContent;
        var status = document.getElementById("copy-status");
        navigator.clipboard.writeText(text.trim()).then(function () {
          btn.textContent = "Copied";
          if (status) status.textContent = "Copied to the clipboard.";
        }, function () {
          if (target.select) target.select();
          if (status) status.textContent = "Copy failed: select the text and copy it by hand.";
        });
      });
    });
  });
})();
