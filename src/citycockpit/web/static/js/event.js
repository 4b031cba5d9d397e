/* Event detail: the event's point on the map of its place, drawn from outlines the caller may see. */
(function () {
  "use strict";
  var node = document.getElementById("event-map");
  if (!node || !window.CCAreaMap) { return; }
  var d = JSON.parse(node.dataset.eventMap);
  window.CCAreaMap.draw(node, { around: d.area, point: [d.lon, d.lat], name: d.name });
})();
