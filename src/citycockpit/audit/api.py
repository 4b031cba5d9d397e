"""`/api/v1/audit`: read and verify the audit log (`audit:read`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from citycockpit.audit import anchors, service
from citycockpit.audit.schemas import AuditEntryRead, AuditPage, ChainCheckRead
from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.db import SessionDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(9998, 12, 30)  # keep zone arithmetic in range

Auditor = Annotated[Principal, require(Perm.AUDIT_READ)]


@router.get("", response_model=AuditPage)
def list_entries(
    request: Request,
    session: SessionDep,
    principal: Auditor,
    action: Annotated[
        str | None, Query(max_length=64, description="Exact action, or a prefix ending in '.'")
    ] = None,
    actor: Annotated[str | None, Query(max_length=100, description="Actor name, e.g. user:admin")] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[date | None, Query(description="First local day (YYYY-MM-DD), inclusive")] = None,
    until: Annotated[date | None, Query(description="Last local day (YYYY-MM-DD), inclusive")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, object]:
    """Audit entries, newest first; days are local (Asia/Shanghai) days."""
    clock = request.app.state.clock
    f = service.AuditFilter(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        since=clock.local_midnight(max(since, _FIRST_DAY)) if since else None,
        until=clock.local_midnight(min(until, _LAST_DAY) + timedelta(days=1)) if until else None,
    )
    items, total = service.list_entries(session, f, offset=offset, limit=limit)
    return {
        "items": [AuditEntryRead.model_validate(e) for e in items],
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@router.get("/verify", response_model=ChainCheckRead)
def verify_chain(request: Request, session: SessionDep, principal: Auditor) -> ChainCheckRead:
    """Walk the whole chain (hashes, HMACs, links), then check it against the anchor file's anchors;
    names the first edited or orphaned entry."""
    check = anchors.verify_configured(session, request.app.state.settings)
    return ChainCheckRead(
        ok=check.ok,
        checked=check.checked,
        first_bad_id=check.first_bad_id,
        reason=check.reason,
        keyed_from=check.keyed_from,
        anchors_checked=check.anchors_checked,
    )
