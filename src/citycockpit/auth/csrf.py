"""CSRF protection for cookie-authenticated requests, and the double-submit cookie of the login form.

A signed-in browser's state-changing request (POST/PUT/PATCH/DELETE) must carry its session's CSRF
token in the `X-CSRF-Token` header or a `csrf_token` form field. Bearer-token requests are exempt: a
browser never attaches them by itself."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

from citycockpit.core.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LOGIN_CSRF_COOKIE = "cc_login_csrf"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    title = "CSRF check failed"


def same_token(expected: str | None, presented: str | None) -> bool:
    return bool(expected) and bool(presented) and hmac.compare_digest(str(expected), str(presented))


async def presented_token(request: Request) -> str | None:
    """The token a request presents: the header first, then the form field of a form post."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        form = await request.form()  # Starlette caches the parsed form for the route's own fields
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_session_csrf(request: Request, expected: str | None) -> None:
    if request.method in SAFE_METHODS:
        return
    if not same_token(expected, await presented_token(request)):
        raise CsrfFailed(
            "missing or wrong CSRF token: send the session's token in "
            "X-CSRF-Token or the csrf_token form field"
        )


def cookie_secure(request: Request) -> bool:
    """Cookies are Secure in production and whenever the browser reached us over TLS (directly or
    through a proxy that says so in X-Forwarded-Proto)."""
    if request.app.state.settings.env == "prod" or request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return forwarded == "https"


def login_csrf_token(request: Request) -> str:
    """The login form's pre-session token: the browser's existing one, or a new random value."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    if existing and 16 <= len(existing) <= 64:
        return existing
    return secrets.token_urlsafe(24)


def set_login_csrf_cookie(request: Request, response: Response, token: str) -> None:
    """Double submit: the same value goes in this cookie and the form's hidden field."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
        path="/",
    )


def check_login_csrf(request: Request, presented: str | None) -> None:
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), presented):
        raise CsrfFailed("the login form expired; reload it")
