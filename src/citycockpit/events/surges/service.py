"""Surge detection (未诉先办) and acknowledgement. The worker's job counts, in SQL, each minor category's
requests per town in the window up to now and in the same window of each past week, asks the rule
(events/surges/rule.py) which are surges, and keeps one open alert per category and town: opened when
a surge starts, updated (count, events linked) while it lasts, closed at the first run whose window is
no longer one. Every change is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, case, exists, false, func, insert, literal, select, union_all
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import ensure_in_scope
from citycockpit.core.actors import SystemActor
from citycockpit.core.dialect import try_advisory_lock
from citycockpit.events.errors import SurgeAlreadyAcknowledged, SurgeNotFound
from citycockpit.events.models import Event
from citycockpit.events.surges.models import CLOSED, OPEN, SurgeAlert, SurgeAlertEvent
from citycockpit.events.surges.rule import SurgeDecision, SurgeRule, decide_surge
from citycockpit.ops.jobs import JobResult

WORKER = SystemActor("worker")
LOCK_NAMESPACE = "events.surges"


@dataclass
class SurgeRun:
    opened: int = 0
    updated: int = 0
    closed: int = 0


def _window(now: datetime, rule: SurgeRule, weeks_back: int) -> tuple[datetime, datetime]:
    end = now - timedelta(weeks=weeks_back)
    return end - timedelta(hours=rule.window_hours), end


def _in_window(start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return (
        Event.reported_at > start,
        Event.reported_at <= end,
        Event.is_test == false(),
        Event.category_code.is_not(None),
        Event.town_code.is_not(None),
    )


def count_windows(session: Session, *, now: datetime, rule: SurgeRule) -> dict[tuple[str, str], list[int]]:
    """Requests per (minor category, town) in the window ending now and in the same window 1..N weeks
    back, as [now, week 1, …, week N], for the categories and towns with at least `min_count` requests
    now (no other can be a surge). One GROUP BY over N+1 index range scans of `ix_events_surge_count`,
    so its cost follows the windows' traffic, never the table's size."""
    weeks = range(rule.baseline_weeks + 1)
    branches = [
        select(literal(k, Integer).label("week"), Event.category_code, Event.town_code).where(
            *_in_window(*_window(now, rule, k))
        )
        for k in weeks
    ]
    rows = union_all(*branches).subquery("windows")
    sums = [func.sum(case((rows.c.week == k, 1), else_=0)) for k in weeks]
    query = (
        select(rows.c.category_code, rows.c.town_code, *sums)
        .group_by(rows.c.category_code, rows.c.town_code)
        .having(sums[0] >= rule.min_count)
    )
    return {(cat, town): [int(n or 0) for n in counts] for cat, town, *counts in session.execute(query)}


def find_surges(session: Session, *, now: datetime, rule: SurgeRule) -> dict[tuple[str, str], SurgeDecision]:
    """The (category, town) windows ending now that the rule calls surges; reads only."""
    out = {}
    for key, (current, *baseline) in count_windows(session, now=now, rule=rule).items():
        decision = decide_surge(current, baseline, rule)
        if decision.is_surge:
            out[key] = decision
    return out


def _link_events(session: Session, alert: SurgeAlert, start: datetime, end: datetime) -> int:
    """Link the alert's category and town's events of the window (those not linked yet); returns the
    number of events linked in all."""
    linked = exists().where(SurgeAlertEvent.alert_id == alert.id, SurgeAlertEvent.event_id == Event.id)
    # The category and town go through coalesce() so that the window's few hours of ix_events_surge_count
    # are read: SQLite, without statistics, otherwise seeks the town's or the category's index and reads
    # its whole history (17–98 ms against 0.03 ms for a 4-hour window at 300 k events;
    # docs/domains/events-indexes.md).
    session.execute(
        insert(SurgeAlertEvent).from_select(
            ["alert_id", "event_id"],
            select(literal(alert.id, Integer), Event.id).where(
                *_in_window(start, end),
                func.coalesce(Event.category_code, "") == alert.category_code,
                func.coalesce(Event.town_code, "") == alert.town_code,
                ~linked,
            ),
        )
    )
    return int(session.scalar(select(func.count()).where(SurgeAlertEvent.alert_id == alert.id)) or 0)


def _diff(alert: SurgeAlert) -> dict[str, object]:
    return {
        "category": alert.category_code,
        "town": alert.town_code,
        "count": alert.count,
        "expected": round(alert.expected, 2),
        "ratio": round(alert.ratio, 2),
        "events": alert.event_count,
    }


def detect_surges(session: Session, *, now: datetime, rule: SurgeRule) -> SurgeRun:
    """Open, update and close surge alerts for the window ending `now` (see the module's docstring).
    On PostgreSQL one worker at a time runs it (an advisory lock; another worker skips the run)."""
    run = SurgeRun()
    if not try_advisory_lock(session, LOCK_NAMESPACE, 0):
        return run
    surges = find_surges(session, now=now, rule=rule)
    open_alerts = {
        (a.category_code, a.town_code): a
        for a in session.scalars(select(SurgeAlert).where(SurgeAlert.state == OPEN).with_for_update())
    }
    start, end = _window(now, rule, 0)
    for (category, town), decision in sorted(surges.items()):
        alert = open_alerts.get((category, town))
        fields = {
            "count": decision.count,
            "expected": decision.expected,
            "ratio": decision.ratio,
            "p_value": decision.p_value,
            "window_end_at": now,
            "updated_at": now,
        }
        if alert is None:
            alert = SurgeAlert(
                category_code=category,
                town_code=town,
                state=OPEN,
                open_key=f"{category}|{town}",
                opened_at=now,
                window_start_at=start,
                window_hours=rule.window_hours,
                peak_count=decision.count,
                event_count=0,
                **fields,
            )
            session.add(alert)
            session.flush()
            alert.event_count = _link_events(session, alert, start, end)
            audit.record(
                session, WORKER, "event.surge.open", "surge_alert", alert.id, diff=_diff(alert), at=now
            )
            run.opened += 1
            continue
        for name, value in fields.items():
            setattr(alert, name, value)
        alert.peak_count = max(alert.peak_count, decision.count)
        before = alert.event_count
        alert.event_count = _link_events(session, alert, start, end)
        if alert.event_count != before:
            audit.record(
                session, WORKER, "event.surge.update", "surge_alert", alert.id, diff=_diff(alert), at=now
            )
            run.updated += 1
    for key, alert in sorted(open_alerts.items()):
        if key in surges:
            continue
        alert.state, alert.open_key, alert.closed_at, alert.updated_at = CLOSED, None, now, now
        audit.record(session, WORKER, "event.surge.close", "surge_alert", alert.id, diff=_diff(alert), at=now)
        run.closed += 1
    session.flush()
    return run


def detect_surges_job(session: Session, *, now: datetime, calendar: object) -> JobResult:
    """Worker job: surge detection with the settings' rule, on every run of the worker."""
    from citycockpit.config import get_settings

    run = detect_surges(session, now=now, rule=SurgeRule.from_settings(get_settings()))
    return JobResult("surges", run.opened + run.updated + run.closed)


def acknowledge_surge(session: Session, alert_id: int, *, principal: Principal, now: datetime) -> SurgeAlert:
    """A dispatcher acknowledges (已知悉) a surge alert: it stays on the screen until the surge ends,
    marked as taken in hand, and the acknowledgement is audited. Once only."""
    alert = session.get(SurgeAlert, alert_id, with_for_update=True)
    if alert is None:
        raise SurgeNotFound(f"Surge alert {alert_id} does not exist", alert_id=alert_id)
    ensure_in_scope(principal, area_code=alert.town_code, what="surge alert")
    if alert.acknowledged_at is not None:
        raise SurgeAlreadyAcknowledged(
            f"Surge alert {alert_id} was acknowledged already by {alert.acknowledged_by_name}",
            acknowledged_by=alert.acknowledged_by_name,
            acknowledged_at=alert.acknowledged_at.isoformat(),
        )
    alert.acknowledged_at = now
    alert.acknowledged_by_id = principal.id
    alert.acknowledged_by_name = principal.name[:100]
    audit.record(
        session, principal, "event.surge.acknowledge", "surge_alert", alert.id, diff=_diff(alert), at=now
    )
    session.flush()
    return alert


def linked_event_ids(session: Session, alert_id: int) -> Sequence[int]:
    """The ids of the events behind a surge alert (for tests and exports)."""
    return list(
        session.scalars(
            select(SurgeAlertEvent.event_id)
            .where(SurgeAlertEvent.alert_id == alert_id)
            .order_by(SurgeAlertEvent.event_id)
        )
    )
