"""Read-only aggregates over the stored evaluations (SQL GROUP BY), and the roll-up tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session

from citycockpit.auth.principal import Principal
from citycockpit.core.listing import Listing
from citycockpit.goals.enums import STATUS_ORDER, GoalStatus
from citycockpit.goals.models import Goal, GoalEvaluation, GoalNode
from citycockpit.goals.service import goal_area_clause, goal_scope
from citycockpit.goals.status import Evaluation, NodeScore, goal_score, roll_up
from citycockpit.org.models import Department

# ---------------------------------------------------------------- the workbench's goal list

# The list's sort keys (the page names them) and the columns they sort on.
GOAL_LIST_SORT: dict[str, Any] = {
    "key": Goal.key,
    "title": Goal.title,
    "department": Department.short_name,
    "status": GoalEvaluation.status,
    "progress": GoalEvaluation.progress,
    "time_progress": GoalEvaluation.time_progress,
    "due_on": Goal.due_on,
}
GOAL_LIST_ORDER = [Goal.position, Goal.id]


def goal_list(
    principal: Principal | None,
    *,
    period: str,
    node_id: int | None = None,
    department_id: int | None = None,
    status: str = "",
) -> Listing:
    """Goals of the period's year in scope, each with its stored evaluation for the period (or none) and
    its lead department's short name; under a task area (or a sub-task), led by a department, or in a
    status when asked. Rows: (Goal, status, progress, time_progress, department short name); sortable
    by GOAL_LIST_SORT's keys, in the task sheet's order otherwise."""
    ev = GoalEvaluation
    query = (
        select(Goal, ev.status, ev.progress, ev.time_progress, Department.short_name)
        .outerjoin(ev, and_(ev.goal_id == Goal.id, ev.period == period))
        .outerjoin(Department, Department.id == Goal.lead_department_id)
        .where(goal_scope(principal), Goal.year == int(period[:4]))
    )
    if node_id is not None:
        under = select(GoalNode.id).where(or_(GoalNode.id == node_id, GoalNode.parent_id == node_id))
        query = query.where(Goal.node_id.in_(under))
    if department_id is not None:
        query = query.where(Goal.lead_department_id == department_id)
    if status:
        query = query.where(ev.status == status)
    return Listing(query, GOAL_LIST_SORT, tuple(GOAL_LIST_ORDER))


def task_areas(session: Session, year: int) -> list[GoalNode]:
    """The year's task areas (top-level nodes) in their order."""
    query = select(GoalNode).where(GoalNode.year == year, GoalNode.parent_id.is_(None))
    return list(session.scalars(query.order_by(GoalNode.position)).all())


def lead_departments(session: Session, year: int) -> list[Row[tuple[int, str | None]]]:
    """Rows (id, short_name) of the departments leading a goal of the year, by department code."""
    rows = session.execute(
        select(Department.id, Department.short_name)
        .where(Department.id.in_(select(Goal.lead_department_id).where(Goal.year == year)))
        .order_by(Department.code)
    )
    return list(rows.all())


def goal_evaluations(session: Session, goal_id: int) -> list[GoalEvaluation]:
    """A goal's stored evaluations, month by month (its chart)."""
    query = select(GoalEvaluation).where(GoalEvaluation.goal_id == goal_id).order_by(GoalEvaluation.period)
    return list(session.scalars(query).all())


def department(session: Session, department_id: int | None) -> Department | None:
    return session.get(Department, department_id) if department_id else None


# ---------------------------------------------------------------- stored evaluations


def latest_evaluated_period(session: Session, up_to: str) -> str | None:
    """The newest month up to `up_to` that has stored evaluations (None before any evaluation)."""
    return session.scalar(select(func.max(GoalEvaluation.period)).where(GoalEvaluation.period <= up_to))


def status_counts(session: Session, principal: Principal | None, period: str) -> dict[str, int]:
    """Goals per status for the period, in the caller's scope."""
    rows = session.execute(
        select(GoalEvaluation.status, func.count(GoalEvaluation.id))
        .join(Goal, Goal.id == GoalEvaluation.goal_id)
        .where(GoalEvaluation.period == period, goal_scope(principal))
        .group_by(GoalEvaluation.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


def counts_by_department(
    session: Session, principal: Principal | None, period: str
) -> list[tuple[int | None, str | None, str, int]]:
    """(lead department id, short name, status, count) for the period; GROUP BY."""
    rows = session.execute(
        select(Goal.lead_department_id, Department.short_name, GoalEvaluation.status, func.count(Goal.id))
        .join(GoalEvaluation, GoalEvaluation.goal_id == Goal.id)
        .outerjoin(Department, Department.id == Goal.lead_department_id)
        .where(GoalEvaluation.period == period, goal_scope(principal))
        .group_by(Goal.lead_department_id, Department.short_name, GoalEvaluation.status)
    ).all()
    return [(d, name, s, n) for d, name, s, n in rows]


def counts_by_area(
    session: Session, principal: Principal | None, period: str, *, area_code: str | None = None
) -> list[tuple[int | None, str, int]]:
    """(task-area node id, status, count): goals under a sub-task count for its task area; GROUP BY.
    Only the goals an area's screen shows (goal_area_clause: the area's own and the city's)."""
    area = func.coalesce(GoalNode.parent_id, GoalNode.id)
    rows = session.execute(
        select(area, GoalEvaluation.status, func.count(Goal.id))
        .select_from(Goal)
        .join(GoalEvaluation, GoalEvaluation.goal_id == Goal.id)
        .outerjoin(GoalNode, GoalNode.id == Goal.node_id)
        .where(GoalEvaluation.period == period, goal_scope(principal), goal_area_clause(area_code))
        .group_by(area, GoalEvaluation.status)
    ).all()
    return [(a, s, n) for a, s, n in rows]


def ordered_counts(counts: dict[str, int]) -> list[tuple[GoalStatus, int]]:
    return [(s, counts[s.value]) for s in STATUS_ORDER if counts.get(s.value)]


@dataclass
class RolledNode:
    node: GoalNode
    score: NodeScore
    children: list[RolledNode] = field(default_factory=list)
    goals: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.node.id,
            "number": self.node.number,
            "title": self.node.title,
            "rollup_rule": self.node.rollup_rule,
            "weight": self.node.weight,
            "score": self.score.score,
            "progress": self.score.progress,
            "color": self.score.color.value,
            "unscored": self.score.unscored,
            "goals": self.goals,
            "children": [c.as_dict() for c in self.children],
        }


def rollup_tree(session: Session, principal: Principal | None, *, year: int, period: str) -> list[RolledNode]:
    """Task areas with their sub-tasks, each rolled up from its goals by the node's own rule."""
    nodes = list(session.scalars(select(GoalNode).where(GoalNode.year == year).order_by(GoalNode.position)))
    rows = session.execute(
        select(Goal.node_id, Goal.weight, GoalEvaluation.status, GoalEvaluation.progress)
        .join(GoalEvaluation, GoalEvaluation.goal_id == Goal.id)
        .where(Goal.year == year, GoalEvaluation.period == period, goal_scope(principal))
    ).all()
    per_node: dict[int | None, list[NodeScore]] = {}
    for node_id, weight, status, progress in rows:
        ev = Evaluation(GoalStatus(status), "", "", progress=progress)
        per_node.setdefault(node_id, []).append(goal_score(ev, weight))
    children_of: dict[int | None, list[GoalNode]] = {}
    for node in nodes:
        children_of.setdefault(node.parent_id, []).append(node)

    def build(node: GoalNode) -> RolledNode:
        kids = [build(c) for c in children_of.get(node.id, [])]
        own = per_node.get(node.id, [])
        parts = own + [
            NodeScore(k.score.score, k.score.progress, k.node.weight, k.score.unscored) for k in kids
        ]
        rolled = roll_up(parts, node.rollup_rule, weight=node.weight)
        return RolledNode(node, rolled, kids, len(own) + sum(k.goals for k in kids))

    return [r for r in (build(n) for n in children_of.get(None, [])) if r.goals]


# ---------------------------------------------------------------- what the big screen reads


def year_targets(
    session: Session,
    principal: Principal | None,
    year: int,
    period: str | None,
    *,
    area_code: str | None = None,
    limit: int = 30,
) -> list[dict[str, Any]]:
    """The year's main targets shown for an area (the city's: goals made from the report's targets; an
    area's: its own indicator goals after the city's), in the task sheet's order, each as the goal
    views show it (goals.views) with its stored evaluation for `period` (or none)."""
    from citycockpit.goals.views import goal_views

    goals = list(
        session.scalars(
            select(Goal)
            .where(goal_scope(principal), goal_area_clause(area_code), Goal.year == year)
            .where(or_(Goal.source == "target", and_(Goal.area_code.is_not(None), Goal.kind == "indicator")))
            .order_by(Goal.area_code.is_(None), Goal.position, Goal.id)  # an area's own targets first
            .limit(limit)
        )
    )
    return goal_views(session, goals, period) if goals else []


def has_goals(session: Session, principal: Principal | None, *, area_code: str | None = None) -> bool:
    """Whether any goal an area's screen shows (the city's when no area) is in the caller's scope."""
    query = select(Goal.id).where(goal_scope(principal), goal_area_clause(area_code))
    return session.scalar(query.limit(1)) is not None


def open_alerts(
    session: Session,
    principal: Principal | None,
    *,
    kinds: tuple[str, ...],
    limit: int,
    area_code: str | None = None,
) -> list[tuple[Any, Goal]]:
    """Open alerts of the given kinds in the caller's scope with their goals, newest first; only an
    area's own goals when `area_code` is given (the city's goals' alerts are the city's to act on)."""
    from citycockpit.goals.alerts import list_alerts

    return [
        (a, g)
        for a, g in list_alerts(session, principal, limit=limit)
        if a.kind in kinds and (area_code is None or (g.area_code or "").startswith(area_code))
    ]


def target_series(
    session: Session, principal: Principal | None, year: int, *, area_code: str | None = None, limit: int = 4
) -> list[dict[str, Any]]:
    """The year's growth and share targets that have an indicator series, with the series' monthly values
    of the year: rows {id, title, measure, target_value, qualifier, name, unit, months: {month: (value,
    yoy)}}."""
    from citycockpit.goals.models import IndicatorSeries
    from citycockpit.goals.series import monthly_values

    rows = session.execute(
        select(
            Goal.id,
            Goal.title,
            Goal.measure,
            Goal.target_value,
            Goal.qualifier,
            Goal.series_id,
            IndicatorSeries.name,
            IndicatorSeries.unit,
        )
        .join(IndicatorSeries, IndicatorSeries.id == Goal.series_id)
        .where(goal_scope(principal), Goal.year == year)
        .where(Goal.area_code.is_(None) if area_code is None else Goal.area_code == area_code)
        .where(or_(Goal.source == "target", Goal.area_code.is_not(None)))
        .where(Goal.measure.in_(("growth", "share")))
        .order_by(Goal.position, Goal.id)
        .limit(limit)
    ).all()
    values = monthly_values(session, [r.series_id for r in rows], [year])
    return [{**r._asdict(), "months": values.get((r.series_id, year), {})} for r in rows]


def find_year_goal(
    session: Session,
    principal: Principal | None,
    year: int,
    match: str,
    period: str | None,
    *,
    area_code: str | None = None,
) -> dict[str, Any] | None:
    """The year's goal a theme board names (`match`: its key, or words of its title), as the goal views
    show it with its evaluation for `period`: the area's own before the city's, a quantified goal before
    a qualitative one; None when no goal in the caller's scope matches."""
    from citycockpit.goals.views import goal_views

    goal = session.scalars(
        select(Goal)
        .where(goal_scope(principal), goal_area_clause(area_code), Goal.year == year)
        .where(or_(Goal.key == match, Goal.title.contains(match, autoescape=True)))
        .order_by(Goal.area_code.is_(None), Goal.target_value.is_(None), Goal.position, Goal.id)
        .limit(1)
    ).first()
    return goal_views(session, [goal], period)[0] if goal is not None else None
