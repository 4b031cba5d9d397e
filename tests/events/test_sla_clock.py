"""The SLA clock on the official calendar, in each clock kind, across a weekend, the 2024 National Day
holiday (10-01..10-07) and its make-up working days (Sunday 09-29, Saturday 10-12)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from citycockpit.events.enums import ClockKind
from citycockpit.events.sla import DEFAULT_CALENDAR, WorkCalendar, is_working_day

Z = ZoneInfo("Asia/Shanghai")
K = ClockKind


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=Z)


def test_the_calendar_knows_holidays_and_make_up_working_days():
    assert [is_working_day(date(2024, 9, d)) for d in (27, 28, 29, 30)] == [True, False, True, True]
    assert not any(is_working_day(date(2024, 10, d)) for d in range(1, 8))
    assert (is_working_day(date(2024, 10, 12)), is_working_day(date(2024, 10, 13))) == (True, False)


CASES = [
    # Weekend: Friday 2024-09-20 16:00, the weekend 21–22 is rest.
    (K.WORK_HOURS, "2024-09-20T16:00", 4, "2024-09-23T11:00"),
    (K.WORK_DAYS, "2024-09-20T16:00", 1, "2024-09-23T16:00"),
    (K.URGENT_HOURS, "2024-09-20T16:00", 12, "2024-09-21T04:00"),
    (K.CALENDAR_DAYS, "2024-09-20T16:00", 2, "2024-09-22T16:00"),
    # Make-up working day: Saturday 09-28 rests, Sunday 09-29 works.
    (K.WORK_HOURS, "2024-09-27T16:00", 8, "2024-09-29T16:30"),
    (K.WORK_DAYS, "2024-09-27T16:00", 2, "2024-09-30T16:00"),
    (K.URGENT_HOURS, "2024-09-27T16:00", 8, "2024-09-28T00:00"),
    (K.CALENDAR_DAYS, "2024-09-27T16:00", 1, "2024-09-28T16:00"),
    # Statutory holiday: Monday 09-30 16:00, then 10-01..10-07 off, 10-08 back.
    (K.WORK_HOURS, "2024-09-30T16:00", 4, "2024-10-08T11:00"),
    (K.WORK_DAYS, "2024-09-30T16:00", 1, "2024-10-08T16:00"),
    (K.URGENT_HOURS, "2024-09-30T16:00", 24, "2024-10-01T16:00"),
    (K.CALENDAR_DAYS, "2024-09-30T16:00", 3, "2024-10-03T16:00"),
    # Make-up Saturday 10-12 counts; Sunday 10-13 does not.
    (K.WORK_HOURS, "2024-10-11T17:00", 1, "2024-10-12T09:00"),
    (K.WORK_DAYS, "2024-10-11T12:00", 2, "2024-10-14T12:00"),
    (K.URGENT_HOURS, "2024-10-11T17:00", 1, "2024-10-11T18:00"),
    (K.CALENDAR_DAYS, "2024-10-11T17:00", 2, "2024-10-13T17:00"),
]


@pytest.mark.parametrize(("kind", "start", "amount", "due"), CASES)
def test_adding_a_limit_lands_on_the_expected_instant(kind, start, amount, due):
    assert DEFAULT_CALENDAR.add(at(start), amount, kind).astimezone(Z) == at(due)


@pytest.mark.parametrize(("kind", "start", "amount", "due"), CASES)
def test_elapsed_time_up_to_the_due_instant_is_the_limit(kind, start, amount, due):
    assert DEFAULT_CALENDAR.elapsed(at(start), at(due), kind) == pytest.approx(amount)


def test_working_hours_do_not_count_the_lunch_break_or_the_night():
    assert DEFAULT_CALENDAR.elapsed(
        at("2024-09-23T11:00"), at("2024-09-23T14:30"), K.WORK_HOURS
    ) == pytest.approx(2)
    assert DEFAULT_CALENDAR.elapsed(
        at("2024-09-23T17:00"), at("2024-09-24T09:00"), K.WORK_HOURS
    ) == pytest.approx(1)


def test_a_report_on_a_holiday_starts_counting_on_the_next_working_morning():
    assert DEFAULT_CALENDAR.add(at("2024-10-03T10:00"), 1, K.WORK_HOURS).astimezone(Z) == at(
        "2024-10-08T09:30"
    )


def test_office_hours_come_from_the_settings():
    from datetime import time

    calendar = WorkCalendar(windows=((time(9, 0), time(17, 0)),))
    assert calendar.add(at("2024-09-23T16:00"), 2, K.WORK_HOURS).astimezone(Z) == at("2024-09-24T10:00")


def test_eighty_percent_of_the_allowance_is_reported_as_used():
    start, due = at("2024-09-23T08:30"), at("2024-09-23T13:30")  # 3.5 working hours
    assert DEFAULT_CALENDAR.fraction_used(start, due, at("2024-09-23T11:18"), K.WORK_HOURS) == pytest.approx(
        0.8
    )
