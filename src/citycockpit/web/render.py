"""Templates and page rendering: one Jinja environment, `render()`, and the HTML error pages.

Pages and the JSON API raise the same AppError; `install_page_error_handlers` makes a page request
get `error.html` (or, for htmx, a small fragment) while API requests keep problem+json."""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citycockpit.auth.principal import Principal
from citycockpit.core.errors import AppError, Forbidden
from citycockpit.web import i18n
from citycockpit.web.nav import navigation, phone_navigation

STATIC_DIR = Path(__file__).parent / "static"
PAGE_PREFIXES = ("/app", "/screen")
LOGIN_PATH = "/login"


def _static_url(path: str) -> str:
    """A static file's URL with its modification time, so browsers refetch it after an upgrade."""
    try:
        stamp = int((STATIC_DIR / path).stat().st_mtime)
    except OSError:
        stamp = 0
    return f"/static/{path}?v={stamp}"


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M", zone: Any = None) -> str:
    if value is None:
        return "—"
    return value.astimezone(zone).strftime(fmt) if zone else value.strftime(fmt)


def _query(request: Request, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("citycockpit.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = _static_url
    env.filters["urlquote"] = lambda v: quote(str(v), safe="")
    env.filters["codes"] = code_spans
    return env


_BACKTICKED = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> Markup:
    """A catalogue message with what is to be typed as is (a command, a column name) between backticks:
    escaped, with those parts as `<code>`."""
    return Markup(_BACKTICKED.sub(r"<code>\1</code>", str(escape(text))))


def is_page_request(request: Request) -> bool:
    return request.url.path.startswith(PAGE_PREFIXES)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def page_principal(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def base_context(request: Request) -> dict[str, Any]:
    lang = i18n.request_language(request)
    principal = page_principal(request)
    settings = request.app.state.settings
    zone = settings.zone

    def t(key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    return {
        "request": request,
        "lang": lang,
        "t": t,
        "principal": principal,
        "csrf_token": (principal.extra.get("csrf_token") if principal else None) or "",
        "nav": (nav := navigation(principal, request.url.path) if principal else []),
        "phone_nav": phone_navigation(nav),
        "city_name": settings.city_name,
        "local_time": lambda v, fmt="%Y-%m-%d %H:%M": _local_time(v, fmt, zone),
        "query": lambda **changes: _query(request, **changes),
        "now_local": request.app.state.clock.local_now(),
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page (or, for an htmx request, the same template's `fragment` if a block asks for it)."""
    ctx = base_context(request)
    ctx.update(context or {})
    body = environment().get_template(template).render(ctx)
    response = HTMLResponse(body, status_code=status, headers=headers)
    if request.query_params.get(i18n.LANG_PARAM) in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANG_COOKIE,
            request.query_params[i18n.LANG_PARAM],
            max_age=365 * 86400,
            samesite="lax",
            httponly=True,
        )
    return response


def render_error(request: Request, status: int, code: str, title: str, detail: str) -> Response:
    if status == 401:
        here = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse(f"{LOGIN_PATH}?next={quote(here, safe='')}", status_code=303)
    context = {"status": status, "code": code, "title": title, "detail": detail}
    if is_htmx(request):
        return render(request, "error_fragment.html", context, status=status)
    return render(request, "error.html", context, status=status)


def install_page_error_handlers(app: FastAPI) -> None:
    """Wrap the problem+json handlers: page requests get HTML, everything else is unchanged."""
    handlers = app.exception_handlers
    api_app_error = handlers[AppError]
    api_http = handlers[StarletteHTTPException]
    api_validation = handlers[RequestValidationError]

    async def _app_error(request: Request, exc: Exception) -> Response:
        if is_page_request(request) and isinstance(exc, AppError):
            return render_error(
                request, exc.status, exc.code, exc.title, i18n.request_error_text(request, exc)
            )
        return await api_app_error(request, exc)

    async def _http(request: Request, exc: Exception) -> Response:
        if is_page_request(request) and isinstance(exc, StarletteHTTPException):
            detail = exc.detail if isinstance(exc.detail, str) else ""
            return render_error(request, exc.status_code, "http_error", detail, detail)
        return await api_http(request, exc)

    async def _validation(request: Request, exc: Exception) -> Response:
        if is_page_request(request) and isinstance(exc, RequestValidationError):
            lang = i18n.request_language(request)
            detail = i18n.translate(lang, "error.bad_input")
            return render_error(request, 422, "validation_error", detail, detail)
        return await api_validation(request, exc)

    app.add_middleware(HtmxSignInRedirect)

    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)


class HtmxSignInRedirect:
    """An htmx request that must sign in gets HX-Redirect, so the whole page goes to /login instead
    of the login form being swapped into a fragment (whichever handler made the redirect). Plain ASGI:
    Starlette's BaseHTTPMiddleware costs a task per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (b"hx-request", b"true") not in scope.get("headers", []):
            await self.app(scope, receive, send)
            return
        redirected = False

        async def _send(message: Message) -> None:
            nonlocal redirected
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                location = headers.get("location", "")
                if message["status"] in (302, 303) and location.startswith(LOGIN_PATH):
                    redirected = True
                    raw = [(b"hx-redirect", location.encode("latin-1")), (b"content-length", b"0")]
                    await send({"type": "http.response.start", "status": 204, "headers": raw})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
            elif redirected:
                return
            await send(message)

        await self.app(scope, receive, _send)


class CsrfRejected(Forbidden):
    code = "csrf_rejected"


def check_csrf(request: Request, principal: Principal, form_token: str | None = None) -> None:
    """A state-changing page request must carry the session's CSRF token (form field or header)."""
    expected = str(principal.extra.get("csrf_token") or "")
    given = form_token or request.headers.get("x-csrf-token") or ""
    if principal.kind == "user" and (not expected or not hmac.compare_digest(expected, given)):
        raise CsrfRejected("The form is stale or was not sent from this site; reload the page and try again")


def markup(text: str) -> Markup:
    """Trusted markup built by our own code (never user input)."""
    return Markup(text)
