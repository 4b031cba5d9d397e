/* A theme board (/screen?theme=<code>): the panels the theme's YAML lays out on the screen's stage, all
   fetched in one answer from /api/v1/screen/boards/<code> and drawn here, one renderer per panel type
   (indicators/boards.py lists them). screen.js (loaded first) scales the stage, keeps the clock and
   lends its helpers (window.CCScreen). Text goes in through textContent, tooltips through esc(). */
(function () {
  "use strict";
  var S = window.CCScreen;
  if (!S || !window.echarts) { return; }
  var stage = S.stage, m = S.m, esc = S.esc, el = S.el, fmt = S.fmt, opt = S.opt, axis = S.axis, TXT = S.TXT, FS = S.FS;
  var THEME = stage.dataset.theme;
  var REFRESH = Math.max(5, parseInt(stage.dataset.refresh, 10) || 30) * 1000;
  var charts = {};
  /* the theme's grid and each panel's place on it ([column, row, width, height], from the YAML) */
  var board = document.getElementById("board");
  var grid = (board.dataset.grid || "12,8").split(",");
  board.style.gridTemplateColumns = "repeat(" + grid[0] + ", minmax(0, 1fr))";
  board.style.gridTemplateRows = "repeat(" + grid[1] + ", minmax(0, 1fr))";
  Array.prototype.forEach.call(board.querySelectorAll("[data-board-panel]"), function (panel) {
    var at = panel.dataset.at.split(",").map(Number);
    panel.style.gridColumn = (at[0] + 1) + " / span " + at[2];
    panel.style.gridRow = (at[1] + 1) + " / span " + at[3];
  });
  var GRID_LINE = { lineStyle: { color: "rgba(255,255,255,.08)" } };

  function chartIn(panel, key) {
    var body = panel.querySelector("[data-body]");
    var id = panel.dataset.boardPanel + ":" + (key || "main");
    var holder = body.querySelector('[data-chart="' + (key || "main") + '"]');
    if (!holder) {
      holder = el("div", "chart");
      holder.dataset.chart = key || "main";
      body.appendChild(holder);
    }
    if (!charts[id]) { charts[id] = echarts.init(holder, "dark", { renderer: "canvas" }); }
    return charts[id];
  }
  function clear(panel) {
    var body = panel.querySelector("[data-body]");
    Array.prototype.forEach.call(body.children, function (c) { if (!c.dataset.chart) { body.removeChild(c); } });
    return body;
  }
  function setNoData(panel, none) {
    panel.querySelector("[data-no-data]").hidden = !none;
    panel.querySelector("[data-body]").hidden = none;
    panel.dataset.state = none ? "no-data" : "drawn";
  }
  function shortDay(iso) {
    var p = iso.split("-");
    return S.stage.dataset.lang === "zh" ? parseInt(p[1], 10) + "月" + parseInt(p[2], 10) + "日" : p[1] + "-" + p[2];
  }
  function shortMonth(iso) {  // "2024-09"
    var p = iso.split("-");
    return S.stage.dataset.lang === "zh" ? p[0] + "年" + parseInt(p[1], 10) + "月" : iso;
  }
  function gradePieces(grades) {
    return grades.map(function (g) { return { min: g.min, max: g.max, label: g.name, color: g.colour }; });
  }

  var R = {};

  /* each station at its place on the viewed area's map, coloured by its AQI grade */
  R.station_map = function (panel, d) {
    var chart = chartIn(panel);
    var points = d.stations.filter(function (s) { return s.lon !== null && s.lat !== null; });
    var data = points.map(function (s) {
      return { name: s.name, value: [s.lon, s.lat, s.value], grade: s.grade, primary: s.primary,
        itemStyle: { color: s.grade ? s.grade.colour : (s.value === null ? "#5d7aa0" : "#36cfc9") } };
    });
    var hasMap = !!d.geojson;
    if (hasMap) { echarts.registerMap(d.map_name, d.geojson); }
    var title = d.measure === "aqi" && d.day ? m("board.aqi_day", { day: shortDay(d.day) }) : "";
    chart.setOption(opt({
      title: { text: title, left: 0, top: 0, textStyle: { fontSize: 15, color: "#9dbbe0" } },
      tooltip: { trigger: "item", formatter: function (p) {
        if (!p.data || !p.data.value) { return esc(p.name); }
        var v = p.data.value[2];
        var lines = [p.name, (d.measure === "aqi" ? m("board.aqi") : "") + " " + (v === null ? m("no_data_short") : fmt(v, 0) + (d.unit || ""))];
        if (p.data.grade) { lines.push(p.data.grade.name); }
        if (p.data.primary && p.data.primary.length) { lines.push(m("board.primary") + " " + p.data.primary.join("、")); }
        return lines.map(esc).join("<br>");
      } },
      legend: d.grades ? { data: d.grades.map(function (g) { return g.name; }), bottom: 4, left: 0, textStyle: TXT, itemWidth: 14, itemHeight: 10 } : undefined,
      geo: hasMap ? { map: d.map_name, roam: false, top: 30, bottom: d.grades ? 34 : 8, left: 8, right: 8,
        label: { show: true, color: "#8fb0d8", fontSize: 13 }, silent: true,
        itemStyle: { areaColor: "#123a66", borderColor: "#5ab0ff", borderWidth: 1.2 } } : undefined,
      xAxis: hasMap ? undefined : { type: "value", scale: true, show: false },
      yAxis: hasMap ? undefined : { type: "value", scale: true, show: false },
      series: (d.grades ? d.grades : [{ name: "" }]).map(function (g) {
        return { type: "scatter", name: g.name, coordinateSystem: hasMap ? "geo" : "cartesian2d", symbolSize: 22,
          data: d.grades ? data.filter(function (p) { return p.grade && p.grade.name === g.name; }) : data,
          itemStyle: g.colour ? { color: g.colour, borderColor: "#fff", borderWidth: 1 } : { borderColor: "#fff", borderWidth: 1 },
          label: { show: true, position: "top", distance: 8, color: "#fff", fontSize: 14, backgroundColor: "rgba(6, 20, 43, .8)",
            padding: [2, 6], borderRadius: 3, formatter: function (p) { return p.name + " " + (p.value[2] === null ? "" : fmt(p.value[2], 0)); } },
          labelLayout: { hideOverlap: true } };
      }).concat(d.grades ? [{ type: "scatter", name: m("no_data_short"), coordinateSystem: hasMap ? "geo" : "cartesian2d", symbolSize: 16,
        data: data.filter(function (p) { return !p.grade; }), itemStyle: { color: "#5d7aa0" },
        label: { show: true, position: "top", distance: 8, color: "#9dbbe0", fontSize: 14, formatter: "{b}" } }] : [])
    }), true);
    return true;
  };

  /* the year's days, one cell per day in its AQI grade's colour (HJ 633-2012 Table 2) */
  R.aqi_calendar = function (panel, d) {
    var chart = chartIn(panel);
    var zh = stage.dataset.lang === "zh";
    chart.setOption(opt({
      tooltip: { formatter: function (p) { return esc(shortDay(p.value[0])) + "<br>" + esc(m("board.aqi") + " " + p.value[1]); } },
      visualMap: { type: "piecewise", orient: "horizontal", left: "center", bottom: 0, pieces: gradePieces(d.grades),
        textStyle: TXT, itemWidth: 14, itemHeight: 10, itemGap: 12 },
      calendar: { range: String(d.year), top: 30, left: 40, right: 10, bottom: 40, cellSize: ["auto", "auto"],
        splitLine: { lineStyle: { color: "#2a6aa8", width: 1 } },
        itemStyle: { color: "rgba(255,255,255,.04)", borderColor: "#0a1f3d", borderWidth: 1 },
        yearLabel: { show: false },
        dayLabel: Object.assign({ nameMap: zh ? "ZH" : "EN", firstDay: 1 }, TXT),
        monthLabel: Object.assign({ nameMap: zh ? "ZH" : "EN" }, TXT) },
      series: [{ type: "heatmap", coordinateSystem: "calendar", data: d.days }]
    }), true);
    return true;
  };

  /* a value against its target on a gauge: green on the side of the target that meets it; the figure
     itself, the target and the forecast as text below the arc */
  function niceMax(v) {
    var step = Math.pow(10, Math.floor(Math.log10(Math.max(v, 1))));
    var n = Math.ceil(v / step);
    return (n <= 2 ? Math.ceil(v / (step / 2)) * (step / 2) : n * step);
  }
  function gauge(panel, value, target, unit, ceiling, max, lines) {
    var body = clear(panel);
    var chart = chartIn(panel);
    var cut = Math.max(0, Math.min(1, target / max));
    var good = "#52c41a", bad = "#ff4d4f";
    chart.setOption(opt({
      /* whole-number steps: 0–40 by 10, 0–50 by 10, 0–100 by 25 */
      series: [{ type: "gauge", min: 0, max: max, splitNumber: max % 4 === 0 && (max / 4) % 5 === 0 ? 4 : 5, radius: "95%", center: ["50%", "62%"], startAngle: 200, endAngle: -20,
        axisLine: { lineStyle: { width: 14, color: [[cut, ceiling ? good : bad], [1, ceiling ? bad : good]] } },
        pointer: { width: 5, length: "62%", itemStyle: { color: "#e6f4ff" } },
        axisTick: { show: false }, splitLine: { length: 8, distance: 0, lineStyle: { color: "#0a1f3d", width: 2 } },
        axisLabel: { color: "#8fb0d8", fontSize: FS, distance: 20, formatter: function (v) { return fmt(v, 0); } },
        anchor: { show: true, size: 10, itemStyle: { color: "#e6f4ff" } },
        title: { show: false }, detail: { show: false },
        data: [{ value: value === null ? 0 : value }] }]
    }), true);
    var facts = el("div", "gauge-facts");
    var big = el("span", "big " + (met(value, target, ceiling) ? "good" : "bad"), fmt(value, 1));
    big.appendChild(el("small", "", unit));
    facts.appendChild(big);
    lines.forEach(function (l) { if (l) { facts.appendChild(el("span", l[1] || "", l[0])); } });
    body.appendChild(facts);
    body.querySelector('[data-chart="main"]').classList.add("with-facts");
    chart.resize();
  }
  function met(value, target, ceiling) { return ceiling ? value <= target : value >= target; }

  R.goal_gauge = function (panel, d) {
    if (d.value === null) { return false; }
    var unit = d.unit || "";
    var tone = met(d.value, d.target, d.ceiling) ? "good" : "bad";
    gauge(panel, d.value, d.target, unit, d.ceiling, niceMax(Math.max(d.target * 1.5, d.value * 1.1)), [
      [m("board.target", { v: fmt(d.target, 1) + unit }) + " · " + m(tone === "good" ? "board.met" : "board.not_met"), tone],
      [d.forecast !== null && d.forecast !== undefined ? m("board.forecast", { v: fmt(d.forecast, 1) + unit }) : m("board.no_forecast"), ""],
      [m(d.source === "air" ? "board.from_air" : "board.from_goal"), "dim"]
    ]);
    return true;
  };

  R.ratio = function (panel, d) {
    if (d.value === null) { return false; }
    var pct = d.unit === "%";
    var tone = met(d.value, d.target, d.ceiling) ? "good" : "bad";
    gauge(panel, d.value, d.target, d.unit, d.ceiling, pct ? 100 : niceMax(Math.max(d.target * 1.5, d.value * 1.1)), [
      [m("board.target", { v: fmt(d.target, 1) + d.unit }) + " · " + m(tone === "good" ? "board.met" : "board.not_met"), tone],
      [m("board.good_days", { good: d.good_days, valid: d.valid_days }), ""]
    ]);
    return true;
  };

  /* a table: day, station (below the city), AQI, grade, primary pollutant */
  R.worst_days = function (panel, d) {
    var body = clear(panel);
    var withPlace = d.items.some(function (it) { return it.place_name; });
    var table = el("table", "board-table");
    var head = el("tr");
    ["day"].concat(withPlace ? ["place"] : []).concat(["aqi", "grade", "primary"]).forEach(function (k) {
      head.appendChild(el("th", "", m("board.col." + k)));
    });
    table.appendChild(head);
    d.items.forEach(function (it) {
      var tr = el("tr");
      tr.appendChild(el("td", "", shortDay(it.day)));
      if (withPlace) { tr.appendChild(el("td", "", it.place_name || m("board.city"))); }
      tr.appendChild(el("td", "num", fmt(it.aqi, 0)));
      var g = el("td");
      var chip = el("span", "grade", it.grade ? it.grade.name : "");
      if (it.grade) { chip.style.background = it.grade.colour; chip.style.color = it.grade.level <= 3 ? "#1a1a1a" : "#fff"; }
      g.appendChild(chip);
      tr.appendChild(g);
      tr.appendChild(el("td", "", it.primary.length ? it.primary.join("、") : m("board.no_primary")));
      table.appendChild(tr);
    });
    body.appendChild(table);
    /* whole rows only */
    var bottom = body.getBoundingClientRect().bottom;
    Array.prototype.forEach.call(table.querySelectorAll("tr"), function (tr) {
      tr.hidden = tr.getBoundingClientRect().bottom > bottom + 0.5;
    });
    return true;
  };

  /* numbers with their change on the same span of the period before */
  R.kpi = function (panel, d) {
    var body = clear(panel);
    var row = el("div", "kpis");
    d.items.forEach(function (it) {
      var box = el("div", "kpi");
      box.dataset.series = it.series;
      box.appendChild(el("span", "label", it.label));
      var num = el("span", "num", it.value === null ? m("no_data_short") : fmt(it.value, 1));
      if (it.unit && it.value !== null) { num.appendChild(el("small", "", it.unit)); }
      if (it.target !== null && it.target !== undefined && it.value !== null) {
        num.classList.add(met(it.value, it.target, it.lower_is_better) ? "good" : "bad");
      }
      box.appendChild(num);
      var text, tone = "";
      if (it.change === null) { text = m("board.no_previous"); }
      else if (it.change === 0) { text = m("board.change_same"); }
      else {
        text = m(it.change > 0 ? "board.change_up" : "board.change_down", { v: fmt(it.change, 1) });
        tone = (it.change > 0) !== !!it.lower_is_better ? "up-good" : "up-bad";
      }
      box.appendChild(el("span", "change " + tone, (it.change > 0 ? "▲ " : it.change < 0 ? "▼ " : "") + text));
      row.appendChild(box);
    });
    body.appendChild(row);
    return true;
  };

  function targetLine(target, unit) {
    return target === null || target === undefined ? undefined : { symbol: "none", data: [{ yAxis: target }],
      lineStyle: { type: "dashed", color: "#faad14" },
      label: Object.assign({ formatter: esc(m("board.target", { v: fmt(target, 1) + (unit || "") })) }, TXT, { color: "#faad14" }) };
  }

  R.trend = function (panel, d) {
    var chart = chartIn(panel);
    chart.setOption(opt({
      tooltip: { trigger: "axis", formatter: function (ps) {
        return ps.map(function (p) { return esc(p.axisValue) + " " + esc(fmt(p.value, 1)) + esc(d.unit || ""); }).join("<br>");
      } },
      grid: { left: 8, right: d.target === null || d.target === undefined ? 24 : 90, top: 30, bottom: 6, containLabel: true },
      xAxis: axis({ type: "category", data: d.points.map(function (p) { return d.step === "month" ? shortMonth(p[0]) : shortDay(p[0]); }) }),
      yAxis: axis({ type: "value", name: d.unit || "", splitNumber: 4, splitLine: GRID_LINE }),
      series: [{ type: "line", smooth: 0.25, name: d.name, symbol: "none", areaStyle: { opacity: 0.18 },
        data: d.points.map(function (p) { return p[1]; }), itemStyle: { color: "#36cfc9" }, markLine: targetLine(d.target, d.unit) }]
    }), true);
    return true;
  };

  R.by_area = function (panel, d) {
    var chart = chartIn(panel);
    chart.setOption(opt({
      tooltip: { trigger: "item", formatter: function (p) { return esc(p.name) + "<br>" + esc(fmt(p.value, 1) + (d.unit || "")); } },
      grid: { left: 8, right: d.target === null || d.target === undefined ? 24 : 90, top: 30, bottom: 6, containLabel: true },
      xAxis: axis({ type: "category", data: d.items.map(function (b) { return b.name; }),
        axisLabel: Object.assign({ interval: 0, rotate: d.items.length > 8 ? 30 : 0 }, TXT) }),
      yAxis: axis({ type: "value", name: d.unit || "", splitNumber: 4, splitLine: GRID_LINE }),
      /* with a target, the areas short of it stand out in red */
      series: [{ type: "bar", name: d.name, barMaxWidth: 28, data: d.items.map(function (b) {
          var short = d.target !== null && d.target !== undefined && b.value !== null && b.value < d.target;
          return { value: b.value, itemStyle: { color: short ? "#ff7875" : "#40a9ff" } };
        }), label: Object.assign({ show: d.items.length <= 12, position: "top" }, TXT),
        markLine: targetLine(d.target, d.unit) }]
    }), true);
    chart.off("click");
    chart.on("click", function (p) {
      var b = d.items[p.dataIndex];
      if (b && b.code && b.code.length < 12) { window.location.href = "/screen?area=" + encodeURIComponent(b.code) + "&theme=" + encodeURIComponent(THEME); }
    });
    return true;
  };

  R.alerts = function (panel, d) {
    var body = clear(panel);
    var list = el("ul", "rot");
    body.appendChild(list);
    if (!d.items.length) { list.appendChild(el("li", "all-clear", m("board.no_alerts"))); return true; }
    d.items.forEach(function (it) {
      var li = el("li", "indicator level-" + it.level);
      var text = (it.place_name || m("board.city")) + " · " + S.alertText(it);
      var name = el("span", "name", text);
      name.title = text;
      li.appendChild(name);
      li.appendChild(el("span", "val", m("board.level." + it.level)));
      list.appendChild(li);
    });
    S.fitRows(list);
    return true;
  };

  function draw(d) {
    d.panels.forEach(function (p) {
      var panel = stage.querySelector('[data-board-panel="' + p.id + '"]');
      if (!panel) { return; }
      var drawn = false;
      setNoData(panel, false);
      if (p.data !== null && R[p.type]) {
        try { drawn = R[p.type](panel, p.data) !== false; }
        catch (e) { if (window.console) { console.warn("board panel", p.type, e); } }
      }
      if (!drawn) { setNoData(panel, true); }
      S.setAsOf(panel, d.as_of, false);
    });
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  }

  function load() {
    return fetch("/api/v1/screen/boards/" + encodeURIComponent(THEME) + S.areaQuery(), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (r) { if (!r.ok) { throw new Error("http " + r.status); } return r.json(); })
      .then(draw)
      .catch(function () {
        Array.prototype.forEach.call(stage.querySelectorAll("[data-board-panel]"), function (panel) { S.setAsOf(panel, null, true); });
      });
  }
  function poll(delay) { setTimeout(function () { load().then(function () { poll(REFRESH); }); }, delay); }
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  poll(0);
})();
