"""The compact rollups (day and month rows, intake apart, the handling histogram) answer exactly what the
events answer: every count, rate, intake breakdown and the P90, for whole months, partial months, filters
and scoped callers, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from citycockpit.events.analytics import kpis
from citycockpit.events.analytics.models import (
    DAY,
    MONTH,
    EventDailyIntake,
    EventDailyRollup,
    EventHandlingRollup,
)
from citycockpit.events.analytics.rollup import missing_days, recompute_days, rollup_job
from citycockpit.events.sla import WorkCalendar
from tests.events.kpi_fixture import TZ, build_month

PERIODS = [
    (date(2024, 8, 1), date(2024, 8, 31)),  # one whole month: month rows only
    (date(2024, 7, 1), date(2024, 9, 30)),  # whole months, then September's days and today
    (date(2024, 8, 15), date(2024, 9, 20)),  # days on both sides of no whole month
    (date(2024, 9, 4), date(2024, 9, 4)),
]


@pytest.fixture
def rolled(db, city, clock):  # type: ignore[no-untyped-def]
    build_month(db, city)
    recompute_days(db, date(2024, 7, 1), date(2024, 9, 30), zone=TZ, now=clock.now())
    return city


def _both(db, clock, f, principal=None):  # type: ignore[no-untyped-def]
    rolled = kpis.compute_kpis(db, f, principal=principal, zone=TZ, now=clock.now())
    raw = kpis.compute_kpis(db, f, principal=principal, zone=TZ, now=clock.now(), use_rollups=False)
    return rolled, raw


def _comparable(result):  # type: ignore[no-untyped-def]
    return {k: v for k, v in result.items() if k != "source"}


@pytest.mark.parametrize(("first", "last"), PERIODS)
def test_every_answer_from_the_rollups_equals_the_answer_from_the_events(
    db, clock, rolled, first, last
) -> None:
    rolled_result, raw = _both(db, clock, kpis.KpiFilter(first, last))
    assert (rolled_result["source"], raw["source"]) == ("rollup", "raw")
    assert _comparable(rolled_result) == _comparable(raw)


@pytest.mark.parametrize(
    "f",
    [
        kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), area="320585100"),
        kpis.KpiFilter(date(2024, 8, 1), date(2024, 9, 29), area="320585101"),
        kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), category="E01"),
    ],
)
def test_filtered_answers_from_the_rollups_equal_the_events(db, clock, rolled, f) -> None:
    rolled_result, raw = _both(db, clock, f)
    assert _comparable(rolled_result) == _comparable(raw)


def test_a_department_filter_reads_both_rollup_tables_and_matches_the_events(db, clock, rolled) -> None:
    f = kpis.KpiFilter(date(2024, 8, 1), date(2024, 9, 30), department_id=rolled["cgj"].id)
    rolled_result, raw = _both(db, clock, f)
    assert rolled_result["source"] == "rollup"
    assert _comparable(rolled_result) == _comparable(raw)
    assert rolled_result["intake"]["by_channel"]


@pytest.mark.parametrize(
    "f",
    [
        kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), category="E0102"),  # a minor category
        kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), area="320585100", category="E0102"),
        kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), area="320585100001"),  # a village
        kpis.KpiFilter(date(2024, 8, 1), date(2024, 9, 29), area="320585101001001"),  # a grid
    ],
)
def test_minor_categories_villages_and_grids_are_answered_by_the_rollups(db, clock, rolled, f) -> None:
    rolled_result, raw = _both(db, clock, f)
    assert (rolled_result["source"], raw["source"]) == ("rollup", "raw")
    assert rolled_result["counts"]["received"]["value"] > 0
    assert _comparable(rolled_result) == _comparable(raw)


@pytest.mark.parametrize(
    ("category", "persona", "source"),
    [("E0102", None, "rollup"), ("E01", None, "rollup"), ("E0102", "dept_staff", "raw")],
)
def test_a_categorys_intake_breakdown_comes_from_the_intakes_category_rows(
    db, clock, rolled, categories, category, persona, source, request
) -> None:
    # minor or major category alone: the intake's category rows; a scoped caller: the events (the
    # category rows have no department or town to scope them by)
    principal = request.getfixturevalue(persona).principal if persona else None
    f = kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), category=category)
    args = {"principal": principal, "zone": TZ, "now": clock.now(), "group": ("channel", "request_type")}
    rolled_sums, rolled_source = kpis.period_sums(db, f, intake_only=True, **args)
    raw_sums, _ = kpis.period_sums(db, f, intake_only=True, use_rollups=False, **args)
    assert rolled_source == source
    assert _nonzero(rolled_sums) and _nonzero(rolled_sums) == _nonzero(raw_sums)
    i = EventDailyIntake
    per_category = db.scalar(select(func.sum(i.received)).where(i.grain == DAY, i.category_code == "E0102"))
    per_unit = db.scalar(select(func.sum(i.received)).where(i.grain == DAY, i.category_code.is_(None)))
    assert per_category == per_unit  # every fixture event is of E0102: both kinds of rows count each once


def test_a_department_below_the_town_is_no_rollup_key_and_reads_the_events(db, clock, rolled) -> None:
    f = kpis.KpiFilter(
        date(2024, 7, 1), date(2024, 9, 30), area="320585100001", department_id=rolled["cgj"].id
    )
    rolled_result, raw = _both(db, clock, f)
    assert rolled_result["source"] == "raw"
    assert _comparable(rolled_result) == _comparable(raw)


def _nonzero(sums, only=None):  # type: ignore[no-untyped-def]
    kept = {
        key: +Counter({n: v for n, v in counts.items() if only is None or n in only})
        for key, counts in sums.items()
    }
    return {key: dict(counts) for key, counts in kept.items() if counts}


@pytest.mark.parametrize("group", ["village_code", "grid_code", "category_code"])
@pytest.mark.parametrize("intake_only", [False, True])
def test_sums_per_village_grid_or_category_from_the_rollups_equal_the_events(
    db, clock, rolled, group, intake_only
) -> None:
    f = kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30))
    args = {"principal": None, "zone": TZ, "now": clock.now(), "group": group, "intake_only": intake_only}
    rolled_sums, source = kpis.period_sums(db, f, **args)
    raw_sums, raw_source = kpis.period_sums(db, f, use_rollups=False, **args)
    assert (source, raw_source) == ("rollup", "raw")
    only = ("received",) if intake_only else None  # what an intake breakdown reads
    assert len(_nonzero(rolled_sums)) >= (1 if group == "category_code" else 2)
    assert _nonzero(rolled_sums, only) == _nonzero(raw_sums, only)


@pytest.mark.parametrize("persona", ["town_staff", "grid_worker", "dept_staff"])
def test_a_scoped_callers_village_answer_equals_the_events(db, clock, rolled, persona, request) -> None:
    principal = request.getfixturevalue(persona).principal
    f = kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), area="320585100001")
    rolled_result, raw = _both(db, clock, f, principal)
    # the area rollup has no department: a department's staff are answered from the events
    assert rolled_result["source"] == ("raw" if persona == "dept_staff" else "rollup")
    assert _comparable(rolled_result) == _comparable(raw)


@pytest.mark.parametrize("persona", ["dept_staff", "other_dept_staff", "town_staff", "leader"])
def test_a_scoped_callers_answer_from_the_rollups_equals_the_events(
    db, clock, rolled, persona, request
) -> None:
    principal = request.getfixturevalue(persona).principal
    rolled_result, raw = _both(db, clock, kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30)), principal)
    assert _comparable(rolled_result) == _comparable(raw)


def test_month_rows_repeat_the_sums_of_their_days(db, rolled) -> None:
    r = EventDailyRollup
    days = db.scalar(
        select(func.sum(r.close_due)).where(
            r.grain == DAY, r.day.between(date(2024, 8, 1), date(2024, 8, 31))
        )
    )
    month = db.scalar(select(func.sum(r.close_due)).where(r.grain == MONTH, r.day == date(2024, 8, 1)))
    assert days == month == 1


def test_the_p90_located_by_the_histogram_is_the_exact_percentile(db, clock, rolled) -> None:
    f = kpis.KpiFilter(date(2024, 8, 1), date(2024, 9, 30))
    h = EventHandlingRollup
    city_wide = db.scalar(
        select(func.sum(h.n)).where(
            h.grain == DAY, h.town_code.is_(None), h.department_id.is_(None), h.category_code.is_(None)
        )
    )
    assert city_wide == 4
    located = kpis.handling_p90(db, f, principal=None, zone=TZ, now=clock.now())
    sorted_ = kpis.handling_p90(db, f, principal=None, zone=TZ, now=clock.now(), use_rollups=False)
    # 300, 600, 900 (August), 1200 minutes: position 0.9 × 3 = 2.7 → 900 + 0.7 × 300, the rank's
    # successor lying in a later histogram bucket than the rank
    assert located == pytest.approx(sorted_) == pytest.approx(1110.0)


def test_recomputing_a_day_keeps_its_month_row_in_step(db, clock, rolled) -> None:
    recompute_days(db, date(2024, 8, 20), date(2024, 8, 20), zone=TZ, now=clock.now())
    rolled_result, raw = _both(db, clock, kpis.KpiFilter(date(2024, 8, 1), date(2024, 8, 31)))
    assert _comparable(rolled_result) == _comparable(raw)


@pytest.mark.parametrize("unit", ["town", "department", "category"])
def test_a_towns_departments_or_categorys_p90_from_the_histogram_is_exact(db, clock, rolled, unit) -> None:
    first, last = date(2024, 8, 1), date(2024, 9, 30)
    f = {
        "town": kpis.KpiFilter(first, last, area="320585100"),
        "department": kpis.KpiFilter(first, last, department_id=rolled["cgj"].id),
        "category": kpis.KpiFilter(first, last, category="E0102"),
    }[unit]
    h = EventHandlingRollup
    held = {"town": h.town_code, "department": h.department_id, "category": h.category_code}[unit]
    assert db.scalar(select(func.sum(h.n)).where(held.is_not(None))) > 0
    located = kpis.handling_p90(db, f, principal=None, zone=TZ, now=clock.now())
    sorted_ = kpis.handling_p90(db, f, principal=None, zone=TZ, now=clock.now(), use_rollups=False)
    assert located is not None and located == pytest.approx(sorted_)


def test_the_rollup_job_fills_in_past_days_that_have_no_rollups(db, city, clock) -> None:
    # History written without a rollup (generated, imported, or emptied by a migration) rolls up by
    # itself: the worker's job fills in the missing days beyond the recent ones it always recomputes.
    build_month(db, city)
    yesterday = clock.now().astimezone(TZ).date() - timedelta(days=1)
    missing = missing_days(db, zone=TZ, now=clock.now())
    assert missing[0] == yesterday and missing == sorted(missing, reverse=True)
    first = missing[-1]
    f = kpis.KpiFilter(first, yesterday)
    assert kpis.compute_kpis(db, f, principal=None, zone=TZ, now=clock.now())["source"] == "raw"
    rollup_job(db, now=clock.now(), calendar=WorkCalendar(zone=TZ))
    assert missing_days(db, zone=TZ, now=clock.now()) == []
    rolled_result, raw = _both(db, clock, f)
    assert rolled_result["source"] == "rollup"
    assert _comparable(rolled_result) == _comparable(raw)


@pytest.mark.parametrize("use_rollups", [True, False])
def test_asking_for_some_counts_gives_those_counts_as_the_full_sums_do(
    db, clock, rolled, use_rollups
) -> None:
    # The screen's panels ask only for what they show, so today's part reads only those anchors.
    f = kpis.KpiFilter(date(2024, 9, 1), date(2024, 9, 30))  # today (30 September) included
    args = {
        "principal": None,
        "zone": TZ,
        "now": clock.now(),
        "group": "town_code",
        "use_rollups": use_rollups,
    }
    wanted = ("received", "closed", "satisfied")
    some, _ = kpis.period_sums(db, f, counts=wanted, **args)
    full, _ = kpis.period_sums(db, f, **args)
    assert {n for counts in some.values() for n in counts} <= set(wanted)
    assert _nonzero(some) == _nonzero(full, wanted) != {}
