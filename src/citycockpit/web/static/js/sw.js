/* The workbench's service worker (served as /sw.js so it may control /app): our own static files from
   a cache (their URLs carry the file's version, ?v=…), and the report form kept from its last visit so
   a grid worker can still report without a signal (the outbox sends it later). Nothing from outside
   this site is ever fetched or cached. Other pages always come from the network. */
"use strict";
var STATIC = "cc-static-v1", PAGES = "cc-pages-v1", REPORT = "/app/events/new";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== STATIC && n !== PAGES; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(STATIC).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (r) {
          if (r.ok) { cache.put(request, r.clone()); }
          return r;
        });
      });
    }));
    return;
  }
  if (request.mode === "navigate" && url.pathname === REPORT) {
    event.respondWith(fetch(request).then(function (r) {
      if (r.ok && new URL(r.url).pathname === REPORT) {
        var copy = r.clone();
        caches.open(PAGES).then(function (cache) { cache.put(REPORT, copy); });
      }
      return r;
    }, function () {
      return caches.open(PAGES).then(function (cache) { return cache.match(REPORT); })
        .then(function (hit) { return hit || Response.error(); });
    }));
  }
});
