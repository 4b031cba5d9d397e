"""Each KPI on a small hand-computed month (tests/events/kpi_fixture.py), from the events themselves and
from the daily rollups, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from citycockpit.events.analytics import kpis
from citycockpit.events.analytics.rollup import recompute_days
from tests.events.kpi_fixture import SEPTEMBER, SEPTEMBER_RATES, TZ, build_month

SEPT = kpis.KpiFilter(first=date(2024, 9, 1), last=date(2024, 9, 30))


@pytest.fixture
def month(db, city):  # type: ignore[no-untyped-def]
    return build_month(db, city)


def _kpis(db, clock, f=SEPT, **kw):  # type: ignore[no-untyped-def]
    return kpis.compute_kpis(db, f, principal=None, zone=TZ, now=clock.now(), **kw)


def _counts(result) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {name: c["value"] for name, c in result["counts"].items()}


def _rates(result) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    return {k["key"]: k["value"] for k in result["kpis"]}


def test_every_count_of_the_month_matches_the_hand_computation(db, clock, month) -> None:
    result = _kpis(db, clock, use_rollups=False)
    assert result["source"] == "raw"
    assert _counts(result) == SEPTEMBER


@pytest.mark.parametrize("key", sorted(SEPTEMBER_RATES))
def test_each_rate_matches_the_hand_computation(db, clock, month, key) -> None:
    assert _rates(_kpis(db, clock, use_rollups=False))[key] == pytest.approx(SEPTEMBER_RATES[key], abs=1e-6)


def test_a_case_received_last_period_and_due_in_this_one_counts_in_this_periods_due_cases(
    db, clock, month
) -> None:
    august = _counts(_kpis(db, clock, kpis.KpiFilter(first=date(2024, 8, 1), last=date(2024, 8, 31))))
    # e1 and e11 were received in August, but only e11 fell due there; e1 is due (and closed) in September.
    assert (august["received"], august["close_due"], august["closed_of_due"]) == (2, 1, 1)
    only_sept_due = _counts(_kpis(db, clock, kpis.KpiFilter(first=date(2024, 9, 4), last=date(2024, 9, 4))))
    assert (only_sept_due["received"], only_sept_due["close_due"], only_sept_due["extended"]) == (0, 1, 1)


def test_handling_time_average_and_p90_follow_the_closed_events(db, clock, month) -> None:
    handling = _kpis(db, clock)["handling"]
    # 600, 1200, 300 minutes: mean 700; percentile_cont(0.9) = 600 + 0.8 × (1200 − 600) = 1080
    assert (handling["n"], handling["avg_minutes"]) == (3, 700.0)
    assert handling["p90_minutes"] == pytest.approx(1080.0)


def test_overdue_counts_events_still_being_handled_past_their_deadline(db, clock, month) -> None:
    assert _kpis(db, clock)["overdue"]["count"] == 1  # e6; e3 was extended, e12 is handled


@pytest.mark.parametrize(
    ("area", "overdue"), [("320585100", 1), ("320585100001", 1), ("320585100001001", 1), ("320585101", 0)]
)
def test_overdue_of_a_town_village_or_grid(db, clock, month, area, overdue) -> None:
    f = kpis.KpiFilter(SEPT.first, SEPT.last, area=area)
    assert kpis.overdue_count(db, f, principal=None, now=clock.now()) == overdue


def test_intake_is_broken_down_by_channel_and_request_type(db, clock, month) -> None:
    intake = _kpis(db, clock)["intake"]
    assert {i["key"]: i["received"] for i in intake["by_channel"]} == {
        "hotline": 6,
        "patrol": 1,
        "app": 1,
        "video": 1,
    }
    assert {i["key"]: i["received"] for i in intake["by_request_type"]} == {
        "complaint": 5,
        "consult": 1,
        "report": 1,
        None: 2,
    }


def test_an_area_filter_measures_the_town_subtree_only(db, clock, month) -> None:
    town_b = _counts(_kpis(db, clock, kpis.KpiFilter(SEPT.first, SEPT.last, area="320585101")))
    assert (town_b["received"], town_b["merged"], town_b["close_due"], town_b["callbacks_valid"]) == (
        2,
        1,
        1,
        0,
    )
    grid_a = _counts(_kpis(db, clock, kpis.KpiFilter(SEPT.first, SEPT.last, area="320585100001001")))
    assert grid_a["received"] == 7


def test_department_and_category_filters_narrow_the_counts(db, clock, city, month) -> None:
    fgw = _counts(_kpis(db, clock, kpis.KpiFilter(SEPT.first, SEPT.last, department_id=city["fgw"].id)))
    assert (fgw["received"], fgw["closed_on_time"]) == (1, 1)
    minor = _counts(_kpis(db, clock, kpis.KpiFilter(SEPT.first, SEPT.last, category="E0102")))
    assert minor["received"] == 9
    other = _counts(_kpis(db, clock, kpis.KpiFilter(SEPT.first, SEPT.last, category="E0301")))
    assert other["received"] == 0


def test_rollups_give_the_same_kpis_as_the_raw_events(db, clock, month) -> None:
    raw = _kpis(db, clock, use_rollups=False)
    done = recompute_days(db, date(2024, 8, 1), date(2024, 9, 30), zone=TZ, now=clock.now())
    assert done.days == 60  # 2024-08-01 .. 2024-09-29: today stays live
    rolled = _kpis(db, clock)
    assert rolled["source"] == "rollup"
    assert (_counts(rolled), _rates(rolled)) == (_counts(raw), _rates(raw))
    assert rolled["handling"]["avg_minutes"] == raw["handling"]["avg_minutes"]
    assert rolled["intake"] == raw["intake"]
    for f in (
        kpis.KpiFilter(SEPT.first, SEPT.last, area="320585101"),
        kpis.KpiFilter(date(2024, 8, 1), date(2024, 8, 31), category="E01"),
    ):
        assert _counts(_kpis(db, clock, f)) == _counts(_kpis(db, clock, f, use_rollups=False))


def test_recomputing_a_rollup_day_twice_changes_nothing(db, clock, month) -> None:
    recompute_days(db, date(2024, 9, 1), date(2024, 9, 29), zone=TZ, now=clock.now())
    first = _counts(_kpis(db, clock))
    again = recompute_days(db, date(2024, 9, 1), date(2024, 9, 29), zone=TZ, now=clock.now())
    assert again.days == 29 and _counts(_kpis(db, clock)) == first


def test_without_complete_rollups_the_kpis_come_from_the_events(db, clock, month) -> None:
    recompute_days(db, date(2024, 9, 2), date(2024, 9, 29), zone=TZ, now=clock.now())  # 09-01 missing
    result = _kpis(db, clock)
    assert result["source"] == "raw" and _counts(result) == SEPTEMBER


def test_ranking_leaves_units_below_the_minimum_volume_unranked(db, clock, month) -> None:
    result = kpis.rank_units(db, SEPT, by="town", min_volume=2, principal=None, zone=TZ, now=clock.now())
    assert [(i["rank"], i["key"], i["close_due"]) for i in result["ranked"]] == [(1, "320585100", 3)]
    assert [(i["key"], i["close_due"]) for i in result["unranked"]] == [("320585101", 1)]
    assert result["ranked"][0]["name"] == "城厢镇"


def test_ranking_orders_departments_by_closed_on_time_rate(db, clock, city, month) -> None:
    result = kpis.rank_units(
        db, SEPT, by="department", min_volume=1, principal=None, zone=TZ, now=clock.now()
    )
    # 发改委 1/1 on time, 城管局 1/3 (e1 on time; e2 late; e12 open)
    assert [(i["name"], i["closed_on_time_rate"]) for i in result["ranked"]] == [
        ("发改委", 1.0),
        ("城管局", pytest.approx(1 / 3, abs=1e-6)),
    ]
