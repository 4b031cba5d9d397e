/* Ledger review: clicking an item shows its quote in the report text; "select page" ticks every box. */
(function () {
  "use strict";
  var text = document.getElementById("report-text");
  function focusQuote(id) {
    if (!text) { return; }
    Array.prototype.forEach.call(text.querySelectorAll("mark.focus"), function (m) { m.classList.remove("focus"); });
    var marks = Array.prototype.filter.call(text.querySelectorAll("mark[data-items]"), function (m) {
      return m.dataset.items.split(" ").indexOf(String(id)) >= 0;
    });
    marks.forEach(function (m) { m.classList.add("focus"); });
    if (marks.length) { marks[0].scrollIntoView({ block: "center" }); }
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("[data-quote]") : null;
    if (link) { e.preventDefault(); focusQuote(link.dataset.quote); }
  });
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(document.querySelectorAll("input.pick:not([disabled])"), function (box) { box.checked = all.checked; });
    });
  }
})();
