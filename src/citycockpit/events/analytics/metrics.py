"""Gauges the /metrics scrape reads from the database: events by state and queue depths.

Each is one indexed GROUP BY or MAX; nothing loads events into Python."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from citycockpit.events.enums import OPEN_STATES, EventState
from citycockpit.events.models import Event
from citycockpit.ops.metrics import GaugeProvider, Sample

OPEN = [s.value for s in OPEN_STATES]


def _by_state(session: Session) -> Iterable[Sample]:
    for state, n in session.execute(select(Event.state, func.count()).group_by(Event.state)).all():
        yield Sample({"state": state}, float(n))


def _queues(session: Session) -> Iterable[Sample]:
    now = datetime.now(UTC)
    queues = {
        "triage": and_(Event.state == EventState.REPORTED.value, Event.needs_triage.is_(True)),
        "dispatch": Event.state.in_([EventState.REGISTERED.value, EventState.RETURNED.value]),
        "handling": Event.state.in_([EventState.DISPATCHED.value, EventState.SIGNED.value]),
        "verification": Event.state == EventState.HANDLED.value,
        "overdue": and_(Event.state.in_(OPEN), Event.handle_due_at < now, Event.handled_at.is_(None)),
    }
    for name, clause in queues.items():
        yield Sample({"queue": name}, float(session.scalar(select(func.count()).where(clause)) or 0))


PROVIDERS = [
    GaugeProvider("citycockpit_events", "Events by state", ("state",), _by_state),
    GaugeProvider(
        "citycockpit_event_queue_depth",
        "Events waiting in each work queue (overdue: past the handling due time and not handled)",
        ("queue",),
        _queues,
    ),
]
