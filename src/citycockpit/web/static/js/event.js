/* Event detail: the event's point on its town's map (the town's polygons come from the screen API). */
(function () {
  "use strict";
  var node = document.getElementById("event-map");
  if (!node || !window.echarts) { return; }
  var d = JSON.parse(node.dataset.eventMap);
  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/&/g, "&amp;").replace(/</g, "&lt;")
      .replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  fetch("/api/v1/screen/map?area=" + encodeURIComponent(d.area), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (m) {
      if (!m || !m.geojson) { node.textContent = ""; return; }
      echarts.registerMap(m.map_name, m.geojson);
      var chart = echarts.init(node);
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) { return esc(p.name); } },
        geo: { map: m.map_name, roam: true, itemStyle: { areaColor: "#e8f0fa", borderColor: "#7a9cc6" },
               label: { show: true, fontSize: 11, color: "#4a5d75" } },
        series: [{ type: "effectScatter", coordinateSystem: "geo", symbolSize: 14, itemStyle: { color: "#d4380d" },
                   data: [{ name: d.name, value: [d.lon, d.lat] }] }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
})();
