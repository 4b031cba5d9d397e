"""Theme boards (`/screen?theme=<code>`): each panel of a theme's board (indicators/boards.py) read for
the view, all in SQL, in one answer.

A panel's data is null when it has nothing to show yet (like every screen panel). The places a panel
reads are the viewer's: the whole city, or below it the stations and areas inside the viewed area (the
scope rule of the main screen, `queries.resolve_view`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from citycockpit.core.dialect import as_date, code_within, dialect_name, local_date, local_month
from citycockpit.indicators import aqi
from citycockpit.indicators import queries as indicator_queries
from citycockpit.indicators.models import AirQualityDay, Feed, Station, Value
from citycockpit.org.models import Area
from citycockpit.screen.queries import View, alarms_first, alert_item, area_shapes, goal_area, narrowed

Params = dict[str, Any]
Feeds = dict[str, Feed]
Reader = Callable[[Session, View, Params, Feeds], Any]


def board(session: Session, view: View, code: str) -> dict[str, Any]:
    """Every panel of the theme's board with its data for the view."""
    theme = indicator_queries.get_theme(session, code)
    feeds = indicator_queries.theme_feeds(session, code)
    layout = theme.board or {}
    panels = [
        {
            "id": p["id"],
            "type": p["type"],
            "title": p["title"],
            "at": p["at"],
            "data": READERS[p["type"]](session, view, p.get("params") or {}, feeds),
        }
        for p in layout.get("panels", [])
    ]
    return view.envelope(
        theme={"code": theme.code, "name": theme.name},
        area={"code": view.area_code, "name": view.area_name, "level": view.area_level},
        grid=layout.get("grid"),
        panels=panels,
    )


# --- places -------------------------------------------------------------------------------------------


def _is_city(view: View) -> bool:
    return view.area_level == "city"


def _stations(view: View) -> Select[Any]:
    """The codes of the stations the view shows (all of them at the city level)."""
    query = select(Station.code)
    if not _is_city(view):
        query = query.where(code_within(Station.area_code, view.area_code))
    return query


def _air_places(view: View) -> ColumnElement[bool]:
    """Which `air_quality_days` rows the view reads: the city's own ('') at the city level, else the
    stations inside the viewed area."""
    if _is_city(view):
        return AirQualityDay.place_code == ""
    return AirQualityDay.place_code.in_(_stations(view))


def _value_places(view: View) -> ColumnElement[bool] | None:
    """Which values the view reads: all at the city level, else those of its stations and areas."""
    if _is_city(view):
        return None
    return Value.place_code.in_(_stations(view)) | code_within(Value.place_code, view.area_code)


def _utc(day: date, view: View) -> datetime:
    return datetime.combine(day, time(0), view.zone).astimezone(UTC)


def _period(view: View, period: str) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """The period so far (day, month or year to now) and the same span of the period before it."""
    today = view.today
    if period == "day":
        first, before = today, today - timedelta(days=1)
    elif period == "year":
        first = today.replace(month=1, day=1)
        before = first.replace(year=first.year - 1)
    else:
        first = today.replace(day=1)
        before = (first - timedelta(days=1)).replace(day=1)
    start = _utc(first, view)
    span = view.now - start
    prev = _utc(before, view)
    return (start, view.now), (prev, min(prev + span, start))


def _grade(value: int | None) -> dict[str, Any] | None:
    if value is None:
        return None
    level = aqi.grade(int(value))
    _, name, colour = aqi.GRADES[level - 1]
    return {"level": level, "name": name, "colour": colour}


def _pollutants(text: str | None) -> list[str]:
    return [aqi.POLLUTANT_WORDS.get(p, p) for p in (text or "").split(",") if p]


def _grade_legend() -> list[dict[str, Any]]:
    low = 0
    out = []
    for level, (top, name, colour) in enumerate(aqi.GRADES, start=1):
        out.append({"level": level, "name": name, "colour": colour, "min": low, "max": top})
        low = top + 1
    return out


# --- air quality panels ---------------------------------------------------------------------------------


def station_map(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """Each station of the view on the area map with its figure: the AQI of the latest day computed up to
    today, or (`series`) the series' latest value in the last 24 hours."""
    stations = session.execute(
        select(Station.code, Station.name, Station.lon, Station.lat).where(Station.code.in_(_stations(view)))
    ).all()
    if not stations:
        return None
    codes = [s.code for s in stations]
    values: dict[str, dict[str, Any]] = {}
    day = None
    series = params.get("series")
    if series:
        feed = feeds.get(series)
        latest = (
            select(Value.place_code, func.max(Value.observed_at).label("at"))
            .where(
                Value.feed_id == (feed.id if feed else -1),
                Value.place_code.in_(codes),
                Value.observed_at > view.now - timedelta(hours=24),
                Value.observed_at <= view.now,
            )
            .group_by(Value.place_code)
            .subquery()
        )
        for place, value in session.execute(
            select(Value.place_code, Value.value).join(
                latest,
                and_(
                    Value.place_code == latest.c.place_code,
                    Value.observed_at == latest.c.at,
                    Value.feed_id == (feed.id if feed else -1),
                ),
            )
        ):
            values[place] = {"value": round(float(value), 1)}
        unit = feed.unit if feed else None
    else:
        day = session.scalar(
            select(func.max(AirQualityDay.day)).where(
                AirQualityDay.place_code.in_(codes),
                AirQualityDay.aqi.is_not(None),
                AirQualityDay.day <= view.today,
            )
        )
        if day is not None:
            for place, index, primary in session.execute(
                select(AirQualityDay.place_code, AirQualityDay.aqi, AirQualityDay.primary_pollutants).where(
                    AirQualityDay.place_code.in_(codes), AirQualityDay.day == day
                )
            ):
                values[place] = {"value": index, "grade": _grade(index), "primary": _pollutants(primary)}
        unit = None
    _, features, _ = area_shapes(session, view)
    return {
        "measure": "series" if series else "aqi",
        "unit": unit,
        "day": as_date(day).isoformat() if day is not None else None,
        "map_name": f"area-{view.area_code}",
        "geojson": {"type": "FeatureCollection", "features": features} if features else None,
        "grades": _grade_legend() if not series else None,
        "stations": [
            {
                "code": s.code,
                "name": s.name,
                "lon": s.lon,
                "lat": s.lat,
                **values.get(s.code, {"value": None}),
            }
            for s in stations
        ],
    }


def aqi_calendar(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """The year's days with their AQI (the city's; below it each day's worst station of the area)."""
    year = view.today.year
    rows = session.execute(
        select(AirQualityDay.day, func.max(AirQualityDay.aqi))
        .where(
            _air_places(view),
            AirQualityDay.aqi.is_not(None),
            AirQualityDay.day >= date(year, 1, 1),
            AirQualityDay.day <= view.today,
        )
        .group_by(AirQualityDay.day)
        .order_by(AirQualityDay.day)
    ).all()
    if not rows:
        return None
    return {
        "year": year,
        "through": view.today.isoformat(),
        "grades": _grade_legend(),
        "days": [[as_date(day).isoformat(), int(value or 0)] for day, value in rows],
    }


def _air_year(session: Session, view: View) -> indicator_queries.AirYear:
    stations = None if _is_city(view) else _stations(view)
    return indicator_queries.air_year_of_places(
        session, view.today.year, through=view.today, stations=stations
    )


def _air_measure(year: indicator_queries.AirYear, measure: str) -> float | None:
    return year.pm25_mean if measure == "pm25_mean" else year.good_ratio


def ratio(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """优良天数比例 (or the PM2.5 mean) of the year's valid days so far against the target."""
    year = _air_year(session, view)
    if not year.valid_days:
        return None
    measure = params["measure"]
    return {
        "measure": measure,
        "value": _air_measure(year, measure),
        "target": params["target"],
        "unit": "%" if measure == "good_ratio" else "μg/m³",
        "ceiling": measure == "pm25_mean",
        "good_days": year.good_days,
        "valid_days": year.valid_days,
    }


def goal_gauge(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """A goal's year-to-date figure against its target with its forecast and status, as the goals domain
    evaluated them; the year's air figure (`measure`, from the daily results) where the goal has no
    figure yet, no goal matches, or the goal is the city's and the view an area's — against the goal's
    target or the panel's."""
    from citycockpit.goals import queries as goal_queries
    from citycockpit.screen.queries import _goal_period

    goal = None
    if params.get("goal"):
        goal = goal_queries.find_year_goal(
            session,
            view.principal,
            view.today.year,
            str(params["goal"]),
            _goal_period(session, view),
            area_code=goal_area(view),
        )
    target = goal["target_value"] if goal and goal.get("target_value") is not None else params["target"]
    if goal is not None and not _is_city(view) and goal["area_code"] is None:
        goal = None  # the city's goal: its figures are the city's, not the viewed area's (its target holds)
    evaluation = (goal or {}).get("evaluation") or {}
    value = evaluation.get("to_date")
    source = "goal"
    measure = params.get("measure")
    valid_days = None
    if value is None and measure:
        year = _air_year(session, view)
        value, source, valid_days = _air_measure(year, measure), "air", year.valid_days
    if value is None and goal is None:
        return None
    return {
        "value": value,
        "source": source,
        "valid_days": valid_days,
        "target": target,
        "unit": params.get("unit") or (goal or {}).get("unit"),
        "ceiling": (goal or {}).get("qualifier") == "<=" or measure == "pm25_mean",
        "forecast": evaluation.get("forecast"),
        "status": evaluation.get("status"),
        "goal": {"id": goal["id"], "title": goal["title"]} if goal else None,
    }


def worst_days(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """The year's worst days so far by AQI (the city's; below it the area's stations'), with the
    primary pollutant of each."""
    limit = int(params.get("limit") or 10)
    rows = session.execute(
        select(
            AirQualityDay.day, AirQualityDay.place_code, AirQualityDay.aqi, AirQualityDay.primary_pollutants
        )
        .where(
            _air_places(view),
            AirQualityDay.aqi.is_not(None),
            AirQualityDay.day >= date(view.today.year, 1, 1),
            AirQualityDay.day <= view.today,
        )
        .order_by(AirQualityDay.aqi.desc(), AirQualityDay.day.desc())
        .limit(limit)
    ).all()
    if not rows:
        return None
    names = dict(
        session.execute(
            select(Station.code, Station.name).where(Station.code.in_({r.place_code for r in rows}))
        ).all()
    )
    return {
        "items": [
            {
                "day": as_date(r.day).isoformat(),
                "place_name": names.get(r.place_code) if r.place_code else None,
                "aqi": r.aqi,
                "grade": _grade(r.aqi),
                "primary": _pollutants(r.primary_pollutants),
            }
            for r in rows
        ]
    }


# --- series panels ------------------------------------------------------------------------------------


def _where(view: View, feed: Feed, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    where = [Value.feed_id == feed.id, Value.observed_at >= start, Value.observed_at <= end]
    places = _value_places(view)
    return where if places is None else [*where, places]


def _aggregate(
    session: Session, view: View, feed: Feed, agg: str, start: datetime, end: datetime, *, group: bool = False
) -> Any:
    """A series over a span: the sum or mean of its values, or the sum of each place's latest value
    (`last`: what is open now, over the places); per place when `group`."""
    where = _where(view, feed, start, end)
    if agg == "last":
        latest = (
            select(Value.place_code, func.max(Value.observed_at).label("at"))
            .where(*where)
            .group_by(Value.place_code)
            .subquery()
        )
        joined = and_(
            Value.feed_id == feed.id,
            Value.place_code == latest.c.place_code,
            Value.observed_at == latest.c.at,
        )
        if group:
            return session.execute(
                select(Value.place_code, func.sum(Value.value))
                .join(latest, joined)
                .group_by(Value.place_code)
            ).all()
        return session.scalar(select(func.sum(Value.value)).join(latest, joined))
    figure = func.sum(Value.value) if agg == "sum" else func.avg(Value.value)
    if group:
        return session.execute(
            select(Value.place_code, figure).where(*where).group_by(Value.place_code)
        ).all()
    return session.scalar(select(figure).where(*where))


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def kpi(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """Each item's figure for the period so far and for the same span of the period before (its trend)."""
    (start, end), (prev_start, prev_end) = _period(view, params.get("period", "month"))
    items = []
    for item in params["items"]:
        feed = feeds.get(item["series"])
        if feed is None:
            continue
        agg = item.get("agg", "sum")
        value = _round(_aggregate(session, view, feed, agg, start, end))
        before = _round(_aggregate(session, view, feed, agg, prev_start, prev_end))
        items.append(
            {
                "series": feed.code,
                "label": item.get("label") or feed.name,
                "unit": feed.unit,
                "value": value,
                "previous": before,
                "change": None if value is None or before is None else round(value - before, 1),
                "target": item.get("target"),
                "lower_is_better": bool(item.get("lower_is_better")),
            }
        )
    if not any(i["value"] is not None for i in items):
        return None
    return {"period": params.get("period", "month"), "items": items}


def trend(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """One series over the last `days` local days, a point a day, or the last `months` local months (this
    one so far included), a point a month: the sum or mean of its places' values in each."""
    feed = feeds.get(params["series"])
    if feed is None:
        return None
    dialect = dialect_name(session)
    if params.get("months"):
        months = int(params["months"])
        first = view.today.replace(day=1)
        for _ in range(months - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        bucket, step = local_month(Value.observed_at, view.zone, dialect), "month"
    else:
        first = view.today - timedelta(days=int(params.get("days") or 30) - 1)
        bucket, step = local_date(Value.observed_at, view.zone, dialect), "day"
    figure = func.avg(Value.value) if params.get("agg") == "mean" else func.sum(Value.value)
    rows = session.execute(
        select(bucket, figure)
        .where(*_where(view, feed, _utc(first, view), view.now))
        .group_by(bucket)
        .order_by(bucket)
    ).all()
    if not rows:
        return None
    return {
        "name": feed.name,
        "unit": feed.unit,
        "target": params.get("target"),
        "step": step,
        "points": [[b if step == "month" else as_date(b).isoformat(), _round(v)] for b, v in rows],
    }


def by_area(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """One series per area of the view for the period so far, largest first."""
    feed = feeds.get(params["series"])
    if feed is None:
        return None
    (start, end), _ = _period(view, params.get("period", "month"))
    rows = _aggregate(session, view, feed, params.get("agg", "sum"), start, end, group=True)
    names = dict(
        session.execute(select(Area.code, Area.name).where(Area.code.in_([code for code, _ in rows]))).all()
    )
    bars = sorted(
        ({"code": code, "name": names[code], "value": _round(v)} for code, v in rows if code in names),
        key=lambda b: -(b["value"] or 0),
    )
    if not bars:
        return None
    return {"name": feed.name, "unit": feed.unit, "target": params.get("target"), "items": bars}


def alerts(session: Session, view: View, params: Params, feeds: Feeds) -> dict[str, Any] | None:
    """The theme's open indicator alerts in the view, newest first; null when the theme has no data yet."""
    if not feeds:
        return None
    codes = [f.id for f in feeds.values()]
    if session.scalar(select(Value.id).where(Value.feed_id.in_(codes)).limit(1)) is None:
        return None
    theme = next(iter(feeds.values())).theme
    rows = indicator_queries.list_alerts(
        session, principal=narrowed(view), theme=theme, limit=int(params.get("limit") or 20)
    )
    return {"items": [alert_item(r) for r in alarms_first(rows)]}


READERS: dict[str, Reader] = {
    "station_map": station_map,
    "aqi_calendar": aqi_calendar,
    "goal_gauge": goal_gauge,
    "ratio": ratio,
    "worst_days": worst_days,
    "kpi": kpi,
    "trend": trend,
    "by_area": by_area,
    "alerts": alerts,
}
