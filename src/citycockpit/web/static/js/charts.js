/* Workbench charts: any element with data-chart (JSON) gets a line chart of its series.
   Names reach the tooltip only through esc(); no inline script anywhere. */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/&/g, "&amp;").replace(/</g, "&lt;")
      .replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function planChart(node, d) {
    var chart = echarts.init(node);
    var series = [];
    if (d.planned) { series.push({ type: "line", name: d.labels.planned, data: d.planned, lineStyle: { type: "dashed" }, symbol: "none" }); }
    series.push({ type: "bar", name: d.labels.actual, data: d.actual, itemStyle: { color: "#0b5cad" } });
    chart.setOption({
      tooltip: { trigger: "axis", formatter: function (ps) {
        return ps.map(function (p) { return esc(p.axisValue) + " " + esc(p.seriesName) + ": " + esc(p.value === undefined || p.value === null ? "—" : p.value); }).join("<br>");
      } },
      legend: { top: 0 },
      grid: { left: 70, right: 20, top: 36, bottom: 30 },
      xAxis: { type: "category", data: d.months },
      yAxis: { type: "value", name: "万元" },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function goalChart(node, d) {
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis", formatter: function (ps) {
        return ps.map(function (p) { return esc(p.axisValue) + " " + esc(p.seriesName) + ": " + esc(p.value === undefined || p.value === null ? "—" : p.value + "%"); }).join("<br>");
      } },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 36, bottom: 30 },
      xAxis: { type: "category", data: d.months },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { type: "line", name: d.labels.time_progress, data: d.time_progress, lineStyle: { type: "dashed" }, symbol: "none" },
        { type: "bar", name: d.labels.progress, data: d.progress, itemStyle: { color: "#0b5cad" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (node) {
    var d = JSON.parse(node.dataset.chart);
    if (node.id === "plan-chart") { planChart(node, d); }
    if (node.id === "goal-chart") { goalChart(node, d); }
  });
})();
