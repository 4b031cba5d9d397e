"""The workflow transitions of events: checks (role, scope, version, state, note), then the action's
effects, a timeline row and an audit entry. Services flush; the caller commits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import ensure_in_scope
from citycockpit.events import photos as photo_service
from citycockpit.events.enums import (
    Action,
    EventState,
)
from citycockpit.events.errors import (
    ActionForbidden,
    EventNotFound,
    InvalidEventInput,
    NoteRequired,
    StaleVersion,
    TransitionNotAllowed,
)
from citycockpit.events.intake.service import actor_fields
from citycockpit.events.models import Event, EventCategory, EventTransition
from citycockpit.events.queries import get_event
from citycockpit.events.sla import DEFAULT_CALENDAR, WorkCalendar
from citycockpit.events.workflow.effects import EFFECTS, check_objection_window, follow_original
from citycockpit.events.workflow.transitions import STATE_LABELS, TRANSITIONS, roles_for

S = EventState
DEFAULT_OBJECTION_WINDOW_HOURS = 2.0  # Settings.events_objection_window_hours


# ---- transitions ---------------------------------------------------------------------------------


@dataclass
class ActionInput:
    """What a person sends with an action; which fields matter depends on the action."""

    version: int
    note: str | None = None
    reason: str | None = None  # reject: RejectReason
    original: str | None = None  # merge: id or public id of the original event
    department_id: int | None = None  # dispatch / register
    assist_department_ids: list[int] = field(default_factory=list)  # dispatch: co-operating departments
    category_code: str | None = None  # register (triage)
    extension: float | None = None  # request_extension: extra units of the category's clock
    photos: list[str] = field(default_factory=list)  # handle: references to photos kept elsewhere
    # handle, verify, rework: checked uploads (events/photos.py), stored with the step's timeline row
    uploads: list[photo_service.PreparedPhoto] = field(default_factory=list)
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
    if principal.is_department_scoped and event.department_id != principal.department_id:
        # a co-operating department sees the event but takes only its own part's steps (assists.py)
        raise ActionForbidden(
            f"Only the lead department may {action.value} this event",
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
    objection_window_hours: float = DEFAULT_OBJECTION_WINDOW_HOURS,
    ip: str | None = None,
    photo_store: photo_service.PhotoStore | None = None,
) -> Event:
    """Take one step of the closed loop. Checks role and scope, the state, the required note and the
    version the caller saw; writes a timeline row and an audit entry; a concurrent step loses with 409.
    A department's objection (`object`) must come within `objection_window_hours` working hours of the
    dispatch. Handle, verify and rework carry photos (`body.uploads`, stored in `photo_store`); a
    category that requires a photo at handle or verify refuses the step without one."""
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
    if event.is_history:  # transitions.allowed_actions offers it none either
        raise TransitionNotAllowed(
            "Imported history (历史工单) was closed before the cockpit and takes no action",
            state=event.state,
            action=action.value,
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
    if action is Action.OBJECT:
        check_objection_window(event, now, calendar, objection_window_hours)
    if body.uploads and action not in photo_service.ACTION_STEPS:
        raise InvalidEventInput(f"{transition.label} ({action.value}) takes no photos", field="photos")
    if action in photo_service.REQUIRING_ACTIONS:
        photo_service.check_photo_requirement(
            category, photo_service.REQUIRING_ACTIONS[action], len(body.uploads)
        )
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
    row = EventTransition(
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
    session.add(row)
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleVersion(
            "Someone else changed this event at the same time; reload it and try again"
        ) from exc
    if body.uploads:
        if photo_store is None:
            raise ValueError("photos were sent but no photo store was given")
        photo_service.attach_photos(
            session,
            event,
            photo_service.ACTION_STEPS[action],
            body.uploads,
            store=photo_store,
            actor=actor,
            now=now,
            transition_id=row.id,
            ip=ip,
        )
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


def register_and_dispatch(
    session: Session,
    ref: int | str,
    *,
    version: int,
    category_code: str | None,
    department_id: int | None,
    note: str | None,
    actor: Principal,
    now: datetime,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    ip: str | None = None,
) -> Event:
    """Finish triage in one step: register (立案) the event with the category a dispatcher chose, then
    dispatch (派遣) it to the department (the category's rule department when none is given). Two
    ordinary transitions, each checked, on the timeline and audited; the caller's transaction holds
    both, so a refused dispatch leaves the event as it was."""
    event = transition_event(
        session,
        ref,
        Action.REGISTER,
        ActionInput(version=version, note=note, category_code=category_code, department_id=department_id),
        actor=actor,
        now=now,
        calendar=calendar,
        ip=ip,
    )
    return transition_event(
        session,
        event.id,
        Action.DISPATCH,
        ActionInput(version=event.version, note=note, department_id=department_id),
        actor=actor,
        now=now,
        calendar=calendar,
        ip=ip,
    )
