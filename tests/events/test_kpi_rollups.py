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
from citycockpit.events.models import Event
from citycockpit.events.sla import WorkCalendar
from tests.events.kpi_fixture import TZ, add_event, build_month, t

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
    [
        ("E0102", None, "rollup"),
        ("E01", None, "rollup"),
        ("E0102", "dept_staff", "rollup"),
        ("E01", "dept_staff", "rollup"),
        ("E0102", "grid_worker", "raw"),
    ],
)
def test_a_categorys_intake_breakdown_comes_from_the_intakes_category_rows(
    db, clock, rolled, categories, category, persona, source, request
) -> None:
    # minor or major category alone: the intake's category rows; a department's staff: its per
    # department × category rows; a grid worker: the events (no rows per grid × category)
    principal = request.getfixturevalue(persona).principal if persona else None
    f = kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), category=category)
    args = {"principal": principal, "zone": TZ, "now": clock.now(), "group": ("channel", "request_type")}
    rolled_sums, rolled_source = kpis.period_sums(db, f, intake_only=True, **args)
    raw_sums, _ = kpis.period_sums(db, f, intake_only=True, use_rollups=False, **args)
    assert rolled_source == source
    assert _nonzero(rolled_sums) and _nonzero(rolled_sums) == _nonzero(raw_sums)
    i = EventDailyIntake
    received = select(func.sum(i.received)).where(i.grain == DAY)
    of_e0102 = received.where(i.category_code == "E0102")
    per_category = db.scalar(of_e0102.where(i.town_code.is_(None), i.department_id.is_(None)))
    per_town_category = db.scalar(of_e0102.where(i.town_code.is_not(None), i.department_id.is_(None)))
    per_department_category = db.scalar(of_e0102.where(i.town_code.is_(None), i.department_id.is_not(None)))
    per_unit = db.scalar(received.where(i.category_code.is_(None)))
    dispatched = db.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.reported_day <= date(2024, 9, 29), Event.department_id.is_not(None), ~Event.is_test)
    )
    # every fixture event is of E0102 and has a town: each kind of rows counts each event once, the
    # per department × category rows those with a department
    assert per_category == per_town_category == per_unit
    assert 0 < per_department_category == dispatched < per_unit


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


# --- categories other than the fixture's one, and today's part under every filter ------------------


def _other_categories(db, city) -> None:  # type: ignore[no-untyped-def]
    """Beside the month of E0102 (major E01): a burst pipe (E0401, major E04) and a neighbours' dispute
    (H0601, major H06) in both towns, some closed before today and some today, one due and one overdue
    today; and two events of E0109, a minor category the tree no longer lists under E01 (moved since),
    whose events still carry major_code E01."""
    cgj, fgw = city["cgj"].id, city["fgw"].id
    town_b = {"grid_code": "320585101001001", "village_code": "320585101001", "town_code": "320585101"}
    burst = {
        "category_code": "E0401",
        "major_code": "E04",
        "title": "供水管道破裂",
        "description": "路面冒水。",
    }
    dispute = {
        "category_code": "H0601",
        "major_code": "H06",
        "title": "邻里纠纷",
        "description": "楼上漏水。",
    }
    moved = {
        "category_code": "E0109",
        "major_code": "E01",
        "title": "乱堆物料",
        "description": "人行道堆料。",
    }
    specs = [
        # (category, town B?, department, reported, closed, handle minutes, handle due, handled)
        (
            burst,
            False,
            cgj,
            "2024-08-03 08:00",
            "2024-08-03 12:00",
            240.0,
            "2024-08-03 12:00",
            "2024-08-03 11:00",
        ),
        (
            burst,
            True,
            fgw,
            "2024-08-20 21:00",
            "2024-08-21 09:00",
            700.0,
            "2024-08-21 08:00",
            "2024-08-21 08:30",
        ),
        (
            burst,
            False,
            cgj,
            "2024-09-12 07:00",
            "2024-09-12 09:30",
            150.0,
            "2024-09-12 11:00",
            "2024-09-12 09:00",
        ),
        (
            burst,
            True,
            cgj,
            "2024-09-29 23:00",
            "2024-09-30 08:00",
            540.0,
            "2024-09-30 07:00",
            "2024-09-30 07:50",
        ),
        (burst, False, fgw, "2024-09-30 06:00", None, None, "2024-09-30 09:00", None),  # overdue now
        (
            dispute,
            True,
            fgw,
            "2024-08-08 10:00",
            "2024-08-15 10:00",
            9000.0,
            "2024-08-16 10:00",
            "2024-08-14 10:00",
        ),
        (
            dispute,
            False,
            fgw,
            "2024-09-02 10:00",
            "2024-09-06 10:00",
            5000.0,
            "2024-09-09 10:00",
            "2024-09-05 10:00",
        ),
        (dispute, True, cgj, "2024-09-30 08:30", None, None, "2024-10-08 10:00", None),
        (
            moved,
            False,
            cgj,
            "2024-08-12 10:00",
            "2024-08-13 10:00",
            1500.0,
            "2024-08-14 10:00",
            "2024-08-13 09:00",
        ),
        (
            moved,
            True,
            cgj,
            "2024-09-18 10:00",
            "2024-09-19 10:00",
            800.0,
            "2024-09-20 10:00",
            "2024-09-19 09:00",
        ),
    ]
    for category, in_b, dept, reported, closed, minutes, handle_due, handled in specs:
        r = t(reported)
        fields = {
            **category,
            **(town_b if in_b else {}),
            "reported_at": r,
            "registered_at": r,
            "dispatched_at": r,
            "first_dispatched_at": r,
            "department_id": dept,
            "sign_due_at": r + timedelta(hours=1),
            "signed_at": r + timedelta(minutes=20),
            "signed_on_time": True,
            "handle_due_at": t(handle_due),
            "handled_at": t(handled) if handled else None,
            "handled_on_time": (t(handled) <= t(handle_due)) if handled else None,
            "close_due_at": t(handle_due) + timedelta(hours=4),
            "state": "signed",
        }
        if closed:
            fields.update(
                closed_at=t(closed),
                closed_on_time=t(closed) <= t(handle_due) + timedelta(hours=4),
                handle_minutes=minutes,
                satisfaction="satisfied",
                callback_reached=True,
                resolved_locally=in_b,
                state="rated",
            )
        add_event(db, **fields)
    db.flush()


@pytest.fixture
def categorised(db, city, clock, categories):  # type: ignore[no-untyped-def]
    build_month(db, city)
    _other_categories(db, city)
    recompute_days(db, date(2024, 7, 1), date(2024, 9, 30), zone=TZ, now=clock.now())
    return city


@pytest.mark.parametrize("category", ["E0102", "E01", "E0401", "E04", "H0601", "H06", "E0109"])
@pytest.mark.parametrize(("first", "last"), [(date(2024, 7, 1), date(2024, 9, 30)), PERIODS[0]])
def test_a_minor_or_major_categorys_answer_from_the_rollups_equals_the_events(
    db, clock, categorised, category, first, last
) -> None:
    rolled_result, raw = _both(db, clock, kpis.KpiFilter(first, last, category=category))
    assert (rolled_result["source"], raw["source"]) == ("rollup", "raw")
    everything = kpis.compute_kpis(db, kpis.KpiFilter(first, last), principal=None, zone=TZ, now=clock.now())
    received = rolled_result["counts"]["received"]["value"]
    assert 0 < received < everything["counts"]["received"]["value"]  # the filter tells categories apart
    assert _comparable(rolled_result) == _comparable(raw)


@pytest.mark.parametrize(
    "filters",
    [
        {"category": "E0401"},
        {"category": "E04"},
        {"area": "320585101"},
        {"area": "320585101001001"},
        {"department_id": "fgw"},
        {"area": "320585100", "category": "E0401"},
        {"department_id": "cgj", "category": "H06"},
    ],
)
@pytest.mark.parametrize(
    ("first", "last"), [(date(2024, 9, 30), date(2024, 9, 30)), (date(2024, 9, 1), date(2024, 9, 30))]
)
def test_todays_part_read_through_each_anchors_own_index_equals_the_events(
    db, clock, categorised, filters, first, last
) -> None:
    # Today's part keeps the unit columns off their indexes (coalesce) for the due and closed anchors:
    # the same rows as the plain conditions, NULL units included.
    if "department_id" in filters:
        filters = {**filters, "department_id": categorised[filters["department_id"]].id}
    rolled_result, raw = _both(db, clock, kpis.KpiFilter(first, last, **filters))
    assert (rolled_result["source"], raw["source"]) == ("rollup", "raw")
    assert _comparable(rolled_result) == _comparable(raw)
    if first == last:  # today only: something received, due or closed today under every filter
        counts = rolled_result["counts"]
        assert counts["received"]["value"] + counts["sign_due"]["value"] + counts["closed"]["value"] > 0


@pytest.mark.parametrize("persona", ["dept_staff", "other_dept_staff", "town_staff"])
def test_a_scoped_callers_answer_for_today_and_a_category_equals_the_events(
    db, clock, categorised, persona, request
) -> None:
    principal = request.getfixturevalue(persona).principal
    for f in (
        kpis.KpiFilter(date(2024, 9, 30), date(2024, 9, 30)),
        kpis.KpiFilter(date(2024, 8, 1), date(2024, 9, 30), category="E04"),
    ):
        rolled_result, raw = _both(db, clock, f, principal)
        assert _comparable(rolled_result) == _comparable(raw)


def _p90_and_statements(db, clock, f):  # type: ignore[no-untyped-def]
    """The P90 from the rollups, and the SQL statements it sent."""
    from sqlalchemy import event as sa_event

    statements: list[str] = []

    def capture(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    connection = db.connection()
    sa_event.listen(connection, "before_cursor_execute", capture)
    try:
        located = kpis.handling_p90(db, f, principal=None, zone=TZ, now=clock.now())
    finally:
        sa_event.remove(connection, "before_cursor_execute", capture)
    return located, statements


def _sorted_the_events(statements):  # type: ignore[no-untyped-def]
    # the events' own major_code, unwrapped: percentile_cont over the period's events
    return any("events.major_code =" in s for s in statements)


def test_a_major_categorys_p90_is_located_by_its_minors_histogram_rows(db, clock, categorised) -> None:
    f = kpis.KpiFilter(date(2024, 8, 1), date(2024, 9, 30), category="E04")
    located, statements = _p90_and_statements(db, clock, f)
    sorted_ = kpis.handling_p90(db, f, principal=None, zone=TZ, now=clock.now(), use_rollups=False)
    # 150, 240, 700 (rolled up), 540 (closed today): 0.9 × 3 = 2.7 → 540 + 0.7 × 160
    assert located == pytest.approx(sorted_) == pytest.approx(652.0)
    assert any("event_handling_rollups" in s for s in statements)
    assert not _sorted_the_events(statements)


def test_a_major_categorys_p90_with_a_minor_moved_under_it_reads_the_events(db, clock, categorised) -> None:
    # E0109's events say major E01, but the tree lists only E0102 under E01: the minors' histogram
    # misses them, its count disagrees with the rollup's, and the events are sorted instead.
    f = kpis.KpiFilter(date(2024, 8, 1), date(2024, 9, 30), category="E01")
    located, statements = _p90_and_statements(db, clock, f)
    sorted_ = kpis.handling_p90(db, f, principal=None, zone=TZ, now=clock.now(), use_rollups=False)
    # E0102's 300, 600, 900, 1200 and E0109's 800, 1500: 0.9 × 5 = 4.5 → 1200 + 0.5 × 300 (E0102's
    # alone would give 1110)
    assert located == pytest.approx(sorted_) == pytest.approx(1350.0)
    assert _sorted_the_events(statements)


# --- a category in a town, and most of a month as its month row less the days left out --------------


@pytest.mark.parametrize("category", ["E0401", "E04", "H0601", "H06", "E0102", "E01"])
@pytest.mark.parametrize("town", ["320585100", "320585101"])
@pytest.mark.parametrize(("first", "last"), [(date(2024, 7, 1), date(2024, 9, 30)), PERIODS[0]])
def test_a_category_in_a_town_is_answered_by_the_rollups_as_by_the_events(
    db, clock, categorised, category, town, first, last
) -> None:
    f = kpis.KpiFilter(first, last, area=town, category=category)
    rolled_result, raw = _both(db, clock, f)
    assert (rolled_result["source"], raw["source"]) == ("rollup", "raw")
    assert _comparable(rolled_result) == _comparable(raw)
    plan = kpis._plan(db, f, None)
    assert plan.intake_where() is not None  # the intake's per town × category rows
    assert kpis._handling_rows(plan, kpis._handling_codes(db, plan)) is not None  # and the histogram's


def test_a_category_in_a_towns_p90_and_intake_read_the_rollups_not_the_events(db, clock, categorised) -> None:
    # E0401 in town B: 700 minutes (August, rolled up) and 540 (closed today)
    f = kpis.KpiFilter(date(2024, 8, 1), date(2024, 9, 30), area="320585101", category="E0401")
    located, statements = _p90_and_statements(db, clock, f)
    assert located == pytest.approx(700 - 0.1 * 160)
    assert any("event_handling_rollups" in s for s in statements)
    # the events' own unit columns, unwrapped: percentile_cont over the period's events of the unit
    assert not any("events.category_code =" in s or "events.town_code >=" in s for s in statements)
    sums, source = kpis.period_sums(
        db, f, principal=None, zone=TZ, now=clock.now(), group=("channel", "request_type"), intake_only=True
    )
    assert source == "rollup" and sum(c["received"] for c in sums.values()) == 2


@pytest.mark.parametrize("persona", ["town_staff", "dept_staff", "grid_worker"])
def test_a_scoped_callers_category_answer_equals_the_events(db, clock, categorised, persona, request) -> None:
    # a town's staff read the per town × category rows, a department's the per department × category
    # rows; a grid's cannot
    principal = request.getfixturevalue(persona).principal
    f = kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), category="E04")
    rolled_result, raw = _both(db, clock, f, principal)
    assert _comparable(rolled_result) == _comparable(raw)
    plan = kpis._plan(db, f, principal)
    assert (plan.intake_where() is not None) == (persona != "grid_worker")
    assert (kpis._handling_rows(plan, kpis._handling_codes(db, plan)) is not None) == (
        persona != "grid_worker"
    )


def test_most_of_a_month_is_its_month_row_less_the_days_left_out(db, clock, categorised) -> None:
    # 10-31 August: 22 of 31 days, read as August's month row less 1-9 August. Town A's E0401 event of
    # 3 August is in the month row only: the subtraction leaves its key at zero, and it is left out as
    # the events leave it out.
    first, last = date(2024, 8, 10), date(2024, 8, 31)
    assert kpis._grain_parts(EventDailyRollup.__table__.c, first, last)[1] is not None
    f = kpis.KpiFilter(first, last)
    args = {"principal": None, "zone": TZ, "now": clock.now(), "group": ("town_code", "category_code")}
    rolled_sums, source = kpis.period_sums(db, f, **args)
    raw_sums, _ = kpis.period_sums(db, f, use_rollups=False, **args)
    assert source == "rollup"
    assert ("320585100", "E0401") not in rolled_sums
    assert ("320585101", "E0401") in rolled_sums
    assert set(rolled_sums) == set(raw_sums)
    assert _nonzero(rolled_sums) == _nonzero(raw_sums)
    rolled_result, raw = _both(db, clock, f)
    assert _comparable(rolled_result) == _comparable(raw)


# --- a category in a department (filter or scope), and a category's intake per town or department ----


@pytest.mark.parametrize("category", ["E0401", "E04", "H0601", "H06", "E0102", "E01"])
@pytest.mark.parametrize("department", ["cgj", "fgw"])
@pytest.mark.parametrize(("first", "last"), [(date(2024, 7, 1), date(2024, 9, 30)), PERIODS[0]])
def test_a_category_in_a_department_is_answered_by_the_rollups_as_by_the_events(
    db, clock, categorised, category, department, first, last
) -> None:
    f = kpis.KpiFilter(first, last, department_id=categorised[department].id, category=category)
    rolled_result, raw = _both(db, clock, f)
    assert (rolled_result["source"], raw["source"]) == ("rollup", "raw")
    assert _comparable(rolled_result) == _comparable(raw)
    plan = kpis._plan(db, f, None)
    assert plan.intake_where() is not None  # the intake's per department × category rows
    assert kpis._handling_rows(plan, kpis._handling_codes(db, plan)) is not None  # and the histogram's


def test_a_category_in_a_departments_p90_and_intake_read_the_rollups_not_the_events(
    db, clock, categorised
) -> None:
    # E0401 handled by cgj: 240 and 150 minutes (rolled up), 540 (closed today); fgw's 700 is not its
    f = kpis.KpiFilter(
        date(2024, 8, 1), date(2024, 9, 30), department_id=categorised["cgj"].id, category="E0401"
    )
    located, statements = _p90_and_statements(db, clock, f)
    assert located == pytest.approx(240 + 0.8 * 300)
    assert any("event_handling_rollups" in s for s in statements)
    # the events' own unit columns, unwrapped: percentile_cont over the period's events of the unit
    assert not any("events.category_code =" in s or "events.department_id =" in s for s in statements)
    sums, source = kpis.period_sums(
        db, f, principal=None, zone=TZ, now=clock.now(), group=("channel", "request_type"), intake_only=True
    )
    assert source == "rollup" and sum(c["received"] for c in sums.values()) == 3


@pytest.mark.parametrize("persona", ["dept_staff", "other_dept_staff"])
@pytest.mark.parametrize("category", ["E0401", "H06", "E01"])
def test_a_department_scoped_callers_category_answer_comes_from_the_rollups_as_from_the_events(
    db, clock, categorised, persona, category, request
) -> None:
    principal = request.getfixturevalue(persona).principal
    f = kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), category=category)
    rolled_result, raw = _both(db, clock, f, principal)
    assert (rolled_result["source"], raw["source"]) == ("rollup", "raw")
    assert _comparable(rolled_result) == _comparable(raw)
    plan = kpis._plan(db, f, principal)
    assert (
        plan.intake_where() is not None
        and kpis._handling_rows(plan, kpis._handling_codes(db, plan)) is not None
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"area": "320585", "category": "E0401"},  # an area above the town: its towns' rows summed
        {"area": "320585", "category": "H06"},
        {"area": "320585101", "department_id": "cgj", "category": "E04"},  # no such rows: the events
    ],
)
def test_a_category_in_an_area_above_the_town_or_in_a_town_and_a_department_equals_the_events(
    db, clock, categorised, filters
) -> None:
    if "department_id" in filters:
        filters = {**filters, "department_id": categorised[filters["department_id"]].id}
    f = kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), **filters)
    rolled_result, raw = _both(db, clock, f)
    assert rolled_result["counts"]["received"]["value"] > 0
    assert _comparable(rolled_result) == _comparable(raw)
    plan = kpis._plan(db, f, None)
    answered = "department_id" not in filters
    assert (
        plan.intake_where() is not None,
        kpis._handling_rows(plan, kpis._handling_codes(db, plan)) is not None,
    ) == (
        answered,
        answered,
    )


@pytest.mark.parametrize("group", ["town_code", "department_id"])
@pytest.mark.parametrize("category", ["E0401", "E04"])
def test_a_categorys_intake_per_town_or_department_comes_from_the_rows_of_that_kind(
    db, clock, categorised, group, category
) -> None:
    # grouped by town (department), a category's intake reads the per town (department) × category rows,
    # not the per category rows, whose town and department are NULL
    f = kpis.KpiFilter(date(2024, 7, 1), date(2024, 9, 30), category=category)
    args = {
        "principal": None,
        "zone": TZ,
        "now": clock.now(),
        "group": (group, "channel"),
        "intake_only": True,
    }
    rolled_sums, source = kpis.period_sums(db, f, **args)
    raw_sums, _ = kpis.period_sums(db, f, use_rollups=False, **args)
    assert source == "rollup"
    assert len({key[0] for key in _nonzero(rolled_sums)}) == 2  # both towns, both departments
    assert _nonzero(rolled_sums) == _nonzero(raw_sums)
