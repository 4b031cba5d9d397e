"""Authorization as FastAPI dependencies: every route declares `require(...)` or `public()`.

A test walks all routes and fails on any that declares neither."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.auth.sessions import principal_from_cookie
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
    else:
        for resolver in PRINCIPAL_RESOLVERS:
            principal = resolver(request, session)
            if principal is not None:
                break
    if principal is not None:
        principal = Principal(**{**principal.__dict__, "ip": client_ip(request)})
        request.state.principal = principal
    return principal


def require(*perms: Perm) -> Any:
    """Dependency: the caller must be signed in and hold every permission in `perms`."""

    def _check(principal: Annotated[Principal | None, Depends(current_principal)]) -> Principal:
        if principal is None:
            raise Unauthorized("Sign in or present an API token (Authorization: Bearer …)")
        missing = [p.value for p in perms if not principal.can(p)]
        if missing:
            raise Forbidden(
                f"Your role ({principal.role}) lacks the permission(s): {', '.join(missing)}", missing=missing
            )
        return principal

    _check.required_perms = frozenset(perms)  # type: ignore[attr-defined]
    return Depends(_check)


def public_route() -> None:
    """Marker dependency for routes anyone may call (health, login page, Open311 reads)."""


PUBLIC = Depends(public_route)


def optional_principal(
    principal: Annotated[Principal | None, Depends(current_principal)],
) -> Principal | None:
    return principal
