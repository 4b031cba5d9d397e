/* The phone's outbox (issue 19): a report made without a connection is kept on the phone (IndexedDB,
   photos as Blobs) and sent to POST /app/events/new when the connection returns (the online event,
   page loads, and a retry every 30 s). Each report carries the idempotency key the phone made for it,
   so a retried send answers with the event already created and never makes a second one. An item
   leaves the outbox only once the server has accepted it. Loaded on every workbench page; also
   registers the service worker that keeps our own static files for weak signal. */
(function () {
  "use strict";
  var DB = "citycockpit", STORE = "outbox", RETRY_MS = 30000;
  var script = document.currentScript;
  var waitingText = script ? script.getAttribute("data-outbox-waiting") || "" : "";

  function open() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), store = t.objectStore(STORE), out;
        var req = work(store);
        if (req) { req.onsuccess = function () { out = req.result; }; }
        t.oncomplete = function () { db.close(); resolve(out); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }
  function list() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
    });
  }
  function get(key) { return tx("readonly", function (s) { return s.get(key); }); }
  function put(item) { return tx("readwrite", function (s) { return s.put(item); }).then(changed); }
  function remove(key) { return tx("readwrite", function (s) { return s.delete(key); }).then(changed); }

  function changed() {
    return list().then(function (items) {
      var badge = document.querySelectorAll("[data-outbox-count]");
      badge.forEach(function (b) {
        b.textContent = String(items.length);
        b.hidden = items.length === 0;
        b.title = waitingText.replace("{n}", String(items.length));
      });
      window.dispatchEvent(new CustomEvent("outbox-change", { detail: items }));
      return items;
    }).catch(function () { return []; });
  }

  /* A report as the outbox keeps it: the form's fields (no CSRF token: the sending page's own is used)
     and its photos as Blobs. */
  function fromForm(form) {
    var fields = [], files = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrf_token") { return; }
      if (typeof value === "string") { fields.push([name, value]); }
      else if (value && value.size) { files.push({ name: value.name || "photo.jpg", type: value.type, blob: value }); }
    });
    var key = (fields.filter(function (f) { return f[0] === "idempotency_key"; })[0] || [])[1];
    var text = (fields.filter(function (f) { return f[0] === "description"; })[0] || [])[1] || "";
    return { key: key, created_at: new Date().toISOString(), description: text, fields: fields, files: files,
             status: "waiting", message: "" };
  }

  function pageToken() {
    var holder = document.body && document.body.getAttribute("hx-headers");
    try { return holder ? JSON.parse(holder)["X-CSRF-Token"] || "" : ""; } catch (e) { return ""; }
  }
  var token = null;
  function freshToken() {  // the session's token, read from the report page (the stored page's may be old)
    return fetch("/app/events/new", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok && r.url.indexOf("/login") < 0 ? r.text() : ""; })
      .then(function (html) {
        var m = /name="csrf_token" value="([^"]+)"/.exec(html || "");
        token = m ? m[1] : null;
        return token;
      });
  }

  function post(item, csrf) {
    var body = new FormData();
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    body.append("csrf_token", csrf);
    item.files.forEach(function (f) { body.append("photos", f.blob, f.name); });
    return fetch("/app/events/new", { method: "POST", body: body, credentials: "same-origin",
                                      headers: { "X-CSRF-Token": csrf } });
  }

  /* Send one report. Answers {state: "sent", url} | {state: "refused", html} (the server's page with
     its reasons) | {state: "kept", reason: "offline" | "login" | "stale" | "server"}. */
  function send(item, retried) {
    var csrf = token || pageToken();
    return post(item, csrf).then(function (r) {
      var path = new URL(r.url, location.href).pathname;
      if (/^\/app\/events\/E[0-9A-Za-z]+$/.test(path)) { return { state: "sent", url: r.url }; }
      if (path.indexOf("/login") === 0) { return { state: "kept", reason: "login" }; }
      if (r.status === 403 && !retried) {
        return freshToken().then(function (t) { return t ? send(item, true) : { state: "kept", reason: "login" }; });
      }
      if (r.status === 403) { return { state: "kept", reason: "stale" }; }
      if (r.status === 422) { return r.text().then(function (html) { return { state: "refused", html: html }; }); }
      return { state: "kept", reason: "server" };
    }, function () { return { state: "kept", reason: "offline" }; });
  }

  /* Send one stored report and settle its place in the outbox by the answer. */
  function sendItem(key) {
    return get(key).then(function (item) {
      if (!item) { return { state: "gone" }; }
      return send(item).then(function (answer) {
        if (answer.state === "sent") { return remove(key).then(function () { return answer; }); }
        item.status = answer.state === "refused" ? "refused" : "waiting";
        item.message = answer.state === "refused" ? reasons(answer.html) : answer.reason;
        return put(item).then(function () { return answer; });
      });
    });
  }

  function reasons(html) {
    var doc = new DOMParser().parseFromString(html || "", "text/html");
    var found = [];
    doc.querySelectorAll(".flash.error, .field-error").forEach(function (n) { found.push(n.textContent.trim()); });
    return found.join("；");
  }

  var flushing = null;
  function flush() {  // every waiting report, oldest first, one at a time
    if (flushing) { return flushing; }
    flushing = list().then(function (items) {
      var chain = Promise.resolve();
      items.filter(function (i) { return i.status !== "refused"; }).forEach(function (item) {
        chain = chain.then(function () { return sendItem(item.key); });
      });
      return chain;
    }).catch(function () {}).then(function () { flushing = null; return changed(); });
    return flushing;
  }

  window.CCOutbox = { fromForm: fromForm, put: put, list: list, remove: remove, send: send, sendItem: sendItem,
                      flush: flush, reasons: reasons, changed: changed };

  window.addEventListener("online", function () { flush(); });
  setInterval(function () { if (navigator.onLine) { flush(); } }, RETRY_MS);
  changed().then(function (items) { if (items.length && navigator.onLine) { flush(); } });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
})();
