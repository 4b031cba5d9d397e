"""What each workflow action does to an event beyond its state: one function per action, called by
`service.transition_event` after the role, scope, version, state and note checks passed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth.enums import Role
from citycockpit.events import categories as cats
from citycockpit.events import routing
from citycockpit.events.enums import (
    DIRECT_CLOSE_TYPES,
    OPEN_STATES,
    Action,
    ClockKind,
    DuplicateStatus,
    EventState,
    ObjectionStatus,
    RejectReason,
    RoutingSource,
    Satisfaction,
    SystemAction,
)
from citycockpit.events.errors import InvalidEventInput, ObjectionTooLate, TransitionNotAllowed
from citycockpit.events.intake.classifier import event_text
from citycockpit.events.intake.service import actor_fields
from citycockpit.events.models import (
    DuplicateProposal,
    Event,
    EventCategory,
    EventObjection,
    EventTransition,
)
from citycockpit.events.queries import get_event
from citycockpit.events.sla import UNIT_MINUTES, WorkCalendar
from citycockpit.events.workflow import assists
from citycockpit.org.models import Department

S = EventState
LOCAL_LEVEL_KINDS = {"镇", "街道"}


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
    event.suspended_minutes = None  # a new handling clock (dispatch, reopen): earlier pauses are not on it


def follow_original(
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
                **actor_fields(actor),
            )
        )
    return [d.public_id for d in followers]


def _close(event: Event, now: datetime, calendar: WorkCalendar) -> None:
    event.closed_at = now
    event.closed_day = now.astimezone(calendar.zone).date()


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
        choice = routing.catalogue_department(
            session,
            chosen,
            text=event_text(event.title, event.description),
            area_code=event.grid_code or event.town_code,
        )
        event.department_id, event.routing_rule_id = choice.department_id, choice.rule_id
        # A dispatcher's choice (training data for the classifier); the model's guess stays in the
        # stored suggestions and is named on the timeline.
        event.routing_source, event.routing_rule, event.routing_score = (
            RoutingSource.DISPATCHER.value,
            "triage",
            None,
        )
        data["category"] = chosen.code
        if event.suggestions:
            data["model_guess"] = event.suggestions[0]["category_code"]
    if body.department_id is not None:
        _department(session, body.department_id)
        if body.department_id != event.department_id:
            event.routing_rule_id = None
        event.department_id = body.department_id
        if event.routing_source != RoutingSource.DISPATCHER.value:
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
    if original.state not in OPEN_STATES:
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
            **actor_fields(actor),
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
    if dept_id != event.department_id:
        event.routing_rule_id = None  # the dispatcher chose, not the catalogue row routing had picked
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
    data: dict[str, Any] = {"department_id": dept_id, "handle_due_at": event.handle_due_at.isoformat()}
    if assists.drop_lead_part(session, event, dept_id):
        data["assist_part_dropped"] = dept_id
    if body.assist_department_ids:
        due = calendar.assist_due(now, _limit(category, "handle"), event.clock_kind, event.handle_due_at)
        added = assists.assign_assists(
            session, event, body.assist_department_ids, lead_id=dept_id, actor=actor, now=now, due_at=due
        )
        if added:
            data["assist_department_ids"] = added
    return data


def _sign(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if event.has_pending_objection:
        raise TransitionNotAllowed("Your objection waits for the centre's decision; sign after it")
    event.signed_at = now
    event.signed_on_time = event.sign_due_at is None or now <= event.sign_due_at
    return {}


def _return(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if event.has_pending_objection:
        raise TransitionNotAllowed("Your objection waits for the centre's decision")
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
    """The handling clock stood still while the event was set aside: its deadlines move on by the
    working time (in the event's clock) it spent suspended, and that time is left out of its handling
    time."""
    kind = event.clock_kind or "work_hours"
    paused = calendar.elapsed(event.suspended_at, now, kind) if event.suspended_at else 0.0
    event.suspended_minutes = round(
        (event.suspended_minutes or 0) + paused * UNIT_MINUTES[ClockKind(kind)], 1
    )
    moved = 0
    if event.handle_due_at is not None and paused > 0:
        event.handle_due_at = calendar.add(event.handle_due_at, paused, kind)
        event.close_due_at = calendar.add(event.handle_due_at, _limit(category, "verify"), kind)
        event.warned_at = None
        # the co-operating parts' clocks stood still too (and still end no later than the lead's)
        for part in assists.open_assists(session, event.id):
            if part.due_at is not None:
                part.due_at = min(calendar.add(part.due_at, paused, kind), event.handle_due_at)
                moved += 1
    data: dict[str, Any] = {
        "paused": round(paused, 3),
        "clock_kind": kind,
        "handle_due_at": event.handle_due_at.isoformat() if event.handle_due_at else None,
    }
    if moved:
        data["assist_parts_moved"] = moved
    return data


def _handle(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    assists.check_lead_may_handle(session, event)
    kind = event.clock_kind or "work_hours"
    event.handled_at = now
    event.result_text = body.note
    event.result_photos_json = json.dumps(body.photos, ensure_ascii=False) if body.photos else None
    event.handled_on_time = event.handle_due_at is None or now <= event.handle_due_at
    if event.dispatched_at is not None:
        worked = calendar.elapsed_minutes(event.dispatched_at, now, kind) - (event.suspended_minutes or 0)
        event.handle_minutes = round(max(0.0, worked), 1)
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


# ---- objections (派单异议) ----------------------------------------------------------------------------


def check_objection_window(event: Event, now: datetime, calendar: WorkCalendar, hours: float) -> None:
    """A department may object to a dispatch only within `hours` working hours (the SLA calendar's
    office hours, `Settings.events_objection_window_hours`) of the dispatch it objects to."""
    if event.dispatched_at is None:
        return
    used = calendar.elapsed(event.dispatched_at, now, ClockKind.WORK_HOURS)
    if used > hours:
        raise ObjectionTooLate(
            f"Objections are accepted within {hours:g} working hours of the dispatch; "
            f"{used:.1f} working hours have passed. Return the event with a note instead",
            window_hours=hours,
            elapsed_hours=round(used, 2),
        )


def _pending_objection(session: Session, event: Event) -> EventObjection:
    objection = session.scalars(
        select(EventObjection)
        .where(EventObjection.event_id == event.id, EventObjection.status == ObjectionStatus.PENDING.value)
        .order_by(EventObjection.id.desc())
    ).first()
    if objection is None or not event.has_pending_objection:
        raise TransitionNotAllowed("There is no objection waiting for a decision")
    return objection


def _object(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    if event.has_pending_objection:
        raise TransitionNotAllowed("An objection to this dispatch already waits for the centre")
    objection = EventObjection(
        event_id=event.id,
        department_id=event.department_id,
        category_code=event.category_code,
        routing_rule_id=event.routing_rule_id,
        reason=(body.note or "").strip(),
        status=ObjectionStatus.PENDING.value,
        raised_at=now,
        raised_by=actor.display_name[:100],
    )
    session.add(objection)
    event.has_pending_objection = True
    return {"department_id": event.department_id, "routing_rule_id": event.routing_rule_id}


def _accept_objection(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    objection = _pending_objection(session, event)
    if body.department_id is None or body.department_id == event.department_id:
        raise InvalidEventInput(
            "Accepting an objection re-dispatches the event: choose another department (department_id)",
            field="department_id",
        )
    data = _dispatch(session, event, body, category, actor, now, calendar)
    objection.status = ObjectionStatus.ACCEPTED.value
    objection.decided_at, objection.decided_by = now, actor.display_name[:100]
    objection.decision_note = (body.note or "").strip() or None
    objection.new_department_id = body.department_id
    event.has_pending_objection = False
    event.routing_source = RoutingSource.MANUAL.value
    event.routing_rule_id = None
    return {"objection_id": objection.id, "from_department_id": objection.department_id, **data}


def _refuse_objection(session, event, body, category, actor, now, calendar):  # type: ignore[no-untyped-def]
    objection = _pending_objection(session, event)
    objection.status = ObjectionStatus.REFUSED.value
    objection.decided_at, objection.decided_by = now, actor.display_name[:100]
    objection.decision_note = (body.note or "").strip() or None
    event.has_pending_objection = False
    return {"objection_id": objection.id, "department_id": event.department_id}


EFFECTS: dict[Action, Effect] = {
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
    Action.OBJECT: _object,
    Action.ACCEPT_OBJECTION: _accept_objection,
    Action.REFUSE_OBJECTION: _refuse_objection,
}
