"""Read-only aggregates for the API, the CLI report and the big screen, all computed in SQL.

Completion rate (计划投资完成率) of a project for period Y-M = actual cumulative investment reported for
the latest month ≤ M of year Y ÷ the year's planned investment. Time progress (时序进度) of its plan =
(M − s + 1) ÷ (12 − s + 1), where s is the plan's start month (0 before it). A project lags when its
completion rate is more than `margin_pct` percentage points below its time progress. Projects without a
plan for the year are not counted in any rate; they are listed as "no plan"."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, extract, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import scope_clause
from citycockpit.core.listing import Listing
from citycockpit.core.periods import Month, parse_month
from citycockpit.org.models import Area, Department
from citycockpit.projects.attraction import SigningRules
from citycockpit.projects.enums import ProjectLevel
from citycockpit.projects.errors import InvalidPeriod
from citycockpit.projects.models import (
    AttractionGoal,
    InvestmentSigning,
    Project,
    ProjectAnnualPlan,
    ProjectMonthlyProgress,
)
from citycockpit.projects.service import filtered_projects, project_scope

DIMENSIONS = ("level", "industry", "area", "department")
Period = Month  # the month a completion figure is for


def parse_period(text: str) -> Period:
    """The month asked for, in any form `core.periods.parse_month` reads (`2024-06`, `2024/6`, `2024年6月` …)."""
    return parse_month(text)


def default_period(today: date) -> Period:
    """The latest month whose reports are due: this month on its last day, else the month before."""
    if (today + timedelta(days=1)).month != today.month:
        return Period(today.year, today.month)
    previous = today.replace(day=1) - timedelta(days=1)
    return Period(previous.year, previous.month)


def _latest_actual(period: Period) -> Any:
    """Correlated: the cumulative actual of the project's latest month ≤ period in the period's year.
    One index seek per project on (project_id, year, month)."""
    progress = ProjectMonthlyProgress
    return (
        select(progress.actual_cumulative_wan_cny)
        .where(
            progress.project_id == Project.id,
            progress.year == period.year,
            progress.month <= period.month,
        )
        .order_by(progress.month.desc())
        .limit(1)
        .correlate(Project)
        .scalar_subquery()
    )


def project_rates(principal: Principal, period: Period, margin_pct: float) -> Subquery:
    """One row per project in scope that is live in the period's year, with plan, actual, time progress,
    completion rate and the lag flag."""
    plan = ProjectAnnualPlan
    planned = plan.planned_investment_wan_cny
    actual = func.coalesce(_latest_actual(period), 0)
    elapsed = literal(period.month) - plan.start_month + 1
    span = 13 - plan.start_month
    time_progress = case(
        (plan.id.is_(None), None),
        (elapsed <= 0, 0.0),
        else_=cast(elapsed, Float) * 100.0 / span,
    )
    completion = case((plan.id.is_(None), None), else_=cast(actual, Float) * 100.0 / planned)
    # Integer-exact form of: actual/planned·100 < time progress − margin (no rounding at the boundary).
    lagging = case(
        (
            and_(
                plan.id.is_not(None),
                actual * 100 * span < planned * (elapsed * 100 - literal(margin_pct, Float) * span),
            ),
            1,
        ),
        else_=0,
    )
    return (
        select(
            Project.id.label("project_id"),
            Project.code,
            Project.name,
            Project.level,
            Project.industry,
            Project.area_code,
            Project.department_id,
            Project.stage,
            planned.label("planned"),
            plan.start_month,
            actual.label("actual"),
            time_progress.label("time_progress_pct"),
            completion.label("completion_pct"),
            lagging.label("is_lagging"),
        )
        .outerjoin(plan, and_(plan.project_id == Project.id, plan.year == period.year))
        .where(project_scope(principal))
        .where(
            or_(
                plan.id.is_not(None),
                Project.actual_finish_on.is_(None),
                Project.actual_finish_on >= date(period.year, 1, 1),
            )
        )
        .subquery()
    )


def _totals_columns(rows: Subquery) -> list[Any]:
    planned_actual = func.sum(case((rows.c.planned.is_not(None), rows.c.actual), else_=0))
    planned = func.sum(rows.c.planned)
    return [
        func.count().label("projects"),
        func.count(rows.c.planned).label("planned_projects"),
        func.coalesce(planned, 0).label("planned_wan_cny"),
        func.coalesce(planned_actual, 0).label("actual_wan_cny"),
        func.coalesce(func.sum(rows.c.planned * rows.c.time_progress_pct / 100.0), 0).label(
            "time_adjusted_plan_wan_cny"
        ),
        (cast(planned_actual, Float) * 100.0 / func.nullif(planned, 0)).label("completion_pct"),
        (func.sum(rows.c.planned * rows.c.time_progress_pct) / func.nullif(planned, 0)).label(
            "time_progress_pct"
        ),
        func.coalesce(func.sum(rows.c.is_lagging), 0).label("lagging"),
    ]


def completion_totals(
    session: Session, principal: Principal, period: Period, margin_pct: float
) -> dict[str, Any]:
    """The overall completion of the year's plan for the period (projects in the caller's scope)."""
    rows = project_rates(principal, period, margin_pct)
    return dict(session.execute(select(*_totals_columns(rows))).mappings().one())


def completion_by(
    session: Session, principal: Principal, period: Period, margin_pct: float, *, by: str
) -> list[dict[str, Any]]:
    """Completion aggregated by level, industry, area (town) or lead department, largest plan first."""
    rows = project_rates(principal, period, margin_pct)
    if by == "level":
        key, label = rows.c.level, rows.c.level
        query = select(key.label("key"), label.label("label"), *_totals_columns(rows)).group_by(key)
    elif by == "industry":
        query = select(rows.c.industry.label("key"), rows.c.industry.label("label"), *_totals_columns(rows))
        query = query.group_by(rows.c.industry)
    elif by == "area":
        query = (
            select(rows.c.area_code.label("key"), Area.name.label("label"), *_totals_columns(rows))
            .join(Area, Area.code == rows.c.area_code)
            .group_by(rows.c.area_code, Area.name)
        )
    elif by == "department":
        query = (
            select(
                rows.c.department_id.label("key"),
                func.coalesce(Department.short_name, Department.name).label("label"),
                *_totals_columns(rows),
            )
            .join(Department, Department.id == rows.c.department_id)
            .group_by(rows.c.department_id, Department.short_name, Department.name)
        )
    else:
        raise InvalidPeriod(f"Cannot group by {by!r}; use one of {', '.join(DIMENSIONS)}", by=by)
    out = [
        dict(r)
        for r in session.execute(query.order_by(func.coalesce(func.sum(rows.c.planned), 0).desc())).mappings()
    ]
    for item in out:
        if by == "department":
            item["key"] = str(item["key"])
        elif by == "level":
            item["label"] = ProjectLevel(item["key"]).label
    return out


def project_completion(
    session: Session,
    principal: Principal,
    period: Period,
    margin_pct: float,
    *,
    lagging_only: bool = False,
    no_plan_only: bool = False,
    offset: int = 0,
    limit: int = 500,
) -> tuple[list[dict[str, Any]], int]:
    """Per-project rows with their department name; lagging ones ordered by how far behind they are."""
    rows = project_rates(principal, period, margin_pct)
    query = (
        select(
            rows,
            func.coalesce(Department.short_name, Department.name).label("department_name"),
            Area.name.label("area_name"),
            (rows.c.time_progress_pct - rows.c.completion_pct).label("gap_pct"),
        )
        .join(Department, Department.id == rows.c.department_id)
        .join(Area, Area.code == rows.c.area_code)
    )
    if lagging_only:
        query = query.where(rows.c.is_lagging == 1)
    if no_plan_only:
        query = query.where(rows.c.planned.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (
        [rows.c.code]
        if not lagging_only
        else [(rows.c.time_progress_pct - rows.c.completion_pct).desc(), rows.c.code]
    )
    items = session.execute(query.order_by(*order).offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in items], total


# --- investment attraction -------------------------------------------------------------------------


def attraction_totals(
    session: Session, principal: Principal, year: int, *, rules: SigningRules = SigningRules()
) -> dict[str, Any]:
    """Signings of the year per month (with running totals) and the year's totals against its goals."""
    signing = InvestmentSigning
    month = extract("month", signing.signed_on)
    above = signing.is_above_threshold.is_(True)
    query = (
        select(
            month.label("month"),
            func.sum(case((above, 1), else_=0)).label("signed_count"),
            func.coalesce(func.sum(case((above, signing.total_investment_wan_cny), else_=0)), 0).label(
                "total_investment_wan_cny"
            ),
            func.sum(case((signing.is_major.is_(True), 1), else_=0)).label("major_count"),
            func.sum(case((signing.is_foreign_funded.is_(True), 1), else_=0)).label("foreign_funded_count"),
            func.coalesce(func.sum(signing.foreign_capital_used_wan_usd), 0).label(
                "foreign_capital_used_wan_usd"
            ),
        )
        .where(signing.signed_on >= date(year, 1, 1), signing.signed_on < date(year + 1, 1, 1))
        .where(scope_clause(principal, department_col=signing.department_id, area_code_col=signing.area_code))
        .group_by(month)
    )
    by_month = {int(r["month"]): dict(r) for r in session.execute(query).mappings()}
    metrics = (
        "signed_count",
        "total_investment_wan_cny",
        "major_count",
        "foreign_funded_count",
        "foreign_capital_used_wan_usd",
    )
    running = dict.fromkeys(metrics, 0.0)
    months = []
    for m in range(1, 13):
        row = by_month.get(m, {})
        item: dict[str, Any] = {"month": m}
        for key in metrics:
            value = float(row.get(key) or 0)
            running[key] += value
            item[key] = value
            item[f"cumulative_{key}"] = running[key]
        months.append(item)
    goals = {g.metric: g for g in session.scalars(select(AttractionGoal).where(AttractionGoal.year == year))}
    linked = _linked_goal_titles(session, [g.goal_ref for g in goals.values() if g.goal_ref])
    year_totals = []
    for metric, label in rules.labels().items():
        goal = goals.get(metric)
        actual = running[metric]
        year_totals.append(
            {
                "metric": metric,
                "label": label,
                "actual": actual,
                "target": goal.target_value if goal else None,
                "goal_ref": goal.goal_ref if goal else None,
                "goal_title": linked.get(goal.goal_ref) if goal and goal.goal_ref else None,
                "progress_pct": (actual * 100.0 / goal.target_value) if goal else None,
            }
        )
    return {
        "year": year,
        "months": months,
        "totals": year_totals,
        "foreign_funded_count": running["foreign_funded_count"],
    }


def _linked_goal_titles(session: Session, refs: list[str]) -> dict[str, str]:
    """Titles of the tracked goals (goals domain) that attraction goals link to."""
    from citycockpit.goals import service as goals_service
    from citycockpit.goals.errors import GoalNotFound

    titles = {}
    for ref in refs:
        try:
            titles[ref] = goals_service.get_goal(session, int(ref)).title
        except (GoalNotFound, ValueError):
            continue  # the goal was deleted since; the link shows as unresolved
    return titles


def projects_listing(
    principal: Principal, *, level: str | None = None, stage: str | None = None, q: str | None = None
) -> Listing:
    """The projects in the principal's scope matching the filters (as `filtered_projects`), with their
    area's name and department's short name; rows are (Project, area name, department short name).
    Sortable by code, name, level, area, department, stage and total; by code unless asked."""
    query = (
        filtered_projects(principal, level=level, stage=stage, q=q)
        .add_columns(Area.name, Department.short_name)
        .join(Area, Area.code == Project.area_code)
        .join(Department, Department.id == Project.department_id)
    )
    return Listing(
        query,
        sorts={
            "code": Project.code,
            "name": Project.name,
            "level": Project.level,
            "area": Area.name,
            "department": Department.short_name,
            "stage": Project.stage,
            "total": Project.total_investment_wan_cny,
        },
        default_order=(Project.code,),
    )
