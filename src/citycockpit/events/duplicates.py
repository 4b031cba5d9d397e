"""Duplicate proposals: a new event of the same minor category within the category's radius (m) and
window (h) of an open event is proposed as its duplicate. Merging is the `merge` action (workflow)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from citycockpit.events.enums import OPEN_STATES, DuplicateStatus
from citycockpit.events.grids import distance_m
from citycockpit.events.models import DuplicateProposal, Event, EventCategory

MAX_PROPOSALS = 3
_OPEN = [s.value for s in OPEN_STATES]
MAX_CANDIDATES = 200  # the most recent candidates in the box; a hot spot must not make intake slow


class NewEvent(NamedTuple):
    """An event just inserted, as duplicate detection needs it."""

    id: int
    lat: float | None
    lon: float | None
    reported_at: datetime
    category: EventCategory | None


def propose_for_batch(session: Session, events: list[NewEvent], *, now: datetime) -> list[list[int]]:
    """Store proposals for the nearest open events (at most three) that each new event probably
    repeats: same minor category, within the category's radius and window. One query per category of
    the batch; an event is only proposed as a duplicate of one reported before it (for equal times,
    inserted before it), as if they had arrived one by one. Returns each event's originals."""
    found: list[list[int]] = [[] for _ in events]
    groups: dict[str, list[int]] = {}
    for i, event in enumerate(events):
        category = event.category
        if category is None or not category.duplicate_window_h or not category.duplicate_radius_m:
            continue
        if event.lat is None or event.lon is None:
            continue
        groups.setdefault(category.code, []).append(i)
    rows_to_insert = []
    for positions in groups.values():
        category = events[positions[0]].category
        assert category is not None
        radius, window = category.duplicate_radius_m or 0, timedelta(hours=category.duplicate_window_h or 0)
        group = [events[i] for i in positions]
        # Bounding boxes in degrees narrow the scan before the exact distance check. They are written
        # as SQL literals (floats we computed, not input): a statement with fifty bound boxes costs
        # more to build than to run.
        boxes = []
        for e in group:
            dlat = radius / 111_320
            dlon = radius / (111_320 * max(0.1, math.cos(math.radians(e.lat or 0))))
            boxes.append(
                f"(events.lat BETWEEN {e.lat - dlat!r} AND {e.lat + dlat!r}"  # type: ignore[operator]
                f" AND events.lon BETWEEN {e.lon - dlon!r} AND {e.lon + dlon!r})"  # type: ignore[operator]
            )
        rows = session.execute(
            select(Event.id, Event.lat, Event.lon, Event.reported_at)
            .where(
                Event.category_code == category.code,
                Event.reported_at >= min(e.reported_at for e in group) - window,
                Event.reported_at <= max(e.reported_at for e in group),
                Event.state.in_(_OPEN),
                Event.merged_into_id.is_(None),
                text("(" + " OR ".join(boxes) + ")"),
            )
            .order_by(Event.reported_at.desc())
            .limit(MAX_CANDIDATES * len(group))
        ).all()
        for i in positions:
            event = events[i]
            since, key = event.reported_at - window, (event.reported_at, event.id)
            scored = []
            for other_id, lat, lon, reported_at in rows:
                if other_id == event.id or reported_at < since or (reported_at, other_id) > key:
                    continue
                d = distance_m(event.lat, event.lon, lat, lon)  # type: ignore[arg-type]
                if d <= radius:
                    scored.append((d, other_id, (event.reported_at - reported_at).total_seconds() / 3600))
            for d, other_id, hours in sorted(scored)[:MAX_PROPOSALS]:
                found[i].append(other_id)
                rows_to_insert.append(
                    {
                        "event_id": event.id,
                        "original_id": other_id,
                        "distance_m": round(d, 1),
                        "hours_apart": round(hours, 2),
                        "status": DuplicateStatus.PROPOSED.value,
                        "proposed_at": now,
                        "decided_at": None,
                        "decided_by": None,
                    }
                )
    if rows_to_insert:
        session.execute(insert(DuplicateProposal), rows_to_insert)
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
