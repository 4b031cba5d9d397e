"""Milestones (节点): dated steps of a goal, completion with evidence, overdue detection."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.core.actors import Actor
from citycockpit.goals import periods
from citycockpit.goals.errors import InvalidGoal, MilestoneNotFound, NotLeadDepartment
from citycockpit.goals.models import Goal, Milestone
from citycockpit.goals.service import get_goal, goal_scope


def list_milestones(session: Session, goal_id: int) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone).where(Milestone.goal_id == goal_id).order_by(Milestone.due_on, Milestone.id)
        ).all()
    )


def add_milestone(
    session: Session, goal_id: int, *, title: str, due_on: date, actor: Actor, now: datetime
) -> Milestone:
    """Add a node with its due date to a goal."""
    goal = get_goal(session, goal_id)
    if not title.strip():
        raise InvalidGoal("A milestone needs a title")
    position = len(list_milestones(session, goal.id))
    ms = Milestone(goal_id=goal.id, title=title.strip(), due_on=due_on, position=position)
    session.add(ms)
    session.flush()
    audit.record(
        session,
        actor,
        "milestone.add",
        "milestone",
        ms.id,
        at=now,
        diff={"goal_id": goal.id, "due_on": due_on},
    )
    return ms


def get_milestone(session: Session, milestone_id: int, principal: Principal | None = None) -> Milestone:
    ms = session.scalars(
        select(Milestone)
        .join(Goal, Goal.id == Milestone.goal_id)
        .where(Milestone.id == milestone_id, goal_scope(principal))
    ).first()
    if ms is None:
        raise MilestoneNotFound(
            f"Milestone {milestone_id} does not exist or is outside your scope", milestone_id=milestone_id
        )
    return ms


def complete_milestone(
    session: Session,
    milestone_id: int,
    *,
    evidence: str,
    completed_on: date,
    principal: Principal,
    now: datetime,
) -> Milestone:
    """Mark a node complete with its evidence (文件、照片、验收单 …). A department completes only the
    nodes of goals it leads; the completion month must not be locked."""
    ms = get_milestone(session, milestone_id, principal)
    goal = session.get(Goal, ms.goal_id)
    assert goal is not None
    if principal.is_department_scoped and goal.lead_department_id != principal.department_id:
        raise NotLeadDepartment("Only the lead department (牵头单位) completes this goal's milestones")
    if not evidence.strip():
        raise InvalidGoal("Completing a milestone needs evidence text")
    if completed_on > (now + timedelta(days=1)).date():  # a day of slack for the local time zone
        raise InvalidGoal("The completion date is in the future")
    periods.ensure_open(session, periods.period_of(completed_on), "milestone completion")
    before = {"completed_on": ms.completed_on, "evidence": ms.evidence}
    ms.completed_on, ms.evidence = completed_on, evidence.strip()
    ms.completed_by, ms.completed_at = principal.display_name, now
    audit.record(
        session,
        principal,
        "milestone.complete",
        "milestone",
        ms.id,
        at=now,
        diff={"from": before, "to": {"completed_on": completed_on, "evidence": ms.evidence}},
    )
    session.flush()
    return ms


def replace_milestones(session: Session, goal: Goal, plan: list[tuple[date, str]]) -> tuple[int, int]:
    """Make the goal's nodes equal `plan` (used by the task sheet import). A node with the same title
    keeps its completion; nodes not in the plan are removed. Returns (added, removed)."""
    current = {m.title: m for m in list_milestones(session, goal.id)}
    wanted = {title: due for due, title in plan}
    added = removed = 0
    for title, ms in current.items():
        if title not in wanted:
            session.delete(ms)
            removed += 1
    for position, (due, title) in enumerate(plan):
        if title in current:
            current[title].due_on, current[title].position = due, position
        else:
            session.add(Milestone(goal_id=goal.id, title=title, due_on=due, position=position))
            added += 1
    session.flush()
    return added, removed


def overdue_milestones(session: Session, principal: Principal | None, *, as_of: date) -> list[Milestone]:
    """Open milestones due before `as_of` (for the caller's goals)."""
    return list(
        session.scalars(
            select(Milestone)
            .join(Goal, Goal.id == Milestone.goal_id)
            .where(Milestone.completed_on.is_(None), Milestone.due_on < as_of, goal_scope(principal))
            .order_by(Milestone.due_on)
        ).all()
    )
