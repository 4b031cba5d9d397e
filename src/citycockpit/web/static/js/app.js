/* Workbench behaviour shared by every page: no inline scripts anywhere (the CSP forbids them). */
(function () {
  "use strict";
  // Select a kiosk URL on focus so it can be copied in one go.
  document.addEventListener("focusin", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("input[data-kiosk-url]")) { t.select(); }
  });
  // Phones: the bottom bar's "more" opens the full navigation above it (css/phone.css).
  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest("[data-toggle-nav]") : null;
    if (!button) { return; }
    var open = document.body.classList.toggle("nav-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
