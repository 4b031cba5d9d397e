// A tap on an event photo opens its display copy full screen; a tap, Escape or the × closes it.
(function () {
  "use strict";
  // A photo field says how many photos were chosen (the native file button is hidden).
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches(".photo-field input[type=file]")) return;
    var out = input.parentNode.querySelector(".photo-chosen");
    if (out) out.textContent = input.files.length ? out.getAttribute("data-template").replace("{n}", input.files.length) : "";
  });
  var box = document.getElementById("photo-lightbox");
  if (!box) return;
  var img = box.querySelector("img");
  function close() { box.hidden = true; img.removeAttribute("src"); }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.photo-open");
    if (link) {
      e.preventDefault();
      img.src = link.getAttribute("data-full");
      img.alt = link.querySelector("img") ? link.querySelector("img").alt : "";
      box.hidden = false;
      return;
    }
    if (!box.hidden && box.contains(e.target)) close();
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && !box.hidden) close(); });
})();
