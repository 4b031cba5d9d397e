"""Reads of events: one event, the work queues, a filtered and sorted page, a timeline. Every read is
limited to the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from citycockpit.auth.enums import Role
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import ensure_in_scope, scope_clause
from citycockpit.core.errors import NotFound, Unprocessable
from citycockpit.events.enums import AWAITING_DISPATCH, WITH_DEPARTMENT, EventState, state_values
from citycockpit.events.errors import EventNotFound
from citycockpit.events.models import Event, EventTransition

S = EventState


def scope_filter(principal: Principal) -> ColumnElement[bool]:
    """Department users see their department's events; town and grid users their area subtree."""
    return scope_clause(principal, department_col=Event.department_id, area_code_col=Event.grid_code)


def get_event(session: Session, ref: int | str, principal: Principal | None = None) -> Event:
    """An event by numeric id or public id; outside the caller's scope it does not exist."""
    stmt = select(Event)
    stmt = stmt.where(Event.id == int(ref)) if str(ref).isdigit() else stmt.where(Event.public_id == str(ref))
    event = session.scalars(stmt).first()
    if event is None:
        raise EventNotFound(f"Event {ref} does not exist or is outside your scope", event=str(ref))
    if principal is not None:
        try:
            ensure_in_scope(
                principal, department_id=event.department_id, area_code=event.grid_code, what="event"
            )
        except NotFound as exc:
            raise EventNotFound(
                f"Event {ref} does not exist or is outside your scope", event=str(ref)
            ) from exc
    return event


QUEUES = {
    "triage": "reported events the classifier was unsure of (分拣)",
    "intake": "reported events waiting for 立案",
    "dispatch": "registered or returned events waiting for 派遣",
    "extension": "extension requests waiting for a decision",
    "department": "events with my department (派遣/签收/挂账)",
    "verification": "handled events in my area waiting for 核查",
    "close": "verified events waiting for 结案",
    "callback": "closed events waiting for 回访",
}

# Which queues each role works (the first is its default).
ROLE_QUEUES: dict[str, list[str]] = {
    Role.DISPATCHER.value: ["triage", "intake", "dispatch", "extension", "close", "callback"],
    Role.DEPARTMENT.value: ["department"],
    Role.TOWN.value: ["verification", "department"],
    Role.GRID_WORKER.value: ["verification"],
}


def _queue_clause(queue: str, principal: Principal) -> ColumnElement[bool]:
    states = Event.state.in_
    if queue == "triage":
        return (Event.state == S.REPORTED.value) & Event.needs_triage.is_(True)
    if queue == "intake":
        return (Event.state == S.REPORTED.value) & Event.needs_triage.is_(False)
    if queue == "dispatch":
        return states(state_values(AWAITING_DISPATCH))
    if queue == "extension":
        return (Event.state == S.SIGNED.value) & Event.has_pending_extension.is_(True)
    if queue == "department":
        return states(state_values(WITH_DEPARTMENT)) & (Event.department_id == principal.department_id)
    if queue == "verification":
        clause = Event.state == S.HANDLED.value
        if principal.area_code:
            clause = clause & Event.grid_code.startswith(principal.area_code, autoescape=True)
        return clause
    if queue == "close":
        return Event.state == S.VERIFIED.value
    if queue == "callback":
        return Event.state == S.CLOSED.value
    raise Unprocessable(f"queue {queue!r} is not one of {', '.join(QUEUES)}", field="queue")


@dataclass
class EventFilter:
    states: list[str] = field(default_factory=list)
    queue: str | None = None
    category: str | None = None
    department_id: int | None = None
    area: str | None = None
    channel: str | None = None
    date_from: date | None = None
    date_to: date | None = None


# Columns a list of events may be sorted by (`-` before the key: descending).
EVENT_SORTS: dict[str, InstrumentedAttribute[Any]] = {
    "public_id": Event.public_id,
    "title": Event.title,
    "state": Event.state,
    "reported_at": Event.reported_at,
    "handle_due_at": Event.handle_due_at,
}


def _filter_clause(principal: Principal, filters: EventFilter) -> ColumnElement[bool]:
    """The caller's scope and every filter given, as one WHERE clause."""
    where: ColumnElement[bool] = scope_filter(principal)
    if filters.states:
        bad = [s for s in filters.states if s not in {x.value for x in EventState}]
        if bad:
            raise Unprocessable(f"unknown state(s): {', '.join(bad)}", field="state")
        where = where & Event.state.in_(filters.states)
    if filters.queue:  # imported history (is_history) was closed elsewhere: no queue ever holds it
        where = where & _queue_clause(filters.queue, principal) & Event.is_history.is_(False)
    if filters.category:
        column = Event.category_code if len(filters.category) > 3 else Event.major_code
        where = where & (column == filters.category)
    if filters.department_id is not None:
        where = where & (Event.department_id == filters.department_id)
    if filters.area:
        where = where & Event.grid_code.startswith(filters.area, autoescape=True)
    if filters.channel:
        where = where & (Event.channel == filters.channel)
    if filters.date_from:
        where = where & (Event.reported_day >= filters.date_from)
    if filters.date_to:
        where = where & (Event.reported_day <= filters.date_to)
    return where


def count_events(session: Session, principal: Principal, filters: EventFilter) -> int:
    """How many events in the caller's scope match the filters (one SQL COUNT)."""
    where = _filter_clause(principal, filters)
    return session.scalar(select(func.count()).select_from(Event).where(where)) or 0


def list_events(
    session: Session,
    principal: Principal,
    filters: EventFilter,
    *,
    offset: int = 0,
    limit: int = 50,
    sort: str = "-reported_at",
) -> tuple[list[Event], int]:
    """A page of events in the caller's scope and the total matching, sorted by one of EVENT_SORTS
    (newest first when the key is unknown); ties break on id so pages never overlap."""
    where = _filter_clause(principal, filters)
    total = session.scalar(select(func.count()).select_from(Event).where(where)) or 0
    sort_column = EVENT_SORTS.get(sort.lstrip("-"))
    order: list[UnaryExpression[Any]]
    if sort_column is None:
        order = [Event.reported_at.desc(), Event.id.desc()]
    elif sort.startswith("-"):
        order = [sort_column.desc(), Event.id.desc()]
    else:
        order = [sort_column.asc(), Event.id.asc()]
    items = session.scalars(select(Event).where(where).order_by(*order).offset(offset).limit(limit)).all()
    return list(items), total


def role_queue_counts(session: Session, principal: Principal) -> list[tuple[str, int]]:
    """Each queue the principal's role works (ROLE_QUEUES, in order) with how many events in the
    principal's scope wait in it."""
    queues = ROLE_QUEUES.get(principal.role.value, [])
    return [(queue, count_events(session, principal, EventFilter(queue=queue))) for queue in queues]


def timeline(session: Session, event: Event) -> list[EventTransition]:
    return list(
        session.scalars(
            select(EventTransition)
            .where(EventTransition.event_id == event.id)
            .order_by(EventTransition.at, EventTransition.id)
        )
    )
