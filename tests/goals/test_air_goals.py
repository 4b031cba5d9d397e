"""Goals that follow the city's daily air quality: the monthly totals read in SQL (both engines), the
link, the two air targets' statuses and forecasts from daily data, and the link's API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.goals import airgoals, evaluation
from citycockpit.goals.errors import InvalidGoal
from citycockpit.goals.models import GoalEvaluation, IndicatorActual
from citycockpit.goals.status import Thresholds
from citycockpit.indicators import queries
from citycockpit.indicators.models import AirQualityDay
from citycockpit.indicators.queries import AirMonth
from tests.goals.builders import ACTOR, make_goal, make_series

WINTER = (1, 2, 12)


def _days(db: Session, rows: list[tuple[str, date, float | None, int | None, bool]], *, now) -> None:  # type: ignore[no-untyped-def]
    db.execute(
        insert(AirQualityDay),
        [
            {"place_code": p, "day": d, "pm25": pm, "aqi": a, "is_valid": ok, "computed_at": now}
            for p, d, pm, a, ok in rows
        ],
    )


def test_the_monthly_totals_count_valid_days_good_days_and_pm25_of_the_city_only(
    db: Session, clock: Clock
) -> None:
    _days(
        db,
        [
            ("", date(2023, 1, 1), 60.0, 110, True),  # bad
            ("", date(2023, 1, 2), 40.0, 80, True),
            ("", date(2023, 1, 3), None, None, False),  # not valid: left out
            ("", date(2023, 7, 1), 20.0, 50, True),
            ("", date(2024, 1, 1), 50.0, 105, True),
            ("", date(2024, 1, 2), 30.0, 100, True),  # AQI 100 is still 良
            ("", date(2024, 2, 1), 20.0, 40, True),
            ("", date(2024, 3, 5), 10.0, 20, True),  # after `through`
            ("TC01", date(2024, 1, 1), 999.0, 500, True),  # a station, not the city
        ],
        now=clock.now(),
    )
    months = queries.air_months(db, first_year=2023, last_year=2024, through=date(2024, 2, 29))
    assert months == [
        AirMonth(2023, 1, 2, 1, 100.0, date(2023, 1, 2)),
        AirMonth(2023, 7, 1, 1, 20.0, date(2023, 7, 1)),
        AirMonth(2024, 1, 2, 1, 80.0, date(2024, 1, 2)),
        AirMonth(2024, 2, 1, 1, 20.0, date(2024, 2, 1)),
    ]


def _two_years(db: Session, *, now, pm_factor: float) -> None:  # type: ignore[no-untyped-def]
    """2023 whole (PM2.5 50 in winter months, 20 otherwise; bad days: the first 6 of a winter month, the
    first 2 of the others) and 2024 January–June (PM2.5 × pm_factor; bad days: 9 and 4)."""
    rows = []
    day = date(2023, 1, 1)
    while day <= date(2024, 6, 30):
        winter = day.month in WINTER
        pm = 50.0 if winter else 20.0
        bad_until = (6 if winter else 2) if day.year == 2023 else (9 if winter else 4)
        if day.year == 2024:
            pm *= pm_factor
        rows.append(("", day, pm, 120 if day.day <= bad_until else 60, True))
        day += timedelta(days=1)
    _days(db, rows, now=now)


@pytest.fixture
def air_goals(db: Session, clock: Clock):  # type: ignore[no-untyped-def]
    now = clock.now()
    pm = make_series(db, "PM2.5年均浓度", now=now, cumulative=False, unit="微克/立方米")
    good = make_series(db, "空气优良天数比例", now=now, cumulative=False, unit="%")
    pm_goal = make_goal(
        db,
        now=now,
        title="PM2.5年均浓度24微克/立方米以下",
        measure="level",
        target_value=24.0,
        unit="微克/立方米",
        qualifier="<=",
        series_id=pm.id,
    )
    good_goal = make_goal(
        db,
        now=now,
        title="空气优良天数比例86%以上",
        measure="share",
        target_value=86.0,
        unit="%",
        qualifier=">=",
        series_id=good.id,
    )
    return pm, good, pm_goal, good_goal


def _evaluate(db: Session, clock: Clock, period: str = "2024-06") -> None:
    evaluation.evaluate_goals(db, period, today=date(2024, 6, 30), thresholds=Thresholds(), now=clock.now())


def _link(db: Session, clock: Clock, series_id: int, link: str) -> None:
    airgoals.link_series(db, series_id, link, actor=ACTOR, now=clock.now(), today=date(2024, 6, 30))


def _status(db: Session, goal_id: int, period: str = "2024-06") -> GoalEvaluation:
    ev = db.scalar(
        select(GoalEvaluation).where(GoalEvaluation.goal_id == goal_id, GoalEvaluation.period == period)
    )
    assert ev is not None
    return ev


def test_a_ceiling_target_is_met_on_its_seasonal_forecast_though_the_running_mean_is_above(
    db: Session, clock: Clock, air_goals
) -> None:  # type: ignore[no-untyped-def]
    pm, _good, pm_goal, _ = air_goals
    _two_years(db, now=clock.now(), pm_factor=0.85)
    _link(db, clock, pm.id, "air:pm25_annual_mean")
    _evaluate(db, clock)
    ev = _status(db, pm_goal.id)
    # to date (Jan–Jun): 0.85 · (60·50 + 122·20) / 182 = 25.4 — above 24; but the cleaner half-year
    # ahead brings the year to 0.85 · (91·50 + 275·20) / 366 = 23.3
    assert ev.to_date == pytest.approx(0.85 * 5440 / 182)
    assert ev.forecast == pytest.approx(0.85 * 10050 / 366)
    assert (ev.status, ev.data_month) == ("met", 6)
    assert "按日监测数据" in ev.reason


def test_a_floor_target_is_off_track_when_bad_days_run_above_the_past_years(
    db: Session, clock: Clock, air_goals
) -> None:  # type: ignore[no-untyped-def]
    _pm, good, _, good_goal = air_goals
    _two_years(db, now=clock.now(), pm_factor=1.0)
    _link(db, clock, good.id, "air:good_days_ratio")
    _evaluate(db, clock)
    ev = _status(db, good_goal.id)
    assert ev.to_date == pytest.approx(100 * (182 - 34) / 182)  # 9+9 winter, 4×4 others bad
    assert ev.forecast is not None and 83.0 < ev.forecast < 85.0  # misses 86 by more than a point
    assert ev.status == "off_track"


def test_an_unlinked_series_is_judged_on_its_monthly_actuals_as_before(
    db: Session, clock: Clock, air_goals
) -> None:  # type: ignore[no-untyped-def]
    _pm, _good, pm_goal, _ = air_goals
    _two_years(db, now=clock.now(), pm_factor=0.85)
    _evaluate(db, clock)
    assert _status(db, pm_goal.id).status == "no_data"  # no monthly actuals, and no link


def test_linking_writes_the_months_figures_from_the_daily_data(db: Session, clock: Clock, air_goals) -> None:  # type: ignore[no-untyped-def]
    pm, good, _, _ = air_goals
    _two_years(db, now=clock.now(), pm_factor=0.8)
    _link(db, clock, pm.id, "air:pm25_annual_mean")
    _link(db, clock, good.id, "air:good_days_ratio")
    figures = dict(
        db.execute(
            select(IndicatorActual.series_id.concat(IndicatorActual.period), IndicatorActual.value).where(
                IndicatorActual.period.in_(["2023-07", "2024-01"])
            )
        ).all()
    )
    assert figures == {
        f"{pm.id}2023-07": 20.0,
        f"{pm.id}2024-01": 40.0,
        f"{good.id}2023-07": round(100 * 29 / 31, 1),
        f"{good.id}2024-01": round(100 * 22 / 31, 1),
    }


def test_only_a_known_link_on_a_series_of_levels_is_accepted(db: Session, clock: Clock, air_goals) -> None:  # type: ignore[no-untyped-def]
    pm, _good, _, _ = air_goals
    total = make_series(db, "地区生产总值", now=clock.now())
    with pytest.raises(InvalidGoal):
        _link(db, clock, pm.id, "air:pm10")
    with pytest.raises(InvalidGoal):
        _link(db, clock, total.id, "air:pm25_annual_mean")


def test_the_supervisor_links_a_series_over_the_api_and_a_department_may_not(
    client: TestClient, db: Session, clock: Clock, air_goals, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    pm, _good, _, _ = air_goals
    url = f"/api/v1/goals/series/{pm.id}/link"
    refused = client.put(url, json={"link": "air:pm25_annual_mean"}, headers=dept_staff.headers)
    assert refused.status_code == 403
    r = client.put(url, json={"link": "air:pm25_annual_mean"}, headers=supervisor.headers)
    assert (r.status_code, r.json()["link"]) == (200, "air:pm25_annual_mean")
    bad = client.put(url, json={"link": "air:nothing"}, headers=supervisor.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_goal")


def test_the_goal_page_and_the_bulletin_show_the_air_forecast_and_its_provenance(
    client: TestClient, db: Session, clock: Clock, air_goals, supervisor
) -> None:  # type: ignore[no-untyped-def]
    pm, _good, pm_goal, _ = air_goals
    _two_years(db, now=clock.now(), pm_factor=0.85)
    _link(db, clock, pm.id, "air:pm25_annual_mean")
    _evaluate(db, clock)
    page = client.get(f"/app/goals/{pm_goal.id}?period=2024-06", headers=supervisor.headers).text
    assert "预计23.34，可达目标24以下［按日监测数据及往年同月规律推算］" in page
    html = client.get("/api/v1/goals/bulletin?period=2024-06&format=html", headers=supervisor.headers).text
    assert "预计23.3" in html and "按日监测数据及往年同月规律推算" in html


def test_the_worker_remakes_the_months_and_statuses_after_new_days_then_rests(
    db: Session, clock: Clock, air_goals
) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.events.sla import DEFAULT_CALENDAR
    from citycockpit.goals.feeds import air_goals_job

    pm, _good, pm_goal, _ = air_goals
    _two_years(db, now=clock.now(), pm_factor=0.85)
    _link(db, clock, pm.id, "air:pm25_annual_mean")
    later = clock.now() + timedelta(hours=1)
    db.execute(  # a late, very bad day recomputed by the air-quality job
        AirQualityDay.__table__.update()
        .where(AirQualityDay.day == date(2024, 6, 1))
        .values(pm25=500.0, computed_at=later)
    )
    assert air_goals_job(db, now=later, calendar=DEFAULT_CALENDAR).touched == 1
    june = db.scalar(
        select(IndicatorActual.value).where(
            IndicatorActual.series_id == pm.id, IndicatorActual.period == "2024-06"
        )
    )
    assert june == round((29 * 20 * 0.85 + 500) / 30, 1)
    assert _status(db, pm_goal.id, "2024-09").to_date is not None  # this month's status, judged today
    assert air_goals_job(db, now=later + timedelta(minutes=5), calendar=DEFAULT_CALENDAR).touched == 0
