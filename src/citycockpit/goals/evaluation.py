"""Apply the status rules to every goal of a period and store the result; raise and resolve alerts.

Evaluations are a cache of the rules: recomputed from the data and the clock while the period is open,
frozen once it is locked. Nobody writes a status by hand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citycockpit.goals import airgoals, periods, series
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
from citycockpit.ops.jobs import JobResult


@dataclass
class EvaluationRun:
    period: str
    as_of: date
    counts: Counter[str] = field(default_factory=Counter)
    new_alerts: int = 0
    frozen: bool = False


def live_months(year: int, today: date, *, since: str | None = None) -> list[int]:
    """The months of `year` whose statuses are kept fresh: January (or `since`'s month, when `since` is
    in that year) up to this month; all twelve of a past year; none of a future year."""
    last = 12 if year < today.year else today.month if year == today.year else 0
    first = 1
    if since is not None:
        since_year, since_month = periods.year_month(since)
        if since_year > year:
            return []
        if since_year == year:
            first = since_month
    return list(range(first, last + 1))


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
        # Another transaction evaluated the same period at the same moment; its rows stand.
        return EvaluationRun(period, periods.as_of_date(period, today))


def reevaluate(
    session: Session,
    *,
    goal_ids: Iterable[int] = (),
    series_ids: Iterable[int] = (),
    goal_keys: Iterable[str] = (),
    since: str | None = None,
    today: date,
    thresholds: Thresholds,
    now: datetime,
) -> int:
    """Re-apply the rules after a write that can change a status: to the goals named (by id, key, or the
    indicator series they follow), for every open month of each goal's year from `since` (default
    January) up to this month. Locked months keep their statuses. Returns the evaluations written."""
    ids, series, keys = list(goal_ids), list(series_ids), list(goal_keys)
    if not (ids or series or keys):
        return 0
    wanted = or_(Goal.id.in_(ids), Goal.series_id.in_(series), Goal.key.in_(keys))
    chosen = session.execute(select(Goal.year, Goal.id).where(wanted)).all()
    by_year: dict[int, list[int]] = {}
    for year, goal_id in chosen:
        by_year.setdefault(year, []).append(goal_id)
    written = 0
    try:
        with session.begin_nested():
            for year, year_ids in sorted(by_year.items()):
                months = _open_months(session, year, live_months(year, today, since=since))
                for run in _evaluate(
                    session, year, months, goal_ids=year_ids, today=today, thresholds=thresholds, now=now
                ):
                    written += sum(run.counts.values())
    except IntegrityError:
        # Another transaction evaluated the same goals at the same moment; its rows stand until the
        # next write or the worker's daily run.
        return 0
    return written


def _open_months(session: Session, year: int, months: list[int]) -> list[int]:
    """The months that are not locked (a locked month's statuses are frozen)."""
    locked = periods.locked_periods(session, [f"{year:04d}-{m:02d}" for m in months])
    return [m for m in months if f"{year:04d}-{m:02d}" not in locked]


def stale_goals(session: Session, period: str, *, since: datetime) -> int:
    """Goals of the period's year with no evaluation for the period made at or after `since`."""
    year, _month = periods.year_month(period)
    fresh = (
        select(GoalEvaluation.id)
        .where(
            GoalEvaluation.goal_id == Goal.id,
            GoalEvaluation.period == period,
            GoalEvaluation.evaluated_at >= since,
        )
        .exists()
    )
    return session.scalar(select(func.count(Goal.id)).where(Goal.year == year, ~fresh)) or 0


def evaluate_goals_job(session: Session, *, now: datetime, calendar: Any) -> JobResult:
    """Worker job, once a day: re-apply the rules to every goal for each open month of this year up to
    this month (and, in January, last December), so that the statuses that change with the date alone
    (time progress, 逾期 once a milestone's date passes, 未报送 once a month is over) are fresh without
    anyone writing or opening a page. Does nothing while every goal has today's evaluation of those
    months (each write re-evaluates the goals it changes)."""
    from citycockpit.config import get_settings

    today = now.astimezone(calendar.zone).date()
    midnight = datetime.combine(today, time(0), calendar.zone)
    wanted = [(today.year, live_months(today.year, today))]
    if today.month == 1:
        wanted.insert(0, (today.year - 1, [12]))
    open_periods = [(year, _open_months(session, year, months)) for year, months in wanted]
    if not any(
        stale_goals(session, f"{year}-{m:02d}", since=midnight)
        for year, months in open_periods
        for m in months
    ):
        return JobResult("goals", 0)
    thresholds = Thresholds.from_settings(get_settings())
    written = 0
    try:
        with session.begin_nested():
            for year, months in open_periods:
                for run in _evaluate(
                    session, year, months, goal_ids=None, today=today, thresholds=thresholds, now=now
                ):
                    written += sum(run.counts.values())
    except IntegrityError:
        # Another worker (or a write) evaluated the same goals at the same moment; its rows stand and
        # the next run finds them fresh.
        return JobResult("goals", 0)
    return JobResult("goals", written)


def evaluate_goals(
    session: Session,
    period: str,
    *,
    today: date,
    thresholds: Thresholds,
    now: datetime,
    goal_ids: Iterable[int] | None = None,
) -> EvaluationRun:
    """Compute every goal of the period's year (or those of `goal_ids`) for the period, store the
    evaluations and alerts. Refused when the period is locked."""
    period = periods.parse_period(period)
    periods.ensure_open(session, period, "re-evaluation")
    year, month = periods.year_month(period)
    ids = None if goal_ids is None else list(goal_ids)
    return _evaluate(session, year, [month], goal_ids=ids, today=today, thresholds=thresholds, now=now)[0]


def _evaluate(
    session: Session,
    year: int,
    months: list[int],
    *,
    goal_ids: list[int] | None,
    today: date,
    thresholds: Thresholds,
    now: datetime,
) -> list[EvaluationRun]:
    """Evaluate the goals of `year` (all, or those of `goal_ids`) for each of `months` in order: the facts
    are read once (a few set-based SELECTs), each month is judged at its as-of date, and a month sees
    the colour the month before it was given (for the turned-red alert)."""
    months = sorted(set(months))
    month_periods = [f"{year:04d}-{m:02d}" for m in months]
    runs = [EvaluationRun(p, periods.as_of_date(p, today)) for p in month_periods]
    if not months:
        return runs
    last_period = month_periods[-1]
    query = select(Goal).where(Goal.year == year)
    if goal_ids is not None:
        query = query.where(Goal.id.in_(goal_ids))
    goals = list(session.scalars(query).all())
    if not goals:
        return runs
    ids = [g.id for g in goals]
    reports: dict[int, dict[str, float]] = {}
    for goal_id, p, percent in session.execute(
        select(ProgressReport.goal_id, ProgressReport.period, ProgressReport.percent).where(
            ProgressReport.goal_id.in_(ids),
            ProgressReport.period <= last_period,
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
    links = airgoals.linked_series(session, series_ids)
    air = airgoals.read_air_facts(session, year, today=today) if links else None
    first_previous = periods.previous_period(month_periods[0])
    stored = {
        (e.goal_id, e.period): e
        for e in session.scalars(
            select(GoalEvaluation).where(
                GoalEvaluation.goal_id.in_(ids),
                GoalEvaluation.period.in_([first_previous, *month_periods]),
            )
        )
    }
    alerts = {
        (a.kind, a.goal_id, a.period, a.milestone_id): a
        for a in session.scalars(select(GoalAlert).where(GoalAlert.goal_id.in_(ids)))
    }
    for run, month in zip(runs, months, strict=True):
        _judge_month(
            session,
            run,
            year,
            month,
            goals,
            reports=reports,
            milestones=milestones,
            plans=plans,
            cumulative=cumulative,
            values=values,
            links=links,
            air=air,
            stored=stored,
            alerts=alerts,
            thresholds=thresholds,
            now=now,
        )
    session.flush()
    return runs


def _judge_month(
    session: Session,
    run: EvaluationRun,
    year: int,
    month: int,
    goals: list[Goal],
    *,
    reports: dict[int, dict[str, float]],
    milestones: dict[int, list[Milestone]],
    plans: dict[int, dict[int, float]],
    cumulative: dict[int, bool],
    values: dict[tuple[int, int], dict[int, tuple[float | None, float | None]]],
    links: dict[int, str],
    air: airgoals.AirFacts | None,
    stored: dict[tuple[int, str], GoalEvaluation],
    alerts: dict[tuple[str, int, str, int], GoalAlert],
    thresholds: Thresholds,
    now: datetime,
) -> None:
    """Judge every goal for one month at its as-of date; store its evaluation, raise and resolve alerts."""
    period, as_of = run.period, run.as_of
    previous = periods.previous_period(period)

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
        kind: AlertKind,
        goal: Goal,
        alert_period: str | None = None,
        milestone_id: int | None = None,
        through: str | None = None,
    ) -> None:
        for (k, gid, p, mid), alert in alerts.items():
            if k == kind.value and gid == goal.id and alert.resolved_at is None:
                if (
                    (alert_period is None or p == alert_period)
                    and (milestone_id is None or mid == milestone_id)
                    and (through is None or p <= through)
                ):
                    alert.resolved_at = now

    for goal in goals:
        ms_rows = milestones.get(goal.id, [])
        ms_facts = [MilestoneFact(m.due_on, m.completed_on) for m in ms_rows]
        goal_reports = {p: v for p, v in reports.get(goal.id, {}).items() if p <= period}
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
            link = links.get(goal.series_id)
            if link is not None and air is not None:  # judged on the daily air quality, not the months
                ev = evaluate_indicator(facts, thresholds, airgoals.forecaster(link, air))
            else:
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
        row = stored.get((goal.id, period))
        before = row if row is not None else stored.get((goal.id, previous))
        before_color = before.color if before is not None else None
        if row is None:
            row = GoalEvaluation(goal_id=goal.id, period=period)
            session.add(row)
            stored[(goal.id, period)] = row
        row.status, row.color, row.rule, row.reason = ev.status.value, ev.color.value, ev.rule, ev.reason
        row.progress, row.time_progress = ev.progress, ev.time_progress
        row.forecast, row.expected_end, row.evaluated_at = ev.forecast, ev.expected_end, now
        row.to_date, row.data_month = ev.to_date, ev.data_month
        run.counts[ev.status.value] += 1

        if ev.color is Color.RED and before_color != Color.RED.value:
            raise_alert(AlertKind.TURNED_RED, goal, period, f"{goal.title}: {ev.status.label} ({ev.reason})")
        elif ev.color is not Color.RED:
            # Judging an earlier month does not end a later month's red.
            resolve(AlertKind.TURNED_RED, goal, through=period)
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
