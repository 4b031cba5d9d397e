// A tap on an event photo opens its display copy full screen; a tap, Escape or the × closes it.
(function () {
  "use strict";
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
