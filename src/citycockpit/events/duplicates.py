"""Duplicate proposals: a new event of the same minor category within the category's radius (m) and
window (h) of an open event is proposed as its duplicate. Merging is the `merge` action (workflow)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.events.enums import OPEN_STATES, DuplicateStatus
from citycockpit.events.grids import distance_m
from citycockpit.events.models import DuplicateProposal, Event, EventCategory

MAX_PROPOSALS = 3
MAX_CANDIDATES = 200  # the most recent candidates in the box; a hot spot must not make intake slow


def propose_duplicates(
    session: Session, event: Event, category: EventCategory | None, *, now: datetime
) -> list[DuplicateProposal]:
    """Store proposals for the nearest open events that this one probably repeats (at most three)."""
    if category is None or not category.duplicate_window_h or event.lat is None or event.lon is None:
        return []
    radius = category.duplicate_radius_m
    if not radius:
        return []
    since = event.reported_at - timedelta(hours=category.duplicate_window_h)
    # A bounding box in degrees narrows the scan before the exact distance check.
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(0.1, math.cos(math.radians(event.lat))))
    rows = session.execute(
        select(Event.id, Event.lat, Event.lon, Event.reported_at)
        .where(
            Event.category_code == event.category_code,
            Event.reported_at >= since,
            Event.reported_at <= event.reported_at,
            Event.id != event.id,
            Event.state.in_([s.value for s in OPEN_STATES]),
            Event.merged_into_id.is_(None),
            Event.lat.between(event.lat - dlat, event.lat + dlat),
            Event.lon.between(event.lon - dlon, event.lon + dlon),
        )
        .order_by(Event.reported_at.desc())
        .limit(MAX_CANDIDATES)
    ).all()
    scored = []
    for other_id, lat, lon, reported_at in rows:
        d = distance_m(event.lat, event.lon, lat, lon)
        if d <= radius:
            scored.append((d, other_id, (event.reported_at - reported_at).total_seconds() / 3600))
    proposals = []
    for d, other_id, hours in sorted(scored)[:MAX_PROPOSALS]:
        proposal = DuplicateProposal(
            event_id=event.id,
            original_id=other_id,
            distance_m=round(d, 1),
            hours_apart=round(hours, 2),
            status=DuplicateStatus.PROPOSED.value,
            proposed_at=now,
        )
        session.add(proposal)
        proposals.append(proposal)
    if proposals:
        session.flush()
    return proposals


def proposals_for(session: Session, event_id: int) -> list[DuplicateProposal]:
    """Proposals in which the event is the newcomer or the original."""
    return list(
        session.scalars(
            select(DuplicateProposal)
            .where((DuplicateProposal.event_id == event_id) | (DuplicateProposal.original_id == event_id))
            .order_by(DuplicateProposal.id)
        )
    )
