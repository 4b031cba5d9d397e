"""Workbench page for the audit log (/app/admin/audit): the entries newest first, filtered by action,
actor, object and dates, with their export, and the chain check (hashes, HMACs, anchors) on request."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from citycockpit.audit import queries as audit_queries
from citycockpit.audit.anchors import verify_configured
from citycockpit.auth import queries as auth_queries
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
    action: Annotated[str, Query(max_length=64)] = "",
    actor: Annotated[str, Query(max_length=100)] = "",
    object_type: Annotated[str, Query(max_length=40)] = "",
    object_id: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
    verify: bool = False,
) -> Response:
    """The log, newest first, with readable actions, actors and objects; filtered by action, actor,
    object and a date range (local days, both ends included)."""
    lang = i18n.request_language(request)
    zone = request.app.state.settings.zone
    start, end = _day(since, zone), _day(until, zone)
    columns = [
        Column("at", _t(request, "admin.audit.col.at")),
        Column("actor", _t(request, "admin.audit.col.actor")),
        Column("action", _t(request, "admin.audit.col.action")),
        Column("object", _t(request, "admin.audit.col.object"), show=_object_cell),
        Column("ip", _t(request, "admin.audit.col.ip")),
    ]
    labels: dict[tuple[int | None, str], str] = {}

    def to_row(r: Any) -> dict[str, Any]:
        e = r[0]
        key = (e.actor_id, e.actor_name)
        if key not in labels:
            found = auth_queries.actor_labels(session, [key])[key]
            labels[key] = i18n.actor_text(lang, found.kind, found.name)
        return {
            "at": e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            "actor": labels[key],
            "action": action_text(lang, e.action),
            "object": ObjectRef(object_text(lang, e.object_type), e.object_id or ""),
            "ip": e.ip,
        }

    def context() -> dict[str, Any]:
        return {
            "check": verify_configured(session, request.app.state.settings) if verify else None,
            "filters": {
                "action": action,
                "actor": actor,
                "object_type": object_type,
                "object_id": object_id,
                "from": since if start else "",
                "to": until if end else "",
            },
            "actions": _choices(lang, "audit.action."),
            "object_types": _choices(lang, "audit.object."),
            "count": audit_queries.count_entries(session),
        }

    return table_page(
        request,
        session,
        audit_queries.entries_listing(
            action=action,
            actor=actor.strip(),
            object_type=object_type,
            object_id=object_id.strip(),
            since=start,
            until=end + timedelta(days=1) if end else None,
        ),
        columns,
        to_row,
        template="app/admin_audit.html",
        filename="audit.xlsx",
        empty_text=_t(request, "admin.audit.empty"),
        context=context,
    )


class ObjectRef(str):
    """An audit entry's object: its kind as people read it and its id (a code, a number or a file's name,
    as it was recorded). The export writes both as text; the page marks the id as an identifier, not
    words to read or translate."""

    kind: str
    ref: str

    def __new__(cls, kind: str, ref: str) -> ObjectRef:
        cell = super().__new__(cls, f"{kind} {ref}".strip())
        cell.kind, cell.ref = kind, ref
        return cell


def _object_cell(value: Any) -> Any:
    if isinstance(value, ObjectRef) and value.ref:
        return Markup('{} <code translate="no">{}</code>').format(value.kind, value.ref)
    return value


def action_text(lang: str, code: str) -> str:
    """An audit action as people read it: its own label, else (event.<action>) the event action's."""
    own = i18n.catalogue(lang).get(f"audit.action.{code}") or i18n.catalogue(i18n.DEFAULT_LANGUAGE).get(
        f"audit.action.{code}"
    )
    if own:
        return own
    kind, _, verb = code.partition(".")
    if kind == "event" and f"events.action.{verb}" in i18n.catalogue(i18n.DEFAULT_LANGUAGE):
        return i18n.translate(lang, f"events.action.{verb}")
    return i18n.translate(lang, "audit.action.other")


def object_text(lang: str, object_type: str) -> str:
    return i18n.translate(lang, f"audit.object.{object_type}") if object_type else ""


def _choices(lang: str, prefix: str) -> list[tuple[str, str]]:
    codes = [k[len(prefix) :] for k in i18n.catalogue(i18n.DEFAULT_LANGUAGE) if k.startswith(prefix)]
    codes = [c for c in codes if c != "other"]
    return sorted(((c, i18n.translate(lang, prefix + c)) for c in codes), key=lambda pair: pair[0])


def _day(value: str, zone: Any) -> datetime | None:
    """The start of a local day given as YYYY-MM-DD (None when empty or not a date: no filter)."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return datetime.combine(day, time(), zone) if day else None
