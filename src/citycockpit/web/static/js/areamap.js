/* A workbench map of the city's own area polygons (no internet tiles): the outlines the caller may
   see come from /api/v1/org/areas/outlines, which answers within the caller's scope. Drawn with the
   vendored ECharts. CCAreaMap.draw(node, {around, point: [lon, lat], name, pickable, onPick}).
   A pickable map has a pin the worker drags (finger or mouse: an ECharts graphic element, kept on its
   point when the map zooms) or moves with a tap; onPick([lon, lat]) follows either. */
(function () {
  "use strict";
  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/&/g, "&amp;").replace(/</g, "&lt;")
      .replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function draw(node, opts) {
    if (!node || !window.echarts) { return null; }
    var state = { chart: null, point: opts.point || null };
    var url = "/api/v1/org/areas/outlines" + (opts.around ? "?around=" + encodeURIComponent(opts.around) : "");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(function (m) {
        if (!m || !m.geojson) { node.classList.add("map-empty"); return; }
        echarts.registerMap(m.map_name, m.geojson);
        var chart = echarts.init(node);
        state.chart = chart;
        chart.setOption({
          tooltip: { trigger: "item", formatter: function (p) { return esc(p.name); } },
          geo: {
            map: m.map_name, roam: opts.pickable ? "scale" : true, scaleLimit: { min: 1, max: 40 },
            // the pick map zooms from anywhere in its box, not only over the outlines' own rectangle
            roamTrigger: opts.pickable ? "global" : "selfRect",
            itemStyle: { areaColor: "#e8f0fa", borderColor: "#7a9cc6" },
            emphasis: { itemStyle: { areaColor: "#d6e6f7" }, label: { show: true } },
            regions: m.geojson.features.filter(function (f) { return f.properties.level === "town"; })
              .map(function (f) { return { name: f.properties.name, itemStyle: { areaColor: "#f3f6fa", borderWidth: 2 } }; }),
            label: { show: true, fontSize: 11, color: "#4a5d75" }
          },
          series: [{ type: "effectScatter", coordinateSystem: "geo", symbolSize: 16, itemStyle: { color: "#d4380d" },
                     data: state.point && !opts.pickable ? [{ name: opts.name || "", value: state.point }] : [] }]
        });
        function pin() {  // the draggable pin, at its point's pixel (again after every zoom)
          if (!state.point) { return; }
          var px = chart.convertToPixel({ geoIndex: 0 }, state.point);
          if (!px || !isFinite(px[0]) || !isFinite(px[1])) { return; }
          node.dataset.pinX = String(Math.round(px[0]));
          node.dataset.pinY = String(Math.round(px[1]));
          chart.setOption({ graphic: [{
            id: "pin", type: "group", x: px[0], y: px[1], draggable: true, cursor: "move",
            // z on each circle: a graphic group's own z does not reach its children (ECharts 6.1), and at
            // z 0 the area labels and a highlighted town outline lay over the pin and took its press
            children: [
              { type: "circle", z: 100, shape: { r: 22 }, style: { fill: "rgba(212,56,13,0.18)" } },
              { type: "circle", z: 100, shape: { r: 9 }, style: { fill: "#d4380d", stroke: "#fff", lineWidth: 2 } }
            ],
            ondragstart: function () { state.dragging = true; },
            ondragend: function () {
              state.dragging = false;
              var p = chart.convertFromPixel({ geoIndex: 0 }, [this.x, this.y]);
              if (p && isFinite(p[0]) && isFinite(p[1])) { place([p[0], p[1]]); }
            }
          }] });
        }
        function place(lonlat) {
          state.point = lonlat;
          pin();
          if (opts.onPick) { opts.onPick(lonlat); }
        }
        if (opts.pickable) {
          state.pin = pin;
          pin();
          chart.on("georoam", function () { setTimeout(pin, 0); });
          chart.getZr().on("click", function (e) {
            if (e.target && e.target.parent && e.target.parent.draggable) { return; }  // the pin itself
            var p = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
            if (p && isFinite(p[0]) && isFinite(p[1])) { place([p[0], p[1]]); }
          });
          // A finger dragging the pin must not scroll the page (the map allows vertical page panning).
          node.addEventListener("touchmove", function (e) { if (state.dragging) { e.preventDefault(); } }, { passive: false });
          window.addEventListener("resize", function () { setTimeout(pin, 0); });
        }
        window.addEventListener("resize", function () { chart.resize(); });
      });
    return {
      move: function (lonlat) {
        if (state.dragging) { return; }  // the worker's finger wins over a new fix
        state.point = lonlat;
        if (state.pin) { state.pin(); }
        else if (state.chart) { state.chart.setOption({ series: [{ data: [{ name: opts.name || "", value: lonlat }] }] }); }
      }
    };
  }
  window.CCAreaMap = { draw: draw };
})();
