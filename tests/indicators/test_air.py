"""Daily air quality from hourly values (SQL means, the O3 8-h rule), the city's day, 优良天数比例 and the
PM2.5 mean over valid days; goals' actuals from a feed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.goals.feeds import feed_actuals_job
from citycockpit.goals.models import IndicatorActual
from citycockpit.goals.status import Thresholds
from citycockpit.indicators import queries
from citycockpit.indicators.air import air_quality_job
from citycockpit.indicators.models import AirQualityDay, Mark
from tests.goals.builders import make_series
from tests.indicators.builders import POLLUTANTS, deliver, make_feed, make_station

LEVELS = {"pm25": 80.0, "pm10": 100.0, "so2": 10.0, "no2": 30.0, "co": 0.8, "o3": 120.0}


def _hours(
    day: str, station: str, levels: dict[str, float], hours: range = range(1, 25)
) -> list[tuple[str, str, str, float]]:
    """Hourly values of a day as monitoring stamps them: at the end of their hour, 01:00 … 24:00."""
    midnight = datetime.fromisoformat(f"{day}T00:00+08:00")
    return [
        (code, (midnight + timedelta(hours=h)).isoformat(), station, level)
        for code, level in levels.items()
        for h in hours
    ]


@pytest.fixture
def stations(db: Session, clock: Clock, city):  # type: ignore[no-untyped-def]
    for code in ("TC01", "TC02"):
        make_station(db, code, now=clock.now())
    for code in POLLUTANTS:
        make_feed(db, code, now=clock.now())


def _day(db: Session, place: str, day: str) -> AirQualityDay:
    row = db.scalar(
        select(AirQualityDay).where(
            AirQualityDay.place_code == place, AirQualityDay.day == date.fromisoformat(day)
        )
    )
    assert row is not None
    return row


def test_a_full_day_gets_its_aqi_and_primary_pollutant(db: Session, clock: Clock, stations) -> None:  # type: ignore[no-untyped-def]
    deliver(db, _hours("2024-09-29", "TC01", LEVELS), now=clock.now())
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    day = _day(db, "TC01", "2024-09-29")
    assert (day.aqi, day.primary_pollutants, day.is_valid, day.pm25, day.o3_8h) == (
        107,
        "PM2.5",
        True,
        80.0,
        120.0,
    )


def test_a_day_with_nineteen_hours_is_not_valid(db: Session, clock: Clock, stations) -> None:  # type: ignore[no-untyped-def]
    deliver(db, _hours("2024-09-29", "TC01", LEVELS, range(1, 20)), now=clock.now())
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    day = _day(db, "TC01", "2024-09-29")
    assert (day.pm25, day.is_valid) == (None, False)


def test_the_value_stamped_at_midnight_closes_the_day_before(db: Session, clock: Clock, stations) -> None:  # type: ignore[no-untyped-def]
    deliver(db, _hours("2024-09-29", "TC01", LEVELS, range(1, 24)), now=clock.now())  # 01:00 … 23:00
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    assert _day(db, "TC01", "2024-09-29").pm25 == 80.0
    deliver(db, [("pm25", "2024-09-30T00:00+08:00", "TC01", 200.0)], now=clock.now())  # 23:00–24:00
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    assert _day(db, "TC01", "2024-09-29").pm25 == pytest.approx((80.0 * 23 + 200.0) / 24)


def test_the_citys_day_is_the_mean_of_its_stations(db: Session, clock: Clock, stations) -> None:  # type: ignore[no-untyped-def]
    deliver(
        db,
        _hours("2024-09-29", "TC01", LEVELS) + _hours("2024-09-29", "TC02", {**LEVELS, "pm25": 40.0}),
        now=clock.now(),
    )
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    city = _day(db, "", "2024-09-29")
    assert (city.pm25, city.aqi) == (60.0, 82)  # PM2.5 60: 50/40×25+50 = 81.25 → 82 (PM10 100 gives 75)


def test_late_data_recomputes_the_day(db: Session, clock: Clock, stations) -> None:  # type: ignore[no-untyped-def]
    deliver(db, _hours("2024-09-29", "TC01", LEVELS), now=clock.now())
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    deliver(db, _hours("2024-09-29", "TC01", {"pm25": 20.0}), now=clock.now())
    assert db.scalar(select(Mark.is_aq_done).where(Mark.place_code == "TC01")) is False
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    assert _day(db, "TC01", "2024-09-29").pm25 == 20.0


def test_good_days_ratio_and_pm25_mean_count_valid_days_only(db: Session, clock: Clock, stations) -> None:  # type: ignore[no-untyped-def]
    values = (
        _hours("2024-09-27", "TC01", {**LEVELS, "pm25": 30.0})  # AQI 75 (PM10 100): good
        + _hours("2024-09-28", "TC01", LEVELS)  # AQI 107: not good
        + _hours("2024-09-29", "TC01", {**LEVELS, "pm25": 300.0}, range(1, 11))  # not valid
    )
    deliver(db, values, now=clock.now())
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    year = queries.air_year(db, 2024, place="TC01")
    assert (year.valid_days, year.good_days, year.good_ratio, year.pm25_mean, year.is_complete) == (
        2,
        1,
        50.0,
        55.0,
        False,
    )


def test_a_goal_series_fed_by_a_feed_gets_its_monthly_actual(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    make_station(db, "TC01", now=clock.now())
    series = make_series(db, "安全隐患整改数", now=clock.now(), cumulative=False, unit="项")
    make_feed(
        db, "hazards_fixed", now=clock.now(), name="隐患整改", goal_series_id=series.id, monthly_rule="sum"
    )
    deliver(
        db,
        [("hazards_fixed", "2024-09-02", "", 12), ("hazards_fixed", "2024-09-20", "", 30)],
        now=clock.now(),
    )
    feed_actuals_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR, thresholds=Thresholds())
    actual = db.scalar(select(IndicatorActual).where(IndicatorActual.series_id == series.id))
    assert (actual.period, actual.value, actual.source) == ("2024-09", 42.0, "feed:hazards_fixed")
    deliver(db, [("hazards_fixed", "2024-09-20", "", 31)], now=clock.now())  # a late correction
    feed_actuals_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR, thresholds=Thresholds())
    db.refresh(actual)
    assert actual.value == 43.0
    assert db.scalar(select(Mark.id)) is None  # done and dropped


def test_the_air_route_answers_the_year_and_refuses_an_impossible_one(
    client, db: Session, clock: Clock, stations, leader
) -> None:  # type: ignore[no-untyped-def]
    deliver(db, _hours("2024-09-28", "TC01", LEVELS), now=clock.now())
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    r = client.get("/api/v1/indicators/air/2024?station=TC01", headers=leader.headers)
    assert (r.json()["valid_days"], r.json()["good_ratio"]) == (1, 0.0)
    assert client.get("/api/v1/indicators/air/3470932", headers=leader.headers).status_code == 422
