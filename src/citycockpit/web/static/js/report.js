/* 上报事件 on a phone: photos with thumbnails, the position from the phone (its accuracy shown and
   sent) with a map of the city's own areas to tap or drag the pin (then 手动调整: no accuracy is sent),
   the grid filled in from the point, categories searchable with the classifier's suggestions as the
   worker types, and one button that sends — or,
   without a connection, keeps the report in the outbox (outbox.js) until it can be sent. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.CCOutbox) { return; }
  var msgs = JSON.parse(form.dataset.messages || "{}");
  function t(key, values) {
    var text = msgs["report." + key] || "";
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  var field = function (name) { return form.elements.namedItem(name); };
  field("idempotency_key").value = uuid();
  var result = document.getElementById("send-result");
  function say(text, kind) {
    result.textContent = "";
    if (!text) { return; }
    var box = document.createElement("div");
    box.className = "flash " + (kind || "ok");
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.textContent = text;
    result.appendChild(box);
  }

  /* photos */
  var photos = field("photos"), thumbs = document.getElementById("thumbs");
  function showThumbs() {
    thumbs.textContent = "";
    Array.prototype.forEach.call(photos.files || [], function (file) {
      var li = document.createElement("li"), img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      li.appendChild(img);
      thumbs.appendChild(li);
    });
  }
  photos.addEventListener("change", showThumbs);

  /* position: the phone's, or a point tapped on the map */
  var status = document.getElementById("position-status"), gridName = document.getElementById("grid-name");
  var picked = false, map = null, locateTimer = null;
  function setStatus(text, kind) { status.textContent = text; status.className = "position-status " + (kind || ""); }
  function locate(lat, lon) {
    clearTimeout(locateTimer);
    locateTimer = setTimeout(function () {
      fetch("/api/v1/events/locate?lat=" + lat + "&lon=" + lon + "&coord_system=" + field("coord_system").value,
            { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; })
        .then(function (g) {
          if (!g || !g.grid_code) { gridName.textContent = ""; return; }
          gridName.textContent = g.in_scope ? t("grid", { name: (g.town_name ? g.town_name + " " : "") + g.grid_name })
                                            : t("grid_outside");
          gridName.classList.toggle("field-error", !g.in_scope);
        });
    }, 300);
  }
  /* system: the coordinate system of the point — the phone's geolocation is WGS84 (W3C Geolocation API);
     a tap on the map is in its base layer's system (data-coord-system: our outline map draws WGS84; a
     map over 高德/腾讯 tiles would say gcj02). The server converts it once to WGS84 (core/coords.py). */
  var pickMap = document.getElementById("pick-map");
  function setPoint(lat, lon, accuracy, system) {
    field("coord_system").value = system;
    field("lat").value = lat.toFixed(6);
    field("lon").value = lon.toFixed(6);
    field("accuracy").value = accuracy === null ? "" : String(Math.round(accuracy));
    if (map) { map.move([lon, lat]); }
    locate(field("lat").value, field("lon").value);  // the point as it will be sent
  }
  var start = field("lat").value && field("lon").value ? [parseFloat(field("lon").value), parseFloat(field("lat").value)] : null;
  if (window.CCAreaMap) {
    map = window.CCAreaMap.draw(document.getElementById("pick-map"), {
      around: form.dataset.around, point: start, pickable: true,
      onPick: function (lonlat) {
        picked = true;
        setPoint(lonlat[1], lonlat[0], null, pickMap.dataset.coordSystem || "wgs84");
        setStatus(t("picked"), "ok");
      }
    });
  }
  ["lat", "lon"].forEach(function (name) {  // typed by hand: the phone's fix and its accuracy no longer apply
    field(name).addEventListener("input", function () { picked = true; field("accuracy").value = ""; });
  });
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(function (pos) {
      if (picked) { return; }
      var acc = pos.coords.accuracy;
      setPoint(pos.coords.latitude, pos.coords.longitude, acc, "wgs84");
      if (acc > 50) { setStatus(t("located_weak", { m: Math.round(acc) }), "weak"); }
      else { setStatus(t("located", { m: Math.round(acc) }), "ok"); }
    }, function () {
      if (!picked) { setStatus(t("no_position"), "bad"); }
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  } else {
    setStatus(t("no_position"), "bad");
  }

  /* category: a searchable list, and the classifier's suggestions as the worker types */
  var list = field("category_code"), search = document.getElementById("category-search");
  var chips = document.getElementById("suggestions");
  search.addEventListener("input", function () {
    var needle = search.value.trim().toLowerCase(), first = null;
    Array.prototype.forEach.call(list.options, function (o) {
      var hit = !needle || !o.value || (o.dataset.search || o.text).toLowerCase().indexOf(needle) >= 0;
      o.hidden = !hit;
      if (hit && o.value && !first) { first = o; }
    });
    if (needle && first && (!list.value || list.selectedOptions[0].hidden)) { list.value = first.value; }
  });
  function choose(code) {
    list.value = code;
    Array.prototype.forEach.call(chips.querySelectorAll("button.chip"), function (b) {
      b.classList.toggle("chosen", b.dataset.code === code);
    });
  }
  var suggestTimer = null, description = field("description");
  description.addEventListener("input", function () {
    clearTimeout(suggestTimer);
    var text = description.value.trim();
    if (text.length < 4) { return; }
    suggestTimer = setTimeout(function () {
      fetch("/api/v1/events/categories/suggestions?text=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; }).catch(function () { return []; })
        .then(function (found) {
          chips.textContent = "";
          found.forEach(function (s) {
            var li = document.createElement("li"), b = document.createElement("button");
            b.type = "button"; b.className = "chip" + (s.code === list.value ? " chosen" : "");
            b.dataset.code = s.code; b.textContent = s.name;
            b.addEventListener("click", function () { choose(s.code); });
            li.appendChild(b); chips.appendChild(li);
          });
          if (found.length) {
            var label = document.createElement("li");
            label.className = "muted"; label.textContent = t("suggested");
            chips.insertBefore(label, chips.firstChild);
          }
        });
    }, 400);
  });

  /* one button: send now, or keep in the outbox */
  function fresh() {
    field("idempotency_key").value = uuid();
    description.value = "";
    photos.value = "";
    showThumbs();
    chips.textContent = "";
  }
  var sending = false;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (sending) { return; }
    sending = true;
    var item = window.CCOutbox.fromForm(form);
    window.CCOutbox.put(item).then(function () {
      if (!navigator.onLine) { return { state: "kept", reason: "offline" }; }
      say(t("sending"));
      return window.CCOutbox.sendItem(item.key);
    }).then(function (answer) {
      if (answer.state === "sent") { location.assign(answer.url); return; }
      if (answer.state === "refused") {
        window.CCOutbox.remove(item.key);
        field("idempotency_key").value = uuid();
        say(t("refused") + " " + window.CCOutbox.reasons(answer.html), "error");
        return;
      }
      say(answer.reason === "offline" ? t("saved_offline") : t("status." + answer.reason), answer.reason === "offline" ? "ok" : "error");
      fresh();
    }, function () {  // no IndexedDB (private mode): an ordinary form post
      form.submit();
    }).then(function () { sending = false; });
  });

  /* the outbox: what waits on this phone */
  var box = document.getElementById("outbox"), ul = document.getElementById("outbox-list");
  var count = document.getElementById("outbox-count");
  window.addEventListener("outbox-change", function (e) {
    var items = e.detail || [];
    box.hidden = items.length === 0;
    count.textContent = String(items.length);
    ul.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li"), what = document.createElement("span"), st = document.createElement("span");
      li.dataset.key = item.key;
      what.className = "what";
      what.textContent = item.description + (item.files.length ? "（" + t("outbox_photos", { n: item.files.length }) + "）" : "");
      st.className = "status" + (item.status === "refused" ? " error" : "");
      st.textContent = item.status === "refused" ? t("status.refused") + item.message : t("status." + (item.message || "waiting"));
      var send = document.createElement("button"), del = document.createElement("button");
      send.type = del.type = "button";
      send.className = "button small"; send.textContent = t("outbox_send");
      send.addEventListener("click", function () { window.CCOutbox.sendItem(item.key).then(window.CCOutbox.changed); });
      del.className = "button small reject"; del.textContent = t("outbox_delete");
      del.addEventListener("click", function () { window.CCOutbox.remove(item.key); });
      li.appendChild(what); li.appendChild(st);
      if (item.status !== "refused") { li.appendChild(send); }
      li.appendChild(del);
      ul.appendChild(li);
    });
  });
  window.CCOutbox.changed();
})();
