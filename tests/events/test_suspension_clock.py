"""挂账 stops the handling clock: resuming moves the deadlines on by the working time spent set aside,
and that time is not handling time. Hand-computed on the official calendar (office hours 8:30–12:00
and 13:30–17:30; 1–7 October 2024 is the National Day holiday)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from citycockpit.events.enums import Action, EventState
from tests.events.conftest import act, report

TZ = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=TZ)


def test_the_handling_clock_stands_still_while_an_event_is_set_aside(
    db, city, categories, dispatcher, dept_staff, grid_worker
):
    event = report(db, grid_worker.principal, at(9, 30, 9))
    act(db, event, Action.REGISTER, dispatcher.principal, at(9, 30, 9, 30))
    act(db, event, Action.DISPATCH, dispatcher.principal, at(9, 30, 10))  # Monday 10:00
    # E0102: 4 working hours to handle → Monday 15:30 (10–12, lunch, 13:30–15:30).
    assert event.handle_due_at == at(9, 30, 15, 30)
    act(db, event, Action.SIGN, dept_staff.principal, at(9, 30, 10, 10))
    act(db, event, Action.SUSPEND, dept_staff.principal, at(9, 30, 11), note="等待管线产权单位确认")
    assert event.state == EventState.SUSPENDED
    # Set aside from Monday 11:00 to Tuesday 8 October 10:00: Monday 11–12 and 13:30–17:30 (5 h),
    # the holiday not at all, Tuesday 8:30–10:00 (1.5 h) → 6.5 working hours of pause.
    act(db, event, Action.RESUME, dispatcher.principal, at(10, 8, 10), note="产权单位已确认")
    assert event.suspended_minutes == 390
    # The deadline moves on by 6.5 working hours: Monday 15:30–17:30 (2 h), Tuesday 8:30–12:00
    # (3.5 h), 13:30–14:30 (1 h) → Tuesday 14:30.
    assert event.handle_due_at == at(10, 8, 14, 30)
    act(db, event, Action.HANDLE, dept_staff.principal, at(10, 8, 11), photos=["p/1.jpg"])
    # Without the pause it would have been a week overdue; the work took Monday 10–11 and Tuesday 10–11.
    assert event.handled_on_time is True
    assert event.handle_minutes == 120


def test_a_new_dispatch_starts_a_clock_without_the_old_pauses(
    db, city, categories, dispatcher, dept_staff, grid_worker
):
    event = report(db, grid_worker.principal, at(9, 30, 9))
    act(db, event, Action.REGISTER, dispatcher.principal, at(9, 30, 9, 30))
    act(db, event, Action.DISPATCH, dispatcher.principal, at(9, 30, 10))
    act(db, event, Action.SIGN, dept_staff.principal, at(9, 30, 10, 10))
    act(db, event, Action.SUSPEND, dept_staff.principal, at(9, 30, 10, 30), note="待确认")
    act(db, event, Action.RESUME, dispatcher.principal, at(9, 30, 11, 30), note="已确认")
    assert event.suspended_minutes == 60
    act(db, event, Action.RETURN, dept_staff.principal, at(9, 30, 14), note="不属本部门职责")
    act(db, event, Action.DISPATCH, dispatcher.principal, at(10, 8, 9), department_id=city["cgj"].id)
    assert event.suspended_minutes is None
    act(db, event, Action.SIGN, dept_staff.principal, at(10, 8, 9, 10))
    act(db, event, Action.HANDLE, dept_staff.principal, at(10, 8, 10), photos=["p/2.jpg"])
    assert event.handle_minutes == 60  # Tuesday 9:00–10:00 only


def test_a_co_operating_parts_clock_stands_still_with_the_events(
    db, city, categories, dispatcher, dept_staff, grid_worker
):
    from citycockpit.events.workflow import assists

    event = report(db, grid_worker.principal, at(9, 30, 9))
    act(db, event, Action.REGISTER, dispatcher.principal, at(9, 30, 9, 30))
    act(
        db,
        event,
        Action.DISPATCH,
        dispatcher.principal,
        at(9, 30, 10),
        assist_department_ids=[city["fgw"].id],
    )
    [part] = assists.list_assists(db, event.id)
    # half of E0102's 4 working hours from Monday 10:00 → Monday 12:00
    assert part.due_at == at(9, 30, 12)
    act(db, event, Action.SIGN, dept_staff.principal, at(9, 30, 10, 10))
    act(db, event, Action.SUSPEND, dept_staff.principal, at(9, 30, 11), note="等待管线产权单位确认")
    act(db, event, Action.RESUME, dispatcher.principal, at(10, 8, 10), note="产权单位已确认")
    # 6.5 working hours of pause (as above) from Monday 12:00: 13:30–17:30 (4 h), the holiday not at
    # all, Tuesday 8:30–11:00 (2.5 h) → Tuesday 8 October 11:00, still before the lead's 14:30
    assert part.due_at == at(10, 8, 11)
    assert part.due_at <= event.handle_due_at
