"""Security headers on every response, NUL refusal, and how pages (not the API) answer a caller who
must sign in. How auth's own refusals answer (password change required, rate limited) is installed by
`auth.pages.install_refusal_handlers`: the UI kit does not import the auth domain."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citycockpit.core.errors import Unauthorized, problem, refusal
from citycockpit.web.bodylimit import BodyLimitMiddleware

# No inline script or style anywhere: every page loads its JS and CSS from /static.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # blob: the report form's thumbnails of photos not yet sent
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # The phone's report form takes photos and reads the position: only our own pages may ask for them.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(self), payment=(), usb=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_ENCODED = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]
_NO_STORE = (b"cache-control", b"no-store")


def with_security_headers(headers: Any, *, is_static: bool = False) -> list[tuple[bytes, bytes]]:
    """A response's raw headers with SECURITY_HEADERS added where the response set none of its own, and
    `Cache-Control: no-store` unless it is a static file or set its own caching. The one home of the
    rule: the middleware below and the Open311 intake's fast path both call it."""
    out = list(headers)
    present = {name.lower() for name, _ in out}
    out.extend(item for item in _ENCODED if item[0] not in present)
    if not is_static and b"cache-control" not in present:
        out.append(_NO_STORE)
    return out


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS to every HTTP response (errors and static files too); responses that are
    not static files are also marked `Cache-Control: no-store` unless they set their own caching."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope.get("path", "").startswith("/static/")

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", []), is_static=is_static)
            await send(message)

        await self.app(scope, receive, _send)


class RejectNulMiddleware:
    """Refuse text input holding NUL characters (422 `invalid_value`): PostgreSQL cannot store them, and
    no legitimate name, phone or query contains one. Checks the path, the query string and JSON or form
    bodies (file uploads are left alone: spreadsheets legitimately hold NUL bytes)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if url_has_nul(scope):
            await refuse_nul(scope, receive, send)
            return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").lower()
        if not content_type.startswith(NUL_CHECKED_BODIES):
            await self.app(scope, receive, send)
            return
        body, replay = await read_whole_body(receive)
        if body_has_nul(body):
            await refuse_nul(scope, receive, send)
            return
        await self.app(scope, replay, send)


async def read_whole_body(receive: Receive) -> tuple[bytes, Receive]:
    """The request body read whole, and a `receive` that hands it to the next reader as one message
    (then passes on whatever comes after, a disconnect say)."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


# The bodies whose text is checked for NUL (file uploads are not: spreadsheets hold NUL bytes).
NUL_CHECKED_BODIES = (b"application/json", b"application/x-www-form-urlencoded")


def url_has_nul(scope: Scope) -> bool:
    """The request's path or query string holds a NUL, raw or percent-encoded."""
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    query = scope.get("query_string", b"")
    return b"\x00" in raw or b"%00" in raw.lower() or b"\x00" in query or b"%00" in query.lower()


def body_has_nul(body: bytes) -> bool:
    """A JSON or form body holds a NUL: raw, JSON-escaped or percent-encoded."""
    return b"\x00" in body or b"\\u0000" in body or b"%00" in body


async def refuse_nul(scope: Scope, receive: Receive, send: Send) -> None:
    response = refusal(
        scope,
        422,
        "invalid_value",
        "Invalid input",
        "Text must not contain NUL characters (\\u0000)",
    )
    await response(scope, receive, send)


API_PREFIXES = ("/api/", "/open311/", "/healthz", "/readyz", "/metrics", "/static/")


def is_page_path(path: str) -> bool:
    """Pages answer an anonymous caller with a redirect to /login; everything else with 401."""
    return not path.startswith(API_PREFIXES)


def is_page_request(request: Request) -> bool:
    """A browser page (HTML), as opposed to the JSON API, Open311, health or static files."""
    return is_page_path(request.url.path)


def _local_next(request: Request) -> str:
    path = request.url.path
    if request.method == "GET" and request.url.query:
        path += "?" + request.url.query
    # The whole path and query is one value of `next`: its ?, & and = must be escaped, or the query
    # would end at its first & when /login reads it back.
    return quote(path, safe="/")


def install_security(app: FastAPI) -> None:
    app.add_middleware(RejectNulMiddleware)
    # Outside the NUL refusal, which reads JSON and form bodies whole: a body over its route's limit
    # is refused before anything reads it.
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: also on the refusals

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> Response:
        if is_page_request(request):
            return RedirectResponse(f"/login?next={_local_next(request)}", status_code=303)
        return problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
