"""`/api/v1/events/surges`: surge alerts (未诉先办) in the caller's scope, and acknowledging one."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.db import SessionDep
from citycockpit.events.surges import queries, service

router = APIRouter(prefix="/api/v1/events/surges", tags=["events"])

Reader = Annotated[Principal, require(Perm.EVENTS_READ)]
Acknowledger = Annotated[Principal, require(Perm.EVENTS_SURGES)]


class SurgeRead(BaseModel):
    id: int
    state: str
    category_code: str
    category_name: str
    town_code: str
    town_name: str
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    window_start_at: datetime
    window_end_at: datetime
    window_hours: float
    count: int
    peak_count: int
    expected: float
    ratio: float
    p_value: float
    event_count: int
    acknowledged_at: datetime | None
    acknowledged_by_name: str | None
    events_href: str


def surge_read(row: queries.SurgeRow) -> dict[str, Any]:
    return {**asdict(row), "events_href": row.href}


@router.get("", response_model=list[SurgeRead])
def list_surges(
    session: SessionDep,
    principal: Reader,
    include_closed: bool = False,
    area: Annotated[str | None, Query(pattern=r"^\d{6,15}$", description="Area code (subtree)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Surge alerts in the caller's scope: open ones, the strongest first (closed ones too if asked).
    The events behind one are `GET /api/v1/events?surge={id}`."""
    rows = queries.list_surges(session, principal, open_only=not include_closed, area_code=area, limit=limit)
    return [surge_read(r) for r in rows]


@router.get("/{alert_id}", response_model=SurgeRead)
def get_surge(alert_id: int, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return surge_read(queries.get_surge(session, alert_id, principal))


@router.post("/{alert_id}/acknowledge", response_model=SurgeRead)
def acknowledge_surge(
    alert_id: int, request: Request, session: SessionDep, principal: Acknowledger
) -> dict[str, Any]:
    """A dispatcher takes the surge in hand (已知悉); audited; a second acknowledgement is 409."""
    service.acknowledge_surge(session, alert_id, principal=principal, now=request.app.state.clock.now())
    session.commit()
    return surge_read(queries.get_surge(session, alert_id, principal))
