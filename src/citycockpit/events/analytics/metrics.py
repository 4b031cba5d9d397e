"""Gauges the /metrics scrape reads from the database: events by state and queue depths.

Each is one indexed GROUP BY or COUNT; nothing loads events into Python. The queues are counted at the
app's clock (the one every time rule reads), so a demo living in the report's year measures overdue
against its own today."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.events.enums import AWAITING_DISPATCH, EventState, state_values
from citycockpit.events.models import Event
from citycockpit.ops.metrics import GaugeProvider, Sample


def _by_state(session: Session) -> Iterable[Sample]:
    for state, n in session.execute(select(Event.state, func.count()).group_by(Event.state)).all():
        yield Sample({"state": state}, float(n))


def _queues(session: Session, now: datetime) -> Iterable[Sample]:
    queues = {
        "triage": and_(Event.state == EventState.REPORTED.value, Event.needs_triage.is_(True)),
        "dispatch": Event.state.in_(state_values(AWAITING_DISPATCH)),
        "handling": Event.is_being_handled,
        "verification": Event.state == EventState.HANDLED.value,
        "overdue": Event.is_overdue(now),
    }
    for name, clause in queues.items():
        yield Sample({"queue": name}, float(session.scalar(select(func.count()).where(clause)) or 0))


def providers(clock: Clock) -> list[GaugeProvider]:
    """The events gauges, counting the queues at `clock`'s now."""
    return [
        GaugeProvider("citycockpit_events", "Events by state", ("state",), _by_state),
        GaugeProvider(
            "citycockpit_event_queue_depth",
            "Events waiting in each work queue (overdue: being handled, past the handling deadline)",
            ("queue",),
            lambda session: _queues(session, clock.now()),
        ),
    ]
