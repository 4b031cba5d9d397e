"""Goal series that follow the city's daily air quality (按日监测数据): the link, the facts the rules of
goals/airforecast.py read (one GROUP BY over `air_quality_days`), the series' monthly actuals made from
them, and the worker's step that keeps both fresh when days are recomputed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import Actor
from citycockpit.goals import airforecast
from citycockpit.goals.airforecast import LINKS, MonthTotals
from citycockpit.goals.errors import InvalidGoal
from citycockpit.goals.models import IndicatorActual, IndicatorSeries
from citycockpit.goals.series import get_series
from citycockpit.goals.status import Forecast, IndicatorFacts
from citycockpit.indicators import queries as indicator_queries


def link_series(
    session: Session, series_id: int, link: str | None, *, actor: Actor, now: datetime, today: date
) -> IndicatorSeries:
    """Make a series follow the city's daily air quality (`air:pm25_annual_mean`,
    `air:good_days_ratio`), or nothing (None). Its goals are then judged on the daily figures and
    their forecast; its monthly actuals are made from them. Only a series of monthly levels can follow
    (a running total would be meaningless). Linking makes this year's and last year's monthly actuals
    at once; the caller re-evaluates the series' goals."""
    series = get_series(session, series_id)
    if link is not None and link not in LINKS:
        raise InvalidGoal(f"A series can follow {' or '.join(LINKS)}, not {link}", link=link)
    if link is not None and series.is_cumulative:
        raise InvalidGoal(
            f"Series {series.name} holds running totals; only a series of monthly levels can follow "
            "the daily air quality",
            series_id=series_id,
        )
    before = series.link
    series.link = link
    session.flush()
    audit.record(
        session,
        actor,
        "series.link",
        "indicator_series",
        series.id,
        at=now,
        diff={"from": before, "to": link},
    )
    if link is not None:
        refresh_air_actuals(session, years=[today.year - 1, today.year], today=today, now=now, actor=actor)
    return series


def linked_series(session: Session, series_ids: list[int] | None = None) -> dict[int, str]:
    """{series id: link} of the series that follow the air quality."""
    query = select(IndicatorSeries.id, IndicatorSeries.link).where(IndicatorSeries.link.in_(LINKS))
    if series_ids is not None:
        query = query.where(IndicatorSeries.id.in_(series_ids))
    return {sid: str(link) for sid, link in session.execute(query)}


@dataclass
class AirFacts:
    """The city's monthly totals of the valid days: this year's, the past years', and each month's last
    day with data (from indicators.queries.air_months)."""

    year: int
    this_year: dict[int, MonthTotals] = field(default_factory=dict)
    past: list[dict[int, MonthTotals]] = field(default_factory=list)
    last_days: dict[int, date] = field(default_factory=dict)


def read_air_facts(session: Session, year: int, *, today: date) -> AirFacts:
    """This year's and up to `airforecast.PAST_YEARS` past years' monthly totals: 12 rows a year."""
    facts = AirFacts(year)
    by_year: dict[int, dict[int, MonthTotals]] = {}
    for row in indicator_queries.air_months(
        session, first_year=year - airforecast.PAST_YEARS, last_year=year, through=today
    ):
        by_year.setdefault(row.year, {})[row.month] = MonthTotals(row.valid_days, row.good_days, row.pm25_sum)
        if row.year == year:
            facts.last_days[row.month] = row.last_day
    facts.this_year = by_year.pop(year, {})
    facts.past = [by_year[y] for y in sorted(by_year)]
    return facts


def forecaster(link: str, air: AirFacts) -> Callable[[IndicatorFacts], Forecast | None]:
    """The forecast rule for a goal of a linked series, judged at its facts' as-of date."""

    def forecast_of(facts: IndicatorFacts) -> Forecast | None:
        through = airforecast.data_through(air.this_year, air.last_days, facts.as_of)
        if through is None:
            return None
        return airforecast.air_forecast(link, air.this_year, air.past, through=through)

    return forecast_of


def month_value(link: str, totals: MonthTotals) -> float | None:
    """A month's own figure of a linked series: its PM2.5 mean, or its 优良天数比例 (%)."""
    if totals.valid_days == 0:
        return None
    if link == airforecast.PM25_ANNUAL_MEAN:
        return round(totals.pm25_sum / totals.valid_days, 1)
    return round(100.0 * totals.good_days / totals.valid_days, 1)


def refresh_air_actuals(
    session: Session, *, years: list[int], today: date, now: datetime, actor: Actor
) -> list[int]:
    """Write the linked series' monthly actuals of `years` from the daily air quality (source the link);
    returns the series whose actuals changed (their goals need re-evaluating)."""
    links = linked_series(session)
    if not links or not years:
        return []
    months = indicator_queries.air_months(session, first_year=min(years), last_year=max(years), through=today)
    stored = {
        (a.series_id, a.period): a
        for a in session.scalars(select(IndicatorActual).where(IndicatorActual.series_id.in_(links)))
    }
    changed: set[int] = set()
    replaced: list[dict[str, Any]] = []
    for row in months:
        if row.year not in years:
            continue
        period = f"{row.year:04d}-{row.month:02d}"
        for sid, link in links.items():
            value = month_value(link, MonthTotals(row.valid_days, row.good_days, row.pm25_sum))
            actual = stored.get((sid, period))
            if actual is None:
                session.add(
                    IndicatorActual(series_id=sid, period=period, value=value, source=link, imported_at=now)
                )
                changed.add(sid)
            elif actual.value != value or actual.source != link:
                replaced.append({"series_id": sid, "period": period, "from": actual.value, "to": value})
                actual.value, actual.source, actual.imported_at = value, link, now
                changed.add(sid)
    session.flush()
    if changed:
        audit.record(
            session,
            actor,
            "actuals.air",
            "indicator_actuals",
            None,
            at=now,
            diff={"series": sorted(changed), "years": sorted(years), "replaced": replaced[:50]},
        )
    return sorted(changed)
