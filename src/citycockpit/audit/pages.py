"""Workbench page for the audit log (/app/admin/audit): the entries filtered by action and actor, with
their export, and the chain check (hashes, HMACs, anchors) on request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from citycockpit.audit import queries as audit_queries
from citycockpit.audit.anchors import verify_configured
from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.db import SessionDep
from citycockpit.web import i18n
from citycockpit.web.tables import Column, table_page

router = APIRouter(prefix="/app", tags=["pages"], include_in_schema=False)

AuditReader = Annotated[Principal, require(Perm.AUDIT_READ)]


_t = i18n.request_text


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
        Column("at", _t(request, "admin.audit.col.at")),
        Column("actor", _t(request, "admin.audit.col.actor")),
        Column("action", _t(request, "admin.audit.col.action")),
        Column("object", _t(request, "admin.audit.col.object")),
        Column("ip", _t(request, "admin.audit.col.ip")),
    ]
    zone = request.app.state.settings.zone

    def to_row(r: Any) -> dict[str, Any]:
        e = r[0]
        return {
            "at": e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            "actor": e.actor_name,
            "action": e.action,
            "object": f"{e.object_type} {e.object_id or ''}".strip(),
            "ip": e.ip,
        }

    def context() -> dict[str, Any]:
        return {
            "check": verify_configured(session, request.app.state.settings) if verify else None,
            "action": action,
            "actor": actor,
            "count": audit_queries.count_entries(session),
        }

    return table_page(
        request,
        session,
        audit_queries.entries_listing(action=action, actor=actor),
        columns,
        to_row,
        template="app/admin_audit.html",
        filename="audit.xlsx",
        empty_text=_t(request, "admin.audit.empty"),
        context=context,
    )
