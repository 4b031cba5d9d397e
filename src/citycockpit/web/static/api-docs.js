// Swagger UI for /api/openapi.json. A signed-in browser's CSRF token is added to state-changing calls.
(function () {
  "use strict";
  var csrf = null;
  fetch("/api/v1/auth/me", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (me) { csrf = me && me.csrf_token; })
    .catch(function () { csrf = null; });
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    requestInterceptor: function (req) {
      if (csrf && req.method && ["GET", "HEAD", "OPTIONS"].indexOf(req.method.toUpperCase()) < 0) {
        req.headers["X-CSRF-Token"] = csrf;
      }
      return req;
    }
  });
})();
