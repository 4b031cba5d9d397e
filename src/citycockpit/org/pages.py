"""Workbench pages for the organisation (/app/admin/org): the departments and areas tables (an
area-scoped caller sees its own subtree) with their exports, and the import of an org file."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import Response

from citycockpit.auth.deps import client_ip, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core.errors import AppError
from citycockpit.db import SessionDep
from citycockpit.org import boundaries as org_boundaries
from citycockpit.org import queries as org_queries
from citycockpit.org import service as org_service
from citycockpit.web import i18n
from citycockpit.web.render import check_csrf, render
from citycockpit.web.tables import Column, table_page

router = APIRouter(prefix="/app", tags=["pages"], include_in_schema=False)

OrgReader = Annotated[Principal, require(Perm.ORG_READ)]
OrgWriter = Annotated[Principal, require(Perm.ORG_WRITE)]
CsrfField = Annotated[str, Form()]


_t = i18n.request_text


@router.get("/admin/org")
def admin_org(
    request: Request,
    session: SessionDep,
    principal: OrgReader,
    tab: Annotated[str, Query(pattern="^(departments|areas)$")] = "departments",
) -> Response:
    if tab == "areas":
        listing = org_queries.areas_listing(principal)
        columns = [
            Column("code", _t(request, "admin.org.col.code")),
            Column("name", _t(request, "admin.org.col.name")),
            Column(
                "level",
                _t(request, "admin.org.col.level"),
                show=lambda v: _t(request, f"admin.org.level.{v}"),
            ),
            Column("parent", _t(request, "admin.org.col.parent")),
            Column("has_shape", _t(request, "admin.org.col.has_shape")),
        ]

        def to_row(r: Any) -> dict[str, Any]:
            return {
                "code": r[0],
                "name": r[1],
                "level": r[2],
                "parent": r[3],
                "has_shape": "✓" if r[4] else "",
            }

        empty = _t(request, "admin.org.empty_areas")
    else:
        listing = org_queries.departments_listing()
        columns = [
            Column("code", _t(request, "admin.org.col.code")),
            Column("name", _t(request, "admin.org.col.name")),
            Column("kind", _t(request, "admin.org.col.kind")),
        ]

        def to_row(r: Any) -> dict[str, Any]:
            return {"code": r[0], "name": r[1], "kind": r[2]}

        empty = _t(request, "admin.org.empty_departments")
    return table_page(
        request,
        session,
        listing,
        columns,
        to_row,
        template="app/admin_org.html",
        filename=f"{tab}.xlsx",
        empty_text=empty,
        context={"tab": tab, "can_import": principal.can(Perm.ORG_WRITE)},
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
                **i18n.request_import_error(request, exc),
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


@router.post("/admin/org/boundaries")
def import_boundaries(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: OrgWriter,
    csrf_token: CsrfField = "",
    code_field: Annotated[str, Form(max_length=64)] = "code",
    name_field: Annotated[str, Form(max_length=64)] = "name",
    level: Annotated[str, Form(pattern="^(|town|village|grid)$")] = "",
    crs: Annotated[str, Form(max_length=64)] = "",
    accept_warnings: Annotated[bool, Form()] = False,
    report_only: Annotated[bool, Form()] = False,
) -> Response:
    """Upload a boundary file: its topology report as XLSX (`report_only`), or the import, whose
    refusal lists each bad feature, or the topology warnings, in the page's language."""
    check_csrf(request, principal, csrf_token)
    data = file.file.read(org_service.tabular.MAX_IMPORT_BYTES + 1)
    context: dict[str, Any] = {
        "table": None,
        "tab": "areas",
        "can_import": True,
        "boundary_values": {"code_field": code_field, "name_field": name_field, "level": level, "crs": crs},
    }
    try:
        with session.begin_nested():  # a refused import undoes only itself
            check = org_boundaries.check_boundaries(
                session,
                data,
                file.filename or "upload",
                code_field=code_field or "code",
                name_field=name_field or "name",
                level=level or None,
                crs=crs.strip() or None,
            )
            if report_only:
                return Response(
                    check.report_xlsx(),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="topology-report.xlsx"'},
                )
            context["findings"] = check.findings[:200]
            result = org_boundaries.store_boundaries(
                session,
                check,
                accept_warnings=accept_warnings,
                actor=principal,
                now=request.app.state.clock.now(),
                ip=client_ip(request),
            )
    except org_boundaries.TopologyNotAccepted as exc:
        counts = exc.extra["counts"]
        context["boundary_error"] = _t(
            request, "admin.org.boundaries_refused", count=exc.extra["warnings"], **counts
        )
        return render(request, "app/admin_org.html", context, status=exc.status)
    except AppError as exc:
        refused = i18n.request_import_error(request, exc)
        if exc.code == "import_failed" and refused["import_rows"]:  # a boundary file has features, not rows
            refused["import_error"] = _t(
                request,
                "admin.org.boundaries_failed",
                count=refused["error_count"] or len(refused["import_rows"]),
            )
        context["boundary_error"] = refused["import_error"]
        context["boundary_rows"] = refused["import_rows"]
        return render(request, "app/admin_org.html", context, status=exc.status)
    session.commit()
    context["flash"] = _t(
        request,
        "admin.org.boundaries_done",
        features=len(check.features),
        created=result.created,
        updated=result.updated,
        warnings=result.warnings,
    )
    return render(request, "app/admin_org.html", context)
