"""Apply the status rules to every goal of a period and store the result; raise and resolve alerts.

Evaluations are a cache of the rules: recomputed from the data and the clock while the period is open,
frozen once it is locked. Nobody writes a status by hand."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citycockpit.goals import periods, series
from citycockpit.goals.enums import AlertKind, Color, GoalKind, GoalStatus
from citycockpit.goals.models import (
    Goal,
    GoalAlert,
    GoalEvaluation,
    GoalTrajectory,
    IndicatorSeries,
    Milestone,
    ProgressReport,
)
from citycockpit.goals.progress import COUNTED_STATES
from citycockpit.goals.status import (
    Evaluation,
    IndicatorFacts,
    TaskFacts,
    Thresholds,
    evaluate_indicator,
    evaluate_task,
    month_end,
)
from citycockpit.goals.status import Milestone as MilestoneFact


@dataclass
class EvaluationRun:
    period: str
    as_of: date
    counts: Counter[str] = field(default_factory=Counter)
    new_alerts: int = 0
    frozen: bool = False


def refresh(
    session: Session, period: str, *, today: date, thresholds: Thresholds, now: datetime
) -> EvaluationRun:
    """Evaluate the period unless it is locked (then its stored statuses stand)."""
    period = periods.parse_period(period)
    if periods.is_locked(session, period):
        return EvaluationRun(period, periods.as_of_date(period, today), frozen=True)
    try:
        with session.begin_nested():
            return evaluate_goals(session, period, today=today, thresholds=thresholds, now=now)
    except IntegrityError:
        # Another request evaluated the same period at the same moment; its rows stand.
        return EvaluationRun(period, periods.as_of_date(period, today))


def evaluate_goals(
    session: Session, period: str, *, today: date, thresholds: Thresholds, now: datetime
) -> EvaluationRun:
    """Compute every goal of the period's year for the period, store the evaluations and alerts."""
    period = periods.parse_period(period)
    periods.ensure_open(session, period, "re-evaluation")
    year, month = periods.year_month(period)
    as_of = periods.as_of_date(period, today)
    run = EvaluationRun(period, as_of)
    goals = list(session.scalars(select(Goal).where(Goal.year == year)).all())
    if not goals:
        return run
    ids = [g.id for g in goals]
    reports: dict[int, dict[str, float]] = {}
    for goal_id, p, percent in session.execute(
        select(ProgressReport.goal_id, ProgressReport.period, ProgressReport.percent).where(
            ProgressReport.goal_id.in_(ids),
            ProgressReport.period <= period,
            ProgressReport.state.in_(COUNTED_STATES),
        )
    ):
        reports.setdefault(goal_id, {})[p] = percent
    milestones: dict[int, list[Milestone]] = {}
    for ms in session.scalars(select(Milestone).where(Milestone.goal_id.in_(ids))):
        milestones.setdefault(ms.goal_id, []).append(ms)
    plans: dict[int, dict[int, float]] = {}
    for goal_id, m, share in session.execute(
        select(GoalTrajectory.goal_id, GoalTrajectory.month, GoalTrajectory.planned_share).where(
            GoalTrajectory.goal_id.in_(ids)
        )
    ):
        plans.setdefault(goal_id, {})[m] = share
    series_ids = sorted({g.series_id for g in goals if g.series_id})
    cumulative = dict(
        session.execute(
            select(IndicatorSeries.id, IndicatorSeries.is_cumulative).where(
                IndicatorSeries.id.in_(series_ids)
            )
        ).all()
    )
    values = series.monthly_values(session, series_ids, [year, year - 1])
    stored = {
        e.goal_id: e
        for e in session.scalars(
            select(GoalEvaluation).where(GoalEvaluation.goal_id.in_(ids), GoalEvaluation.period == period)
        )
    }
    previous_colors = dict(
        session.execute(
            select(GoalEvaluation.goal_id, GoalEvaluation.color).where(
                GoalEvaluation.goal_id.in_(ids), GoalEvaluation.period == periods.previous_period(period)
            )
        ).all()
    )
    alerts = {
        (a.kind, a.goal_id, a.period, a.milestone_id): a
        for a in session.scalars(select(GoalAlert).where(GoalAlert.goal_id.in_(ids)))
    }

    def raise_alert(
        kind: AlertKind, goal: Goal, alert_period: str, message: str, milestone_id: int = 0
    ) -> None:
        key = (kind.value, goal.id, alert_period, milestone_id)
        alert = alerts.get(key)
        if alert is None:
            alert = GoalAlert(
                kind=kind.value,
                goal_id=goal.id,
                milestone_id=milestone_id,
                department_id=goal.lead_department_id,
                period=alert_period,
                message=message,
                created_at=now,
            )
            session.add(alert)
            alerts[key] = alert
            run.new_alerts += 1
        elif alert.resolved_at is not None:
            alert.resolved_at, alert.message = None, message

    def resolve(
        kind: AlertKind, goal: Goal, alert_period: str | None = None, milestone_id: int | None = None
    ) -> None:
        for (k, gid, p, mid), alert in alerts.items():
            if k == kind.value and gid == goal.id and alert.resolved_at is None:
                if (alert_period is None or p == alert_period) and (
                    milestone_id is None or mid == milestone_id
                ):
                    alert.resolved_at = now

    for goal in goals:
        ms_rows = milestones.get(goal.id, [])
        ms_facts = [MilestoneFact(m.due_on, m.completed_on) for m in ms_rows]
        goal_reports = reports.get(goal.id, {})
        percent = goal_reports.get(period)
        latest = goal_reports[max(goal_reports)] if goal_reports else None
        ev: Evaluation
        if goal.kind == GoalKind.INDICATOR.value and goal.series_id and goal.target_value is not None:
            this_year = values.get((goal.series_id, year), {})
            last_year = values.get((goal.series_id, year - 1), {})
            facts = IndicatorFacts(
                as_of=as_of,
                measure=goal.measure or "level",
                qualifier=goal.qualifier or ">=",
                target=goal.target_value,
                cumulative=bool(cumulative.get(goal.series_id, True)),
                values={m: v for m, (v, _y) in this_year.items() if v is not None and m <= month},
                yoy={m: y for m, (_v, y) in this_year.items() if y is not None and m <= month},
                history={m: v for m, (v, _y) in last_year.items() if v is not None},
                trajectory=plans.get(goal.id),
                milestones=ms_facts,
            )
            if facts.measure == "growth" and not facts.values and facts.yoy:  # published as YoY only
                facts = replace(facts, values=dict.fromkeys(facts.yoy, 0.0))
            ev = evaluate_indicator(facts, thresholds)
        else:
            ev = evaluate_task(
                TaskFacts(
                    as_of=as_of,
                    start=goal.starts_on,
                    end=goal.due_on,
                    percent=percent,
                    latest_percent=latest,
                    milestones=ms_facts,
                    trajectory=plans.get(goal.id),
                    marked_done=goal.is_done,
                ),
                thresholds,
            )
        row = stored.get(goal.id)
        before_color = row.color if row is not None else previous_colors.get(goal.id)
        if row is None:
            row = GoalEvaluation(goal_id=goal.id, period=period)
            session.add(row)
        row.status, row.color, row.rule, row.reason = ev.status.value, ev.color.value, ev.rule, ev.reason
        row.progress, row.time_progress = ev.progress, ev.time_progress
        row.forecast, row.expected_end, row.evaluated_at = ev.forecast, ev.expected_end, now
        run.counts[ev.status.value] += 1

        if ev.color is Color.RED and before_color != Color.RED.value:
            raise_alert(AlertKind.TURNED_RED, goal, period, f"{goal.title}: {ev.status.label} ({ev.reason})")
        elif ev.color is not Color.RED:
            resolve(AlertKind.TURNED_RED, goal)
        for m in ms_rows:
            if m.completed_on is None and m.due_on < as_of:
                raise_alert(
                    AlertKind.MILESTONE_OVERDUE,
                    goal,
                    periods.period_of(m.due_on),
                    f"{goal.title}: 节点“{m.title}”已于{m.due_on}到期未完成",
                    m.id,
                )
            elif m.completed_on is not None:
                resolve(AlertKind.MILESTONE_OVERDUE, goal, milestone_id=m.id)
        month_over = as_of >= month_end(year, month)  # no reminder alert while the month still runs
        if month_over and percent is None and ev.status is not GoalStatus.DONE and not goal.is_done:
            raise_alert(AlertKind.REPORT_MISSING, goal, period, f"{goal.title}: {period} 进展未报送")
        else:
            resolve(AlertKind.REPORT_MISSING, goal, period)
    session.flush()
    return run
