"""Worker jobs: the 80% warning, daily reminders, 督办 and 提级."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from citycockpit.events.enums import Action
from citycockpit.events.models import EventTransition
from citycockpit.events.workflow import jobs
from tests.events.conftest import act, report


def _dispatched(db, now, dispatcher):  # type: ignore[no-untyped-def]
    event = report(db, dispatcher.principal, now)
    act(db, event, Action.REGISTER, dispatcher.principal, now)
    act(db, event, Action.DISPATCH, dispatcher.principal, now)
    return event


def _actions(db, event):  # type: ignore[no-untyped-def]
    return [t.action for t in db.scalars(select(EventTransition).where(EventTransition.event_id == event.id))]


def test_a_warning_is_given_once_when_eighty_percent_of_the_time_is_used(db, clock, categories, dispatcher):
    now = clock.now()  # Monday 2024-09-30 10:00; 暴露垃圾 has 4 working hours → due 15:30
    event = _dispatched(db, now, dispatcher)
    assert jobs.warn_due_soon(db, now=now + timedelta(hours=2)).touched == 0
    assert jobs.warn_due_soon(db, now=now + timedelta(hours=4, minutes=50)).touched == 1
    assert jobs.warn_due_soon(db, now=now + timedelta(hours=5)).touched == 0
    db.refresh(event)
    assert event.warned_at is not None and _actions(db, event).count("warn") == 1


def test_an_overdue_event_is_reminded_at_most_once_a_day(db, clock, categories, dispatcher):
    now = clock.now()
    event = _dispatched(db, now, dispatcher)
    later = event.handle_due_at + timedelta(minutes=5)
    assert jobs.remind_overdue(db, now=later).touched == 1
    assert jobs.remind_overdue(db, now=later + timedelta(hours=1)).touched == 0
    assert jobs.remind_overdue(db, now=later + timedelta(days=1)).touched == 1
    db.refresh(event)
    assert event.reminder_count == 2


def test_an_overdue_event_is_supervised_then_escalated_a_working_day_later(db, clock, categories, dispatcher):
    now = clock.now()
    event = _dispatched(db, now, dispatcher)
    overdue = event.handle_due_at + timedelta(minutes=1)
    assert jobs.escalate(db, now=overdue).touched == 1
    db.refresh(event)
    assert event.supervision_level == 1
    assert jobs.escalate(db, now=overdue + timedelta(hours=3)).touched == 0
    # 2024-10-01..07 are holidays: one working day after Monday evening ends on 10-08 evening.
    assert jobs.escalate(db, now=overdue + timedelta(days=3)).touched == 0
    assert jobs.escalate(db, now=overdue + timedelta(days=8, hours=1)).touched == 1
    db.refresh(event)
    assert (event.supervision_level, _actions(db, event)[-2:]) == (2, ["supervise", "escalate"])


def test_three_reworks_bring_supervision_even_before_the_deadline(
    db, clock, categories, dispatcher, dept_staff, grid_worker
):
    now = clock.now()
    event = _dispatched(db, now, dispatcher)
    act(db, event, Action.SIGN, dept_staff.principal, now)
    for _ in range(3):
        act(db, event, Action.HANDLE, dept_staff.principal, now)
        act(db, event, Action.REWORK, grid_worker.principal, now, note="仍未清理干净")
    assert jobs.escalate(db, now=now + timedelta(minutes=1)).touched == 1
    db.refresh(event)
    assert (event.rework_count, event.supervision_level) == (3, 1)


def test_a_signed_event_with_time_left_is_left_alone(db, clock, categories, dispatcher):
    _dispatched(db, clock.now(), dispatcher)
    later = clock.now() + timedelta(minutes=30)
    assert [job(db, now=later).touched for _, job in jobs.JOBS] == [0, 0, 0]
