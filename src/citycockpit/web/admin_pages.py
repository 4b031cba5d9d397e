"""Workbench administration pages: users and tokens, departments and areas, kiosk links, audit log."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from citycockpit.audit.models import AuditEntry
from citycockpit.audit.service import verify_chain
from citycockpit.auth import service as user_service
from citycockpit.auth import tokens as token_service
from citycockpit.auth.deps import client_ip, require
from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.models import ApiToken, User
from citycockpit.auth.principal import Principal
from citycockpit.core.dialect import code_within
from citycockpit.core.errors import AppError
from citycockpit.db import SessionDep
from citycockpit.org import service as org_service
from citycockpit.org.models import Area, Department
from citycockpit.screen import service as screen_service
from citycockpit.web import i18n
from citycockpit.web.render import check_csrf, render
from citycockpit.web.tables import Column, export_xlsx, table_view, wants_export

router = APIRouter(prefix="/app", tags=["pages"], include_in_schema=False)

UserAdmin = Annotated[Principal, require(Perm.USERS_MANAGE)]
OrgReader = Annotated[Principal, require(Perm.ORG_READ)]
OrgWriter = Annotated[Principal, require(Perm.ORG_WRITE)]
AuditReader = Annotated[Principal, require(Perm.AUDIT_READ)]
KioskManager = Annotated[Principal, require(Perm.SCREEN_MANAGE)]
CsrfField = Annotated[str, Form()]


def _t(request: Request, key: str, **values: Any) -> str:
    return i18n.translate(i18n.request_language(request), key, **values)


# --- administration ---------------------------------------------------------------------------------


@router.get("/admin/users")
def admin_users(request: Request, session: SessionDep, principal: UserAdmin) -> Response:
    if wants_export(request):
        return _users_table(request, session, export=True)
    return _users_page(request, session, _users_table(request, session))


def _users_table(request: Request, session: Any, *, export: bool = False) -> Any:
    columns = [
        Column("username", _t(request, "admin.users.col.username"), User.username),
        Column("display_name", _t(request, "admin.users.col.display_name"), User.display_name),
        Column(
            "role", _t(request, "admin.users.col.role"), User.role, fmt=lambda r: _t(request, f"role.{r}")
        ),
        Column("scope", _t(request, "admin.users.col.scope")),
        Column("active", _t(request, "admin.users.col.active"), User.is_active),
    ]
    query = select(User, Department.short_name).outerjoin(Department, Department.id == User.department_id)

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

    if export:
        return export_xlsx(
            session, request, query, columns, to_row, filename="users.xlsx", default_order=[User.username]
        )
    return table_view(
        session,
        request,
        query,
        columns,
        to_row,
        default_order=[User.username],
        empty_text=_t(request, "admin.users.empty"),
    )


def _users_page(request: Request, session: Any, users: Any, *, status: int = 200, **extra: Any) -> Response:
    tokens = session.scalars(select(ApiToken).order_by(ApiToken.id.desc()).limit(200)).all()
    departments = session.execute(
        select(Department.id, Department.short_name, Department.name).order_by(Department.code)
    ).all()
    roles = [r.value for r in Role if r is not Role.API_CLIENT]
    return render(
        request,
        "app/admin_users.html",
        {"users": users, "tokens": tokens, "departments": departments, "roles": roles, **extra},
        status=status,
    )


@router.post("/admin/users")
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
        table = _users_table(request, session)
        return _users_page(request, session, table, status=422, errors=errors, form=form)
    session.commit()
    return RedirectResponse("/app/admin/users?created=1", status_code=303)


@router.post("/admin/users/{user_id}/disable")
def disable_user(
    user_id: int, request: Request, session: SessionDep, principal: UserAdmin, csrf_token: CsrfField = ""
) -> Response:
    check_csrf(request, principal, csrf_token)
    user = user_service.get_user(session, user_id=user_id)
    user_service.disable_user(session, user, actor=principal, now=request.app.state.clock.now())
    session.commit()
    return RedirectResponse("/app/admin/users", status_code=303)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(
    token_id: int, request: Request, session: SessionDep, principal: UserAdmin, csrf_token: CsrfField = ""
) -> Response:
    check_csrf(request, principal, csrf_token)
    token_service.revoke_token(session, token_id, actor=principal, now=request.app.state.clock.now())
    session.commit()
    return RedirectResponse("/app/admin/users", status_code=303)


@router.get("/admin/org")
def admin_org(
    request: Request,
    session: SessionDep,
    principal: OrgReader,
    tab: Annotated[str, Query(pattern="^(departments|areas)$")] = "departments",
) -> Response:
    if tab == "areas":
        parent = Area.__table__.alias("parent_area")
        columns = [
            Column("code", _t(request, "admin.org.col.code"), Area.code),
            Column("name", _t(request, "admin.org.col.name"), Area.name),
            Column("level", _t(request, "admin.org.col.level"), Area.level),
            Column("parent", _t(request, "admin.org.col.parent"), parent.c.name),
            Column("has_shape", _t(request, "admin.org.col.has_shape")),
        ]
        query: Any = select(
            Area.code, Area.name, Area.level, parent.c.name, Area.geometry_geojson.is_not(None)
        ).outerjoin(parent, parent.c.id == Area.parent_id)
        if principal.is_area_scoped and principal.area_code:
            query = query.where(code_within(Area.code, principal.area_code))

        def to_row(r: Any) -> dict[str, Any]:
            return {
                "code": r[0],
                "name": r[1],
                "level": r[2],
                "parent": r[3],
                "has_shape": "✓" if r[4] else "",
            }

        order = [Area.code]
        empty = _t(request, "admin.org.empty_areas")
    else:
        columns = [
            Column("code", _t(request, "admin.org.col.code"), Department.code),
            Column("name", _t(request, "admin.org.col.name"), Department.name),
            Column("kind", _t(request, "admin.org.col.kind"), Department.kind),
        ]
        query = select(Department.code, Department.name, Department.kind)

        def to_row(r: Any) -> dict[str, Any]:
            return {"code": r[0], "name": r[1], "kind": r[2]}

        order = [Department.code]
        empty = _t(request, "admin.org.empty_departments")
    if wants_export(request):
        return export_xlsx(
            session, request, query, columns, to_row, filename=f"{tab}.xlsx", default_order=order
        )
    table = table_view(session, request, query, columns, to_row, default_order=order, empty_text=empty)
    return render(
        request,
        "app/admin_org.html",
        {"table": table, "tab": tab, "can_import": principal.can(Perm.ORG_WRITE)},
    )


@router.post("/admin/org/import")
def import_org(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: OrgWriter,
    csrf_token: CsrfField = "",
) -> Response:
    check_csrf(request, principal, csrf_token)
    data = file.file.read(org_service.tabular.MAX_IMPORT_BYTES + 1)
    try:
        with session.begin_nested():  # a refused change undoes only itself
            result = org_service.import_org(
                session,
                data,
                file.filename or "upload",
                actor=principal,
                now=request.app.state.clock.now(),
                ip=client_ip(request),
            )
    except AppError as exc:
        return render(
            request,
            "app/admin_org.html",
            {
                "table": None,
                "tab": "areas",
                "can_import": True,
                "import_error": i18n.request_error_text(request, exc),
                "import_rows": exc.extra.get("errors") or [],
            },
            status=exc.status,
        )
    session.commit()
    summary = _t(
        request,
        "admin.org.imported",
        created=json.dumps(result.created, ensure_ascii=False),
        updated=json.dumps(result.updated, ensure_ascii=False),
    )
    return render(
        request,
        "app/admin_org.html",
        {"table": None, "tab": "areas", "can_import": True, "flash": summary},
    )


@router.get("/admin/kiosk")
def admin_kiosk(request: Request, session: SessionDep, principal: KioskManager) -> Response:
    secret = request.app.state.secret_key
    links = [
        {"link": link, "path": f"{screen_service.KIOSK_PATH}{screen_service.kiosk_token(secret, link)}"}
        for link in screen_service.list_kiosk_links(session)
    ]
    return render(
        request, "app/admin_kiosk.html", {"links": links, "created": request.query_params.get("created")}
    )


@router.post("/admin/kiosk")
def create_kiosk_link(
    request: Request,
    session: SessionDep,
    principal: KioskManager,
    csrf_token: CsrfField = "",
    name: Annotated[str, Form()] = "",
    area_code: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, principal, csrf_token)
    errors = {}
    if not name.strip():
        errors["name"] = _t(request, "form.required")
    elif len(name.strip()) > 100:
        errors["name"] = _t(request, "form.too_long", n=100)
    if errors:
        return _kiosk_form_error(request, session, errors, name, area_code)
    try:
        with session.begin_nested():  # a refused change undoes only itself
            created = screen_service.create_kiosk_link(
                session,
                name=name,
                area_code=area_code,
                secret_key=request.app.state.secret_key,
                actor=principal,
                now=request.app.state.clock.now(),
            )
    except AppError as exc:
        return _kiosk_form_error(
            request, session, {"area_code": i18n.request_error_text(request, exc)}, name, area_code
        )
    session.commit()
    return RedirectResponse(f"/app/admin/kiosk?created={created.link.id}", status_code=303)


def _kiosk_form_error(
    request: Request, session: Any, errors: dict[str, str], name: str, area: str
) -> Response:
    secret = request.app.state.secret_key
    links = [
        {"link": link, "path": f"{screen_service.KIOSK_PATH}{screen_service.kiosk_token(secret, link)}"}
        for link in screen_service.list_kiosk_links(session)
    ]
    return render(
        request,
        "app/admin_kiosk.html",
        {"links": links, "errors": errors, "form": {"name": name, "area_code": area}},
        status=422,
    )


@router.post("/admin/kiosk/{link_id}/revoke")
def revoke_kiosk_link(
    link_id: int, request: Request, session: SessionDep, principal: KioskManager, csrf_token: CsrfField = ""
) -> Response:
    check_csrf(request, principal, csrf_token)
    screen_service.revoke_kiosk_link(session, link_id, actor=principal, now=request.app.state.clock.now())
    session.commit()
    return RedirectResponse("/app/admin/kiosk", status_code=303)


@router.get("/admin/audit")
def admin_audit(
    request: Request,
    session: SessionDep,
    principal: AuditReader,
    action: str = "",
    actor: str = "",
    verify: bool = False,
) -> Response:
    columns = [
        Column("at", _t(request, "admin.audit.col.at"), AuditEntry.id),
        Column("actor", _t(request, "admin.audit.col.actor"), AuditEntry.actor_name),
        Column("action", _t(request, "admin.audit.col.action"), AuditEntry.action),
        Column("object", _t(request, "admin.audit.col.object")),
        Column("ip", _t(request, "admin.audit.col.ip")),
    ]
    zone = request.app.state.settings.zone
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor_name.contains(actor, autoescape=True))

    def to_row(r: Any) -> dict[str, Any]:
        e = r[0]
        return {
            "at": e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            "actor": e.actor_name,
            "action": e.action,
            "object": f"{e.object_type} {e.object_id or ''}".strip(),
            "ip": e.ip,
        }

    order = [AuditEntry.id.desc()]
    if wants_export(request):
        return export_xlsx(
            session, request, query, columns, to_row, filename="audit.xlsx", default_order=order
        )
    table = table_view(
        session,
        request,
        query,
        columns,
        to_row,
        default_order=order,
        empty_text=_t(request, "admin.audit.empty"),
    )
    check = verify_chain(session) if verify else None
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return render(
        request,
        "app/admin_audit.html",
        {"table": table, "check": check, "action": action, "actor": actor, "count": count},
    )
