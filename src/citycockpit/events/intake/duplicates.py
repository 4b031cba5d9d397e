"""Duplicate proposals: a new event of the same minor category within the category's radius (m) and
window (h) of an open event is proposed as its duplicate. Merging is the `merge` action (workflow)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from citycockpit.core.coords import EARTH_RADIUS_M, distance_m
from citycockpit.db import RowsInsert, driver_marks, run_driver_sql
from citycockpit.events.enums import OPEN_STATES, DuplicateStatus
from citycockpit.events.models import DuplicateProposal, Event, EventCategory

MAX_PROPOSALS = 3
BOXES_PER_QUERY = 200  # new events looked up by one statement
MAX_CANDIDATES = 200  # the most recent candidates in the box; a hot spot must not make intake slow


class NewEvent(NamedTuple):
    """An event about to be inserted, as duplicate detection needs it (until it has an id, its place
    in the batch stands for it: the batch's rows are numbered in that order)."""

    lat: float | None
    lon: float | None
    reported_at: datetime
    category: EventCategory | None


class Original(NamedTuple):
    """An original a new event probably repeats: a stored event's id, or (`in_batch`) the position
    of an event of the same batch, whose id is known once the batch is inserted."""

    ref: int
    in_batch: bool
    distance_m: float
    hours_apart: float


def stored_original(found: list[Original]) -> int | None:
    """The `duplicate_of_id` a new event is inserted with: its nearest original when that one is
    already stored (one of its own batch is linked by `store_proposals`, once it has an id)."""
    return found[0].ref if found and not found[0].in_batch else None


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


_COLUMNS = cast(Table, Event.__table__).c
_AT = _COLUMNS.reported_at.type
_CANDIDATE_TYPES = tuple(
    c.type
    for c in (
        _COLUMNS.id,
        _COLUMNS.lat,
        _COLUMNS.lon,
        _COLUMNS.reported_at,
        _COLUMNS.category_code,
        _COLUMNS.state,
        _COLUMNS.merged_into_id,
    )
)


def find_originals(session: Session, events: list[NewEvent]) -> list[list[Original]]:
    """The nearest open originals (at most three) that each new event of a batch probably repeats, found
    before the batch is inserted: same minor category, within the category's radius and window. An
    original is an event not proposed as anyone's duplicate (`duplicate_of_id` is None); a new event
    that finds one becomes a duplicate of the nearest (its `duplicate_of_id`), so an incident reported
    300 times is one original and 299 duplicates pointing at it, and the 300th report reads one
    candidate, not 299. An event is only proposed as a duplicate of one reported before it (for equal
    times, inserted before it: stored events, then the batch in its order), as if they had arrived one
    by one. `store_proposals` stores what this found, once the batch has its ids.

    One query for the whole batch: a bounding box (in degrees) per new event, each term naming its
    category, so that each box is its own narrow range of ix_events_dup_originals (category, lat, lon,
    time; a partial index of the originals only) — SQLite's multi-index OR, PostgreSQL's BitmapOr — and
    the cost follows the number of new events and of the originals near them, not the number of events
    in the window nor the pile of duplicates at one spot. The state, merge and exact-window tests are
    done here on the few rows found: put in the SQL, they tempt SQLite's planner into scanning the whole
    category. The boxes are SQL literals (floats computed here and category codes from the database,
    quoted): a statement with a hundred bound boxes costs more to build than to run. The batch's own
    events are candidates for those after them without being read back."""
    found: list[list[Original]] = [[] for _ in events]
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
    mark, literal = driver_marks(session.get_bind().dialect)
    for start in range(0, len(wanted), BOXES_PER_QUERY):
        chunk = [events[i] for i in wanted[start : start + BOXES_PER_QUERY]]
        boxes = []
        for e in chunk:
            category = e.category
            assert category is not None and e.lat is not None and e.lon is not None
            radius = category.duplicate_radius_m or 0
            dlat = radius / 111_320
            dlon = radius / (111_320 * max(0.1, math.cos(math.radians(e.lat))))
            boxes.append(
                f"(events.category_code = '{literal(category.code)}'"
                f" AND events.lat BETWEEN {e.lat - dlat!r} AND {e.lat + dlat!r}"
                f" AND events.lon BETWEEN {e.lon - dlon!r} AND {e.lon + dlon!r})"
            )
        longest = max(timedelta(hours=e.category.duplicate_window_h or 0) for e in chunk if e.category)
        # Plain SQL text run through the driver, its binds and result columns converted by their
        # column types (reported_at an aware datetime on both engines): building and compiling the
        # equivalent select() cost a quarter of the lookup, a text() statement still a compile.
        sql = (
            "SELECT events.id, events.lat, events.lon, events.reported_at, events.category_code,"
            " events.state, events.merged_into_id FROM events"
            f" WHERE events.reported_at >= {mark} AND events.reported_at <= {mark}"
            # the partial index's own condition, word for word (SQLite matches it as written)
            " AND events.duplicate_of_id IS NULL"
            " AND (" + " OR ".join(boxes) + ")"
            f" ORDER BY events.reported_at DESC LIMIT {MAX_CANDIDATES * len(chunk):d}"
        )
        since = min(e.reported_at for e in chunk) - longest
        until = max(e.reported_at for e in chunk)
        for row in run_driver_sql(
            session, sql, (since, until), bind_types=(_AT, _AT), result_types=_CANDIDATE_TYPES
        ):
            rows[row[0]] = row
    # per category: (order key, lat, lon, reported_at, the Original's ref and in_batch); stored events
    # come before the batch's for equal times (their ids are lower), the batch's in its order
    candidates: dict[str, list[tuple[tuple[datetime, int, int], float, float, datetime, int, bool]]] = {}
    for id_, lat, lon, reported_at, code, state, merged_into in rows.values():
        if state in OPEN_STATES and merged_into is None:
            candidates.setdefault(code, []).append(((reported_at, 0, id_), lat, lon, reported_at, id_, False))
    for i in wanted:
        e = events[i]
        assert e.category is not None
        candidates.setdefault(e.category.code, []).append(
            ((e.reported_at, 1, i), e.lat, e.lon, e.reported_at, i, True)  # type: ignore[arg-type]
        )
    # the batch's own events, earliest first: one that finds an original is no longer one itself for
    # those after it
    became_duplicate: set[int] = set()
    for i in sorted(wanted, key=lambda i: (events[i].reported_at, i)):
        event = events[i]
        category = event.category
        assert category is not None
        radius, window = category.duplicate_radius_m or 0, timedelta(hours=category.duplicate_window_h or 0)
        since, key = event.reported_at - window, (event.reported_at, 1, i)
        assert event.lat is not None and event.lon is not None
        dlat, dlon = _reach_deg(event.lat, radius)
        scored = []
        for order, lat, lon, reported_at, ref, in_batch in candidates.get(category.code, ()):
            if in_batch and (ref in became_duplicate or ref == i):
                continue  # first: at a hot spot, most of the batch's own events are duplicates already
            if not (-dlat <= lat - event.lat <= dlat and -dlon <= lon - event.lon <= dlon):
                continue
            if reported_at < since or order > key:
                continue
            d = distance_m(event.lat, event.lon, lat, lon)
            if d <= radius:
                hours = (event.reported_at - reported_at).total_seconds() / 3600
                scored.append((d, order, Original(ref, in_batch, d, hours)))
        found[i] = [original for _, _, original in sorted(scored)[:MAX_PROPOSALS]]
        if found[i]:
            became_duplicate.add(i)
    return found


def store_proposals(
    session: Session, found: list[list[Original]], ids: list[int], *, now: datetime
) -> list[list[int]]:
    """Store the proposals `find_originals` found for a batch now inserted (`ids`: its events' ids in
    batch order) and link to its original each event whose nearest original is of the same batch (the
    others were inserted linked: `stored_original`). Returns each event's originals' ids, nearest
    first."""
    originals = [[ids[o.ref] if o.in_batch else o.ref for o in event] for event in found]
    rows_to_insert = [
        {
            "event_id": ids[i],
            "original_id": original_id,
            "distance_m": round(o.distance_m, 1),
            "hours_apart": round(o.hours_apart, 2),
            "status": DuplicateStatus.PROPOSED.value,
            "proposed_at": now,
            "decided_at": None,
            "decided_by": None,
        }
        for i, event in enumerate(found)
        for o, original_id in zip(event, originals[i], strict=True)
    ]
    links = [
        {"b_id": ids[i], "b_original": originals[i][0]}
        for i, event in enumerate(found)
        if event and event[0].in_batch
    ]
    if rows_to_insert:
        _INSERT_PROPOSALS.execute(session, rows_to_insert)
    if links:
        session.execute(_LINK_DUPLICATES, links)
    return originals


# Built once: every intake batch with a proposal runs the insert.
_INSERT_PROPOSALS = RowsInsert(cast(Table, DuplicateProposal.__table__))  # through the driver
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
