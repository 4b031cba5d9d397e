"""Builders for goals tests: goals, series with actuals, reports — realistic values, small."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from citycockpit.auth.enums import Role
from citycockpit.auth.permissions import perms_for
from citycockpit.auth.principal import Principal
from citycockpit.core.actors import SystemActor
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.goals import evaluation, milestones, series, service
from citycockpit.goals.models import Goal, IndicatorActual, IndicatorSeries
from citycockpit.ops.jobs import JobResult

ACTOR = SystemActor("test")


def make_goal(db: Session, *, now: datetime, title: str = "新建新能源充电站40座", **kw: Any) -> Goal:
    kw.setdefault("year", 2024)
    return service.create_goal(db, title=title, actor=ACTOR, now=now, **kw)


def make_series(
    db: Session,
    name: str,
    *,
    now: datetime,
    cumulative: bool = True,
    unit: str = "亿元",
    aliases: list[str] | None = None,
) -> IndicatorSeries:
    return series.create_series(
        db, name=name, unit=unit, is_cumulative=cumulative, aliases=aliases or [], actor=ACTOR, now=now
    )


def add_actuals(
    db: Session,
    s: IndicatorSeries,
    year: int,
    values: dict[int, float | tuple[float, float]],
    *,
    now: datetime,
) -> None:
    for month, v in values.items():
        value, yoy = v if isinstance(v, tuple) else (v, None)
        db.add(
            IndicatorActual(
                series_id=s.id, period=f"{year}-{month:02d}", value=value, yoy_pct=yoy, imported_at=now
            )
        )
    db.flush()


def add_milestone(db: Session, goal: Goal, due: date, *, now: datetime, title: str = "完成项目立项") -> Any:
    return milestones.add_milestone(db, goal.id, title=title, due_on=due, actor=ACTOR, now=now)


def lead_of(goal: Goal) -> Principal:
    """A department principal of the goal's lead department."""
    return Principal(
        id=None,
        name=f"dept{goal.lead_department_id}",
        role=Role.DEPARTMENT,
        perms=perms_for(Role.DEPARTMENT),
        department_id=goal.lead_department_id,
    )


def run_daily_evaluation(db: Session, *, now: datetime) -> JobResult:
    """The worker's daily goals job, as it runs after midnight: goals built here bypass the API's
    writes, which would have evaluated them."""
    return evaluation.evaluate_goals_job(db, now=now, calendar=DEFAULT_CALENDAR)
