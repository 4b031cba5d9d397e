"""Authorization as FastAPI dependencies: every route declares `require(...)` or `public()`.

A test walks all routes and fails on any that declares neither."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from citycockpit.auth import ratelimit
from citycockpit.auth.csrf import check_session_csrf
from citycockpit.auth.enums import Perm
from citycockpit.auth.login import PasswordChangeRequired
from citycockpit.auth.principal import Principal
from citycockpit.auth.sessions import keep_touch, principal_from_cookie
from citycockpit.auth.tokens import principal_for_token
from citycockpit.core.errors import Forbidden, Unauthorized
from citycockpit.db import get_session

# How a caller without a bearer token is recognised, in order: functions (request, session) -> Principal.
PRINCIPAL_RESOLVERS: list[Callable[[Request, Session], Principal | None]] = [principal_from_cookie]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_principal(
    request: Request, session: Annotated[Session, Depends(get_session)]
) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal: Principal | None = None
    secret = _bearer(request)
    if secret is not None:
        principal = principal_for_token(session, secret, now=request.app.state.clock.now())
        if principal is None:
            raise Unauthorized("The API token is unknown, revoked or expired")
        keep_touch(session)
    else:
        for resolver in PRINCIPAL_RESOLVERS:
            principal = resolver(request, session)
            if principal is not None:
                break
    if principal is not None:
        principal = Principal(**{**principal.__dict__, "ip": client_ip(request)})
        request.state.principal = principal
    return principal


def require(*perms: Perm, during_password_change: bool = False) -> Any:
    """Dependency: the caller must be signed in and hold every permission in `perms`.

    A signed-in browser (session cookie) must also pass the CSRF check on state-changing methods, and
    while it must change its password it reaches only routes declared `during_password_change=True`."""

    async def _check(
        request: Request, principal: Annotated[Principal | None, Depends(current_principal)]
    ) -> Principal:
        if principal is None:
            raise Unauthorized("Sign in or present an API token (Authorization: Bearer …)")
        if principal.kind == "user":
            await check_session_csrf(request, principal.extra.get("csrf_token"))  # type: ignore[arg-type]
            if principal.extra.get("must_change_password") and not during_password_change:
                raise PasswordChangeRequired("change your password first: POST /api/v1/auth/change-password")
        missing = [p.value for p in perms if not principal.can(p)]
        if missing:
            raise Forbidden(
                f"Your role ({principal.role}) lacks the permission(s): {', '.join(missing)}", missing=missing
            )
        return principal

    _check.required_perms = frozenset(perms)  # type: ignore[attr-defined]
    _check.during_password_change = during_password_change  # type: ignore[attr-defined]
    return Depends(_check)


def public_route(request: Request, session: Annotated[Session, Depends(get_session)]) -> None:
    """Marker dependency for routes anyone may call (health, login, Open311 reads). Anonymous callers
    are rate limited per client address (`rate_limit_public_per_minute`), counted in the database.

    The count is the documented exception to "a GET never writes" (docs/development.md): limiter
    state, not business data, kept in the database so every server process shares it. A GET's
    reading session stays read-only and never commits: the count runs in a short write transaction
    of its own (`ratelimit.count_apart`)."""
    try:
        principal = current_principal(request, session)
    except Unauthorized:
        principal = None
    if principal is not None:
        return
    now = request.app.state.clock.now()
    limit = request.app.state.settings.rate_limit_public_per_minute
    ip = client_ip(request)
    allowed = ratelimit.count_apart(
        session, lambda own: ratelimit.count_anonymous(own, ip, limit=limit, now=now)
    )
    if not allowed:
        raise ratelimit.too_many(now)


public_route.is_public = True  # type: ignore[attr-defined]

PUBLIC = Depends(public_route)


async def self_limited_route() -> None:  # async: a sync marker would cost a thread hop
    """Marker for public routes that check their caller's credentials and rate limits themselves,
    because the credential travels in the body (Open311 POST's `api_key`): no database work here."""


self_limited_route.is_public = True  # type: ignore[attr-defined]

PUBLIC_SELF_LIMITED = Depends(self_limited_route)


def optional_principal(
    principal: Annotated[Principal | None, Depends(current_principal)],
) -> Principal | None:
    return principal
