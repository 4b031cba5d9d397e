"""Series of `resolution` day: one figure a station a day, stamped at the day's local midnight, used by
the daily air quality as it is; anything else is refused with a clear reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.core.tabular import ImportFailed
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.indicators.air import air_quality_job
from citycockpit.indicators.errors import InvalidFeed
from citycockpit.indicators.models import AirQualityDay
from tests.indicators.builders import POLLUTANTS, deliver, make_feed, make_station

DAILY = {"pm25": 80.0, "pm10": 100.0, "so2": 10.0, "no2": 30.0, "co": 0.8, "o3": 120.0}


@pytest.fixture
def daily_feeds(db: Session, clock: Clock, city):  # type: ignore[no-untyped-def]
    make_station(db, "TC01", now=clock.now())
    for code, (name, unit, pollutant, (low, high)) in POLLUTANTS.items():
        make_feed(
            db,
            f"{code}_day",
            now=clock.now(),
            name=name,
            unit=unit,
            pollutant=pollutant,
            min_value=low,
            max_value=high,
            resolution="day",
        )


def test_a_days_figures_from_daily_series_give_its_aqi(db: Session, clock: Clock, daily_feeds) -> None:  # type: ignore[no-untyped-def]
    deliver(db, [(f"{c}_day", "2024-09-29", "TC01", v) for c, v in DAILY.items()], now=clock.now())
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    rows = {
        r.place_code: r
        for r in db.scalars(select(AirQualityDay).where(AirQualityDay.day == date(2024, 9, 29)))
    }
    station = rows["TC01"]
    assert (station.pm25, station.o3_8h, station.aqi, station.is_valid) == (80.0, 120.0, 107, True)
    assert rows[""].pm25 == 80.0  # the city's day too
    # the day before is not touched by a value stamped at midnight of the 29th
    assert db.scalar(select(AirQualityDay.id).where(AirQualityDay.day == date(2024, 9, 28))) is None


def test_a_daily_value_not_at_midnight_is_refused_and_nothing_is_stored(
    db: Session, clock: Clock, daily_feeds
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportFailed) as failed:
        deliver(
            db,
            [("pm25_day", "2024-09-29", "TC01", 30.0), ("pm10_day", "2024-09-29T08:00+08:00", "TC01", 50.0)],
            now=clock.now(),
        )
    (error,) = failed.value.row_errors
    assert (error.row, error.code) == (2, "bad_time")
    assert "daily series" in error.reason


def test_a_resolution_other_than_hour_or_day_is_refused(db: Session, clock: Clock) -> None:
    with pytest.raises(InvalidFeed):
        make_feed(db, "pm25_week", now=clock.now(), resolution="week")
