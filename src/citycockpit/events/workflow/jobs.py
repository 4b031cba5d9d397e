"""The SLA's periodic jobs, run by `citycockpit worker` (citycockpit/worker.py): 80% warnings, daily
reminders (催办) and escalation (督办, then 提级). Each job claims its rows with FOR UPDATE SKIP LOCKED, so several workers on
PostgreSQL never do the same row twice; SQLite has one writer at a time anyway.

Jobs change bookkeeping columns with plain UPDATEs that leave `version` alone, so a reminder never
makes a person's concurrent action fail; each run writes timeline rows and one audit entry."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import SystemActor
from citycockpit.events.enums import SUPERVISABLE, ClockKind, SystemAction, state_values
from citycockpit.events.models import Event, EventTransition
from citycockpit.events.sla import DEFAULT_CALENDAR, WorkCalendar
from citycockpit.ops.jobs import JobResult

log = logging.getLogger("citycockpit.worker")

WORKER = SystemActor("worker")
BATCH = 500
WARN_AT = 0.8  # share of the allowance used before a warning
REDO_LIMIT = 3  # 返工 this often → 督办
BOUNCE_LIMIT = 3  # departments this many → 督办


def _claim(session: Session, stmt):  # type: ignore[no-untyped-def]
    """Lock the candidate rows, skipping rows another worker holds (PostgreSQL; ignored on SQLite)."""
    return session.scalars(stmt.limit(BATCH).with_for_update(skip_locked=True)).all()


def _log(session: Session, event: Event, action: SystemAction, now: datetime, note: str, data: dict) -> None:
    session.add(
        EventTransition(
            event_id=event.id,
            action=action.value,
            from_state=event.state,
            to_state=event.state,
            at=now,
            actor_id=None,
            actor_name=WORKER.display_name,
            actor_role=None,
            department_id=event.department_id,
            note=note,
            data_json=json.dumps(data, ensure_ascii=False),
        )
    )


def _audit(session: Session, action: str, ids: list[str], now: datetime) -> None:
    if ids:
        audit.record(
            session, WORKER, action, "event", None, diff={"events": ids[:1000], "count": len(ids)}, at=now
        )


def warn_due_soon(session: Session, *, now: datetime, calendar: WorkCalendar = DEFAULT_CALENDAR) -> JobResult:
    """Warn once when 80% of the handling allowance is used (the clock runs from dispatch)."""
    rows = _claim(
        session,
        select(Event)
        .where(
            Event.is_being_handled,
            Event.warned_at.is_(None),
            Event.handle_due_at.is_not(None),
            Event.dispatched_at.is_not(None),
            Event.handle_due_at > now,
        )
        .order_by(Event.handle_due_at),
    )
    warned = []
    for event in rows:
        used = calendar.fraction_used(
            event.dispatched_at, event.handle_due_at, now, event.clock_kind or "work_hours"
        )
        if used >= WARN_AT:
            session.execute(update(Event).where(Event.id == event.id).values(warned_at=now))
            _log(session, event, SystemAction.WARN, now, f"时限已用 {used:.0%}", {"used": round(used, 3)})
            warned.append(event.public_id)
    _audit(session, "event.warn", warned, now)
    session.flush()
    return JobResult("warn", len(warned))


def _local_day_start(now: datetime, calendar: WorkCalendar) -> datetime:
    local = now.astimezone(calendar.zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def remind_overdue(
    session: Session, *, now: datetime, calendar: WorkCalendar = DEFAULT_CALENDAR
) -> JobResult:
    """催办: remind the department of each overdue event, at most once per local day."""
    today = _local_day_start(now, calendar)
    rows = _claim(
        session,
        select(Event)
        .where(
            Event.is_overdue(now),
            or_(Event.last_reminded_at.is_(None), Event.last_reminded_at < today),
        )
        .order_by(Event.handle_due_at),
    )
    ids = []
    for event in rows:
        session.execute(
            update(Event)
            .where(Event.id == event.id)
            .values(last_reminded_at=now, reminder_count=Event.reminder_count + 1)
        )
        _log(
            session,
            event,
            SystemAction.REMIND,
            now,
            "超期催办",
            {"handle_due_at": event.handle_due_at.isoformat()},
        )
        ids.append(event.public_id)
    _audit(session, "event.remind", ids, now)
    session.flush()
    return JobResult("remind", len(ids))


def escalate(session: Session, *, now: datetime, calendar: WorkCalendar = DEFAULT_CALENDAR) -> JobResult:
    """督办 (level 1) when an open event is overdue, was redone three times or has been with three
    departments; 提级 (level 2) when it is still open one working day after 督办."""
    open_states = state_values(SUPERVISABLE)
    level_one = _claim(
        session,
        select(Event)
        .where(
            Event.state.in_(open_states),
            Event.supervision_level == 0,
            or_(
                Event.is_overdue(now),
                Event.rework_count >= REDO_LIMIT,
                Event.department_count >= BOUNCE_LIMIT,
            ),
        )
        .order_by(Event.id),
    )
    supervised = []
    for event in level_one:
        reasons = []
        if event.is_overdue(now):
            reasons.append("overdue")
        if (event.rework_count or 0) >= REDO_LIMIT:
            reasons.append("reworked")
        if (event.department_count or 0) >= BOUNCE_LIMIT:
            reasons.append("bounced")
        session.execute(
            update(Event).where(Event.id == event.id).values(supervision_level=1, supervised_at=now)
        )
        _log(session, event, SystemAction.SUPERVISE, now, "督办", {"reasons": reasons})
        supervised.append(event.public_id)
    # 提级: one working day of 督办 without closure.
    candidates = _claim(
        session,
        select(Event)
        .where(
            Event.state.in_(open_states),
            Event.supervision_level == 1,
            Event.supervised_at <= now - timedelta(hours=8),
        )
        .order_by(Event.id),
    )
    escalated = []
    for event in candidates:
        if calendar.elapsed(event.supervised_at, now, ClockKind.WORK_DAYS) < 1:
            continue
        session.execute(
            update(Event).where(Event.id == event.id).values(supervision_level=2, escalated_at=now)
        )
        _log(
            session,
            event,
            SystemAction.ESCALATE,
            now,
            "提级督办",
            {"supervised_at": event.supervised_at.isoformat()},
        )
        escalated.append(event.public_id)
    _audit(session, "event.supervise", supervised, now)
    _audit(session, "event.escalate", escalated, now)
    session.flush()
    return JobResult("escalate", len(supervised) + len(escalated))


JOBS: list[tuple[str, Callable[..., JobResult]]] = [
    ("warn", warn_due_soon),
    ("remind", remind_overdue),
    ("escalate", escalate),
]
