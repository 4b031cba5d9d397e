"""Daily air quality from the pollutant series: the day's means are aggregated in SQL, the day's AQI and
ozone 8-h rule come from the pure functions of `aqi.py`, and the results are kept in `air_quality_days`
(one row per station and day, '' for the city), recomputed for the days the marks name."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from citycockpit.core.dialect import dialect_name, local_date
from citycockpit.indicators import aqi
from citycockpit.indicators.models import AirQualityDay, Feed, Mark, Station, Value
from citycockpit.ops.jobs import JobResult

MEAN_POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co")
CITY = ""
HOUR = timedelta(hours=1)


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def recompute_days(
    session: Session, stations: set[str], days: set[date], *, zone: ZoneInfo, now: datetime
) -> int:
    """Recompute the air quality of `stations` on `days` and of the city on those days; returns rows written.

    A station's 24-h mean needs MIN_HOURS_PER_DAY hourly values (SQL: AVG and COUNT grouped by day); its
    O3 maximum 8-h mean follows `aqi.o3_max_8h`. A daily series (`resolution` day) gives the day's
    figure as it is, where no hourly series gave one. The city's figure of a pollutant is the mean of its
    stations' valid daily figures. A day is valid when all six figures are."""
    if not days:
        return 0
    feeds: dict[int, str] = {
        f.id: f.pollutant
        for f in session.scalars(select(Feed).where(Feed.pollutant.is_not(None)))
        if f.pollutant
    }
    if not feeds:
        return 0
    first, last = min(days), max(days)
    start, end = _day_start(first, zone), _day_start(last + timedelta(days=1), zone)
    station_codes = set(session.scalars(select(Station.code)))
    places = (stations & station_codes) or set()
    # HJ 663-2013 Table A.1: an hourly value is the mean of the hour *before* its time (01:00 holds
    # 00:00–01:00, 00:00 the previous day's last hour), so a day's hours are stamped 01:00 … 24:00.
    day_col = local_date(Value.observed_at, zone, dialect_name(session), shift=-HOUR)
    figures: dict[tuple[str, date], dict[str, float | None]] = defaultdict(dict)
    daily = set(session.scalars(select(Feed.id).where(Feed.id.in_(feeds), Feed.resolution == "day")))
    mean_feeds = [fid for fid, p in feeds.items() if p in MEAN_POLLUTANTS and fid not in daily]
    if mean_feeds and places:
        for feed_id, place, day, mean, count in session.execute(
            select(Value.feed_id, Value.place_code, day_col, func.avg(Value.value), func.count())
            .where(
                Value.feed_id.in_(mean_feeds),
                Value.place_code.in_(places),
                Value.observed_at > start,
                Value.observed_at <= end,
            )
            .group_by(Value.feed_id, Value.place_code, day_col)
        ):
            day = _as_date(day)
            if day in days:
                valid = count >= aqi.MIN_HOURS_PER_DAY
                figures[(place, day)][feeds[feed_id]] = float(mean) if valid else None
    ozone = [fid for fid, p in feeds.items() if p == "o3" and fid not in daily]
    if ozone and places:
        hourly: dict[tuple[str, date], dict[int, float]] = defaultdict(dict)
        for place, at, value in session.execute(
            select(Value.place_code, Value.observed_at, Value.value).where(
                Value.feed_id.in_(ozone),
                Value.place_code.in_(places),
                Value.observed_at > start,
                Value.observed_at <= end,
            )
        ):
            local = (at - HOUR).astimezone(zone)  # the hour the value covers; hour-ending index 1…24
            hourly[(place, local.date())][local.hour + 1] = value
        for key, hours in hourly.items():
            if key[1] in days:
                figures[key]["o3_8h"] = aqi.o3_max_8h(hours)
                figures[key]["o3_1h"] = max(hours.values()) if len(hours) >= aqi.MIN_HOURS_PER_DAY else None
    _daily_figures(session, figures, days, places, zone=zone, start=start, end=end)
    rows: list[dict[str, Any]] = []
    for place in places:
        for day in days:
            rows.append(_row(place, day, figures.get((place, day), {}), now))
    # the city: the mean of every station's valid figure of the day (stations outside this run included)
    written_places = places
    session.execute(
        delete(AirQualityDay).where(
            AirQualityDay.place_code.in_(written_places | {CITY}), AirQualityDay.day.in_(days)
        )
    )
    if rows:  # core executemany: thousands of days without ORM bookkeeping
        session.connection().execute(insert(AirQualityDay), rows)
    city_rows = []
    columns = [getattr(AirQualityDay, p) for p in (*MEAN_POLLUTANTS, "o3_8h")]
    for day, *means in session.execute(
        select(AirQualityDay.day, *(func.avg(c) for c in columns))
        .where(AirQualityDay.place_code != CITY, AirQualityDay.day.in_(days))
        .group_by(AirQualityDay.day)
    ):
        figures_city = dict(
            zip((*MEAN_POLLUTANTS, "o3_8h"), (None if m is None else float(m) for m in means), strict=True)
        )
        city_rows.append(_row(CITY, _as_date(day), figures_city, now))
    if city_rows:
        session.connection().execute(insert(AirQualityDay), city_rows)
    return len(rows) + len(city_rows)


def _daily_figures(
    session: Session,
    figures: dict[tuple[str, date], dict[str, float | None]],
    days: set[date],
    places: set[str],
    *,
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
) -> None:
    """The day's figures of the daily series (stamped at the day's local midnight): a 24-h mean, or for
    ozone the maximum 8-h mean, each computed upstream under the same rules; an hourly figure of the
    same pollutant, place and day stands before them."""
    if not places:
        return
    for pollutant, place, at, value in session.execute(
        select(Feed.pollutant, Value.place_code, Value.observed_at, Value.value)
        .join(Feed, Feed.id == Value.feed_id)
        .where(
            Feed.resolution == "day",
            Feed.pollutant.is_not(None),
            Value.place_code.in_(places),
            Value.observed_at >= start,
            Value.observed_at < end,
        )
    ):
        day = at.astimezone(zone).date() if at.tzinfo else at.replace(tzinfo=UTC).astimezone(zone).date()
        key = "o3_8h" if pollutant == "o3" else str(pollutant)
        if day in days and figures[(place, day)].get(key) is None:
            figures[(place, day)][key] = value


def _row(place: str, day: date, figures: dict[str, float | None], now: datetime) -> dict[str, Any]:
    result = aqi.daily_aqi(figures)
    six = (*MEAN_POLLUTANTS, "o3_8h")
    return {
        "place_code": place,
        "day": day,
        **{p: figures.get(p) for p in six},
        "aqi": result.aqi,
        "primary_pollutants": ",".join(aqi.POLLUTANT_NAMES[p] for p in result.primary) or None,
        "is_valid": all(figures.get(p) is not None for p in six),
        "computed_at": now,
    }


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def air_quality_job(session: Session, *, now: datetime, calendar: Any) -> JobResult:
    """The worker's step: recompute the days that late or revised pollutant values marked."""
    zone = calendar.zone
    pending = session.execute(
        select(Mark.id, Mark.place_code, Mark.day)
        .join(Feed, Feed.id == Mark.feed_id)
        .where(Mark.is_aq_done.is_(False), Feed.pollutant.is_not(None))
    ).all()
    if not pending:
        return JobResult("air_quality", 0)
    stations = {p for _, p, _ in pending}
    days = {d for _, _, d in pending}
    all_stations = set(session.scalars(select(Station.code)))
    # the city's day averages every station, so a day is recomputed for all stations that have data
    written = recompute_days(session, stations | all_stations, days, zone=zone, now=now)
    ids = [i for i, _, _ in pending]
    for start in range(0, len(ids), 1000):
        session.execute(update(Mark).where(Mark.id.in_(ids[start : start + 1000])).values(is_aq_done=True))
    _drop_done_marks(session)
    return JobResult("air_quality", written)


def _drop_done_marks(session: Session) -> None:
    session.execute(delete(Mark).where(Mark.is_aq_done.is_(True), Mark.is_goal_done.is_(True)))
