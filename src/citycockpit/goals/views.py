"""Plain-dict views of goals for the API and the CLI (one place, so both show the same fields)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.goals.enums import GoalStatus
from citycockpit.goals.models import Goal, GoalCoDepartment, GoalEvaluation, Milestone, ProgressReport
from citycockpit.goals.status import attainment


def evaluation_view(ev: GoalEvaluation | None, goal: Goal | None = None) -> dict[str, Any] | None:
    """A stored evaluation; with its goal, also `attainment`: the year-to-date figure as a share of the
    target (goals.status.attainment), for indicators."""
    if ev is None:
        return None
    return {
        "period": ev.period,
        "status": ev.status,
        "label": GoalStatus(ev.status).label,
        "color": ev.color,
        "tone": GoalStatus(ev.status).tone.value,
        "rule": ev.rule,
        "reason": ev.reason,
        "progress": ev.progress,
        "time_progress": ev.time_progress,
        "forecast": ev.forecast,
        "expected_end": ev.expected_end,
        "to_date": ev.to_date,
        "data_month": ev.data_month,
        "attainment": attainment(goal.measure, goal.target_value, ev.to_date) if goal is not None else None,
    }


def goal_views(session: Session, goals: list[Goal], period: str | None = None) -> list[dict[str, Any]]:
    ids = [g.id for g in goals]
    co: dict[int, list[int]] = {}
    for gid, did in session.execute(
        select(GoalCoDepartment.goal_id, GoalCoDepartment.department_id).where(
            GoalCoDepartment.goal_id.in_(ids)
        )
    ):
        co.setdefault(gid, []).append(did)
    evals: dict[int, GoalEvaluation] = {}
    if period:
        evals = {
            e.goal_id: e
            for e in session.scalars(
                select(GoalEvaluation).where(GoalEvaluation.goal_id.in_(ids), GoalEvaluation.period == period)
            )
        }
    return [
        {
            "id": g.id,
            "key": g.key,
            "year": g.year,
            "kind": g.kind,
            "source": g.source,
            "title": g.title,
            "node_id": g.node_id,
            "report_item_id": g.report_item_id,
            "report_subtask_id": g.report_subtask_id,
            "measure": g.measure,
            "target_value": g.target_value,
            "unit": g.unit,
            "qualifier": g.qualifier,
            "stretch": g.stretch,
            "lead_department_id": g.lead_department_id,
            "co_department_ids": sorted(co.get(g.id, [])),
            "responsible_person": g.responsible_person,
            "series_id": g.series_id,
            "starts_on": g.starts_on.isoformat(),
            "due_on": g.due_on.isoformat(),
            "weight": g.weight,
            "is_done": g.is_done,
            "area_code": g.area_code,
            "evaluation": evaluation_view(evals.get(g.id), g),
        }
        for g in goals
    ]


def milestone_view(m: Milestone) -> dict[str, Any]:
    return {
        "id": m.id,
        "goal_id": m.goal_id,
        "title": m.title,
        "due_on": m.due_on.isoformat(),
        "completed_on": m.completed_on.isoformat() if m.completed_on else None,
        "evidence": m.evidence,
        "completed_by": m.completed_by,
    }


def report_view(r: ProgressReport) -> dict[str, Any]:
    return {
        "id": r.id,
        "goal_id": r.goal_id,
        "period": r.period,
        "department_id": r.department_id,
        "percent": r.percent,
        "narrative": r.narrative,
        "figures_json": r.figures_json,
        "state": r.state,
        "submitted_by": r.submitted_by,
        "submitted_at": r.submitted_at.isoformat(),
        "reviewed_by": r.reviewed_by,
        "review_comment": r.review_comment,
    }
