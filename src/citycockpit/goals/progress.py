"""Progress reports: the lead department reports monthly on its goal; the supervisor accepts or returns.

Only the lead department (牵头单位) submits: in 督查 practice the first-listed unit compiles the progress
of the co-operating units (配合单位), which see the goal and may add comments."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.core.actors import Actor
from citycockpit.goals import periods
from citycockpit.goals.enums import ReportState
from citycockpit.goals.errors import (
    InvalidGoal,
    NotLeadDepartment,
    ProgressReportNotFound,
    ReportTransitionNotAllowed,
)
from citycockpit.goals.models import Goal, GoalComment, ProgressReport
from citycockpit.goals.service import get_goal, goal_scope

COUNTED_STATES = (ReportState.SUBMITTED.value, ReportState.ACCEPTED.value)


def submit_report(
    session: Session,
    goal_id: int,
    *,
    period: str,
    percent: float,
    narrative: str,
    figures: dict[str, Any] | None = None,
    principal: Principal,
    now: datetime,
) -> ProgressReport:
    """Submit (or resubmit) the period's report on a goal. A department may report only on goals it
    leads; an accepted report cannot be replaced; a returned one can. The period must be open."""
    goal = get_goal(session, goal_id, principal)
    if principal.is_department_scoped and goal.lead_department_id != principal.department_id:
        raise NotLeadDepartment(
            "Only the lead department (牵头单位) reports on this goal; co-operating departments comment",
            goal_id=goal.id,
        )
    period = periods.parse_period(period)
    periods.ensure_open(session, period, "progress report")
    if not 0 <= percent <= 100:
        raise InvalidGoal("percent must be between 0 and 100")
    if not narrative.strip():
        raise InvalidGoal("A progress report needs a narrative (进展情况)")
    report = session.scalars(
        select(ProgressReport).where(ProgressReport.goal_id == goal.id, ProgressReport.period == period)
    ).first()
    action = "progress_report.submit"
    if report is not None:
        if report.state == ReportState.ACCEPTED.value:
            raise ReportTransitionNotAllowed(
                f"The report for {period} was already accepted", report_id=report.id
            )
        action = "progress_report.resubmit"
    else:
        report = ProgressReport(goal_id=goal.id, period=period)
        session.add(report)
    report.department_id = principal.department_id or goal.lead_department_id
    report.percent, report.narrative = float(percent), narrative.strip()
    report.figures_json = json.dumps(figures, ensure_ascii=False) if figures else None
    report.state, report.submitted_by, report.submitted_at = (
        ReportState.SUBMITTED.value,
        principal.display_name,
        now,
    )
    report.reviewed_by = report.reviewed_at = report.review_comment = None
    session.flush()
    audit.record(
        session,
        principal,
        action,
        "progress_report",
        report.id,
        at=now,
        diff={"goal_id": goal.id, "period": period, "percent": percent},
    )
    return report


def get_report(session: Session, report_id: int, principal: Principal | None = None) -> ProgressReport:
    report = session.scalars(
        select(ProgressReport)
        .join(Goal, Goal.id == ProgressReport.goal_id)
        .where(ProgressReport.id == report_id, goal_scope(principal))
    ).first()
    if report is None:
        raise ProgressReportNotFound(
            f"Progress report {report_id} does not exist or is outside your scope", report_id=report_id
        )
    return report


def review_report(
    session: Session,
    report_id: int,
    *,
    accept: bool,
    comment: str | None,
    actor: Actor,
    now: datetime,
) -> ProgressReport:
    """Accept a submitted report, or return it with a comment (the department must resubmit; until
    then the goal counts as 未报送 for the period)."""
    report = get_report(session, report_id)
    periods.ensure_open(session, report.period, "report review")
    if report.state != ReportState.SUBMITTED.value:
        raise ReportTransitionNotAllowed(f"Only a submitted report can be reviewed (it is {report.state})")
    if not accept and not (comment or "").strip():
        raise InvalidGoal("Returning a report needs a comment saying what to fix")
    report.state = (ReportState.ACCEPTED if accept else ReportState.RETURNED).value
    report.reviewed_by, report.reviewed_at = actor.display_name, now
    report.review_comment = (comment or "").strip() or None
    audit.record(
        session,
        actor,
        "progress_report.accept" if accept else "progress_report.return",
        "progress_report",
        report.id,
        at=now,
        diff={"comment": report.review_comment},
    )
    session.flush()
    return report


def list_reports(
    session: Session,
    principal: Principal | None,
    *,
    period: str | None = None,
    goal_id: int | None = None,
    state: str | None = None,
    limit: int = 500,
) -> list[ProgressReport]:
    query = select(ProgressReport).join(Goal, Goal.id == ProgressReport.goal_id).where(goal_scope(principal))
    if period:
        query = query.where(ProgressReport.period == periods.parse_period(period))
    if goal_id is not None:
        query = query.where(ProgressReport.goal_id == goal_id)
    if state:
        query = query.where(ProgressReport.state == ReportState(state).value)
    return list(session.scalars(query.order_by(ProgressReport.period.desc(), ProgressReport.id).limit(limit)))


def missing_reports(
    session: Session, principal: Principal | None, *, period: str, year: int | None = None
) -> list[Goal]:
    """Reminders (催报): goals of the caller's scope with no submitted or accepted report for the period
    (a returned report counts as missing), not yet done."""
    period = periods.parse_period(period)
    year = year or int(period[:4])
    has_report = (
        select(ProgressReport.id)
        .where(
            and_(
                ProgressReport.goal_id == Goal.id,
                ProgressReport.period == period,
                ProgressReport.state.in_(COUNTED_STATES),
            )
        )
        .exists()
    )
    query = (
        select(Goal)
        .where(goal_scope(principal), Goal.year == year, Goal.is_done.is_(False), ~has_report)
        .order_by(Goal.lead_department_id, Goal.position)
    )
    return list(session.scalars(query).all())


def count_missing_by_department(session: Session, *, period: str, year: int) -> list[tuple[int | None, int]]:
    """Missing reports per lead department (one GROUP BY)."""
    has_report = (
        select(ProgressReport.id)
        .where(
            ProgressReport.goal_id == Goal.id,
            ProgressReport.period == period,
            ProgressReport.state.in_(COUNTED_STATES),
        )
        .exists()
    )
    rows = session.execute(
        select(Goal.lead_department_id, func.count(Goal.id))
        .where(Goal.year == year, Goal.is_done.is_(False), ~has_report)
        .group_by(Goal.lead_department_id)
    ).all()
    return [(d, n) for d, n in rows]


def add_comment(
    session: Session, goal_id: int, *, period: str, body: str, principal: Principal, now: datetime
) -> GoalComment:
    """Comment on a goal for a period (lead or co-operating department, or the supervisor): the way to
    explain a computed status, which itself cannot be changed by hand."""
    goal = get_goal(session, goal_id, principal)
    period = periods.parse_period(period)
    periods.ensure_open(session, period, "comment")
    if not body.strip():
        raise InvalidGoal("A comment cannot be empty")
    comment = GoalComment(
        goal_id=goal.id,
        period=period,
        body=body.strip(),
        author=principal.display_name,
        department_id=principal.department_id,
        created_at=now,
    )
    session.add(comment)
    session.flush()
    audit.record(session, principal, "goal.comment", "goal", goal.id, at=now, diff={"period": period})
    return comment


def list_comments(session: Session, goal_id: int, period: str | None = None) -> list[GoalComment]:
    query = select(GoalComment).where(GoalComment.goal_id == goal_id)
    if period:
        query = query.where(GoalComment.period == period)
    return list(session.scalars(query.order_by(GoalComment.created_at)).all())
