"""Monthly actuals of goals' series fed by indicator feeds: when late or revised values change a month,
the month's figure is recomputed from the feed (indicators' queries) and the goals that follow the
series are re-evaluated through goals' own home (evaluation.reevaluate); likewise the series that
follow the daily air quality (goals/airgoals.py) when its days are recomputed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import SystemActor
from citycockpit.goals import airgoals, evaluation
from citycockpit.goals.models import IndicatorActual
from citycockpit.goals.status import Thresholds
from citycockpit.indicators import queries as indicator_queries
from citycockpit.indicators import service as indicators
from citycockpit.indicators.models import AirQualityDay, Feed
from citycockpit.ops.jobs import JobResult

WORKER = SystemActor("worker")


def feed_actuals_job(
    session: Session, *, now: datetime, calendar: Any, thresholds: Thresholds | None = None
) -> JobResult:
    """The worker's step: recompute the months the feeds marked, store them as the series' actuals
    (source `feed:<code>`) and re-evaluate the goals following those series."""
    pending = indicators.pending_goal_months(session)
    if not pending:
        return JobResult("goal_feeds", 0)
    if thresholds is None:
        from citycockpit.config import get_settings

        thresholds = Thresholds.from_settings(get_settings())
    changed: list[dict[str, Any]] = []
    series_ids: set[int] = set()
    for feed in session.scalars(select(Feed).where(Feed.id.in_(pending), Feed.goal_series_id.is_not(None))):
        assert feed.goal_series_id is not None
        for year, month in sorted(pending[feed.id]):
            period = f"{year:04d}-{month:02d}"
            value = indicator_queries.monthly_value(session, feed, year, month, zone=calendar.zone)
            actual = session.scalar(
                select(IndicatorActual).where(
                    IndicatorActual.series_id == feed.goal_series_id, IndicatorActual.period == period
                )
            )
            if actual is None:
                session.add(
                    IndicatorActual(
                        series_id=feed.goal_series_id,
                        period=period,
                        value=value,
                        source=f"feed:{feed.code}",
                        imported_at=now,
                    )
                )
            elif actual.value != value:
                changed.append(
                    {"series_id": feed.goal_series_id, "period": period, "from": actual.value, "to": value}
                )
                actual.value, actual.source, actual.imported_at = value, f"feed:{feed.code}", now
            series_ids.add(feed.goal_series_id)
    indicators.finish_goal_marks(session, pending)
    session.flush()
    if series_ids:
        audit.record(
            session,
            WORKER,
            "actuals.feed",
            "indicator_actuals",
            None,
            at=now,
            diff={"series": sorted(series_ids), "replaced": changed},
        )
        evaluation.reevaluate(
            session,
            series_ids=series_ids,
            today=now.astimezone(calendar.zone).date(),
            thresholds=thresholds,
            now=now,
        )
    return JobResult("goal_feeds", len(series_ids))


def air_goals_job(
    session: Session, *, now: datetime, calendar: Any, thresholds: Thresholds | None = None
) -> JobResult:
    """The worker's step after the air quality's: when days were recomputed since the linked series'
    actuals were last made, remake this year's and last year's and re-evaluate their goals."""
    links = airgoals.linked_series(session)
    if not links:
        return JobResult("air_goals", 0)
    computed = session.scalar(select(func.max(AirQualityDay.computed_at)))
    made = session.scalar(
        select(func.max(IndicatorActual.imported_at)).where(IndicatorActual.series_id.in_(links))
    )
    if computed is None or (made is not None and made >= computed):
        return JobResult("air_goals", 0)
    if thresholds is None:
        from citycockpit.config import get_settings

        thresholds = Thresholds.from_settings(get_settings())
    today = now.astimezone(calendar.zone).date()
    changed = airgoals.refresh_air_actuals(
        session, years=[today.year - 1, today.year], today=today, now=now, actor=WORKER
    )
    # the goals are re-evaluated even when no monthly figure moved: a new day moves the forecast
    evaluation.reevaluate(session, series_ids=list(links), today=today, thresholds=thresholds, now=now)
    if not changed:
        # mark the actuals as made from these days, so the next run does nothing
        for actual in session.scalars(
            select(IndicatorActual).where(
                IndicatorActual.series_id.in_(links), IndicatorActual.period.like(f"{today.year}-%")
            )
        ):
            actual.imported_at = now
        session.flush()
    return JobResult("air_goals", len(links))
