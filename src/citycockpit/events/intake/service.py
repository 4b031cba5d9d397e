"""Intake (受理): every channel — workbench, JSON API, Open311, hotline batch files — creates events
through `create_event`, which locates the grid, routes, proposes duplicates, writes the first timeline
row and one audit entry."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.core import coords, stamps
from citycockpit.core.ids import random_hex
from citycockpit.core.text import clean_text
from citycockpit.db import DriverStatement, RowsInsert
from citycockpit.events import categories as cats
from citycockpit.events import photos, routing
from citycockpit.events.enums import (
    Channel,
    EventState,
    GridMethod,
    RequestType,
    SystemAction,
)
from citycockpit.events.errors import ExternalIdTaken, IdempotencyKeyReused, InvalidEventInput
from citycockpit.events.intake import duplicates, grids
from citycockpit.events.models import INTAKE_LIMITS, Event, EventCategory, EventTransition
from citycockpit.events.sla import DEFAULT_CALENDAR, WorkCalendar
from citycockpit.org.models import Area

# The counters and flags of an event nobody has acted on yet (written as they are, not left to defaults:
# events rows are inserted without the ORM).
NEW_EVENT_COUNTS: dict[str, Any] = {
    "supervision_level": 0,
    "rework_count": 0,
    "return_count": 0,
    "extension_count": 0,
    "reopen_count": 0,
    "reminder_count": 0,
    "department_count": 0,
    "duplicate_count": 0,
    "closed_by_center": False,
    "has_pending_extension": False,
}
MAX_DESCRIPTION = INTAKE_LIMITS["description"]  # Open311 GeoReport v2: description ≤ 4,000 characters
_TEXT_FIELDS = (
    "description",
    "title",
    "address",
    "grid_code",
    "category_code",
    "reporter_name",
    "reporter_phone",
    "reporter_email",
    "external_id",
)
DEFAULT_REPEAT_WINDOW_DAYS = 30.0  # config.events_repeat_window_days
REPEAT_LOOKUP_CHUNK = 500  # phone numbers per lookup statement (a batch holds at most a few thousand)


@dataclass
class EventInput:
    description: str
    channel: Channel | str = Channel.API
    title: str | None = None
    request_type: RequestType | str | None = None
    category_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    location_accuracy_m: float | None = None  # how far off lat/lon may be (a phone's geolocation)
    coord_system: str | None = None  # what lat/lon are in (core/coords.py); empty: wgs84
    address: str | None = None
    grid_code: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    external_id: str | None = None
    media_urls: list[str] = field(default_factory=list)
    reported_at: datetime | None = None
    priority: str = "normal"
    intake_token: str | None = None
    idempotency_key: str | None = None  # made by the client; see report_event_once

    def __post_init__(self) -> None:
        # Every channel builds its input here, so this is where typed text is normalised, once.
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, clean_text(value))
        self.media_urls = [clean_text(url) for url in self.media_urls]


@dataclass(frozen=True)
class IntakeSettings:
    """What intake reads from the app's settings, for every channel that reports into it (JSON API,
    workbench form, Open311 writer, hotline files): the working calendar the SLA clocks run on, the
    classifier score below which an event waits in triage, and the window of a repeated request.
    `options()` are the keyword arguments of `create_event`, `report_event_once` and `create_events`."""

    calendar: WorkCalendar = DEFAULT_CALENDAR
    triage_threshold: float = routing.DEFAULT_TRIAGE_THRESHOLD
    repeat_window_days: float = DEFAULT_REPEAT_WINDOW_DAYS

    @classmethod
    def from_settings(cls, settings: Any, calendar: WorkCalendar | None = None) -> IntakeSettings:
        return cls(
            calendar=calendar or WorkCalendar.from_settings(settings),
            triage_threshold=float(settings.events_triage_threshold),
            repeat_window_days=float(settings.events_repeat_window_days),
        )

    @classmethod
    def of_app(cls, state: Any) -> IntakeSettings:
        """A running app's intake settings (its calendar built once, kept on the app's state)."""
        return cls.from_settings(state.settings, WorkCalendar.of_app(state))

    def options(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "triage_threshold": self.triage_threshold,
            "repeat_window_days": self.repeat_window_days,
        }


# Beyond this a position says little more than "somewhere in the city" (a phone without GPS fix reports
# its cell tower's radius, often several kilometres); such a figure is refused rather than stored.
MAX_LOCATION_ACCURACY_M = 100_000.0


def accuracy_in_range(accuracy_m: float) -> bool:
    """Whether a position's accuracy (metres) is one to store: 0 to MAX_LOCATION_ACCURACY_M (NaN is
    not). The one home of that range: `check_fields` and the report form both ask here."""
    return 0 <= accuracy_m <= MAX_LOCATION_ACCURACY_M


IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # a UUID (with or without dashes) fits


def new_public_id(local_day: datetime) -> str:
    """`E` + local date (yymmdd) + 10 hex digits, e.g. E240930A1B2C3D4E5."""
    return f"E{local_day:%y%m%d}{random_hex(5).upper()}"


def actor_fields(actor: Any) -> dict[str, Any]:
    role = getattr(actor, "role", None)
    return {
        "actor_id": actor.id,
        "actor_name": actor.display_name[:100],
        "actor_role": str(role) if role is not None else None,
    }


class Lookups:
    """Categories, grid codes and departments read once per transaction: a batch of intake requests
    looks each one up a single time instead of once per event. With `whole`, the minor categories and
    the departments are each read whole at the first lookup and kept by the process until their
    table's change stamp moves (`stamps.cached`), so a batch of intake checks two stamps instead of
    reading both tables; a single event reads only what it needs."""

    def __init__(self, session: Session, *, whole: bool = False) -> None:
        self.session = session
        self._categories: dict[str, EventCategory | None] = {}
        self._all_categories = not whole  # True once every minor category is in _categories
        self._grids: dict[str, bool] = {}
        self._grid_index: grids.GridIndex | None = None
        self._located: dict[tuple[float, float], tuple[str, GridMethod] | None] = {}
        self.departments = routing.DepartmentLookup(session, whole=whole)

    def grid_index(self) -> grids.GridIndex:
        if self._grid_index is None:
            self._grid_index = grids.grid_index(self.session)
        return self._grid_index

    def locate_all(self, points: list[tuple[float, float]]) -> None:
        """Locate a batch's WGS84 points at once (two tree queries for all), for `locate` to answer."""
        wanted = list(dict.fromkeys(p for p in points if p not in self._located))
        if wanted:
            self._located.update(zip(wanted, self.grid_index().locate_many(wanted), strict=True))

    def locate(self, lat: float, lon: float) -> tuple[str, GridMethod] | None:
        """The grid of a WGS84 point: located with its batch (`locate_all`), else now."""
        if (lat, lon) in self._located:
            return self._located[(lat, lon)]
        return self.grid_index().locate(lat, lon)

    def minor_category(self, code: str) -> EventCategory | None:
        if not self._all_categories:
            self._all_categories = True
            self._categories.update(
                stamps.cached(
                    self.session, "event_categories", "minor", lambda: _minor_categories(self.session)
                )
            )
            return self._categories.get(code)
        if code not in self._categories:
            self._categories[code] = self.session.scalars(
                select(EventCategory).where(EventCategory.code == code, EventCategory.level == "minor")
            ).first()
        return self._categories[code]

    def grid_exists(self, code: str) -> bool:
        if code not in self._grids:
            found = self.session.scalars(
                select(Area.id).where(Area.code == code, Area.level == "grid")
            ).first()
            self._grids[code] = found is not None
        return self._grids[code]


def _minor_categories(session: Session) -> dict[str, EventCategory]:
    """Every minor category by code, as detached copies (shared between sessions and threads: no
    session's commit may expire them, and none may flush a change made to one)."""
    table = EventCategory.__table__
    rows = session.execute(select(table).where(table.c.level == "minor")).mappings()
    return {row["code"]: EventCategory(**row) for row in rows}


class Problem(str):
    """One problem with an intake's input: the English sentence (what the API and the CLI say) with the
    field it is about and a reason code, so a page or an import can say it in its own language
    (`import.reason.<code>` with `params`) without reading the sentence."""

    field: str | None
    code: str
    params: dict[str, Any]

    def __new__(cls, text: str, *, field: str | None, code: str, **params: Any) -> Problem:
        problem = super().__new__(cls, text)
        problem.field, problem.code, problem.params = field, code, params
        return problem


def check_fields(data: EventInput, names: dict[str, str] | None = None) -> list[Problem]:
    """Every problem with the input that needs no database (the one place each of these checks is
    written; Open311 runs them before queueing a request, the rest through validate_input). Every text
    field must fit `INTAKE_LIMITS`; the sentence names the field as the caller knows it (`names`: Open311
    says `phone` for reporter_phone)."""
    problems: list[Problem] = []
    names = names or {}
    description = (data.description or "").strip()
    if not description and not (data.title or "").strip():
        problems.append(
            Problem("a description is required", field="description", code="description_required")
        )
    if len(description) > MAX_DESCRIPTION:
        problems.append(
            Problem(
                f"the {names.get('description', 'description')} is longer than {MAX_DESCRIPTION} characters",
                field="description",
                code="description_too_long",
                max=MAX_DESCRIPTION,
            )
        )
    for name in ("title", "address", "reporter_name", "reporter_phone", "reporter_email", "external_id"):
        value, limit = getattr(data, name), INTAKE_LIMITS[name]
        if value is not None and len(value.strip()) > limit:
            problems.append(
                Problem(
                    f"{names.get(name, name)} is longer than {limit} characters",
                    field=name,
                    code="too_long",
                    max=limit,
                )
            )
    if any(len(url) > INTAKE_LIMITS["media_url"] for url in data.media_urls):
        problems.append(
            Problem(
                f"{names.get('media_url', 'a media URL')} is longer than {INTAKE_LIMITS['media_url']} characters",
                field="media_url",
                code="too_long",
                max=INTAKE_LIMITS["media_url"],
            )
        )
    try:
        Channel(data.channel)
    except ValueError:
        problems.append(
            Problem(
                f"channel {data.channel!r} is not one of {', '.join(c.value for c in Channel)}",
                field="channel",
                code="bad_channel",
                value=data.channel,
            )
        )
    if data.request_type not in (None, ""):
        try:
            RequestType(data.request_type)
        except ValueError:
            problems.append(
                Problem(
                    f"request_type {data.request_type!r} is not one of {', '.join(r.value for r in RequestType)}",
                    field="request_type",
                    code="bad_request_type",
                    value=data.request_type,
                )
            )
    if (data.lat is None) != (data.lon is None):
        problems.append(
            Problem(
                "lat and lon must be given together",
                field="lat" if data.lat is None else "lon",
                code="coordinates_pair",
            )
        )
    if data.lat is not None and not -90 <= data.lat <= 90:
        problems.append(Problem(f"lat {data.lat} is outside -90..90", field="lat", code="lat_range"))
    if data.lon is not None and not -180 <= data.lon <= 180:
        problems.append(Problem(f"lon {data.lon} is outside -180..180", field="lon", code="lon_range"))
    if data.location_accuracy_m is not None:
        if data.lat is None:
            problems.append(
                Problem(
                    "location_accuracy_m needs lat and lon",
                    field="location_accuracy_m",
                    code="accuracy_needs_point",
                )
            )
        elif not accuracy_in_range(data.location_accuracy_m):
            problems.append(
                Problem(
                    f"location_accuracy_m must be 0 to {MAX_LOCATION_ACCURACY_M:g} metres",
                    field="location_accuracy_m",
                    code="accuracy_range",
                    max=f"{MAX_LOCATION_ACCURACY_M:g}",
                )
            )
    try:
        coords.parse_system(data.coord_system)
    except coords.UnknownCoordSystem as exc:
        problems.append(
            Problem(str(exc), field="coord_system", code="bad_coord_system", value=data.coord_system)
        )
    if data.priority not in ("normal", "urgent"):
        problems.append(Problem("priority must be normal or urgent", field="priority", code="bad_priority"))
    if data.idempotency_key is not None and not IDEMPOTENCY_KEY.match(data.idempotency_key):
        problems.append(
            Problem(
                "the idempotency key must be 8 to 64 letters, digits, - or _ (a UUID)",
                field="idempotency_key",
                code="bad_idempotency_key",
            )
        )
    return problems


def validate_input(
    session: Session, data: EventInput, lookups: Lookups | None = None
) -> tuple[EventCategory | None, list[Problem]]:
    """The category (if given) and every problem with the input: `check_fields`, then
    whether the category and the grid exist."""
    lookups = lookups or Lookups(session)
    problems = check_fields(data)
    category = None
    if data.category_code:
        category = lookups.minor_category(data.category_code)
        if category is None:
            problems.append(
                Problem(
                    f"unknown minor category {data.category_code}",
                    field="category_code",
                    code="unknown_category",
                    value=data.category_code,
                )
            )
    if data.grid_code:
        if not lookups.grid_exists(data.grid_code):
            problems.append(
                Problem(
                    f"unknown grid code {data.grid_code}",
                    field="grid_code",
                    code="unknown_grid",
                    value=data.grid_code,
                )
            )
    return category, problems


@dataclass
class Submission:
    """One event to create in a batch: the input, who reports it and from where. `checked` means the
    caller already ran validate_input's checks (the hotline import for its whole file first, Open311
    at parsing and in its writer) and `category` is the category they found."""

    data: EventInput
    actor: Principal | Any
    ip: str | None = None
    category: EventCategory | None = None
    checked: bool = False


def create_event(
    session: Session,
    data: EventInput,
    *,
    actor: Principal | Any,
    now: datetime,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    triage_threshold: float = routing.DEFAULT_TRIAGE_THRESHOLD,
    ip: str | None = None,
    category: EventCategory | None = None,
    checked: bool = False,
    repeat_window_days: float = DEFAULT_REPEAT_WINDOW_DAYS,
) -> Event:
    """Report (上报) an event: locate its grid, route it (rule → classifier → triage), propose duplicates.
    An `external_id` already stored for the channel is a conflict naming the stored event: a source
    system retrying a call that did land learns which event it made (batch imports check their whole
    file the same way before writing)."""
    check_external_id(session, data)
    (result,) = create_events(
        session,
        [Submission(data, actor, ip, category, checked)],
        now=now,
        calendar=calendar,
        triage_threshold=triage_threshold,
        repeat_window_days=repeat_window_days,
    )
    if isinstance(result, InvalidEventInput):
        raise result
    event = session.get(Event, result.id)
    assert event is not None
    return event


def report_event_once(
    session: Session,
    data: EventInput,
    *,
    actor: Principal | Any,
    now: datetime,
    **options: Any,
) -> tuple[Event, bool]:
    """Report an event at most once per idempotency key (the one home of that rule): (event, created).

    A send whose key is already stored answers with that event and changes nothing, so a phone's
    outbox or an API client may retry as often as it likes. The key belongs to the reporter who first
    used it: another reporter's send with it is refused (409, nothing about that event is shown).
    Race-safe on both engines: the unique index decides between two sends at the same instant, and the
    loser reads the winner's event. Without a key this is `create_event`. `options` go to it."""
    key = data.idempotency_key
    if not key:
        return create_event(session, data, actor=actor, now=now, **options), True
    problems = check_fields(data)
    if problems:
        raise InvalidEventInput("; ".join(problems), errors=problems)
    existing = _event_by_key(session, key, actor)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            return create_event(session, data, actor=actor, now=now, **options), True
    except IntegrityError:  # another send with this key committed first (PostgreSQL waits for it)
        existing = _event_by_key(session, key, actor)
        if existing is None:
            raise
        return existing, False


def _event_by_key(session: Session, key: str, actor: Principal | Any) -> Event | None:
    event = session.scalars(select(Event).where(Event.idempotency_key == key)).first()
    if event is None:
        return None
    reporter = actor.id if getattr(actor, "kind", "user") == "user" else None
    if event.reported_by_id != reporter or event.reported_by_name != actor.display_name[:100]:
        raise IdempotencyKeyReused(
            "This idempotency key was already used for another report; make a new key for each report"
        )
    return event


def check_external_id(session: Session, data: EventInput) -> None:
    """Refuse (409 event_external_id_taken) an input whose channel already has an event with its
    `external_id`; the unique constraint would otherwise fail the insert."""
    if not data.external_id:
        return
    try:
        channel = Channel(data.channel).value
    except ValueError:
        return  # validate_input names the bad channel
    stored = session.scalar(
        select(Event.public_id).where(Event.channel == channel, Event.external_id == data.external_id)
    )
    if stored is not None:
        raise ExternalIdTaken(
            f"An event from channel {channel} with external_id {data.external_id} already exists: {stored}",
            public_id=stored,
            field="external_id",
        )


@dataclass(frozen=True)
class Created:
    """An event `create_events` inserted."""

    id: int
    public_id: str
    category_code: str | None


@dataclass
class Prepared:
    """Events checked, located and routed by `prepare_events`, ready for `insert_events`."""

    results: list[Created | InvalidEventInput | None]  # None: to be created (the row in `built`)
    built: list[tuple[dict[str, Any], EventCategory | None, Submission]]
    repeat_window_days: float = DEFAULT_REPEAT_WINDOW_DAYS

    def only(self, keep: list[bool]) -> Prepared:
        """The submissions whose `keep` flag is set (one flag per submission, in order)."""
        kept = Prepared([], [], self.repeat_window_days)
        rows = iter(self.built)
        for result, wanted in zip(self.results, keep, strict=True):
            row = next(rows) if result is None else None
            if wanted:
                kept.results.append(result)
                if row is not None:  # a copy without the id an earlier, rolled back insert gave it
                    kept.built.append(({k: v for k, v in row[0].items() if k != "id"}, row[1], row[2]))
        return kept


def create_events(
    session: Session,
    submissions: list[Submission],
    *,
    now: datetime,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    triage_threshold: float = routing.DEFAULT_TRIAGE_THRESHOLD,
    repeat_window_days: float = DEFAULT_REPEAT_WINDOW_DAYS,
) -> list[Created | InvalidEventInput]:
    """Report several events in the caller's transaction, answering each with the event created or
    with why its input was refused (the others are still created): `prepare_events` (reads only)
    then `insert_events` (writes)."""
    prepared = prepare_events(
        session,
        submissions,
        now=now,
        calendar=calendar,
        triage_threshold=triage_threshold,
        repeat_window_days=repeat_window_days,
    )
    return insert_events(session, prepared, now=now)


def prepare_events(
    session: Session,
    submissions: list[Submission],
    *,
    now: datetime,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    triage_threshold: float = routing.DEFAULT_TRIAGE_THRESHOLD,
    lookups: Lookups | None = None,
    repeat_window_days: float = DEFAULT_REPEAT_WINDOW_DAYS,
) -> Prepared:
    """Validate, locate and route each submission and build its events row, reading only (the intake
    writer does this outside the write transaction, so SQLite's one write lock is held only for the
    inserts). Lookups are shared by the batch (and with the caller, when it passes its own)."""
    lookups = lookups or Lookups(session)
    prepared = Prepared([], [], repeat_window_days)
    points = []
    for item in submissions:
        data = item.data
        if len(submissions) > 1 and not data.grid_code and data.lat is not None and data.lon is not None:
            try:
                point = located_point(data)
            except Exception:  # noqa: BLE001 - not yet checked: _build_event refuses it, or locates it alone
                continue
            points.append((point["lat"], point["lon"]))
    lookups.locate_all(points)
    for item in submissions:
        try:
            row, category = _build_event(session, item, lookups, now, calendar, triage_threshold)
        except InvalidEventInput as exc:
            prepared.results.append(exc)
            continue
        prepared.results.append(None)
        prepared.built.append((row, category, item))
    return prepared


# Core, not the ORM's bulk path: these are plain rows. Built once: the intake writer inserts every batch.
_EVENTS = cast(Table, Event.__table__)
_INSERT_EVENTS = RowsInsert(_EVENTS, returning=("public_id", "id"))
_INSERT_TRANSITIONS = RowsInsert(cast(Table, EventTransition.__table__))
# json.dumps(value, ensure_ascii=False), byte for byte, without building an encoder per call
_JSON = json.JSONEncoder(ensure_ascii=False)


def insert_events(
    session: Session, prepared: Prepared, *, now: datetime
) -> list[Created | InvalidEventInput]:
    """Insert prepared events: the events, their first timeline rows and duplicate proposals with one
    multi-row statement each (no ORM objects), and their audit entries chained under one lock of the
    audit head (`audit.record_many`)."""
    results, built = prepared.results, prepared.built
    rows = [row for row, _, _ in built]
    if not rows:
        return cast(list[Created | InvalidEventInput], results)  # only refusals: no None left
    # RETURNING pairs each id with its unique public id: asking for the rows' order instead makes
    # SQLite insert one row per statement.
    in_batch = find_repeats(session, rows, window_days=prepared.repeat_window_days)
    # duplicates looked up before the insert, so an event whose original is stored is inserted linked
    found = duplicates.find_originals(
        session,
        [
            duplicates.NewEvent(row["lat"], row["lon"], row["reported_at"], category)
            for row, category, _ in built
        ],
    )
    for row, originals in zip(rows, found, strict=True):
        row["duplicate_of_id"] = duplicates.stored_original(originals)
    returned = _INSERT_EVENTS.execute(session, rows)
    ids: dict[str, int] = dict(returned)  # type: ignore[arg-type]
    for row in rows:
        row["id"] = ids[row["public_id"]]
    link_batch_repeats(session, in_batch)
    slots = iter(i for i, r in enumerate(results) if r is None)
    for row in rows:
        results[next(slots)] = Created(row["id"], row["public_id"], row["category_code"])
    answered = cast(list[Created | InvalidEventInput], results)  # no None left
    _INSERT_TRANSITIONS.execute(
        session,
        [
            {
                "event_id": row["id"],
                "action": SystemAction.REPORT.value,
                "from_state": None,
                "to_state": row["state"],
                "at": row["reported_at"],
                "note": None,
                "department_id": None,
                "data_json": _JSON.encode(
                    {"channel": row["channel"], "routing": row["routing_rule"], "score": row["routing_score"]}
                ),
                **actor_fields(item.actor),
            }
            for row, _, item in built
        ],
    )
    proposed = duplicates.store_proposals(session, found, [row["id"] for row in rows], now=now)
    audit.record_many(
        session,
        [
            audit.Pending(
                item.actor,
                "event.report",
                "event",
                row["public_id"],
                diff={
                    "channel": row["channel"],
                    "category": row["category_code"],
                    "grid": row["grid_code"],
                    "department_id": row["department_id"],
                    "routing": row["routing_rule"],
                    "needs_triage": row["needs_triage"],
                    "duplicate_of": originals,
                    **({"repeat_of": row["repeat_of_id"]} if row["repeat_of_id"] else {}),
                },
                ip=item.ip,
                at=now,
            )
            for (row, _, item), originals in zip(built, proposed, strict=True)
        ],
    )
    return answered


_REPEAT_COLUMNS = cast(Table, Event.__table__).c
# Run through the driver, compiled once per dialect and list lengths: every intake batch looks up.
_REPEAT_LOOKUP = DriverStatement(
    select(
        _REPEAT_COLUMNS.reporter_phone,
        _REPEAT_COLUMNS.category_code,
        _REPEAT_COLUMNS.reported_at,
        _REPEAT_COLUMNS.id,
        _REPEAT_COLUMNS.repeat_seq,
    ).where(
        _REPEAT_COLUMNS.reporter_phone.in_(bindparam("phones", expanding=True)),
        _REPEAT_COLUMNS.category_code.in_(bindparam("categories", expanding=True)),
        _REPEAT_COLUMNS.reported_at >= bindparam("first"),
        _REPEAT_COLUMNS.reported_at <= bindparam("last"),
        _REPEAT_COLUMNS.is_test.is_(False),
    )
)


def find_repeats(
    session: Session, rows: list[dict[str, Any]], *, window_days: float
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """重复诉求, before the rows are inserted: link each new event to the same caller's latest earlier
    request in the same minor category reported within `window_days` before it (phones compared as
    stored; test events and events without a phone or category are never linked), setting its
    `repeat_of_id` and `repeat_seq` (which call of the chain it is: 2 for the first repeat). One indexed
    lookup (ix_events_repeat_lookup) per batch, per 500 phone numbers. Earlier rows of the same batch
    count too; their ids are known only once inserted, so those pairs (row, earlier row) are returned
    for `link_batch_repeats`."""
    for row in rows:
        row["repeat_of_id"], row["repeat_seq"] = None, None
    new = [r for r in rows if r.get("reporter_phone") and r.get("category_code") and not r.get("is_test")]
    if not new or window_days <= 0:
        return []
    window = timedelta(days=window_days)
    first = min(r["reported_at"] for r in new) - window
    last = max(r["reported_at"] for r in new)
    categories = sorted({r["category_code"] for r in new})
    phones = sorted({r["reporter_phone"] for r in new})
    # per (phone, category): (reported_at, 0 stored | 1 new, id | batch position, seq, the new row)
    chains: dict[tuple[str, str], list[tuple[datetime, int, int, int | None, dict[str, Any] | None]]]
    chains = defaultdict(list)
    for start in range(0, len(phones), REPEAT_LOOKUP_CHUNK):
        found = _REPEAT_LOOKUP.execute(
            session,
            {
                "phones": phones[start : start + REPEAT_LOOKUP_CHUNK],
                "categories": categories,
                "first": first,
                "last": last,
            },
        )
        for phone, category, at, event_id, seq in found:
            chains[(phone, category)].append((at, 0, event_id, seq, None))
    pending: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for position, row in sorted(enumerate(new), key=lambda p: (p[1]["reported_at"], p[0])):
        chain = chains[(row["reporter_phone"], row["category_code"])]
        key = (row["reported_at"], 1, position)
        earlier = [c for c in chain if c[:3] < key and c[0] >= row["reported_at"] - window]
        if earlier:
            previous = max(earlier, key=lambda c: c[:3])
            row["repeat_seq"] = (previous[3] or 1) + 1
            if previous[4] is None:
                row["repeat_of_id"] = previous[2]
            else:
                pending.append((row, previous[4]))
        chain.append((*key, row["repeat_seq"], row))
    return pending


def link_batch_repeats(session: Session, pending: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Point the repeats of earlier rows of the same batch at them, once inserted (one UPDATE)."""
    if not pending:
        return
    for row, previous in pending:
        row["repeat_of_id"] = previous["id"]
    table = cast(Table, Event.__table__)
    session.execute(
        update(table).where(table.c.id == bindparam("b_id")).values(repeat_of_id=bindparam("b_of")),
        [{"b_id": row["id"], "b_of": row["repeat_of_id"]} for row, _ in pending],
    )


def located_point(data: EventInput) -> dict[str, Any]:
    """The events row's location columns for an input: `lat`/`lon` in WGS84 (converted here, once, from
    the system the channel named), and the point as received with its system. Every channel's rows
    get them from here (create_events, the history import); the input was checked (`check_fields`)."""
    if data.lat is None or data.lon is None:
        return {"lat": None, "lon": None, "received_lat": None, "received_lon": None, "coord_system": None}
    system = coords.parse_system(data.coord_system)
    lat, lon = coords.to_wgs84(data.lat, data.lon, system)
    return {
        "lat": lat,
        "lon": lon,
        "received_lat": data.lat,
        "received_lon": data.lon,
        "coord_system": system.value,
    }


def _build_event(
    session: Session,
    item: Submission,
    lookups: Lookups,
    now: datetime,
    calendar: WorkCalendar,
    triage_threshold: float,
) -> tuple[dict[str, Any], EventCategory | None]:
    """The events row for one submission (raises InvalidEventInput with every problem)."""
    data, actor, category = item.data, item.actor, item.category
    if not item.checked:
        category, problems = validate_input(session, data, lookups)
        if problems:
            raise InvalidEventInput("; ".join(problems), errors=problems)
    point = located_point(data)
    grid_code, method = data.grid_code or None, GridMethod.GIVEN if data.grid_code else None
    if grid_code is None and point["lat"] is not None and point["lon"] is not None:
        found = lookups.locate(point["lat"], point["lon"])
        if found:
            grid_code, method = found
    area_scope = getattr(actor, "area_code", None) if getattr(actor, "is_area_scoped", False) else None
    if grid_code is None and area_scope and len(area_scope) == 15:
        grid_code, method = area_scope, GridMethod.GIVEN
    if area_scope and not (grid_code or "").startswith(area_scope):
        raise InvalidEventInput(
            "The location is outside your area; report events in your own area only", area_code=area_scope
        )
    text = " ".join(filter(None, [data.title, data.description]))
    decision = routing.route(
        session,
        category=category,
        text=text,
        threshold=triage_threshold,
        town_code=grid_code[:9] if grid_code else None,
        area_code=grid_code,
        departments=lookups.departments,
    )
    if category is None and decision.category_code and not decision.needs_triage:
        category = lookups.minor_category(decision.category_code) or cats.get_minor_category(
            session, decision.category_code
        )
    reported_at = data.reported_at or now
    local = reported_at.astimezone(calendar.zone)
    title = (data.title or "").strip() or (
        category.name if category and not data.description else (data.description or "").strip()[:40]
    )
    event = {
        "public_id": new_public_id(local),
        "channel": Channel(data.channel).value,
        "request_type": RequestType(data.request_type).value if data.request_type else None,
        "external_id": data.external_id or None,
        "intake_token": data.intake_token,
        "idempotency_key": data.idempotency_key or None,
        "title": title[:200],
        "description": (data.description or "").strip(),
        "media_urls_json": _JSON.encode(data.media_urls) if data.media_urls else None,
        "reporter_name": (data.reporter_name or "").strip() or None,
        "reporter_phone": (data.reporter_phone or "").strip() or None,
        "reporter_email": (data.reporter_email or "").strip() or None,
        "reported_by_id": actor.id if getattr(actor, "kind", "user") == "user" else None,
        "reported_by_name": actor.display_name[:100],
        **point,
        "location_accuracy_m": data.location_accuracy_m,
        "address": (data.address or "").strip()[:300] or None,
        "grid_code": grid_code,
        "village_code": grid_code[:12] if grid_code else None,
        "town_code": grid_code[:9] if grid_code else None,
        "grid_method": method.value if method else None,
        "category_code": category.code if category else decision.category_code,
        "major_code": category.parent_code if category else None,
        "category_kind": category.kind if category else None,
        "clock_kind": category.clock_kind if category else None,
        "priority": data.priority,
        "department_id": decision.department_id,
        "routing_source": decision.source.value if decision.source else None,
        "routing_rule": decision.rule,
        "routing_score": decision.score,
        "routing_rule_id": decision.rule_id,
        "needs_triage": decision.needs_triage,
        "routing_suggestions_json": _JSON.encode(list(decision.suggestions))
        if decision.suggestions
        else None,
        "state": EventState.REPORTED.value,
        "reported_at": reported_at,
        "reported_day": local.date(),
        "updated_at": now,
        **NEW_EVENT_COUNTS,
        "is_test": False,
        "version": 1,
    }
    if decision.needs_triage and category is None:
        event["category_code"] = None
        event["department_id"] = None
        event["routing_rule_id"] = None
    return event, category


def report_with_photos(
    session: Session,
    data: EventInput,
    uploads: list[photos.PreparedPhoto],
    *,
    store: photos.PhotoStore,
    actor: Principal | Any,
    now: datetime,
    ip: str | None = None,
    **options: Any,
) -> tuple[Event, bool]:
    """Report (上报) an event with its photos, as the workbench form and the JSON API do: (event,
    created). The event is created at most once per idempotency key (`report_event_once`, `options`
    passed on); a repeated send answers with the event already created and stores no photo again.
    Then a category that requires a photo at report (EventCategory.photo_steps) refuses it when none
    came, else the photos are stored. Channels that cannot carry photos (Open311, 12345 files) do not
    come through here. The caller's transaction holds both, so a refusal leaves nothing."""
    event, created = report_event_once(session, data, actor=actor, now=now, ip=ip, **options)
    if not created:
        return event, False
    category = (
        session.scalars(select(EventCategory).where(EventCategory.code == event.category_code)).first()
        if event.category_code
        else None
    )
    photos.check_photo_requirement(category, "report", len(uploads))
    photos.attach_photos(session, event, "report", uploads, store=store, actor=actor, now=now, ip=ip)
    return event, True
