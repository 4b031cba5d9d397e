"""Duplicate proposals: a new event of the same minor category within the category's radius (m) and
window (h) of an open event is proposed as its duplicate. Merging is the `merge` action (workflow)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from citycockpit.core.coords import EARTH_RADIUS_M, distance_m
from citycockpit.events.enums import OPEN_STATES, DuplicateStatus
from citycockpit.events.models import DuplicateProposal, Event, EventCategory

MAX_PROPOSALS = 3
BOXES_PER_QUERY = 200  # new events looked up by one statement
MAX_CANDIDATES = 200  # the most recent candidates in the box; a hot spot must not make intake slow


class NewEvent(NamedTuple):
    """An event just inserted, as duplicate detection needs it."""

    id: int
    lat: float | None
    lon: float | None
    reported_at: datetime
    category: EventCategory | None


def _reach_deg(lat: float, radius_m: float) -> tuple[float, float]:
    """How far (degrees of latitude, of longitude) a point within `radius_m` of one at `lat` can lie,
    by `distance_m`'s own haversine: a point outside that box is farther than the radius, so the
    candidates of a batch (found by every box of it, most far from any one event) are skipped before
    the distance is computed, with the same outcome."""
    arc = radius_m / EARTH_RADIUS_M
    cos_low = math.cos(min(math.pi / 2, math.radians(abs(lat)) + arc))
    if cos_low <= 0 or math.sin(arc / 2) >= cos_low:
        return math.degrees(arc), 360.0
    return math.degrees(arc), math.degrees(2 * math.asin(math.sin(arc / 2) / cos_low))


def propose_for_batch(session: Session, events: list[NewEvent], *, now: datetime) -> list[list[int]]:
    """Store proposals for the nearest open originals (at most three) that each new event probably
    repeats: same minor category, within the category's radius and window. An original is an event
    not proposed as anyone's duplicate (`duplicate_of_id` is None); a new event that finds one becomes
    a duplicate of the nearest (its `duplicate_of_id`), so an incident reported 300 times is one
    original and 299 duplicates pointing at it, and the 300th report reads one candidate, not 299. An
    event is only proposed as a duplicate of one reported before it (for equal times, inserted before
    it), as if they had arrived one by one. Returns each event's originals, nearest first.

    One query for the whole batch: a bounding box (in degrees) per new event, each term naming its
    category, so that each box is its own narrow range of ix_events_dup_originals (category, lat, lon,
    time; a partial index of the originals only) — SQLite's multi-index OR, PostgreSQL's BitmapOr — and
    the cost follows the number of new events and of the originals near them, not the number of events
    in the window nor the pile of duplicates at one spot. The state, merge and exact-window tests are
    done here on the few rows found: put in the SQL, they tempt SQLite's planner into scanning the whole
    category. The boxes are SQL literals (floats computed here and category codes from the database,
    quoted): a statement with a hundred bound boxes costs more to build than to run."""
    found: list[list[int]] = [[] for _ in events]
    wanted = [
        i
        for i, e in enumerate(events)
        if e.category is not None
        and e.category.duplicate_window_h
        and e.category.duplicate_radius_m
        and e.lat is not None
        and e.lon is not None
    ]
    if not wanted:
        return found
    rows: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(wanted), BOXES_PER_QUERY):
        chunk = [events[i] for i in wanted[start : start + BOXES_PER_QUERY]]
        boxes = []
        for e in chunk:
            category = e.category
            assert category is not None and e.lat is not None and e.lon is not None
            radius = category.duplicate_radius_m or 0
            dlat = radius / 111_320
            dlon = radius / (111_320 * max(0.1, math.cos(math.radians(e.lat))))
            code = category.code.replace("'", "''").replace(":", "\\:")  # text() reads :x as a bind
            boxes.append(
                f"(events.category_code = '{code}'"
                f" AND events.lat BETWEEN {e.lat - dlat!r} AND {e.lat + dlat!r}"
                f" AND events.lon BETWEEN {e.lon - dlon!r} AND {e.lon + dlon!r})"
            )
        longest = max(timedelta(hours=e.category.duplicate_window_h or 0) for e in chunk if e.category)
        # Plain SQL text with its result columns typed (so reported_at comes back as an aware datetime
        # on both engines): building and compiling the equivalent select() cost a quarter of the lookup.
        statement = (
            text(
                "SELECT events.id, events.lat, events.lon, events.reported_at, events.category_code,"
                " events.state, events.merged_into_id FROM events"
                " WHERE events.reported_at >= :since AND events.reported_at <= :until"
                # the partial index's own condition, word for word (SQLite matches it as written)
                " AND events.duplicate_of_id IS NULL"
                " AND (" + " OR ".join(boxes) + ")"
                f" ORDER BY events.reported_at DESC LIMIT {MAX_CANDIDATES * len(chunk):d}"
            )
            .bindparams(
                bindparam("since", type_=Event.__table__.c.reported_at.type),
                bindparam("until", type_=Event.__table__.c.reported_at.type),
            )
            .columns(
                Event.id,
                Event.lat,
                Event.lon,
                Event.reported_at,
                Event.category_code,
                Event.state,
                Event.merged_into_id,
            )
        )
        for row in session.execute(
            statement,
            {
                "since": min(e.reported_at for e in chunk) - longest,
                "until": max(e.reported_at for e in chunk),
            },
            # Its literals make each statement unique: cached, each would push a reusable statement
            # out of the engine's compiled cache and leave ~200 objects for the collector's full pass.
            execution_options={"compiled_cache": None},
        ):
            rows[row[0]] = tuple(row)
    candidates: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows.values():
        if r[5] in OPEN_STATES and r[6] is None:
            candidates.setdefault(r[4], []).append(r)
    # the batch's own events, earliest first: one that finds an original is no longer one itself for
    # those after it
    became_duplicate: set[int] = set()
    links = []
    rows_to_insert = []
    for i in sorted(wanted, key=lambda i: (events[i].reported_at, events[i].id)):
        event = events[i]
        category = event.category
        assert category is not None
        radius, window = category.duplicate_radius_m or 0, timedelta(hours=category.duplicate_window_h or 0)
        since, key = event.reported_at - window, (event.reported_at, event.id)
        assert event.lat is not None and event.lon is not None
        dlat, dlon = _reach_deg(event.lat, radius)
        scored = []
        for other_id, lat, lon, reported_at, _, _, _ in candidates.get(category.code, ()):
            if other_id in became_duplicate or other_id == event.id:
                continue  # first: at a hot spot, most of the batch's own events are duplicates already
            if not (-dlat <= lat - event.lat <= dlat and -dlon <= lon - event.lon <= dlon):
                continue
            if reported_at < since or (reported_at, other_id) > key:
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
        if found[i]:
            became_duplicate.add(event.id)
            links.append({"b_id": event.id, "b_original": found[i][0]})
    if rows_to_insert:
        session.execute(_INSERT_PROPOSALS, rows_to_insert)
        session.execute(_LINK_DUPLICATES, links)
    return found


# Built once: every intake batch with a proposal runs both.
_INSERT_PROPOSALS = insert(cast(Table, DuplicateProposal.__table__))
_EVENTS = cast(Table, Event.__table__)
_LINK_DUPLICATES = (
    update(_EVENTS).where(_EVENTS.c.id == bindparam("b_id")).values(duplicate_of_id=bindparam("b_original"))
)


def proposals_for(session: Session, event_id: int) -> list[DuplicateProposal]:
    """Proposals in which the event is the newcomer or the original."""
    return list(
        session.scalars(
            select(DuplicateProposal)
            .where((DuplicateProposal.event_id == event_id) | (DuplicateProposal.original_id == event_id))
            .order_by(DuplicateProposal.id)
        )
    )
