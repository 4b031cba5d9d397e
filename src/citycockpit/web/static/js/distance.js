/* Event lists: how far each event is from the phone, when the browser grants its position (computed
   here, on the phone; the position is never sent). Rows carry data-lat / data-lon. */
(function () {
  "use strict";
  var table = document.querySelector("table.events-list");
  if (!table || !navigator.geolocation) { return; }
  var rows = table.querySelectorAll("tr[data-lat]");
  if (!rows.length) { return; }
  function metres(lat1, lon1, lat2, lon2) {  // haversine, as events/intake/grids.py distance_m
    var r = Math.PI / 180, p1 = lat1 * r, p2 = lat2 * r, dp = p2 - p1, dl = (lon2 - lon1) * r;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
  }
  function show(pos) {
    var lat = pos.coords.latitude, lon = pos.coords.longitude;
    rows.forEach(function (row) {
      var d = metres(lat, lon, parseFloat(row.dataset.lat), parseFloat(row.dataset.lon));
      var text = d >= 1000 ? table.dataset.unitKm.replace("{n}", (d / 1000).toFixed(1))
                           : table.dataset.unitM.replace("{n}", String(Math.round(d)));
      var cell = row.querySelector("td.distance");
      if (cell) { cell.textContent = text; cell.dataset.metres = String(Math.round(d)); }
    });
  }
  navigator.geolocation.getCurrentPosition(show, function () {}, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
})();
