/* Big screen: scale the 1920×1080 stage, keep the clock, and let every panel poll its own endpoint.
   No data is ever written into HTML unescaped: text goes through textContent, tooltips through esc(). */
(function () {
  "use strict";
  var stage = document.getElementById("stage");
  if (!stage || !window.echarts) { return; }
  var AREA = stage.dataset.area;
  var LEVEL = stage.dataset.level || "city";
  var REFRESH = Math.max(5, parseInt(stage.dataset.refresh, 10) || 30) * 1000;
  var LANG = stage.dataset.lang || "zh";
  var MSG = JSON.parse(stage.dataset.messages || "{}");
  var TZ = "Asia/Shanghai";
  var clockOffset = 0;   // server time − browser time (the demo lives on a simulated date)
  var charts = {};

  function m(key, values) {
    var text = MSG["screen." + key] || key;
    if (values) { Object.keys(values).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); }); }
    return text;
  }
  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function fmt(n, digits) {
    if (n === null || n === undefined) { return "—"; }
    return Number(n).toLocaleString(LANG === "zh" ? "zh-CN" : "en-US",
      { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  function areaQuery(extra) {
    var q = "?area=" + encodeURIComponent(AREA);
    return extra ? q + "&" + extra : q;
  }
  function screenUrl(code) {
    return "/screen" + (code && code.length > 6 ? "?area=" + encodeURIComponent(code) : "") +
      (LANG !== "zh" ? (code && code.length > 6 ? "&" : "?") + "lang=" + LANG : "");
  }

  /* --- stage scaling: min(w/1920, h/1080), centred --- */
  function fit() {
    var w = window.innerWidth, h = window.innerHeight;
    var s = Math.min(w / 1920, h / 1080);
    stage.style.transform = "translate(" + ((w - 1920 * s) / 2) + "px," + ((h - 1080 * s) / 2) + "px) scale(" + s + ")";
  }
  window.addEventListener("resize", fit);
  fit();

  /* --- clock, date and full screen --- */
  function tick() {
    var now = new Date(Date.now() + clockOffset);
    var loc = LANG === "zh" ? "zh-CN" : "en-GB";
    document.getElementById("clock-time").textContent = now.toLocaleTimeString(loc, { timeZone: TZ, hour12: false });
    document.getElementById("clock-date").textContent = now.toLocaleDateString(loc,
      { timeZone: TZ, year: "numeric", month: LANG === "zh" ? "long" : "short", day: "numeric", weekday: "short" });
  }
  setInterval(tick, 1000);
  tick();
  var fsButton = document.getElementById("fullscreen");
  if (fsButton) {
    fsButton.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
    });
  }

  /* --- animated numbers ("digital flop") --- */
  function animateNumber(node, to, digits, suffix) {
    var from = parseFloat(node.dataset.value || "0") || 0;
    node.dataset.value = String(to);
    var start = null, dur = 900;
    function step(ts) {
      if (start === null) { start = ts; }
      var p = Math.min(1, (ts - start) / dur), eased = 1 - Math.pow(1 - p, 3);
      node.textContent = fmt(from + (to - from) * eased, digits) + (suffix || "");
      if (p < 1) { window.requestAnimationFrame(step); }
    }
    window.requestAnimationFrame(step);
  }

  /* --- rotating lists: one row at a time, paused while the pointer is over the list --- */
  function rotating(list) {
    var paused = false;
    list.addEventListener("mouseenter", function () { paused = true; list.classList.add("paused"); });
    list.addEventListener("mouseleave", function () { paused = false; list.classList.remove("paused"); });
    return setInterval(function () {
      if (paused || !list.isConnected || list.dataset.hiddenRows === "0") { return; }
      var first = list.querySelector("li:not(.list-head)");
      if (first) { list.appendChild(first); fitRows(list); }
    }, 3000);
  }

  /* --- charts --- */
  function chartIn(panel, key) {
    var body = panel.querySelector("[data-body]");
    var id = panel.dataset.panel + ":" + key;
    var holder = body.querySelector('[data-chart="' + key + '"]');
    if (!holder) {
      holder = el("div", "chart");
      holder.dataset.chart = key;
      body.appendChild(holder);
    }
    if (!charts[id]) {
      charts[id] = echarts.init(holder, "dark", { renderer: "canvas" });
    }
    return charts[id];
  }
  function layoutCharts(panel, keys) {
    var body = panel.querySelector("[data-body]");
    keys.forEach(function (key, i) {
      var holder = body.querySelector('[data-chart="' + key + '"]');
      if (!holder) { return; }
      holder.style.left = (i * 100 / keys.length) + "%";
      holder.style.width = (100 / keys.length) + "%";
      holder.style.right = "auto";
    });
    keys.forEach(function (key) { var c = charts[panel.dataset.panel + ":" + key]; if (c) { c.resize(); } });
  }
  /* Every text on the stage is at least 14 px of the 1920×1080 design (about 10 px on a 1366×768
     display, 28 px on a 3840×2160 wall): FS is the size of axis, legend and label text. */
  var FS = 14;
  var TXT = { color: "#bcd", fontSize: FS };
  var BASE = { backgroundColor: "transparent", textStyle: { fontFamily: "inherit", fontSize: FS }, animationDuration: 800 };
  function axis(o) { return Object.assign({ axisLabel: Object.assign({}, TXT), nameTextStyle: Object.assign({}, TXT) }, o); }
  function opt(o) { return Object.assign({}, BASE, o); }
  function itemTooltip(lines) {
    return function (p) {
      return lines(p).map(function (l) { return esc(l); }).join("<br>");
    };
  }
  /* Each status's tone comes from the page (goals.enums.STATUS_TONES), each tone's colour from screen.css. */
  var STATUS_TONES = JSON.parse(stage.dataset.statusTones || "{}");
  var STATUS_COLOURS = {};
  Object.keys(STATUS_TONES).forEach(function (s) {
    STATUS_COLOURS[s] = getComputedStyle(stage).getPropertyValue("--tone-" + STATUS_TONES[s]).trim();
  });

  /* --- panel plumbing --- */
  function setNoData(panel, none) {
    panel.querySelector("[data-no-data]").hidden = !none;
    panel.querySelector("[data-body]").hidden = none;
    panel.dataset.state = none ? "no-data" : "drawn";
    /* Below the city, a panel with nothing to show at that level is left out and the column closes
       up; the city's own screen says "no data yet" with what to do about it. */
    var leave = none && LEVEL !== "city";
    if (panel.hidden !== leave) { panel.hidden = leave; closeUp(); }
  }
  function closeUp() {
    Array.prototype.forEach.call(document.querySelectorAll(".cols > .col"), function (col) {
      var shown = col.querySelectorAll("section.panel:not([hidden])");
      col.hidden = shown.length === 0;
      Array.prototype.forEach.call(col.querySelectorAll("section.panel"), function (p) {
        p.classList.toggle("alone", shown.length === 1 && !p.hidden);
      });
    });
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  }
  /* Rotating lists show whole rows only: rows that would be cut at the bottom are hidden. */
  function fitRows(list) {
    var rows = list.querySelectorAll("li");
    Array.prototype.forEach.call(rows, function (li) { li.style.display = ""; });
    // A row shows only when it ends within the list and within its panel: a banner above the list (the
    // surges over the alerts) pushes the list's own box past the panel's bottom edge.
    var body = list.closest("[data-body]") || list;
    var bottom = Math.min(list.getBoundingClientRect().bottom, body.getBoundingClientRect().bottom), hidden = 0;
    Array.prototype.forEach.call(rows, function (li) {
      if (hidden || li.getBoundingClientRect().bottom > bottom + 0.5) { li.style.display = "none"; hidden += 1; }
    });
    list.dataset.hiddenRows = String(hidden);
    return hidden;
  }
  function setAsOf(panel, iso, failed) {
    var node = panel.querySelector("[data-as-of]");
    if (failed) { node.classList.add("stale"); node.textContent = m("stale"); return; }
    node.classList.remove("stale");
    var t = new Date(iso).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB",
      { timeZone: TZ, hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    node.textContent = m("as_of", { time: t });
    node.dataset.asOf = iso;
  }

  var renderers = {};

  function pct(v) { return fmt(v * 100, 1) + "%"; }
  function monthName(mo) {
    return new Date(2000, mo - 1, 1).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB", { month: "short" });
  }
  renderers["targets"] = function (panel, d) {
    if (!d.items || !d.items.length) { return false; }
    var body = panel.querySelector("[data-body]");
    var tp = d.time_progress;
    var list = body.querySelector("ul") || body.appendChild(el("ul", "rot"));
    if (!list.dataset.rot) { list.dataset.rot = String(rotating(list)); }
    list.textContent = "";
    d.items.forEach(function (it) {
      var status = it.status || "none";
      var li = el("li", "target tone-" + (STATUS_TONES[status] || "none"));
      li.dataset.goal = String(it.id);
      var head = el("div", "t-head");
      var name = el(it.href ? "a" : "span", "name", it.name);
      if (it.href) { name.href = it.href; }
      name.title = it.target_text ? it.name + " " + it.target_text : it.name;
      head.appendChild(name);
      if (LEVEL !== "city" && it.level === "city") { head.appendChild(el("span", "badge", m("targets.city_goal"))); }
      head.appendChild(el("span", "val", it.status ? m("status." + status) : m("status.no_data")));
      li.appendChild(head);
      /* the bar: the year-to-date figure against the target (the goals domain's attainment, or a
         task's reported progress), the tick at the time progress it is held against */
      var share = it.attainment !== null && it.attainment !== undefined ? it.attainment : it.progress;
      var bar = el("div", "bar");
      var fill = el("div", "fill");
      fill.style.width = (share === null || share === undefined ? 0 : Math.max(0, Math.min(100, share * 100))) + "%";
      var tick = el("div", "tick");
      var itemTp = it.time_progress === null || it.time_progress === undefined ? tp : it.time_progress;
      tick.style.left = Math.min(100, itemTp * 100) + "%";
      bar.appendChild(fill); bar.appendChild(tick);
      var line = el("div", "t-line");
      line.appendChild(bar);
      var unit = it.value_unit || "";
      var facts = [];
      if (it.to_date !== null && it.to_date !== undefined) {
        facts.push(m("targets.to_date", { m: it.data_month, mon: monthName(it.data_month), v: fmt(it.to_date, 1) + unit }));
      } else if (it.progress !== null && it.progress !== undefined) {
        facts.push(pct(it.progress));
      } else {
        facts.push(m("targets.to_date_none"));
      }
      if (it.target_text && it.name.indexOf(it.target_text) < 0) { facts.push(m("targets.target", { v: it.target_text })); }
      if (it.forecast !== null && it.forecast !== undefined) { facts.push(m("targets.forecast", { v: fmt(it.forecast, 1) + unit })); }
      facts.push(m("targets.time", { v: pct(itemTp) }));
      var text = el("span", "facts", facts.join(" · "));
      text.title = facts.join(" · ");
      line.appendChild(text);
      li.appendChild(line);
      if (it.reason) { li.title = it.reason; }
      list.appendChild(li);
    });
    fitRows(list);
    return true;
  };

  renderers["economy"] = function (panel, d) {
    if (!d.series || !d.series.length) { return false; }
    var months = [];
    d.series.forEach(function (s) { s.points.forEach(function (p) { if (months.indexOf(p.month) < 0) { months.push(p.month); } }); });
    months.sort();
    var chart = chartIn(panel, "main");
    chart.setOption(opt({
      tooltip: { trigger: "axis", formatter: function (ps) {
        return ps.map(function (p) { return esc(p.axisValue) + " " + esc(p.seriesName) + ": " + esc(fmt(p.value, 2)); }).join("<br>");
      } },
      legend: { top: 0, textStyle: TXT, itemGap: 12 },
      grid: { left: 8, right: 70, top: d.series.length > 2 ? 56 : 32, bottom: 6, containLabel: true },
      xAxis: axis({ type: "category", data: months.map(function (mo) { return LANG === "zh" ? m("month", { m: parseInt(mo, 10) }) : monthName(parseInt(mo, 10)); }) }),
      yAxis: axis({ type: "value", splitNumber: 4, axisLabel: Object.assign({ formatter: "{value}%" }, TXT), splitLine: { lineStyle: { color: "rgba(255,255,255,.08)" } } }),
      series: d.series.slice(0, 4).map(function (s) {
        var byMonth = {}; s.points.forEach(function (p) { byMonth[p.month] = p.value; });
        return { type: "line", smooth: true, name: s.name, data: months.map(function (mo) { return byMonth[mo] === undefined ? null : byMonth[mo]; }),
          markLine: s.target === null || s.target === undefined ? undefined : { symbol: "none", data: [{ yAxis: s.target, name: m("target") }],
            lineStyle: { type: "dashed" }, label: Object.assign({ formatter: esc(m("target")) + " " + esc(fmt(s.target, 2)) }, TXT) } };
      })
    }), true);
    chart.off("click");
    chart.on("click", function (p) { var s = d.series[p.seriesIndex]; if (s && s.href) { window.location.href = s.href; } });
    return true;
  };

  renderers["goals"] = function (panel, d) {
    if (!d.by_task_area || !d.by_task_area.length) { return false; }
    var statuses = d.statuses || [];
    var chart = chartIn(panel, "main");
    chart.setOption(opt({
      tooltip: { trigger: "item", formatter: itemTooltip(function (p) { return [p.name, p.seriesName + ": " + p.value]; }) },
      /* every status at once: a plain legend wraps to a second line instead of paging */
      legend: { top: 0, left: 0, right: 0, type: "plain", textStyle: TXT, itemGap: 10, itemWidth: 14, itemHeight: 10 },
      grid: { left: 8, right: 16, top: statuses.length > 5 ? 58 : 32, bottom: 4, containLabel: true },
      xAxis: axis({ type: "value", minInterval: 1, splitLine: { show: false } }),
      yAxis: axis({ type: "category", inverse: true, data: d.by_task_area.map(function (a) { return a.name; }),
        axisLabel: Object.assign({ width: 150, overflow: "truncate", interval: 0 }, TXT) }),
      series: statuses.map(function (s) {
        return { type: "bar", stack: "s", name: m("status." + s.key), itemStyle: { color: STATUS_COLOURS[s.key] || "#40a9ff" },
          data: d.by_task_area.map(function (a) { return a.counts[s.key] || 0; }) };
      })
    }), true);
    chart.off("click");
    chart.on("click", function (p) {
      var a = d.by_task_area[p.dataIndex], s = statuses[p.seriesIndex];
      if (a && a.href) { window.location.href = a.href + (s ? "&status=" + encodeURIComponent(s.key) : ""); }
    });
    return true;
  };

  renderers["events/counters"] = function (panel, d) {
    if (!d.today && !d.month) { return false; }
    var body = panel.querySelector("[data-body]");
    var grid = body.querySelector(".counters");
    if (!grid) { grid = body.appendChild(el("div", "counters")); }
    var tiles = [
      ["today", "intake", 0, ""], ["today", "closed", 0, ""], ["today", "overdue", 0, ""],
      ["month", "intake", 0, ""], ["month", "closed", 0, ""], ["month", "satisfaction", 1, "%"]
    ];
    tiles.forEach(function (tile) {
      var key = tile[0] + "." + tile[1];
      var box = grid.querySelector('[data-counter="' + key + '"]');
      if (!box) {
        var href = (d.hrefs || {})[key];
        box = el(href ? "a" : "div", "counter"); box.dataset.counter = key;
        if (href) { box.href = href; }
        box.appendChild(el("span", "label", m("counter." + key)));
        box.appendChild(el("span", "num"));
        grid.appendChild(box);
      }
      var num = box.querySelector(".num");
      var scope = d[tile[0]] || {};
      var v = scope[tile[1]];
      if (v === null || v === undefined) { num.classList.add("none"); num.textContent = m("no_data_short"); num.dataset.value = ""; }
      else { num.classList.remove("none"); animateNumber(num, tile[3] === "%" ? v * 100 : v, tile[2], tile[3]); }
    });
    return true;
  };

  /* A ring beside its legend, sized to its holder: whole inside it (a ring placed by percentages was cut
     at its left edge when the holder was narrower than tall), clear of the legend's longest entry. */
  function fitRing(chart, holder, entries) {
    var w = holder.clientWidth, h = holder.clientHeight, top = 26;
    var pen = document.createElement("canvas").getContext("2d");
    pen.font = FS + "px sans-serif";
    var legend = 22 + Math.max.apply(null, entries.map(function (t) { return pen.measureText(t).width; }).concat([0]));
    var r = Math.max(16, Math.min((h - top) / 2 - 4, (w - legend - 12) / 2));
    chart.setOption({ series: [{ radius: [Math.round(r * 0.58), Math.round(r)], center: [Math.round(r + 4), Math.round(top + (h - top) / 2)] }] });
  }

  renderers["events/breakdown"] = function (panel, d) {
    if (!d.by_category && !d.by_channel) { return false; }
    var cats = (d.by_category || []).slice(0, 8).reverse();
    var chart = chartIn(panel, "cat");
    chart.setOption(opt({
      title: { text: m("by_category"), textStyle: { fontSize: 15, color: "#9dbbe0" } },
      tooltip: { trigger: "item", formatter: itemTooltip(function (p) { return [p.name, String(p.value)]; }) },
      grid: { left: 4, right: 44, top: 28, bottom: 0, containLabel: true },
      xAxis: { type: "value", splitLine: { show: false }, axisLabel: { show: false } },
      yAxis: axis({ type: "category", data: cats.map(function (c) { return c.name; }),
        axisLabel: Object.assign({ width: 90, overflow: "truncate", interval: 0 }, TXT) }),
      series: [{ type: "bar", barMaxWidth: 16, data: cats.map(function (c) { return c.count; }), itemStyle: { color: "#36cfc9" },
        label: Object.assign({ show: true, position: "right" }, TXT) }]
    }), true);
    chart.off("click");
    chart.on("click", function (p) { var c = cats[p.dataIndex]; if (c && c.href) { window.location.href = c.href; } });
    var pie = chartIn(panel, "chan");
    var chans = d.by_channel || [];
    var chanCount = {};
    chans.forEach(function (c) { chanCount[m("channel." + c.channel)] = c.count; });
    /* whole channel names in a legend beside the ring (labels on thin slices were cut to "1" or "…") */
    pie.setOption(opt({
      title: { text: m("by_channel"), textStyle: { fontSize: 15, color: "#9dbbe0" } },
      tooltip: { trigger: "item", formatter: itemTooltip(function (p) { return [p.name, p.value + " (" + p.percent + "%)"]; }) },
      legend: { type: "plain", orient: "vertical", right: 0, top: 26, bottom: 0, itemGap: 5, itemWidth: 10, itemHeight: 10,
        textStyle: TXT, formatter: function (name) { return name + " " + fmt(chanCount[name], 0); } },
      series: [{ type: "pie", radius: ["38%", "66%"], center: ["24%", "58%"], label: { show: false }, labelLine: { show: false },
        data: chans.map(function (c) { return { name: m("channel." + c.channel), value: c.count }; }) }]
    }), true);
    pie.off("click");
    pie.on("click", function (p) { var c = chans[p.dataIndex]; if (c && c.href) { window.location.href = c.href; } });
    layoutCharts(panel, ["cat", "chan"]);
    fitRing(pie, panel.querySelector('[data-chart="chan"]'), chans.map(function (c) {
      return m("channel." + c.channel) + " " + fmt(c.count, 0);
    }));
    return true;
  };

  /* --- the map: boundaries at the detail that fits the view ---
     The server draws each level's boundaries simplified for display (screen/shapes.py: 0 ≈100 m for a
     whole city, 1 ≈20 m for a town, 2 ≈4 m for a village's grids). The page starts at its drill level's
     detail (data-detail, from the server's rule) and asks for the next finer one each time the map is
     zoomed in five times further (each level's tolerance is a fifth of the one before). Every level's
     shapes are kept in the page once fetched, so zooming back out, or in again, fetches nothing. */
  var BASE_DETAIL = parseInt(stage.dataset.detail, 10);
  if (isNaN(BASE_DETAIL)) { BASE_DETAIL = 1; }
  var FINEST_DRAWN = 2;   // 3 is the exact stored geometry: too heavy to draw, never asked for here
  var mapView = { detail: BASE_DETAIL, zoom: 1, center: null, shapes: {}, last: null };
  function detailForZoom(zoom) {
    var steps = Math.max(0, Math.round(Math.log(Math.max(zoom, 1)) / Math.log(5)));
    return Math.min(FINEST_DRAWN, Math.max(BASE_DETAIL, BASE_DETAIL + steps));
  }

  renderers["map"] = function (panel, d) {
    if (!d.geojson) { return false; }
    var detail = d.detail === undefined || d.detail === null ? mapView.detail : d.detail;
    var mapName = d.map_name + "-d" + detail;
    echarts.registerMap(mapName, d.geojson);
    mapView.shapes[detail] = { name: mapName, geojson: d.geojson };
    mapView.last = d;
    // an answer for a level the map has since zoomed away from: draw the level it is at, if kept
    drawMap(panel, d, mapView.shapes[mapView.detail] || mapView.shapes[detail]);
    return true;
  };

  function drawMap(panel, d, drawn) {
    var values = {};
    (d.values || []).forEach(function (v) { values[v.name] = v.value; });
    var max = 1;
    Object.keys(values).forEach(function (k) { if (values[k] > max) { max = values[k]; } });
    var chart = chartIn(panel, "main");
    var byName = {};
    drawn.geojson.features.forEach(function (f) { byName[f.properties.name] = f.properties.code; });
    var series = { type: "map", map: drawn.name, roam: true, scaleLimit: { min: 1, max: 40 }, zoom: mapView.zoom,
      selectedMode: false,
      label: { show: true, color: "#e6f4ff", fontSize: 15 },
      itemStyle: { areaColor: "#123a66", borderColor: "#5ab0ff", borderWidth: 1.2 },
      emphasis: { label: { color: "#fff" }, itemStyle: { areaColor: "#2f6fb0" } },
      data: drawn.geojson.features.map(function (f) {
        var v = values[f.properties.name];
        return { name: f.properties.name, value: v === undefined ? null : v };
      }) };
    if (mapView.center) { series.center = mapView.center; }
    chart.setOption(opt({
      tooltip: { trigger: "item", formatter: function (p) {
        var v = values[p.name];
        return esc(p.name) + "<br>" + esc(m("metric." + d.metric)) + ": " + esc(v === undefined || v === null ? m("no_data_short") : fmt(v, 0));
      } },
      visualMap: d.values ? { min: 0, max: max, left: 10, bottom: 10, calculable: true, text: [m("high"), m("low")],
        inRange: { color: ["#0e3a66", "#1f77b4", "#36cfc9", "#faad14", "#ff4d4f"] }, textStyle: TXT } : undefined,
      series: [series]
    }), true);
    panel.dataset.detail = String(mapView.detail);
    chart.off("click");
    if (d.drillable) {
      chart.on("click", function (p) { var code = byName[p.name]; if (code) { window.location.href = screenUrl(code); } });
    }
    chart.off("georoam");
    chart.on("georoam", function () {
      var now = chart.getOption().series[0];
      mapView.zoom = now.zoom || 1;
      mapView.center = now.center || null;
      var wanted = detailForZoom(mapView.zoom);
      if (wanted === mapView.detail) { return; }
      mapView.detail = wanted;
      var kept = mapView.shapes[wanted];
      if (kept && mapView.last) { drawMap(panel, mapView.last, kept); }
      else { load(panel); }
    });
  }

  renderers["alerts"] = function (panel, d) {
    if (!d.items) { return false; }
    var body = panel.querySelector("[data-body]");
    // Surges (未诉先办) stand above the rotating list as a banner, each a link to the events behind it.
    var surges = d.items.filter(function (it) { return it.kind === "surge"; });
    var others = d.items.filter(function (it) { return it.kind !== "surge"; });
    var banner = body.querySelector(".surges") || body.insertBefore(el("div", "surges"), body.firstChild);
    banner.textContent = "";
    banner.hidden = !surges.length;
    surges.forEach(function (it) {
      var row = el(it.href ? "a" : "div", "surge" + (it.acknowledged ? " acknowledged" : ""));
      if (it.href) { row.href = it.href; }
      row.dataset.surge = String(it.id);
      row.appendChild(el("span", "tag", m("surge.tag")));
      row.appendChild(el("span", "name", m("surge.title", { area: it.area_name || "", category: it.category_name })));
      row.appendChild(el("span", "val", m("surge.value", { n: it.count, h: fmt(it.window_hours, 0), e: fmt(it.expected, 1), x: fmt(it.ratio, 1) })));
      banner.appendChild(row);
    });
    var list = body.querySelector("ul") || body.appendChild(el("ul", "rot"));
    if (!list.dataset.rot) { list.dataset.rot = String(rotating(list)); }
    list.textContent = "";
    if (!others.length) { list.appendChild(el("li", "all-clear", m("no_alerts"))); return true; }
    others.forEach(function (it) {
      var li = el("li");
      if (it.kind === "indicator") {
        /* an indicator alert: its theme and station (or area) before the words of the crossing */
        li.className = "indicator level-" + it.level;
        it = Object.assign({}, it, {
          title: [it.theme_name, it.place_name || m("board.city"), alertText(it)].filter(Boolean).join(" · "),
          overdue_text: m("board.level." + it.level)
        });
      }
      var name = el(it.href ? "a" : "span", "name", it.title);
      if (it.href) { name.href = it.href; }
      name.title = it.title + (it.area_name ? " · " + it.area_name : "") + (it.reason ? " · " + it.reason : "");
      li.appendChild(name);
      li.appendChild(el("span", "val", it.overdue_text || ""));
      list.appendChild(li);
    });
    fitRows(list);
    return true;
  };

  /* An indicator alert in words: the series, its value and the limit it crossed (or its silence). */
  function alertText(it) {
    if (it.alert_kind === "silence") { return m("board.alert.silence", { series: it.series_name }); }
    var below = it.value !== null && it.limit !== null && it.value < it.limit;
    return m(below ? "board.alert.below" : "board.alert.above", {
      series: it.series_name, value: fmt(it.value, 1), limit: fmt(it.limit, 1), unit: it.unit || "",
      level: m("board.level." + it.level)
    });
  }

  renderers["projects"] = function (panel, d) {
    if (!d.by_level || !d.by_level.length) { return false; }
    var body = panel.querySelector("[data-body]");
    var chart = chartIn(panel, "main");
    var holder = body.querySelector('[data-chart="main"]');
    holder.classList.add("top");
    chart.setOption(opt({
      tooltip: { trigger: "axis", formatter: function (ps) {
        return ps.map(function (p) { return esc(p.axisValue) + " " + esc(p.seriesName) + ": " + esc(fmt(p.value, 1)) + "%"; }).join("<br>");
      } },
      legend: { top: 0, textStyle: TXT },
      grid: { left: 6, right: 12, top: 30, bottom: 0, containLabel: true },
      xAxis: axis({ type: "category", data: d.by_level.map(function (l) { return l.name; }) }),
      yAxis: axis({ type: "value", min: 0, max: function (v) { return Math.max(100, Math.ceil(v.max / 50) * 50); }, interval: 50, axisLabel: Object.assign({ formatter: "{value}%" }, TXT),
        splitLine: { lineStyle: { color: "rgba(255,255,255,.08)" } } }),
      series: [
        { type: "bar", name: m("projects.completion"), barWidth: 28,
          data: d.by_level.map(function (l) { return l.completion === null ? null : Math.round(l.completion * 1000) / 10; }),
          itemStyle: { color: "#40a9ff" }, label: { show: true, position: "top", color: "#cde", fontSize: FS, formatter: "{c}%" } },
        { type: "line", name: m("time_progress"), symbol: "circle",
          data: d.by_level.map(function (l) { return l.time_progress === null ? null : Math.round(l.time_progress * 1000) / 10; }),
          lineStyle: { type: "dashed", color: "#fafafa" }, itemStyle: { color: "#fafafa" } }
      ]
    }), true);
    chart.resize();
    chart.off("click");
    chart.on("click", function (p) { var l = d.by_level[p.dataIndex]; if (l && l.href) { window.location.href = l.href; } });
    var list = body.querySelector("ul.lagging");
    if (!list) { list = body.appendChild(el("ul", "rot lagging")); list.dataset.rot = String(rotating(list)); }
    list.textContent = "";
    var head = el("li", "list-head");
    head.appendChild(el("span", "name", m("projects.lagging", { n: d.lagging_total || 0 })));
    head.appendChild(el("span", "val", m("projects.rate_vs_time")));
    list.appendChild(head);
    if (!d.lagging || !d.lagging.length) { list.appendChild(el("li", "all-clear", m("projects.none_lagging"))); }
    (d.lagging || []).forEach(function (it) {
      var li = el("li");
      var name = el("a", "name", it.title);
      name.href = it.href;
      name.title = it.title + " · " + (it.department_name || "") + " · " + (it.area_name || "");
      li.appendChild(name);
      li.appendChild(el("span", "val behind", fmt(it.completion * 100, 1) + "% / " + fmt(it.time_progress * 100, 1) + "%"));
      list.appendChild(li);
    });
    fitRows(list);
    return true;
  };

  /* --- polling --- */
  function load(panel) {
    var ep = panel.dataset.panel;
    var extra = ep === "map" ? "metric=" + (panel.dataset.metric || "events") + "&detail=" + mapView.detail : "";
    return fetch("/api/v1/screen/" + ep + areaQuery(extra), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { throw new Error("denied"); }
        if (!r.ok) { throw new Error("http " + r.status); }
        return r.json();
      })
      .then(function (d) {
        var drawn = false;
        setNoData(panel, false);
        try { drawn = renderers[ep] ? renderers[ep](panel, d) : false; }
        catch (e) { if (window.console) { console.warn("panel", ep, e); } drawn = false; }
        if (!drawn) { setNoData(panel, true); }
        setAsOf(panel, d.as_of, false);
      })
      .catch(function () { setAsOf(panel, null, true); });
  }
  function poll(panel, delay) {
    setTimeout(function () { load(panel).then(function () { poll(panel, REFRESH); }); }, delay);
  }

  function loadOverview() {
    return fetch("/api/v1/screen/overview" + areaQuery(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) { return; }
        clockOffset = new Date(d.as_of).getTime() - Date.now();
        tick();
        if (d.time_progress !== null && d.time_progress !== undefined) {
          document.getElementById("time-progress").textContent = m("time_progress") + " " + fmt(d.time_progress * 100, 1) + "%";
        }
        if (d.refresh_seconds) { REFRESH = Math.max(5, d.refresh_seconds) * 1000; }
      })
      .catch(function () { /* the panels show their own stale state */ });
  }

  /* what a theme board (board.js) draws with: the same stage, words, numbers and chart style */
  window.CCScreen = {
    stage: stage, m: m, esc: esc, el: el, fmt: fmt, opt: opt, axis: axis, TXT: TXT, FS: FS,
    areaQuery: areaQuery, setAsOf: setAsOf, fitRows: fitRows, rotating: rotating, alertText: alertText,
    tick: tick, setClockOffset: function (ms) { clockOffset = ms; tick(); }, screenUrl: screenUrl
  };

  loadOverview().then(function () {
    var panels = document.querySelectorAll("section.panel[data-panel]");
    Array.prototype.forEach.call(panels, function (panel, i) { poll(panel, i * 60); });
    setInterval(loadOverview, 5 * 60 * 1000);
  });
})();
