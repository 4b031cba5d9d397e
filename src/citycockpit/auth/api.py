"""`/api/v1/auth` (sign in and out, who am I, change password), `/api/v1/users` (scoped directory) and
`/api/v1/admin` (accounts and API tokens, `users:manage`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from citycockpit.auth import login, ratelimit, tokens
from citycockpit.auth import service as users
from citycockpit.auth.csrf import cookie_secure
from citycockpit.auth.deps import PUBLIC, client_ip, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.login import LoginPolicy
from citycockpit.auth.principal import Principal
from citycockpit.auth.schemas import (
    ChangePasswordIn,
    LoginIn,
    LoginOut,
    MeRead,
    ResetPasswordIn,
    TokenCreate,
    TokenCreated,
    TokenPage,
    TokenRead,
    UserBrief,
    UserBriefPage,
    UserCreate,
    UserPage,
    UserRead,
)
from citycockpit.auth.sessions import COOKIE_NAME
from citycockpit.core.errors import AppError, BadRequest
from citycockpit.core.params import MAX_ID, ObjectId
from citycockpit.db import SessionDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])
admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

SignedIn = Annotated[Principal, require(during_password_change=True)]
UserReader = Annotated[Principal, require(Perm.USERS_READ)]
Admin = Annotated[Principal, require(Perm.USERS_MANAGE)]


def limit_login_attempts(request: Request, session: Session, username: str) -> None:
    """Per user name and per client address, counted in the database; committed at once so a refused
    attempt still counts."""
    settings = request.app.state.settings
    now = request.app.state.clock.now()
    per_minute = settings.rate_limit_login_per_minute
    try:
        ratelimit.hit(session, f"login:ip:{client_ip(request)}", limit=2 * per_minute, now=now)
        ratelimit.hit(session, f"login:user:{username.strip().lower()[:64]}", limit=per_minute, now=now)
    finally:
        session.commit()


def sign_in(request: Request, session: Session, username: str, password: str) -> login.SignedIn:
    """Rate-limit, check the password, and commit either way (failures count toward the lock-out)."""
    limit_login_attempts(request, session, username)
    try:
        signed = login.sign_in(
            session,
            username,
            password,
            policy=LoginPolicy.from_settings(request.app.state.settings),
            now=request.app.state.clock.now(),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except AppError:
        session.commit()
        raise
    session.commit()
    return signed


def set_session_cookie(request: Request, response: Response, signed: login.SignedIn) -> None:
    # No max-age: a browser session cookie; the server enforces idle and absolute expiry.
    response.set_cookie(
        COOKIE_NAME,
        signed.new_session.cookie,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=cookie_secure(request)
    )


def me_read(principal: Principal) -> MeRead:
    return MeRead(
        id=principal.id,
        username=principal.name,
        kind=principal.kind,
        role=principal.role.value,
        permissions=sorted(p.value for p in principal.perms),
        department_id=principal.department_id,
        area_code=principal.area_code,
        must_change_password=bool(principal.extra.get("must_change_password", False)),
        csrf_token=principal.extra.get("csrf_token"),  # type: ignore[arg-type]
    )


@router.post("/login", response_model=LoginOut, dependencies=[PUBLIC])
def login_(body: LoginIn, request: Request, response: Response, session: SessionDep) -> LoginOut:
    """Sign in with user name and password; sets the session cookie and returns its CSRF token.
    Five wrong passwords in a row lock the account for 15 minutes (configurable)."""
    signed = sign_in(request, session, body.username, body.password)
    set_session_cookie(request, response, signed)
    principal = signed.principal
    principal.extra.update(
        csrf_token=signed.new_session.csrf_token, must_change_password=signed.user.must_change_password
    )
    return LoginOut(
        user=me_read(principal),
        csrf_token=signed.new_session.csrf_token,
        must_change_password=signed.user.must_change_password,
        expires_at=signed.new_session.row.expires_at,
    )


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, session: SessionDep, principal: SignedIn) -> Response:
    """End this browser session (a token caller has none: nothing happens)."""
    cookie = principal.extra.get("session_cookie")
    if principal.kind == "user" and isinstance(cookie, str):
        login.sign_out(session, principal, cookie=cookie, now=request.app.state.clock.now())
        session.commit()
    out = Response(status_code=204)
    clear_session_cookie(request, out)
    return out


@router.get("/me", response_model=MeRead)
def me(principal: SignedIn) -> MeRead:
    """Who is calling: role, permissions, scope, and (for a browser) the CSRF token."""
    return me_read(principal)


@router.post("/change-password", status_code=204)
def change_password(
    body: ChangePasswordIn, request: Request, session: SessionDep, principal: SignedIn
) -> Response:
    """Change your own password (the only call open while a first-login change is pending); your
    other sessions end."""
    if principal.kind != "user":
        raise BadRequest("API tokens have no password")
    cookie = principal.extra.get("session_cookie")
    try:
        login.change_password(
            session,
            principal,
            current_password=body.current_password,
            new_password=body.new_password,
            now=request.app.state.clock.now(),
            policy=LoginPolicy.from_settings(request.app.state.settings),
            keep_cookie=cookie if isinstance(cookie, str) else None,
        )
    except (login.WrongCurrentPassword, login.AccountLocked):
        session.commit()  # the failure is counted and audited
        raise
    session.commit()
    return Response(status_code=204)


@users_router.get("", response_model=UserBriefPage)
def list_users(
    session: SessionDep,
    principal: UserReader,
    role: str | None = None,
    department_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, object]:
    """Accounts in the caller's scope (a department user sees its department's colleagues)."""
    items, total = users.list_users_in_scope(
        session, principal, role=role, department_id=department_id, active=True, offset=offset, limit=limit
    )
    return {
        "items": [UserBrief.model_validate(u) for u in items],
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@users_router.get("/{user_id}", response_model=UserBrief)
def get_user(user_id: ObjectId, session: SessionDep, principal: UserReader) -> object:
    """One account; outside the caller's scope it does not exist (404)."""
    return users.get_user_in_scope(session, principal, user_id)


@admin_router.get("/users", response_model=UserPage)
def admin_list_users(
    session: SessionDep,
    principal: Admin,
    role: str | None = None,
    department_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    active: bool | None = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, object]:
    items, total = users.list_users_in_scope(
        session, principal, role=role, department_id=department_id, active=active, offset=offset, limit=limit
    )
    return {
        "items": [UserRead.model_validate(u) for u in items],
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@admin_router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, request: Request, session: SessionDep, principal: Admin) -> object:
    """Create an account; it must change its password at first sign-in unless told otherwise."""
    user = users.create_user(
        session,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        role=body.role,
        department_id=body.department_id,
        area_code=body.area_code,
        must_change_password=body.must_change_password,
        actor=principal,
        now=request.app.state.clock.now(),
    )
    session.commit()
    return user


@admin_router.post("/users/{user_id}/disable", response_model=UserRead)
def disable_user(user_id: ObjectId, request: Request, session: SessionDep, principal: Admin) -> object:
    """Disable an account and end its sessions."""
    user = users.disable_user(
        session, users.get_user(session, user_id=user_id), actor=principal, now=request.app.state.clock.now()
    )
    session.commit()
    return user


@admin_router.post("/users/{user_id}/reset-password", response_model=UserRead)
def reset_password(
    user_id: ObjectId, body: ResetPasswordIn, request: Request, session: SessionDep, principal: Admin
) -> object:
    """Set a new password; the user must change it at next sign-in; its sessions end; lock-out clears."""
    user = users.reset_password(
        session,
        users.get_user(session, user_id=user_id),
        password=body.password,
        actor=principal,
        now=request.app.state.clock.now(),
    )
    session.commit()
    return user


@admin_router.get("/tokens", response_model=TokenPage)
def list_tokens(session: SessionDep, principal: Admin, include_revoked: bool = True) -> dict[str, object]:
    items = tokens.list_tokens(session, include_revoked=include_revoked)
    return {"items": [TokenRead.model_validate(t) for t in items], "total": len(items)}


@admin_router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, request: Request, session: SessionDep, principal: Admin) -> TokenCreated:
    """Create a machine token holding exactly `scopes`; the secret is in this response only."""
    created = tokens.create_token(
        session,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        department_id=body.department_id,
        area_code=body.area_code,
        actor=principal,
        now=request.app.state.clock.now(),
    )
    session.commit()
    return TokenCreated(token=TokenRead.model_validate(created.token), secret=created.secret)


@admin_router.post("/tokens/{token_id}/revoke", response_model=TokenRead)
def revoke_token(token_id: ObjectId, request: Request, session: SessionDep, principal: Admin) -> object:
    """Revoke a token at once; requests presenting it get 401 from now on."""
    token = tokens.revoke_token(session, token_id, actor=principal, now=request.app.state.clock.now())
    session.commit()
    return token
