"""The reported-day bound of the reads by due instant and closing day (definitions.reported_months,
issue 24): KPIs and rollups read within it answer exactly as the unbounded reads, on SQLite (the bound
forced on) and on partitioned PostgreSQL, with events reported many months before they fall due or
close, one still open, and one whose report time lies after its dispatch (a hotline file may carry
that); and on PostgreSQL the bounded reads leave the other months' partitions out."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Table, func, select, text

from citycockpit.events.analytics import kpis
from citycockpit.events.analytics.definitions import anchor_range, reported_months
from citycockpit.events.analytics.models import (
    EventAreaRollup,
    EventDailyIntake,
    EventDailyRollup,
    EventHandlingRollup,
)
from citycockpit.events.analytics.rollup import recompute_days
from citycockpit.events.storage import partitions
from tests.events.kpi_fixture import TZ, _looped, add_event, build_month, t

TODAY = date(2024, 9, 30)  # the clock fixture's day (10:00)
PERIODS = [
    (TODAY, TODAY),  # today alone: live from the events
    (date(2024, 9, 1), TODAY),  # the month so far
    (date(2024, 1, 1), TODAY),  # the year so far
    (date(2024, 9, 10), date(2024, 9, 14)),  # past days only
]


def _old_cases(db, city) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Events whose report lies far from the days they count on."""
    cgj = city["cgj"].id
    ids = {}
    # reported in November 2023, extended again and again: handled, due and closed this morning
    ids["old_closed_today"] = add_event(
        db,
        **_looped(
            "2023-11-10 09:00",
            dept=cgj,
            sign_due="2023-11-10 10:00",
            signed="2023-11-10 09:40",
            handle_due="2024-09-30 08:30",
            handled="2024-09-30 08:00",
            close_due="2024-09-30 09:30",
            closed="2024-09-30 09:10",
            extension_count=5,
            handle_minutes=90_000.0,
            satisfaction="satisfied",
            callback_reached=True,
            resolved_locally=False,
            state="rated",
        ),
    )
    # reported in January, reopened this morning: signed for, overdue since 09:00, still open
    ids["old_open"] = add_event(
        db,
        **_looped(
            "2024-01-15 14:00",
            dept=cgj,
            sign_due="2024-09-30 08:00",
            signed="2024-09-30 07:50",
            handle_due="2024-09-30 09:00",
            handled=None,
            close_due="2024-09-30 11:00",
            closed=None,
            reopen_count=1,
            state="signed",
        ),
    )
    # reported in December 2023, due and closed on a past day of September (the rollup's days)
    ids["old_closed_in_september"] = add_event(
        db,
        **_looped(
            "2023-12-05 10:00",
            dept=cgj,
            sign_due="2023-12-05 11:00",
            signed="2023-12-05 10:30",
            handle_due="2024-09-11 17:00",
            handled="2024-09-11 16:00",
            close_due="2024-09-12 17:00",
            closed="2024-09-12 09:00",
            extension_count=2,
            handle_minutes=40_000.0,
            state="closed",
        ),
    )
    # a hotline row whose report time (October) lies after its dispatch and closing this morning
    late = _looped(
        "2024-10-02 10:00",
        dept=cgj,
        sign_due="2024-09-30 09:00",
        signed="2024-09-30 08:40",
        handle_due="2024-09-30 09:40",
        handled="2024-09-30 09:20",
        close_due="2024-09-30 09:55",
        closed="2024-09-30 09:30",
        handle_minutes=50.0,
        state="closed",
    )
    late["dispatched_at"] = late["first_dispatched_at"] = late["registered_at"] = t("2024-09-30 08:30")
    ids["reported_after_dispatch"] = add_event(db, **late)
    # the same on a past day of September
    later = _looped(
        "2024-10-03 10:00",
        dept=cgj,
        sign_due="2024-09-20 10:00",
        signed="2024-09-20 09:40",
        handle_due="2024-09-20 15:00",
        handled="2024-09-20 11:00",
        close_due="2024-09-20 17:00",
        closed="2024-09-20 12:00",
        handle_minutes=120.0,
        state="closed",
    )
    later["dispatched_at"] = later["first_dispatched_at"] = later["registered_at"] = t("2024-09-20 09:00")
    ids["reported_after_closing"] = add_event(db, **later)
    return ids


MONTHS = [date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1), date(2024, 8, 1), date(2024, 9, 1)]


@pytest.fixture
def cases(db, city):  # type: ignore[no-untyped-def]
    # on PostgreSQL each month its own partition (rolled back with the test), as `events generate` makes
    partitions.ensure_months(db, [*MONTHS, date(2024, 10, 1), date(2024, 12, 1)])
    ids = build_month(db, city)
    ids.update(_old_cases(db, city))
    # a later month's event, due and closed there: its partition can be left out of every read above
    add_event(
        db,
        **_looped(
            "2024-12-02 09:00",
            dept=city["cgj"].id,
            sign_due="2024-12-02 10:00",
            signed="2024-12-02 09:30",
            handle_due="2024-12-03 10:00",
            handled="2024-12-03 09:00",
            close_due="2024-12-04 10:00",
            closed="2024-12-03 12:00",
            handle_minutes=300.0,
            state="closed",
        ),
    )
    return ids


def _kpis(db, clock, f, **kw):  # type: ignore[no-untyped-def]
    return kpis.compute_kpis(db, f, principal=None, zone=TZ, now=clock.now(), **kw)


@pytest.mark.parametrize(("first", "last"), PERIODS)
@pytest.mark.parametrize("use_rollups", [True, False])
def test_kpis_read_within_the_bound_equal_the_unbounded_reads(
    db, clock, cases, first, last, use_rollups
) -> None:
    if use_rollups:
        recompute_days(db, date(2024, 1, 1), TODAY, zone=TZ, now=clock.now(), prune=False)
    f = kpis.KpiFilter(first, last)
    bounded = _kpis(db, clock, f, use_rollups=use_rollups, prune=True)
    unbounded = _kpis(db, clock, f, use_rollups=use_rollups, prune=False)
    assert bounded == unbounded


def test_todays_kpis_count_the_old_events_that_fall_due_or_close_today(db, clock, cases) -> None:
    counts = _kpis(db, clock, kpis.KpiFilter(TODAY, TODAY), prune=True)["counts"]
    values = {name: counts[name]["value"] for name in ("sign_due", "handle_due", "close_due", "closed")}
    # by 10:00 — sign_due: old_open, the late hotline row and the fixture's report of this morning;
    # handle_due: old_open, the late row and old_closed_today; close_due and closed: old_closed_today
    # and the late row
    assert values == {"sign_due": 3, "handle_due": 3, "close_due": 2, "closed": 2}


@pytest.mark.parametrize("by", ["department", "town"])
def test_a_ranking_within_the_bound_equals_the_unbounded_one(db, clock, cases, by) -> None:
    def ranking(prune: bool):  # type: ignore[no-untyped-def]
        return kpis.rank_units(
            db,
            kpis.KpiFilter(TODAY, TODAY),
            by=by,
            min_volume=1,
            principal=None,
            zone=TZ,
            now=clock.now(),
            prune=prune,
        )

    bounded = ranking(True)
    assert bounded == ranking(False)
    assert bounded["ranked"]


def _rollup_rows(db) -> dict[str, list[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
    out = {}
    for model in (EventDailyRollup, EventAreaRollup, EventDailyIntake, EventHandlingRollup):
        table: Table = model.__table__  # type: ignore[assignment]
        columns = [c for c in table.c if c.name != "id"]
        out[table.name] = sorted(db.execute(select(*columns)).all(), key=repr)
    return out


def test_rollups_computed_within_the_bound_equal_the_unbounded_ones(db, clock, cases) -> None:
    recompute_days(db, date(2024, 9, 1), date(2024, 9, 29), zone=TZ, now=clock.now(), prune=True)
    bounded = _rollup_rows(db)
    recompute_days(db, date(2024, 9, 1), date(2024, 9, 29), zone=TZ, now=clock.now(), prune=False)
    assert _rollup_rows(db) == bounded

    def closed(day: date) -> int:
        return db.scalar(select(func.sum(EventDailyRollup.closed)).where(EventDailyRollup.day == day))

    # old_closed_in_september, reported in December 2023; the late hotline row, reported in October
    assert (closed(date(2024, 9, 12)), closed(date(2024, 9, 20))) == (1, 1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), TZ)


def test_the_bound_reaches_back_to_the_oldest_month_holding_a_row_and_on_to_a_later_one(
    db, clock, cases
) -> None:
    months = reported_months(db, TODAY, TODAY, prune=True)
    assert months is not None
    t0, t1 = _midnight(TODAY), clock.now()
    assert months.bounds("closed", TODAY, TODAY) == (date(2023, 11, 1), date(2024, 10, 31))
    assert months.bounds("sign_due", TODAY, TODAY, t0, t1) == (date(2024, 1, 1), date(2024, 10, 31))
    # past days of September, from a reading of both ends of every month (a rollup's): December 2023
    # (old_closed_in_september) to October (reported_after_closing); from today's reading, which has only the latest values
    # of the months before September, November 2023 too (old_closed_today: due after those days, but
    # its earliest value was not read): wider, never narrower
    first, last = date(2024, 9, 10), date(2024, 9, 14)
    days = (first, last, _midnight(first), _midnight(last + timedelta(days=1)))
    rollups = reported_months(db, first, last, prune=True, both_ends=True)
    assert rollups is not None
    assert rollups.bounds("close_due", *days) == (date(2023, 12, 1), date(2024, 9, 30))
    assert rollups.bounds("closed", date(2024, 9, 20), date(2024, 9, 20)) == (
        date(2024, 9, 1),
        date(2024, 10, 31),
    )
    assert months.bounds("close_due", *days) == (date(2023, 11, 1), date(2024, 9, 30))


def test_without_old_rows_the_bound_is_the_periods_own_months(db, clock, city) -> None:
    partitions.ensure_months(db, [date(2024, 8, 1), date(2024, 9, 1)])
    build_month(db, city)  # August's events are all due and closed by early September
    months = reported_months(db, TODAY, TODAY, prune=True)
    assert months is not None
    assert months.bounds("closed", TODAY, TODAY) == (date(2024, 9, 1), TODAY)


def test_no_bound_is_read_where_nothing_is_partitioned_unless_asked(db, backend) -> None:
    unasked = reported_months(db, TODAY, TODAY)
    assert (unasked is None) == (backend == "sqlite")
    assert reported_months(db, TODAY, TODAY, prune=False) is None


def _partitions_read(db, stmt) -> set[str]:  # type: ignore[no-untyped-def]
    compiled = stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(db.execute(text(f"EXPLAIN {compiled}")).scalars())
    return set(re.findall(r"\bevents_p(?:\d{6}|default)\b", plan))


def test_a_bounded_read_on_postgresql_leaves_the_other_months_partitions_out(
    db, clock, cases, backend
) -> None:
    if backend != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    months = reported_months(db, TODAY, TODAY, prune=True)
    t0, t1 = _midnight(TODAY), clock.now()
    bounded = select(func.count()).where(anchor_range("sign_due", TODAY, TODAY, t0, t1, months))
    unbounded = select(func.count()).where(anchor_range("sign_due", TODAY, TODAY, t0, t1))
    # January (old_open) to October (the late row): the months between that have no partition of their
    # own live in the default one, so it is read too; November 2023 and December 2024 are left out
    assert _partitions_read(db, bounded) == {
        "events_p202401",
        "events_p202408",
        "events_p202409",
        "events_p202410",
        "events_pdefault",
    }
    assert {"events_p202311", "events_p202312", "events_p202412"} <= _partitions_read(db, unbounded)
    assert db.scalar(bounded) == db.scalar(unbounded) == 3
