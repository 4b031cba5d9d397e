"""Request bodies have a size limit per route, enforced before they are read (ASGI middleware).

A body is refused with 413 `payload_too_large`

- at once, when its Content-Length is over the route's limit (nothing of it is read), and
- while it streams, when a chunked body (no Content-Length) or one that lies about its length goes
  past the limit: the counter stops reading there.

The limit of a route is the first that applies of:

1. `BODY_LIMITS`: a table of path prefixes → the setting holding their limit, for routes that read
   their body themselves (extend it when adding one);
2. `upload_body_limit_bytes` for a multipart body (a file upload: imports, report ingest, photos; a
   new upload route needs no entry);
3. `request_body_limit_bytes` for everything else (JSON and urlencoded forms).

A body over `request_body_limit_bytes` (an upload) is only read from an authenticated caller: the app
resolves the caller from the session cookie or the API token first (`app.state.body_authenticator`),
and an anonymous one gets 401 without a byte of it read. Smaller bodies are read as usual and the
route's own dependencies answer 401 or 403."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citycockpit.core.errors import refusal

# path prefix → the Settings field holding that prefix's body limit (checked in order, first match).
BODY_LIMITS: list[tuple[str, str]] = []

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Authenticator = Callable[[Scope], Awaitable[bool]]


def limit_for(scope: Scope, settings: Any) -> int:
    """The body limit, in bytes, of this request's route."""
    path = scope.get("path", "")
    for prefix, setting in BODY_LIMITS:
        if path.startswith(prefix):
            return int(getattr(settings, setting))
    if header_value(scope, b"content-type").lower().startswith(b"multipart/form-data"):
        return int(settings.upload_body_limit_bytes)
    return int(settings.request_body_limit_bytes)


def declared_within_limit(scope: Scope, settings: Any) -> bool:
    """The request declares a Content-Length within its route's limit and within the small-body limit
    (nothing of it needs the upload rules): read whole, it cannot go past either, since the server
    delivers no more than the declared length."""
    declared = _content_length(scope)
    return declared is not None and declared <= min(
        limit_for(scope, settings), int(settings.request_body_limit_bytes)
    )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings = state.settings
        limit = limit_for(scope, settings)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse_too_large(scope, receive, send, limit)
            return
        small = int(settings.request_body_limit_bytes)
        if (declared is None or declared > small) and limit > small:
            authenticated: Authenticator | None = getattr(state, "body_authenticator", None)
            if authenticated is not None and not await authenticated(scope):
                response = refusal(
                    scope,
                    401,
                    "unauthorized",
                    "Authentication required",
                    "Sign in or send an API token before uploading a file",
                )
                await response(scope, receive, send)
                return
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    # FastAPI re-raises an HTTPException met while reading the body; any other reader
                    # fails as it will, and the response is replaced below.
                    raise StarletteHTTPException(413, _too_large_detail(limit))
            return message

        swallowed = False

        async def sending(message: Message) -> None:
            nonlocal started, swallowed
            if message["type"] == "http.response.start":
                if exceeded and message["status"] != 413:
                    swallowed = True  # a reader turned the refusal into another error: ours instead
                    return
                started = True
            if not swallowed:
                await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await _refuse_too_large(scope, receive, send, limit)


def header_value(scope: Scope, wanted: bytes) -> bytes:
    """The first value of a request header (its name in lower case), or b""."""
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value)
    return b""


def _content_length(scope: Scope) -> int | None:
    value = header_value(scope, b"content-length")
    return int(value) if value.isdigit() else None


def _too_large_detail(limit: int) -> str:
    return f"The request body is larger than this route's limit of {limit:,} bytes"


async def _refuse_too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = refusal(
        scope, 413, "payload_too_large", "Payload too large", _too_large_detail(limit), limit=limit
    )
    response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, receive, send)
