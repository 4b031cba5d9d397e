"""Alerts: a goal turning red, a milestone overdue, a report missing; per department and overall."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.auth.principal import Principal
from citycockpit.goals.enums import AlertKind
from citycockpit.goals.models import Goal, GoalAlert
from citycockpit.goals.service import goal_scope
from citycockpit.org.models import Department


def list_alerts(
    session: Session,
    principal: Principal | None,
    *,
    department_id: int | None = None,
    period: str | None = None,
    kind: str | None = None,
    include_resolved: bool = False,
    limit: int = 500,
) -> list[tuple[GoalAlert, Goal]]:
    """Alerts on the caller's goals, newest first; open ones only unless asked."""
    query = select(GoalAlert, Goal).join(Goal, Goal.id == GoalAlert.goal_id).where(goal_scope(principal))
    if department_id is not None:
        query = query.where(GoalAlert.department_id == department_id)
    if period:
        query = query.where(GoalAlert.period == period)
    if kind:
        query = query.where(GoalAlert.kind == AlertKind(kind).value)
    if not include_resolved:
        query = query.where(GoalAlert.resolved_at.is_(None))
    query = query.order_by(GoalAlert.created_at.desc(), GoalAlert.id.desc()).limit(limit)
    return [(a, g) for a, g in session.execute(query).all()]


def count_alerts_by_department(
    session: Session, principal: Principal | None
) -> list[tuple[int | None, str | None, str, int]]:
    """Open alerts per department and kind: (department id, department name, kind, count); GROUP BY."""
    rows = session.execute(
        select(GoalAlert.department_id, Department.short_name, GoalAlert.kind, func.count(GoalAlert.id))
        .join(Goal, Goal.id == GoalAlert.goal_id)
        .outerjoin(Department, Department.id == GoalAlert.department_id)
        .where(GoalAlert.resolved_at.is_(None), goal_scope(principal))
        .group_by(GoalAlert.department_id, Department.short_name, GoalAlert.kind)
        .order_by(GoalAlert.department_id, GoalAlert.kind)
    ).all()
    return [(d, name, k, n) for d, name, k, n in rows]
