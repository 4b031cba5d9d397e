"""Reads and the workflow transitions of events. Services flush; the caller commits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from citycockpit.audit import service as audit
from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import ensure_in_scope, scope_clause
from citycockpit.core.errors import NotFound, Unprocessable
from citycockpit.events import categories as cats
from citycockpit.events import routing
from citycockpit.events.enums import (
    DIRECT_CLOSE_TYPES,
    Action,
    DuplicateStatus,
    EventState,
    RejectReason,
    RoutingSource,
    Satisfaction,
    SystemAction,
)
from citycockpit.events.errors import (
    ActionForbidden,
    EventNotFound,
    InvalidEventInput,
    NoteRequired,
    StaleVersion,
    TransitionNotAllowed,
)
from citycockpit.events.intake import _actor_fields
from citycockpit.events.models import DuplicateProposal, Event, EventCategory, EventTransition
from citycockpit.events.sla import DEFAULT_CALENDAR, WorkCalendar
from citycockpit.events.workflow import STATE_LABELS, TRANSITIONS, roles_for
from citycockpit.org.models import Department

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


def list_events(
    session: Session, principal: Principal, filters: EventFilter, *, offset: int = 0, limit: int = 50
) -> tuple[list[Event], int]:
    """A page of events in the caller's scope, newest first, and the total matching."""
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
    items = session.scalars(
        select(Event)
        .where(where)
        .order_by(Event.reported_at.desc(), Event.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
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


def _limit(category: EventCategory | None, stage: str) -> float:
    value = getattr(category, f"{stage}_limit", None) if category else None
    return float(value) if value else {"sign": 1.0, "handle": 8.0, "verify": 2.0}[stage]


def _set_dues(event: Event, category: EventCategory | None, now: datetime, calendar: WorkCalendar) -> None:
    kind = event.clock_kind or (category.clock_kind if category else "work_hours")
    event.clock_kind = kind
    event.sign_due_at = calendar.add(now, _limit(category, "sign"), kind)
    event.handle_due_at = calendar.add(now, _limit(category, "handle"), kind)
    event.close_due_at = calendar.add(event.handle_due_at, _limit(category, "verify"), kind)
    event.verify_due_at = None
    event.warned_at = None


def _follow(
    session: Session, original: Event, now: datetime, actor: Any, calendar: WorkCalendar
) -> list[str]:
    """Close the merged duplicates of a closed original (they follow its outcome)."""
    followers = session.scalars(
        select(Event).where(Event.merged_into_id == original.id, Event.state == S.MERGED.value)
    ).all()
    for dup in followers:
        dup.state = S.CLOSED.value
        dup.closed_at = now
        dup.closed_day = now.astimezone(calendar.zone).date()
        dup.result_text = original.result_text
        dup.closed_on_time = original.closed_on_time
        dup.closed_by_center = original.closed_by_center
        dup.updated_at = now
        session.add(
            EventTransition(
                event_id=dup.id,
                action=SystemAction.FOLLOW.value,
                from_state=S.MERGED.value,
                to_state=S.CLOSED.value,
                at=now,
                note=f"随主件 {original.public_id} 结案",
                **_actor_fields(actor),
            )
        )
    return [d.public_id for d in followers]


def _close(event: Event, now: datetime, calendar: WorkCalendar) -> None:
    event.closed_at = now
    event.closed_day = now.astimezone(calendar.zone).date()


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
    handler = _EFFECTS[action]
    with session.no_autoflush:  # one UPDATE per action, so the version moves by exactly one
        extra = handler(session, event, body, category, actor, now, calendar)
        if extra:
            data.update(extra)
        if action in (Action.CLOSE, Action.CLOSE_DIRECTLY):
            followers = _follow(session, event, now, actor, calendar)
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
            **_actor_fields(actor),
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


# ---- effects, one per action: check preconditions, set fields; return data for the timeline --------

Effect = Any


def _register(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {}
    if body.category_code and body.category_code != event.category_code:
        chosen = cats.get_minor_category(session, body.category_code)
        event.category_code, event.major_code, event.category_kind = (
            chosen.code,
            chosen.parent_code,
            chosen.kind,
        )
        event.clock_kind = chosen.clock_kind
        event.department_id = routing.department_id_for(
            session, chosen.default_department_code, event.town_code
        )
        event.routing_source, event.routing_rule, event.routing_score = (
            RoutingSource.MANUAL.value,
            "triage",
            None,
        )
        data["category"] = chosen.code
    if body.department_id is not None:
        _department(session, body.department_id)
        event.department_id = body.department_id
        event.routing_source = RoutingSource.MANUAL.value
    if not event.category_code:
        raise InvalidEventInput(
            "Choose a category (category_code) to register this event", field="category_code"
        )
    event.needs_triage = False
    event.registered_at = now
    return data


def _reject(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    try:
        reason = RejectReason(body.reason or "")
    except ValueError as exc:
        raise InvalidEventInput(
            f"reason must be one of {', '.join(r.value for r in RejectReason)}", field="reason"
        ) from exc
    event.reject_reason = reason.value
    event.rejected_at = now
    event.needs_triage = False
    return {"reason": reason.value}


def _merge(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if not body.original:
        raise InvalidEventInput("merge needs `original`: the event this one repeats", field="original")
    original = get_event(session, body.original, actor)
    if original.id == event.id or original.merged_into_id == event.id:
        raise InvalidEventInput("An event cannot be merged into itself or into its own duplicate")
    if S(original.state) not in {
        S.REPORTED,
        S.REGISTERED,
        S.DISPATCHED,
        S.SIGNED,
        S.RETURNED,
        S.SUSPENDED,
        S.HANDLED,
        S.VERIFIED,
    }:
        raise TransitionNotAllowed(
            f"The original {original.public_id} is {original.state}; merge into an open event"
        )
    event.merged_into_id = original.id
    event.merged_at = now
    event.needs_triage = False
    original.duplicate_count = (original.duplicate_count or 0) + 1
    original.updated_at = now
    proposal = session.scalars(
        select(DuplicateProposal).where(
            DuplicateProposal.event_id == event.id, DuplicateProposal.original_id == original.id
        )
    ).first()
    if proposal is None:
        proposal = DuplicateProposal(
            event_id=event.id, original_id=original.id, hours_apart=0.0, proposed_at=now, distance_m=None
        )
        session.add(proposal)
    proposal.status, proposal.decided_at, proposal.decided_by = (
        DuplicateStatus.MERGED.value,
        now,
        actor.display_name,
    )
    session.add(
        EventTransition(
            event_id=original.id,
            action=Action.MERGE.value,
            from_state=original.state,
            to_state=original.state,
            at=now,
            note=f"合并重复件 {event.public_id}",
            data_json=json.dumps({"duplicate": event.public_id}),
            **_actor_fields(actor),
        )
    )
    return {"original": original.public_id}


def _close_directly(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if event.request_type not in {t.value for t in DIRECT_CLOSE_TYPES}:
        raise TransitionNotAllowed(
            "Only consultation (咨询) requests can be closed directly by the centre",
            request_type=event.request_type,
        )
    if event.registered_at is None:
        event.registered_at = now
    event.result_text = body.note
    event.closed_by_center = True
    event.closed_on_time = True
    event.resolved_locally = False
    event.needs_triage = False
    _close(event, now, calendar)
    return {}


def _department(session: Session, department_id: int) -> Department:
    dept = session.get(Department, department_id)
    if dept is None or not dept.is_active:
        raise InvalidEventInput(f"Department {department_id} does not exist", field="department_id")
    return dept


def _dispatch(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    dept_id = body.department_id or event.department_id
    if dept_id is None:
        raise InvalidEventInput("dispatch needs a department_id", field="department_id")
    _department(session, dept_id)
    if category is None:
        raise InvalidEventInput(
            "The event needs a category before it can be dispatched", field="category_code"
        )
    seen = [int(x) for x in (event.departments_seen or "").split(",") if x]
    if dept_id not in seen:
        seen.append(dept_id)
        event.departments_seen = ",".join(str(x) for x in seen)[:200]
        event.department_count = len(seen)
    event.department_id = dept_id
    event.dispatched_at = now
    event.first_dispatched_at = event.first_dispatched_at or now
    event.signed_on_time = None
    event.handled_on_time = None
    _set_dues(event, category, now, calendar)
    return {"department_id": dept_id, "handle_due_at": event.handle_due_at.isoformat()}


def _sign(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    event.signed_at = now
    event.signed_on_time = event.sign_due_at is None or now <= event.sign_due_at
    return {}


def _return(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    event.returned_at = now
    event.return_count = (event.return_count or 0) + 1
    event.has_pending_extension = False
    previous = event.department_id
    event.department_id = None
    return {"from_department_id": previous}


def _request_extension(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if event.has_pending_extension:
        raise TransitionNotAllowed("An extension request is already waiting for a decision")
    if not body.extension or body.extension <= 0:
        raise InvalidEventInput(
            f"extension must be the extra time wanted, in {event.clock_kind} units (above 0)",
            field="extension",
        )
    event.has_pending_extension = True
    event.extension_requested_limit = body.extension
    return {"extension": body.extension, "clock_kind": event.clock_kind}


def _grant_extension(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if not event.has_pending_extension:
        raise TransitionNotAllowed("There is no extension request to grant")
    extra = float(event.extension_requested_limit or 0)
    kind = event.clock_kind or "work_hours"
    event.handle_due_at = calendar.add(event.handle_due_at or now, extra, kind)
    event.close_due_at = calendar.add(event.handle_due_at, _limit(category, "verify"), kind)
    event.extension_count = (event.extension_count or 0) + 1
    event.has_pending_extension = False
    event.warned_at = None
    return {"extension": extra, "handle_due_at": event.handle_due_at.isoformat()}


def _deny_extension(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if not event.has_pending_extension:
        raise TransitionNotAllowed("There is no extension request to deny")
    event.has_pending_extension = False
    return {}


def _suspend(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    event.suspended_at = now
    event.suspension_note = body.note
    event.has_pending_extension = False
    return {}


def _resume(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    return {}


def _handle(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    kind = event.clock_kind or "work_hours"
    event.handled_at = now
    event.result_text = body.note
    event.result_photos_json = json.dumps(body.photos, ensure_ascii=False) if body.photos else None
    event.handled_on_time = event.handle_due_at is None or now <= event.handle_due_at
    if event.dispatched_at is not None:
        event.handle_minutes = round(calendar.elapsed_minutes(event.dispatched_at, now, kind), 1)
    event.verify_due_at = calendar.add(now, _limit(category, "verify"), kind)
    event.has_pending_extension = False
    return {"photos": body.photos} if body.photos else {}


def _verify(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    event.verified_at = now
    event.verified_onsite = actor.role in (Role.TOWN, Role.GRID_WORKER)
    return {"onsite": event.verified_onsite}


def _rework(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    event.rework_count = (event.rework_count or 0) + 1
    event.verify_due_at = None
    return {"rework_count": event.rework_count}


def _close_event(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    _close(event, now, calendar)
    event.closed_on_time = event.close_due_at is None or now <= event.close_due_at
    dept = session.get(Department, event.department_id) if event.department_id else None
    local_unit = dept is not None and (dept.kind in LOCAL_LEVEL_KINDS or bool(dept.area_code))
    event.resolved_locally = local_unit and (event.supervision_level or 0) == 0
    return {}


def _rate(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    try:
        satisfaction = Satisfaction(body.satisfaction or "")
    except ValueError as exc:
        raise InvalidEventInput(
            f"satisfaction must be one of {', '.join(s.value for s in Satisfaction)}", field="satisfaction"
        ) from exc
    event.satisfaction = satisfaction.value
    event.callback_reached = satisfaction is not Satisfaction.UNREACHABLE
    event.rated_at = now
    return {"satisfaction": satisfaction.value}


def _reopen(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if event.satisfaction != Satisfaction.UNSATISFIED.value:
        raise TransitionNotAllowed("Only an event rated unsatisfied (不满意) can be reopened")
    if event.department_id is None:
        raise InvalidEventInput("The event has no department to send it back to")
    event.reopen_count = (event.reopen_count or 0) + 1
    event.reopened_at = now
    event.dispatched_at = now
    event.closed_at = None
    event.closed_day = None
    event.closed_on_time = None
    event.signed_on_time = None
    event.handled_on_time = None
    _set_dues(event, category, now, calendar)
    return {"reopen_count": event.reopen_count}


_EFFECTS: dict[Action, Effect] = {
    Action.REGISTER: _register,
    Action.REJECT: _reject,
    Action.MERGE: _merge,
    Action.CLOSE_DIRECTLY: _close_directly,
    Action.DISPATCH: _dispatch,
    Action.SIGN: _sign,
    Action.RETURN: _return,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.GRANT_EXTENSION: _grant_extension,
    Action.DENY_EXTENSION: _deny_extension,
    Action.SUSPEND: _suspend,
    Action.RESUME: _resume,
    Action.HANDLE: _handle,
    Action.VERIFY: _verify,
    Action.REWORK: _rework,
    Action.CLOSE: _close_event,
    Action.RATE: _rate,
    Action.REOPEN: _reopen,
}
