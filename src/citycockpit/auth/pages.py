"""Server-rendered sign-in pages: /login, /logout, /account, /account/password (Chinese first); and the
workbench's administration of accounts (/app/admin/users): create and disable users, revoke API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from citycockpit.auth import login, ratelimit, tokens
from citycockpit.auth import queries as auth_queries
from citycockpit.auth import service as user_service
from citycockpit.auth.api import clear_session_cookie, set_session_cookie, sign_in
from citycockpit.auth.csrf import (
    LOGIN_CSRF_COOKIE,
    CsrfFailed,
    check_login_csrf,
    login_csrf_token,
    set_login_csrf_cookie,
)
from citycockpit.auth.deps import PUBLIC, current_principal, require
from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.login import PasswordChangeRequired
from citycockpit.auth.principal import Principal
from citycockpit.core.errors import AppError, Unauthorized, problem
from citycockpit.db import SessionDep
from citycockpit.org import queries as org_queries
from citycockpit.web import i18n
from citycockpit.web.render import check_csrf, render
from citycockpit.web.security import is_page_request
from citycockpit.web.tables import Column, table_page

router = APIRouter(tags=["pages"], include_in_schema=False)

SignedIn = Annotated[Principal, require(during_password_change=True)]
Member = Annotated[Principal, require()]

DEFAULT_NEXT = "/account"


def safe_next(value: str | None) -> str:
    """Only a local path may follow sign-in (no open redirect to another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return DEFAULT_NEXT
    if value.startswith(("/login", "/logout")):
        return DEFAULT_NEXT
    return value


def _login_page(request: Request, *, next_: str, error: str | None = None, status: int = 200) -> Response:
    token = login_csrf_token(request)
    response = render(
        request,
        "auth/login.html",
        {
            "next": next_,
            "error": error,
            "csrf_token": token,
            "max_failures": request.app.state.settings.login_max_failures,
            "lockout_minutes": request.app.state.settings.login_lockout_minutes,
        },
        status=status,
    )
    set_login_csrf_cookie(request, response, token)
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[PUBLIC])
def login_page(request: Request, session: SessionDep, next: str | None = None) -> Response:  # noqa: A002
    try:
        principal = current_principal(request, session)
    except Unauthorized:
        principal = None
    if principal is not None and principal.kind == "user":
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_=safe_next(next))


@router.post("/login", response_class=HTMLResponse, dependencies=[PUBLIC])
def login_form(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=500)] = DEFAULT_NEXT,  # noqa: A002
) -> Response:
    next_ = safe_next(next)
    try:
        check_login_csrf(request, csrf_token)
        if not username.strip() or not password:
            raise login.LoginFailed("Enter your user name and password")
        signed = sign_in(request, session, username, password)
    except (CsrfFailed, AppError) as exc:
        return _login_page(
            request, next_=next_, error=i18n.request_error_text(request, exc), status=exc.status
        )
    target = "/account/password" if signed.user.must_change_password else next_
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, signed)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, principal: SignedIn) -> Response:
    return render(request, "auth/logout.html", {"csrf_token": principal.extra.get("csrf_token")})


@router.post("/logout")
def logout_form(request: Request, session: SessionDep, principal: SignedIn) -> Response:
    cookie = principal.extra.get("session_cookie")
    if principal.kind == "user" and isinstance(cookie, str):
        login.sign_out(session, principal, cookie=cookie, now=request.app.state.clock.now())
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, principal: Member) -> Response:
    department = (
        org_queries.find_department(session, principal.department_id) if principal.department_id else None
    )
    return render(
        request,
        "auth/account.html",
        {
            "department": (department.short_name or department.name) if department else None,
            "area": org_queries.area_name(session, principal.area_code) if principal.area_code else None,
            "perms": sorted(p.value for p in principal.perms),
            "changed": request.query_params.get("changed") == "1",
        },
    )


def _password_page(
    request: Request, principal: Principal, *, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "auth/password.html",
        {"forced": bool(principal.extra.get("must_change_password")), "error": error},
        status=status,
    )


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, principal: SignedIn) -> Response:
    return _password_page(request, principal)


@router.post("/account/password", response_class=HTMLResponse)
def password_form(
    request: Request,
    session: SessionDep,
    principal: SignedIn,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    confirm_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    if principal.kind != "user":
        return _password_page(
            request, principal, error=i18n.request_text(request, "account.password.token"), status=400
        )
    if new_password != confirm_password:
        return _password_page(
            request, principal, error=i18n.request_text(request, "account.password.differ"), status=422
        )
    cookie = principal.extra.get("session_cookie")
    try:
        login.change_password(
            session,
            principal,
            current_password=current_password,
            new_password=new_password,
            now=request.app.state.clock.now(),
            policy=login.LoginPolicy.from_settings(request.app.state.settings),
            keep_cookie=cookie if isinstance(cookie, str) else None,
        )
    except (login.WrongCurrentPassword, login.AccountLocked) as exc:
        session.commit()  # the failure is counted and audited (the lock-out rule)
        if isinstance(exc, login.AccountLocked):
            return RedirectResponse("/login", status_code=303)  # its sessions have ended
        return _password_page(request, principal, error=exc.detail, status=exc.status)
    except AppError as exc:
        session.rollback()
        return _password_page(
            request, principal, error=i18n.request_error_text(request, exc), status=exc.status
        )
    session.commit()
    return RedirectResponse("/account?changed=1", status_code=303)


# --- administration: users and tokens ---------------------------------------------------------------

admin_router = APIRouter(prefix="/app/admin", tags=["pages"], include_in_schema=False)

UserAdmin = Annotated[Principal, require(Perm.USERS_MANAGE)]
CsrfField = Annotated[str, Form()]


_t = i18n.request_text


def _users_page(
    request: Request, session: Any, *, status: int = 200, exportable: bool = True, **extra: Any
) -> Response:
    """The users table (or its export) with the create form's choices and the newest tokens."""
    columns = [
        Column("username", _t(request, "admin.users.col.username")),
        Column("display_name", _t(request, "admin.users.col.display_name")),
        Column("role", _t(request, "admin.users.col.role"), fmt=lambda r: _t(request, f"role.{r}")),
        Column("scope", _t(request, "admin.users.col.scope")),
        Column("active", _t(request, "admin.users.col.active")),
    ]

    def to_row(row: Any) -> dict[str, Any]:
        user, dept = row
        return {
            "id": user.id,
            "is_active": user.is_active,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "scope": dept or user.area_code or "",
            "active": _t(request, "admin.users.active" if user.is_active else "admin.users.disabled"),
        }

    def context() -> dict[str, Any]:
        return {
            "tokens": auth_queries.newest_tokens(session),
            "departments": org_queries.department_choices(session),
            "roles": [r.value for r in Role if r is not Role.API_CLIENT],
            **extra,
        }

    return table_page(
        request,
        session,
        auth_queries.users_listing(),
        columns,
        to_row,
        template="app/admin_users.html",
        filename="users.xlsx",
        empty_text=_t(request, "admin.users.empty"),
        context=context,
        status=status,
        exportable=exportable,
    )


@admin_router.get("/users")
def admin_users(request: Request, session: SessionDep, principal: UserAdmin) -> Response:
    return _users_page(request, session)


@admin_router.post("/users")
def create_user(
    request: Request,
    session: SessionDep,
    principal: UserAdmin,
    csrf_token: CsrfField = "",
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    department_id: Annotated[str, Form()] = "",
    area_code: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Create an account from the form; it must change its password at first sign-in."""
    check_csrf(request, principal, csrf_token)
    form = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "department_id": department_id,
        "area_code": area_code,
    }
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = _t(request, "form.required")
    elif len(username.strip()) > 64:
        errors["username"] = _t(request, "form.too_long", n=64)
    if role not in {r.value for r in Role} - {Role.API_CLIENT.value}:
        errors["role"] = _t(request, "form.required")
    if role == Role.DEPARTMENT.value and not department_id:
        errors["department_id"] = _t(request, "admin.users.need_department")
    if role in (Role.TOWN.value, Role.GRID_WORKER.value) and not area_code.strip():
        errors["area_code"] = _t(request, "admin.users.need_area")
    if not password:
        errors["password"] = _t(request, "form.required")
    if not errors:
        try:
            with session.begin_nested():  # a refused change undoes only itself
                user_service.create_user(
                    session,
                    username=username,
                    display_name=display_name or username,
                    password=password,
                    role=role,
                    department_id=int(department_id) if department_id.isdigit() else None,
                    area_code=area_code.strip() or None,
                    actor=principal,
                    now=request.app.state.clock.now(),
                )
        except AppError as exc:
            errors["form"] = i18n.request_error_text(request, exc)
    if errors:
        return _users_page(request, session, status=422, exportable=False, errors=errors, form=form)
    session.commit()
    return RedirectResponse("/app/admin/users?created=1", status_code=303)


@admin_router.post("/users/{user_id}/disable")
def disable_user(
    user_id: int, request: Request, session: SessionDep, principal: UserAdmin, csrf_token: CsrfField = ""
) -> Response:
    check_csrf(request, principal, csrf_token)
    user = user_service.get_user(session, user_id=user_id)
    user_service.disable_user(session, user, actor=principal, now=request.app.state.clock.now())
    session.commit()
    return RedirectResponse("/app/admin/users", status_code=303)


@admin_router.post("/tokens/{token_id}/revoke")
def revoke_token(
    token_id: int, request: Request, session: SessionDep, principal: UserAdmin, csrf_token: CsrfField = ""
) -> Response:
    check_csrf(request, principal, csrf_token)
    tokens.revoke_token(session, token_id, actor=principal, now=request.app.state.clock.now())
    session.commit()
    return RedirectResponse("/app/admin/users", status_code=303)


def install_refusal_handlers(app: FastAPI) -> None:
    """How auth's refusals answer: a browser page that needs a password change is sent to the change
    form (anything else gets problem+json); a rate-limited caller is told when to retry."""

    @app.exception_handler(PasswordChangeRequired)
    async def _must_change(request: Request, exc: PasswordChangeRequired) -> Response:
        if is_page_request(request) and request.method == "GET":
            return RedirectResponse("/account/password", status_code=303)
        return problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(ratelimit.RateLimited)
    async def _rate_limited(request: Request, exc: ratelimit.RateLimited) -> JSONResponse:
        resp = problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
