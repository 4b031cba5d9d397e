/* Workbench behaviour shared by every page: no inline scripts anywhere (the CSP forbids them). */
(function () {
  "use strict";
  // Select a kiosk URL on focus so it can be copied in one go.
  document.addEventListener("focusin", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("input[data-kiosk-url]")) { t.select(); }
  });
})();
