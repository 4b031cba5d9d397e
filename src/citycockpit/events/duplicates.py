"""Duplicate proposals: a new event of the same minor category within the category's radius (m) and
window (h) of an open event is proposed as its duplicate. Merging is the `merge` action (workflow)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
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
    proposals = propose_for_batch(session, [(event, category)], now=now)[0]
    if proposals:
        session.flush()
    return proposals


def propose_for_batch(
    session: Session, events: list[tuple[Event, EventCategory | None]], *, now: datetime
) -> list[list[DuplicateProposal]]:
    """`propose_duplicates` for events inserted together (flushed, not yet committed): one query per
    category of the batch instead of one per event. An event is only proposed as a duplicate of one
    reported before it (for equal times, inserted before it), as if they had arrived one by one. The
    proposals are added to the session, not flushed."""
    found: list[list[DuplicateProposal]] = [[] for _ in events]
    groups: dict[str, list[int]] = {}
    for i, (event, category) in enumerate(events):
        if category is None or not category.duplicate_window_h or not category.duplicate_radius_m:
            continue
        if event.lat is None or event.lon is None:
            continue
        groups.setdefault(category.code, []).append(i)
    for positions in groups.values():
        category = events[positions[0]][1]
        assert category is not None
        radius, window = category.duplicate_radius_m or 0, timedelta(hours=category.duplicate_window_h or 0)
        boxes = []
        for i in positions:
            event = events[i][0]
            # A bounding box in degrees narrows the scan before the exact distance check.
            dlat = radius / 111_320
            dlon = radius / (111_320 * max(0.1, math.cos(math.radians(event.lat or 0))))
            boxes.append(
                and_(
                    Event.lat.between(event.lat - dlat, event.lat + dlat),  # type: ignore[operator]
                    Event.lon.between(event.lon - dlon, event.lon + dlon),  # type: ignore[operator]
                )
            )
        group = [events[i][0] for i in positions]
        rows = session.execute(
            select(Event.id, Event.lat, Event.lon, Event.reported_at)
            .where(
                Event.category_code == category.code,
                Event.reported_at >= min(e.reported_at for e in group) - window,
                Event.reported_at <= max(e.reported_at for e in group),
                Event.state.in_([s.value for s in OPEN_STATES]),
                Event.merged_into_id.is_(None),
                or_(*boxes),
            )
            .order_by(Event.reported_at.desc())
            .limit(MAX_CANDIDATES * len(group))
        ).all()
        for i in positions:
            event = events[i][0]
            scored = []
            for other_id, lat, lon, reported_at in rows:
                if other_id == event.id or (reported_at, other_id) > (event.reported_at, event.id):
                    continue
                if reported_at < event.reported_at - window:
                    continue
                d = distance_m(event.lat, event.lon, lat, lon)  # type: ignore[arg-type]
                if d <= radius:
                    scored.append((d, other_id, (event.reported_at - reported_at).total_seconds() / 3600))
            for d, other_id, hours in sorted(scored)[:MAX_PROPOSALS]:
                found[i].append(
                    DuplicateProposal(
                        event_id=event.id,
                        original_id=other_id,
                        distance_m=round(d, 1),
                        hours_apart=round(hours, 2),
                        status=DuplicateStatus.PROPOSED.value,
                        proposed_at=now,
                    )
                )
    session.add_all([p for proposals in found for p in proposals])
    return found


def proposals_for(session: Session, event_id: int) -> list[DuplicateProposal]:
    """Proposals in which the event is the newcomer or the original."""
    return list(
        session.scalars(
            select(DuplicateProposal)
            .where((DuplicateProposal.event_id == event_id) | (DuplicateProposal.original_id == event_id))
            .order_by(DuplicateProposal.id)
        )
    )
