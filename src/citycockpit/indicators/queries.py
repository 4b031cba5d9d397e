"""Read-only aggregates of the indicator feeds: series with their last value and freshness, open alerts,
monthly figures for goals, and the air-quality ratios (优良天数比例, PM2.5 annual mean), all in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from citycockpit.auth.principal import Principal
from citycockpit.core.dialect import as_date, code_within
from citycockpit.indicators import aqi
from citycockpit.indicators.errors import ThemeNotFound
from citycockpit.indicators.models import AirQualityDay, Alert, Feed, Station, Theme, Value
from citycockpit.org.models import Area


def _place_scope(principal: Principal | None, column: Any) -> Any:
    """An area-scoped caller sees the places within its area: its stations and its area codes."""
    if principal is None or not principal.is_area_scoped or principal.area_code is None:
        return None
    stations = select(Station.code).where(code_within(Station.area_code, principal.area_code))
    return column.in_(stations) | code_within(column, principal.area_code)


def list_feeds(session: Session, *, now: datetime) -> list[dict[str, Any]]:
    """Every series with its last value (time, place, figure), how long ago it arrived and its open
    alerts; grouped in SQL."""
    last_at = (
        select(Value.feed_id, func.max(Value.observed_at).label("at"), func.count().label("n"))
        .group_by(Value.feed_id)
        .subquery()
    )
    rows = session.execute(
        select(Feed, last_at.c.at, last_at.c.n)
        .outerjoin(last_at, last_at.c.feed_id == Feed.id)
        .order_by(Feed.code)
    ).all()
    alerts = dict(
        session.execute(
            select(Alert.feed_id, func.count()).where(Alert.resolved_at.is_(None)).group_by(Alert.feed_id)
        ).all()
    )
    out = []
    for feed, at, n in rows:
        last = None
        if at is not None:
            last = session.execute(
                select(Value.value, Value.place_code, Station.name)
                .outerjoin(Station, Station.code == Value.place_code)
                .where(Value.feed_id == feed.id, Value.observed_at == at)
                .limit(1)
            ).first()
        age = None if at is None else int((now - at.replace(tzinfo=at.tzinfo or UTC)).total_seconds() // 60)
        out.append(
            {
                "code": feed.code,
                "name": feed.name,
                "unit": feed.unit,
                "theme": feed.theme,
                "values": n or 0,
                "last_at": at,
                "last_value": None if last is None else last.value,
                "last_place": None if last is None else last.place_code,
                "last_place_name": None if last is None else last.name,
                "minutes_since_last": age,
                "is_silent": bool(feed.silence_minutes and age is not None and age > feed.silence_minutes),
                "open_alerts": alerts.get(feed.id, 0),
            }
        )
    return out


def list_alerts(
    session: Session,
    *,
    principal: Principal | None = None,
    is_open: bool = True,
    limit: int = 200,
    theme: str | None = None,
) -> list[dict[str, Any]]:
    """Alerts (open ones by default) in the caller's places, newest first, of one theme's series when
    `theme` is given; each with its series, its place's name (a station's or an area's) and its theme."""
    stmt = (
        select(Alert, Feed.code, Feed.name, Feed.unit, func.coalesce(Station.name, Area.name), Feed.theme)
        .join(Feed, Feed.id == Alert.feed_id)
        .outerjoin(Station, Station.code == Alert.place_code)
        .outerjoin(Area, Area.code == Alert.place_code)
    )
    if is_open:
        stmt = stmt.where(Alert.resolved_at.is_(None))
    if theme is not None:
        stmt = stmt.where(Feed.theme == theme)
    scope = _place_scope(principal, Alert.place_code)
    if scope is not None:
        stmt = stmt.where(scope)
    rows = session.execute(stmt.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit)).all()
    return [
        {
            "id": a.id,
            "series": code,
            "series_name": name,
            "unit": unit,
            "place": a.place_code,
            "place_name": station,
            "kind": a.kind,
            "level": a.level,
            "value": a.value,
            "limit": a.limit_value,
            "observed_at": a.observed_at,
            "raised_at": a.raised_at,
            "resolved_at": a.resolved_at,
            "theme": feed_theme,
        }
        for a, code, name, unit, station, feed_theme in rows
    ]


def monthly_value(session: Session, feed: Feed, year: int, month: int, *, zone: ZoneInfo) -> float | None:
    """The month's figure of a series for its goal: the mean, sum or last of its values (every place)."""
    start = datetime.combine(date(year, month, 1), time(0), zone).astimezone(UTC)
    end_day = date(year + (month == 12), month % 12 + 1, 1)
    end = datetime.combine(end_day, time(0), zone).astimezone(UTC)
    where = and_(Value.feed_id == feed.id, Value.observed_at >= start, Value.observed_at < end)
    if feed.monthly_rule == "last":
        return session.scalar(select(Value.value).where(where).order_by(Value.observed_at.desc()).limit(1))
    agg = func.sum(Value.value) if feed.monthly_rule == "sum" else func.avg(Value.value)
    value = session.scalar(select(agg).where(where))
    return None if value is None else float(value)


@dataclass(frozen=True)
class AirYear:
    place: str
    valid_days: int
    good_days: int
    good_ratio: float | None  # 优良天数比例, %
    pm25_mean: float | None  # over valid days
    is_complete: bool  # at least aqi.MIN_DAYS_PER_YEAR valid days (an annual mean proper)


def air_year(session: Session, year: int, *, through: date | None = None, place: str = "") -> AirYear:
    """Year to date at a station ('' = the city): 优良天数比例 (days with AQI ≤ 100 over valid days) and
    the PM2.5 mean of the valid days, both over `air_quality_days` in SQL."""
    end = through or date(year, 12, 31)
    row = session.execute(
        select(
            func.count(),
            func.sum(case((AirQualityDay.aqi <= aqi.GOOD_AQI, 1), else_=0)),
            func.avg(AirQualityDay.pm25),
        ).where(
            AirQualityDay.place_code == place,
            AirQualityDay.is_valid.is_(True),
            AirQualityDay.day >= date(year, 1, 1),
            AirQualityDay.day <= end,
        )
    ).one()
    valid, good, pm25 = int(row[0] or 0), int(row[1] or 0), row[2]
    return AirYear(
        place=place,
        valid_days=valid,
        good_days=good,
        good_ratio=None if not valid else round(100.0 * good / valid, 1),
        pm25_mean=None if pm25 is None else round(float(pm25), 1),
        is_complete=valid >= aqi.MIN_DAYS_PER_YEAR,
    )


def air_days(session: Session, *, place: str = "", start: date, end: date) -> list[AirQualityDay]:
    return list(
        session.scalars(
            select(AirQualityDay)
            .where(AirQualityDay.place_code == place, AirQualityDay.day >= start, AirQualityDay.day <= end)
            .order_by(AirQualityDay.day)
        )
    )


@dataclass(frozen=True)
class AirMonth:
    """One month's totals of the valid days at a place: what a year-to-date figure and its forecast
    are made of (goals/airforecast.py), without reading a day row into Python."""

    year: int
    month: int
    valid_days: int  # days whose six figures were all valid (`is_valid`)
    good_days: int  # of those, AQI ≤ aqi.GOOD_AQI (优良天)
    pm25_sum: float  # Σ of the valid days' PM2.5 24-h means, μg/m³
    last_day: date  # the month's last day with a valid figure


def air_months(
    session: Session, *, first_year: int, last_year: int, through: date, place: str = ""
) -> list[AirMonth]:
    """Per year and month (at most 12 rows a year), the valid days, good days and PM2.5 sum of
    `air_quality_days` at `place` ('' = the city) from `first_year` to `through`: one GROUP BY in SQL."""
    year_col = func.extract("year", AirQualityDay.day)
    month_col = func.extract("month", AirQualityDay.day)
    rows = session.execute(
        select(
            year_col,
            month_col,
            func.count(),
            func.sum(case((AirQualityDay.aqi <= aqi.GOOD_AQI, 1), else_=0)),
            func.sum(AirQualityDay.pm25),
            func.max(AirQualityDay.day),
        )
        .where(
            AirQualityDay.place_code == place,
            AirQualityDay.is_valid.is_(True),
            AirQualityDay.day >= date(first_year, 1, 1),
            AirQualityDay.day <= min(through, date(last_year, 12, 31)),
        )
        .group_by(year_col, month_col)
        .order_by(year_col, month_col)
    ).all()
    return [
        AirMonth(int(y), int(m), int(n or 0), int(good or 0), float(pm or 0.0), as_date(last))
        for y, m, n, good, pm, last in rows
    ]


# ---------------------------------------------------------------- themes and their boards


def list_themes(session: Session, *, with_board: bool = True) -> list[Theme]:
    """The loaded themes in their order (those with a board, for the screen's links)."""
    query = select(Theme).order_by(Theme.position, Theme.code)
    if with_board:
        query = query.where(Theme.board.is_not(None))
    return list(session.scalars(query))


def get_theme(session: Session, code: str) -> Theme:
    theme = session.scalar(select(Theme).where(Theme.code == code))
    if theme is None or theme.board is None:
        raise ThemeNotFound(
            f"Theme {code} has no board (load it with `citycockpit indicators load-theme`)", theme=code
        )
    return theme


def theme_feeds(session: Session, code: str) -> dict[str, Feed]:
    return {f.code: f for f in session.scalars(select(Feed).where(Feed.theme == code))}


def air_year_of_places(session: Session, year: int, *, through: date, stations: Any | None = None) -> AirYear:
    """`air_year` of the city (`stations` None) or of a set of stations (a subquery of their codes):
    a day of several stations counts by its worst station (good only when every station was good), and
    the PM2.5 figure is the mean of the stations' valid daily means."""
    if stations is None:
        return air_year(session, year, through=through)
    daily = (
        select(
            AirQualityDay.day,
            func.max(AirQualityDay.aqi).label("aqi"),
            func.avg(AirQualityDay.pm25).label("pm25"),
        )
        .where(
            AirQualityDay.place_code.in_(stations),
            AirQualityDay.is_valid.is_(True),
            AirQualityDay.day >= date(year, 1, 1),
            AirQualityDay.day <= through,
        )
        .group_by(AirQualityDay.day)
        .subquery()
    )
    row = session.execute(
        select(
            func.count(), func.sum(case((daily.c.aqi <= aqi.GOOD_AQI, 1), else_=0)), func.avg(daily.c.pm25)
        )
    ).one()
    valid, good, pm25 = int(row[0] or 0), int(row[1] or 0), row[2]
    return AirYear(
        place="",
        valid_days=valid,
        good_days=good,
        good_ratio=None if not valid else round(100.0 * good / valid, 1),
        pm25_mean=None if pm25 is None else round(float(pm25), 1),
        is_complete=valid >= aqi.MIN_DAYS_PER_YEAR,
    )
