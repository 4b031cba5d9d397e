"""Reads and the workflow transitions of events. Services flush; the caller commits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from citycockpit.audit import service as audit
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import ensure_in_scope, scope_clause
from citycockpit.core.errors import NotFound, Unprocessable
from citycockpit.events.effects import EFFECTS, follow_original
from citycockpit.events.enums import (
    Action,
    EventState,
)
from citycockpit.events.errors import (
    ActionForbidden,
    EventNotFound,
    NoteRequired,
    StaleVersion,
    TransitionNotAllowed,
)
from citycockpit.events.intake import actor_fields
from citycockpit.events.models import Event, EventCategory, EventTransition
from citycockpit.events.sla import DEFAULT_CALENDAR, WorkCalendar
from citycockpit.events.workflow import STATE_LABELS, TRANSITIONS, roles_for

S = EventState
LOCAL_LEVEL_KINDS = {"镇", "街道"}


# ---- reads ---------------------------------------------------------------------------------------


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


def _queue_clause(queue: str, principal: Principal) -> ColumnElement[bool]:
    states = Event.state.in_
    if queue == "triage":
        return (Event.state == S.REPORTED.value) & Event.needs_triage.is_(True)
    if queue == "intake":
        return (Event.state == S.REPORTED.value) & Event.needs_triage.is_(False)
    if queue == "dispatch":
        return states([S.REGISTERED.value, S.RETURNED.value])
    if queue == "extension":
        return (Event.state == S.SIGNED.value) & Event.has_pending_extension.is_(True)
    if queue == "department":
        return states([S.DISPATCHED.value, S.SIGNED.value, S.SUSPENDED.value]) & (
            Event.department_id == principal.department_id
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


# Columns a list of events may be sorted by (`-` before the key: descending).
EVENT_SORTS: dict[str, InstrumentedAttribute[Any]] = {
    "public_id": Event.public_id,
    "title": Event.title,
    "state": Event.state,
    "reported_at": Event.reported_at,
    "handle_due_at": Event.handle_due_at,
}


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
    where: ColumnElement[bool] = scope_filter(principal)
    if filters.states:
        bad = [s for s in filters.states if s not in {x.value for x in EventState}]
        if bad:
            raise Unprocessable(f"unknown state(s): {', '.join(bad)}", field="state")
        where = where & Event.state.in_(filters.states)
    if filters.queue:
        where = where & _queue_clause(filters.queue, principal)
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


def timeline(session: Session, event: Event) -> list[EventTransition]:
    return list(
        session.scalars(
            select(EventTransition)
            .where(EventTransition.event_id == event.id)
            .order_by(EventTransition.at, EventTransition.id)
        )
    )


def mask_reporter(
    principal: Principal | None, name: str | None, phone: str | None
) -> tuple[str | None, str | None]:
    """Reporter name and phone as the caller may see them: in full with `pii:read`, else masked
    (张** / 138****5678). The one place to swap for auth's shared masking helpers."""
    if principal is not None and principal.can(Perm.PII_READ):
        return name, phone
    masked_name = None if not name else name[0] + "*" * max(1, len(name) - 1)
    masked_phone = None
    if phone:
        digits = phone.strip()
        masked_phone = digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "*" * len(digits)
    return masked_name, masked_phone


# ---- transitions ---------------------------------------------------------------------------------


@dataclass
class ActionInput:
    """What a person sends with an action; which fields matter depends on the action."""

    version: int
    note: str | None = None
    reason: str | None = None  # reject: RejectReason
    original: str | None = None  # merge: id or public id of the original event
    department_id: int | None = None  # dispatch / register
    category_code: str | None = None  # register (triage)
    extension: float | None = None  # request_extension: extra units of the category's clock
    photos: list[str] = field(default_factory=list)  # handle
    satisfaction: str | None = None  # rate


def _category(session: Session, event: Event) -> EventCategory | None:
    if not event.category_code:
        return None
    return session.scalars(select(EventCategory).where(EventCategory.code == event.category_code)).first()


def _check_actor(event: Event, action: Action, principal: Principal, onsite: bool) -> None:
    transition = TRANSITIONS[action]
    if principal.role not in roles_for(transition, onsite_required=onsite):
        extra = " (this category requires an on-site check)" if transition.remote_roles else ""
        raise ActionForbidden(
            f"A {principal.role} may not {action.value} an event{extra}",
            action=action.value,
            role=principal.role,
        )
    ensure_in_scope(principal, department_id=event.department_id, area_code=event.grid_code, what="event")


def transition_event(
    session: Session,
    ref: int | str,
    action: Action | str,
    body: ActionInput,
    *,
    actor: Principal,
    now: datetime,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    ip: str | None = None,
) -> Event:
    """Take one step of the closed loop. Checks role and scope, the state, the required note and the
    version the caller saw; writes a timeline row and an audit entry; a concurrent step loses with 409."""
    try:
        action = Action(action)
    except ValueError as exc:
        raise EventNotFound(f"There is no action {action!r}", action=str(action)) from exc
    event = get_event(session, ref, actor)
    transition = TRANSITIONS[action]
    category = _category(session, event)
    onsite = bool(category.requires_onsite_verification) if category else True
    _check_actor(event, action, actor, onsite)
    if body.version != event.version:
        raise StaleVersion(
            f"The event changed (version {event.version}, you sent {body.version}); reload it and try again",
            current_version=event.version,
        )
    if S(event.state) not in transition.sources:
        raise TransitionNotAllowed(
            f"Cannot {action.value} an event that is {event.state} ({STATE_LABELS[S(event.state)]})",
            state=event.state,
            action=action.value,
        )
    note = (body.note or "").strip() or None
    if transition.note_required and not note:
        raise NoteRequired(f"{transition.label} ({action.value}) needs a note", action=action.value)
    from_state = event.state
    data: dict[str, Any] = {}
    followers: list[str] = []
    handler = EFFECTS[action]
    with session.no_autoflush:  # one UPDATE per action, so the version moves by exactly one
        extra = handler(session, event, body, category, actor, now, calendar)
        if extra:
            data.update(extra)
        if action in (Action.CLOSE, Action.CLOSE_DIRECTLY):
            followers = follow_original(session, event, now, actor, calendar)
            if followers:
                data["followers"] = followers
        event.state = transition.target.value
        event.updated_at = now
    session.add(
        EventTransition(
            event_id=event.id,
            action=action.value,
            from_state=from_state,
            to_state=event.state,
            at=now,
            department_id=event.department_id,
            note=note,
            data_json=json.dumps(data, ensure_ascii=False, default=str) if data else None,
            **actor_fields(actor),
        )
    )
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleVersion(
            "Someone else changed this event at the same time; reload it and try again"
        ) from exc
    audit.record(
        session,
        actor,
        f"event.{action.value}",
        "event",
        event.public_id,
        diff={"from": from_state, "to": event.state, "note": note, **data},
        ip=ip,
        at=now,
    )
    return event
