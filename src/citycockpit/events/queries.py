"""Reads of events: one event, the work queues, a filtered and sorted page, a timeline. Every read is
limited to the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from citycockpit.auth.enums import Role
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import ensure_in_scope, scope_clause
from citycockpit.core.dialect import code_within
from citycockpit.core.errors import NotFound, Unprocessable
from citycockpit.events import sla
from citycockpit.events.enums import (
    AWAITING_DISPATCH,
    OPEN_ASSIST_STATES,
    WITH_DEPARTMENT,
    EventState,
    ObjectionStatus,
    state_values,
)
from citycockpit.events.errors import EventNotFound
from citycockpit.events.models import Event, EventAssist, EventCategory, EventObjection, EventTransition
from citycockpit.events.surges.queries import surge_events_clause

S = EventState


def assisting_clause(department_id: int | None, *, open_only: bool = False) -> ColumnElement[bool]:
    """Events on which a department co-operates (配合单位; with `open_only`, only while its part is
    open), as a WHERE clause on events."""
    parts = select(EventAssist.event_id).where(EventAssist.department_id == department_id)
    if open_only:
        parts = parts.where(EventAssist.state.in_(sorted(s.value for s in OPEN_ASSIST_STATES)))
    return Event.id.in_(parts)


def scope_filter(principal: Principal) -> ColumnElement[bool]:
    """Department users see their department's events and those they co-operate on; town and grid
    users their area subtree."""
    clause = scope_clause(principal, department_col=Event.department_id, area_code_col=Event.grid_code)
    if principal.is_department_scoped:
        assisting = assisting_clause(principal.department_id)
        if principal.is_area_scoped:
            assisting = assisting & code_within(Event.grid_code, principal.area_code or "")
        clause = clause | assisting
    return clause


def is_assisting(session: Session, event: Event, principal: Principal) -> bool:
    """Whether the principal's department co-operates on the event (配合单位)."""
    if not principal.is_department_scoped:
        return False
    found = session.scalar(
        select(EventAssist.id).where(
            EventAssist.event_id == event.id, EventAssist.department_id == principal.department_id
        )
    )
    return found is not None


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
            if is_assisting(session, event, principal) and (
                not principal.is_area_scoped or (event.grid_code or "").startswith(principal.area_code or "")
            ):
                return event
            raise EventNotFound(
                f"Event {ref} does not exist or is outside your scope", event=str(ref)
            ) from exc
    return event


QUEUES = {
    "triage": "reported events the classifier was unsure of (分拣)",
    "intake": "reported events waiting for 立案",
    "dispatch": "registered or returned events waiting for 派遣",
    "extension": "extension requests waiting for a decision",
    "objections": "departments' objections to a dispatch waiting for a decision (派单异议)",
    "department": "events with my department (派遣/签收/挂账) or waiting for its co-operating part (配合)",
    "verification": "handled events in my area waiting for 核查",
    "close": "verified events waiting for 结案",
    "callback": "closed events waiting for 回访",
}

# Which queues each role works (the first is its default).
ROLE_QUEUES: dict[str, list[str]] = {
    Role.DISPATCHER.value: ["triage", "intake", "dispatch", "extension", "objections", "close", "callback"],
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
    if queue == "objections":
        return (Event.state == S.DISPATCHED.value) & Event.has_pending_objection.is_(True)
    if queue == "department":
        lead = Event.department_id == principal.department_id
        return states(state_values(WITH_DEPARTMENT)) & (
            lead | assisting_clause(principal.department_id, open_only=True)
        )
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
    closed_from: date | None = None  # closed (办结) on or after this day
    closed_to: date | None = None
    overdue_at: datetime | None = None  # past the handling deadline at this instant (Event.is_overdue)
    live_only: bool = False  # test events left out, as every KPI counts (a big-screen drill-down)
    surge_id: int | None = None  # the events behind this surge alert (events/surges)


# Columns a list of events may be sorted by (`-` before the key: descending).
EVENT_SORTS: dict[str, InstrumentedAttribute[Any]] = {
    "public_id": Event.public_id,
    "title": Event.title,
    "state": Event.state,
    "reported_at": Event.reported_at,
    "handle_due_at": Event.handle_due_at,
}


URGENCY = "urgency"  # most urgent first: the current stage's deadline, soonest first (none last)


def stage_due_column() -> ColumnElement[Any]:
    """The deadline the event's current stage runs against (events/sla.py STAGE_DUE), as SQL."""
    return case(
        *[(Event.state == state, getattr(Event, column)) for state, column in sla.STAGE_DUE.items()],
        else_=None,
    )


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
    if filters.closed_from:
        where = where & (Event.closed_day >= filters.closed_from)
    if filters.closed_to:
        where = where & (Event.closed_day <= filters.closed_to)
    if filters.overdue_at is not None:
        where = where & Event.is_overdue(filters.overdue_at)
    if filters.live_only:
        where = where & Event.is_test.is_(False)
    if filters.surge_id is not None:
        where = where & surge_events_clause(filters.surge_id)
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
    order: list[Any]
    if sort == URGENCY:
        due = stage_due_column()
        order = [case((due.is_(None), 1), else_=0), due.asc(), Event.id.asc()]
    elif sort_column is None:
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


@dataclass(frozen=True)
class ObjectionCount:
    """Objections (派单异议) to dispatches of one minor category in a period: many accepted ones show a
    catalogue row that sends the category to the wrong department."""

    category_code: str | None
    category_name: str | None
    total: int
    accepted: int
    refused: int
    pending: int


def objection_counts(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> list[ObjectionCount]:
    """Objections per category raised in [since, until), most first (one GROUP BY)."""

    def tally(status: ObjectionStatus) -> Any:
        return func.coalesce(func.sum(case((EventObjection.status == status.value, 1), else_=0)), 0)

    stmt = (
        select(
            EventObjection.category_code,
            EventCategory.name,
            func.count(),
            tally(ObjectionStatus.ACCEPTED),
            tally(ObjectionStatus.REFUSED),
            tally(ObjectionStatus.PENDING),
        )
        .outerjoin(EventCategory, EventCategory.code == EventObjection.category_code)
        .group_by(EventObjection.category_code, EventCategory.name)
        .order_by(func.count().desc(), EventObjection.category_code)
    )
    if since is not None:
        stmt = stmt.where(EventObjection.raised_at >= since)
    if until is not None:
        stmt = stmt.where(EventObjection.raised_at < until)
    return [ObjectionCount(*row) for row in session.execute(stmt)]


def objections_of(session: Session, event: Event) -> list[EventObjection]:
    """An event's objections, oldest first."""
    return list(
        session.scalars(
            select(EventObjection).where(EventObjection.event_id == event.id).order_by(EventObjection.id)
        )
    )


@dataclass
class RepeatInfo:
    """重复诉求 as shown on a ticket: which request of the caller's chain it is, the earlier ticket it
    repeats, and the later tickets that repeat it."""

    seq: int | None
    earlier: Event | None
    later: list[Event]


def repeat_info(session: Session, event: Event) -> RepeatInfo:
    """The repeat links of an event (two indexed reads: its earlier ticket, and those repeating it)."""
    earlier = session.get(Event, event.repeat_of_id) if event.repeat_of_id else None
    later = list(
        session.scalars(
            select(Event).where(Event.repeat_of_id == event.id).order_by(Event.reported_at, Event.id)
        )
    )
    return RepeatInfo(event.repeat_seq, earlier, later)
