"""Joint handling (牵头/配合): where ownership is unclear the centre dispatches an event to a lead
department (牵头单位, the event's `department_id`) and co-operating departments (配合单位). Each
co-operator signs for its part and reports it to the lead; these steps leave the event's state as it
is, so they are not transitions of the state machine but rows of `event_assists`, each step with a
timeline row and an audit entry.

The rule (国办发〔2020〕53号: 牵头单位负责统筹协调、答复, 配合单位在规定时限内向牵头单位反馈): the lead
answers for everyone, so it cannot report the event handled (处置完毕) while a co-operator's part is
open; once it has, the lead's result moves the event on exactly as a single department's does."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.events.enums import (
    OPEN_ASSIST_STATES,
    WITH_DEPARTMENT,
    AssistAction,
    AssistState,
    EventState,
)
from citycockpit.events.errors import (
    ActionForbidden,
    AssistsOpen,
    InvalidEventInput,
    NoteRequired,
    TransitionNotAllowed,
)
from citycockpit.events.intake.service import actor_fields
from citycockpit.events.models import Event, EventAssist, EventTransition
from citycockpit.events.queries import get_event
from citycockpit.org.models import Department

# The event states in which a co-operator may still sign and report: the lead is on it.
ASSIST_WORK_STATES = frozenset({*WITH_DEPARTMENT})


def list_assists(session: Session, event_id: int) -> list[EventAssist]:
    """The co-operating departments of an event, in the order they were assigned."""
    return list(
        session.scalars(select(EventAssist).where(EventAssist.event_id == event_id).order_by(EventAssist.id))
    )


def open_assists(session: Session, event_id: int) -> list[EventAssist]:
    """The co-operators that have not yet reported their part."""
    return [a for a in list_assists(session, event_id) if AssistState(a.state) in OPEN_ASSIST_STATES]


def own_open_parts(
    session: Session, event_ids: Iterable[int], department_id: int | None
) -> dict[int, EventAssist]:
    """A department's open co-operating parts on the given events (a work list's page), by event id."""
    ids = list(event_ids)
    if department_id is None or not ids:
        return {}
    return {
        a.event_id: a
        for a in session.scalars(
            select(EventAssist).where(
                EventAssist.event_id.in_(ids),
                EventAssist.department_id == department_id,
                EventAssist.state.in_(sorted(s.value for s in OPEN_ASSIST_STATES)),
            )
        )
    }


def check_lead_may_handle(session: Session, event: Event) -> None:
    """The lead may report the event handled only after every co-operator has reported its part."""
    waiting = open_assists(session, event.id)
    if waiting:
        raise AssistsOpen(
            f"{len(waiting)} co-operating department(s) have not reported their part yet; the lead reports "
            "the result once they have",
            department_ids=[a.department_id for a in waiting],
        )


def _log(
    session: Session,
    event: Event,
    action: AssistAction,
    department_id: int,
    note: str | None,
    actor: Any,
    now: datetime,
    data: dict[str, Any],
) -> None:
    session.add(
        EventTransition(
            event_id=event.id,
            action=action.value,
            from_state=event.state,
            to_state=event.state,
            at=now,
            department_id=department_id,
            note=note,
            data_json=json.dumps(data, ensure_ascii=False),
            **actor_fields(actor),
        )
    )


def assign_assists(
    session: Session,
    event: Event,
    department_ids: Iterable[int],
    *,
    lead_id: int,
    actor: Any,
    now: datetime,
    due_at: datetime | None = None,
) -> list[int]:
    """Name co-operating departments with a dispatch (called by the dispatch effect: the dispatch's
    timeline row and audit entry record the departments added, as `assist_department_ids`). Each new
    part is due at `due_at` (the dispatch effect computes it with `WorkCalendar.assist_due`, the SLA
    home). A department already co-operating on the event keeps its part and its limit; the lead cannot
    also co-operate."""
    wanted = list(dict.fromkeys(int(d) for d in department_ids))
    if lead_id in wanted:
        raise InvalidEventInput(
            "The lead department cannot also be a co-operating department", field="assist_department_ids"
        )
    existing = {a.department_id for a in list_assists(session, event.id)}
    added: list[int] = []
    for dept_id in wanted:
        dept = session.get(Department, dept_id)
        if dept is None or not dept.is_active:
            raise InvalidEventInput(f"Department {dept_id} does not exist", field="assist_department_ids")
        if dept_id in existing:
            continue
        session.add(
            EventAssist(
                event_id=event.id,
                department_id=dept_id,
                state=AssistState.ASSIGNED.value,
                assigned_at=now,
                assigned_by=actor.display_name[:100],
                due_at=due_at,
            )
        )
        added.append(dept_id)
    return added


def drop_lead_part(session: Session, event: Event, lead_id: int) -> bool:
    """A re-dispatch that makes a co-operator the lead ends its co-operating part: the lead answers
    for the whole case, and an open part of its own would only hold up its 处置完毕."""
    part = session.scalars(
        select(EventAssist).where(EventAssist.event_id == event.id, EventAssist.department_id == lead_id)
    ).first()
    if part is None:
        return False
    session.delete(part)
    return True


def _own_part(session: Session, event: Event, actor: Principal) -> EventAssist:
    if not actor.is_department_scoped or actor.department_id is None:
        raise ActionForbidden(
            "Only a user of a co-operating department may sign for or report its part",
            role=actor.role,
        )
    part = session.scalars(
        select(EventAssist).where(
            EventAssist.event_id == event.id, EventAssist.department_id == actor.department_id
        )
    ).first()
    if part is None:
        raise ActionForbidden(
            "Your department is not a co-operating department of this event", role=actor.role
        )
    if EventState(event.state) not in ASSIST_WORK_STATES:
        raise TransitionNotAllowed(
            f"The event is {event.state}; co-operating parts are worked while the lead department has it",
            state=event.state,
        )
    return part


def _step(
    session: Session,
    ref: int | str,
    *,
    action: AssistAction,
    source: AssistState,
    target: AssistState,
    note: str | None,
    actor: Principal,
    now: datetime,
    ip: str | None,
) -> Event:
    event = get_event(session, ref, actor)
    part = _own_part(session, event, actor)
    values: dict[str, Any] = {"state": target.value}
    if target is AssistState.SIGNED:
        values.update(signed_at=now, signed_by=actor.display_name[:100])
    else:
        values.update(handled_at=now, handled_by=actor.display_name[:100], note=note)
    # Conditional on the state the step starts from: of two simultaneous steps exactly one applies.
    result = session.execute(
        update(EventAssist)
        .where(EventAssist.id == part.id, EventAssist.state == source.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        session.refresh(part)
        raise TransitionNotAllowed(
            f"Your department's part is {part.state}; cannot {action.value}", state=part.state
        )
    session.refresh(part)
    _log(session, event, action, part.department_id, note, actor, now, {"part": target.value})
    session.flush()
    audit.record(
        session,
        actor,
        f"event.{action.value}",
        "event",
        event.public_id,
        diff={"department_id": part.department_id, "from": source.value, "to": target.value, "note": note},
        ip=ip,
        at=now,
    )
    return event


def sign_assist(
    session: Session, ref: int | str, *, actor: Principal, now: datetime, ip: str | None = None
) -> Event:
    """A co-operating department signs for (签收) its part of a jointly handled event."""
    return _step(
        session,
        ref,
        action=AssistAction.SIGN,
        source=AssistState.ASSIGNED,
        target=AssistState.SIGNED,
        note=None,
        actor=actor,
        now=now,
        ip=ip,
    )


def handle_assist(
    session: Session,
    ref: int | str,
    *,
    note: str | None,
    actor: Principal,
    now: datetime,
    ip: str | None = None,
) -> Event:
    """A co-operating department reports (反馈) its part to the lead, with what it did (required). The
    lead's 处置完毕 waits for every co-operator's report."""
    text = (note or "").strip()
    if not text:
        raise NoteRequired(
            "Reporting a co-operating part needs a note: what your department did",
            action=AssistAction.HANDLE.value,
        )
    return _step(
        session,
        ref,
        action=AssistAction.HANDLE,
        source=AssistState.SIGNED,
        target=AssistState.HANDLED,
        note=text,
        actor=actor,
        now=now,
        ip=ip,
    )


def assist_actions(session: Session, event: Event, principal: Principal) -> list[str]:
    """The step the principal's department may take now on its co-operating part (none, or one)."""
    if not principal.is_department_scoped or EventState(event.state) not in ASSIST_WORK_STATES:
        return []
    part = session.scalars(
        select(EventAssist).where(
            EventAssist.event_id == event.id, EventAssist.department_id == principal.department_id
        )
    ).first()
    if part is None:
        return []
    return {
        AssistState.ASSIGNED.value: [AssistAction.SIGN.value],
        AssistState.SIGNED.value: [AssistAction.HANDLE.value],
    }.get(part.state, [])
