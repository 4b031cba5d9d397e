"""Reads of surge alerts for the dispatcher's queue, the API and the big screen; each in the caller's
scope (a town's staff see their town's surges; department staff none, surges belong to a town)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import scope_clause
from citycockpit.core.dialect import code_within
from citycockpit.events.errors import SurgeNotFound
from citycockpit.events.models import Event, EventCategory
from citycockpit.events.surges.models import OPEN, SurgeAlert, SurgeAlertEvent
from citycockpit.org.models import Area


@dataclass
class SurgeRow:
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

    @property
    def href(self) -> str:
        """The drill-down: the events list showing exactly the events behind the alert."""
        return f"/app/events?surge={self.id}"


def _select(principal: Principal | None):  # type: ignore[no-untyped-def]
    query = (
        select(SurgeAlert, EventCategory.name, Area.name)
        .outerjoin(EventCategory, EventCategory.code == SurgeAlert.category_code)
        .outerjoin(Area, Area.code == SurgeAlert.town_code)
    )
    if principal is not None:
        query = query.where(scope_clause(principal, area_code_col=SurgeAlert.town_code))
    return query


def _row(alert: SurgeAlert, category_name: str | None, town_name: str | None) -> SurgeRow:
    return SurgeRow(
        id=alert.id,
        state=alert.state,
        category_code=alert.category_code,
        category_name=category_name or alert.category_code,
        town_code=alert.town_code,
        town_name=town_name or alert.town_code,
        opened_at=alert.opened_at,
        updated_at=alert.updated_at,
        closed_at=alert.closed_at,
        window_start_at=alert.window_start_at,
        window_end_at=alert.window_end_at,
        window_hours=alert.window_hours,
        count=alert.count,
        peak_count=alert.peak_count,
        expected=alert.expected,
        ratio=alert.ratio,
        p_value=alert.p_value,
        event_count=alert.event_count,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by_name=alert.acknowledged_by_name,
    )


def list_surges(
    session: Session,
    principal: Principal | None,
    *,
    open_only: bool = True,
    area_code: str | None = None,
    limit: int = 50,
) -> list[SurgeRow]:
    """Surge alerts in the caller's scope (under `area_code` when given), open ones only unless asked;
    the strongest open surge first, then the newest."""
    query = _select(principal)
    if open_only:
        query = query.where(SurgeAlert.state == OPEN)
    if area_code:
        query = query.where(code_within(SurgeAlert.town_code, area_code))
    query = query.order_by(
        (SurgeAlert.state == OPEN).desc(), SurgeAlert.ratio.desc(), SurgeAlert.opened_at.desc()
    ).limit(limit)
    return [_row(a, c, t) for a, c, t in session.execute(query).all()]


def get_surge(session: Session, alert_id: int, principal: Principal | None) -> SurgeRow:
    """One surge alert; outside the caller's scope it does not exist."""
    found = session.execute(_select(principal).where(SurgeAlert.id == alert_id)).first()
    if found is None:
        raise SurgeNotFound(f"Surge alert {alert_id} does not exist or is outside your scope")
    return _row(*found)


def surge_events_clause(alert_id: int) -> ColumnElement[bool]:
    """Events linked to the surge alert (the drill-down's WHERE clause)."""
    return Event.id.in_(select(SurgeAlertEvent.event_id).where(SurgeAlertEvent.alert_id == alert_id))
