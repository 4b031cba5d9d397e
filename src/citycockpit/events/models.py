"""Tables of the events domain: categories, events (one row per case, one timestamp per state reached),
their transitions (the timeline) and duplicate proposals.

The events table is denormalised for reporting: `town_code`/`village_code` sit beside `grid_code`,
`major_code`/`category_kind` beside `category_code`, and `reported_day`/`closed_day` hold the local
(Asia/Shanghai) date, so KPIs and rollups are plain GROUP BYs on indexed columns."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    false,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime
from citycockpit.events.enums import BEING_HANDLED, OPEN_ASSIST_STATES, state_values

# 办理中 as SQL text, for the partial index of the events being handled (the same values as
# Event.is_being_handled writes into its statements)
BEING_HANDLED_SQL = "state IN ({})".format(", ".join(f"'{v}'" for v in state_values(BEING_HANDLED)))


class EventCategory(Base):
    """A node of a category tree: a major class (大类, `level`="major") or a minor class (小类).

    Codes carry the tree: `C0101` 部件 公用设施/上水井盖, `E0102` 事件 市容环境/暴露垃圾, `H0301`
    热线诉求. Limits are in the unit of `clock_kind`: hours for *_hours, days for *_days."""

    __tablename__ = "event_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[str] = mapped_column(String(8))
    parent_code: Mapped[str | None] = mapped_column(String(16), index=True)
    default_department_code: Mapped[str | None] = mapped_column(String(32))
    clock_kind: Mapped[str] = mapped_column(String(16), default="work_hours")
    sign_limit: Mapped[float | None] = mapped_column(Float)
    handle_limit: Mapped[float | None] = mapped_column(Float)
    verify_limit: Mapped[float | None] = mapped_column(Float)
    requires_onsite_verification: Mapped[bool] = mapped_column(Boolean, default=True)
    duplicate_radius_m: Mapped[float | None] = mapped_column(Float)
    duplicate_window_h: Mapped[float | None] = mapped_column(Float)
    keywords: Mapped[str | None] = mapped_column(String(300))
    # Steps that need a photo (events/photos.py, `required_photo_steps`): comma-separated report,
    # handle, verify; None: none required.
    photo_steps: Mapped[str | None] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Event(Base):
    """One citizen request or grid event, from intake to callback.

    `version` is SQLAlchemy's version_id_col: a transition on a stale row raises StaleDataError (409)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    # Intake
    channel: Mapped[str] = mapped_column(String(16))
    request_type: Mapped[str | None] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(64))
    intake_token: Mapped[str | None] = mapped_column(String(40), unique=True)
    # The key the client made for this report (a phone's outbox, an API client's Idempotency-Key): a
    # repeated send with it answers with this event (events/intake/service.py `report_event_once`).
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    media_urls_json: Mapped[str | None] = mapped_column(Text)
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_email: Mapped[str | None] = mapped_column(String(200))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reported_by_name: Mapped[str | None] = mapped_column(String(100))
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    # Imported history (历史工单, `events import-history`): closed before the city adopted the cockpit.
    # Never in a live queue, an SLA job or Open311; which KPIs count it: events/analytics/definitions.py.
    is_history: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Location
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # How far off lat/lon may be (a phone's geolocation accuracy); None when typed or unknown.
    location_accuracy_m: Mapped[float | None] = mapped_column(Float)
    # lat/lon above are WGS84, converted once at intake (core/coords.py); these are the point as the
    # reporter's map sent it, in `coord_system` (wgs84, gcj02, bd09, cgcs2000). None: no point came.
    received_lat: Mapped[float | None] = mapped_column(Float)
    received_lon: Mapped[float | None] = mapped_column(Float)
    coord_system: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(300))
    grid_code: Mapped[str | None] = mapped_column(String(15))
    village_code: Mapped[str | None] = mapped_column(String(12))
    town_code: Mapped[str | None] = mapped_column(String(9))
    grid_method: Mapped[str | None] = mapped_column(String(10))

    # Category and routing
    category_code: Mapped[str | None] = mapped_column(String(16))
    major_code: Mapped[str | None] = mapped_column(String(16))
    category_kind: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    routing_source: Mapped[str | None] = mapped_column(String(16))
    routing_rule: Mapped[str | None] = mapped_column(String(100))
    routing_score: Mapped[float | None] = mapped_column(Float)
    # The dispatch catalogue (派单目录) row that chose the department (a dispatch_catalogue_rules id; rows
    # are never deleted, old versions stay readable). None: the category's own default (version 0).
    routing_rule_id: Mapped[int | None] = mapped_column(Integer)
    # A department's objection (派单异议) waits for the centre: the event is in the `objections` queue.
    has_pending_objection: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    needs_triage: Mapped[bool] = mapped_column(Boolean, default=False)
    # The classifier's top three at intake, best first (routing.Suggestion.as_dict each), for events
    # it routed or left in triage; kept after a dispatcher chooses, so the model's guess stays known.
    routing_suggestions_json: Mapped[str | None] = mapped_column(Text)
    departments_seen: Mapped[str | None] = mapped_column(String(200))

    # State and one timestamp per state reached (first time for dispatched, last time for repeats)
    state: Mapped[str] = mapped_column(String(16))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_day: Mapped[date] = mapped_column(Date)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Minutes (in the event's clock) spent set aside (挂账): the handling clock stands still meanwhile.
    suspended_minutes: Mapped[float | None] = mapped_column(Float)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_day: Mapped[date | None] = mapped_column(Date)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Clocks: due instants per stage (extensions move handle/close), in the category's clock kind
    clock_kind: Mapped[str | None] = mapped_column(String(16))
    sign_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handle_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verify_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handle_minutes: Mapped[float | None] = mapped_column(Float)
    extension_requested_limit: Mapped[float | None] = mapped_column(Float)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    supervised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    supervision_level: Mapped[int] = mapped_column(Integer, default=0)

    # Counters
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    department_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)

    # Outcome flags, set when the state is reached (None: not reached yet)
    signed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    handled_on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_by_center: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_locally: Mapped[bool | None] = mapped_column(Boolean)
    verified_onsite: Mapped[bool | None] = mapped_column(Boolean)
    has_pending_extension: Mapped[bool] = mapped_column(Boolean, default=False)

    # Outcome details
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    result_text: Mapped[str | None] = mapped_column(Text)
    result_photos_json: Mapped[str | None] = mapped_column(Text)
    suspension_note: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    callback_reached: Mapped[bool | None] = mapped_column(Boolean)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    # 重复诉求: the same caller's (reporter_phone, compared as stored) latest earlier request in the same
    # minor category within `events_repeat_window_days`, set at intake; `repeat_seq` is which request
    # of that chain this one is (2 for the first repeat: "第2次").
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    repeat_seq: Mapped[int | None] = mapped_column(Integer)
    # The incident's original this event was proposed as a duplicate of at intake (the nearest open
    # original in its category's radius and window; events/intake/duplicates.py). None: the event is
    # an original itself, the one a later report at the same spot is proposed against. No foreign key:
    # a plain column keeps SQLite's ALTER TABLE from rebuilding the events table.
    duplicate_of_id: Mapped[int | None] = mapped_column(Integer)

    # The overdue rule (超期) has this one home; SQL readers (KPIs, /metrics, the big screen, the worker's
    # reminders and 督办) write `Event.is_overdue(now)` in a WHERE clause, Python readers (pages, the
    # worker's reasons) `event.is_overdue(now)`. Both come from enums.BEING_HANDLED, so they cannot drift.

    @property
    def suggestions(self) -> list[dict[str, object]]:
        """The stored suggestions (see `routing_suggestions_json`); [] when there are none."""
        return json.loads(self.routing_suggestions_json) if self.routing_suggestions_json else []

    @hybrid_property
    def is_being_handled(self) -> bool:
        """办理中: a department is responsible and the handling clock runs (enums.BEING_HANDLED)."""
        return self.state in BEING_HANDLED

    @is_being_handled.inplace.expression
    @classmethod
    def _is_being_handled_expression(cls) -> ColumnElement[bool]:
        # The states written into the SQL, not bound: the partial index ix_events_handling_due has this
        # predicate, and a planner can use it only when it sees the same values (PostgreSQL's generic
        # plan of a prepared statement, SQLite always, compare the text).
        return cls.state.in_(
            bindparam("being_handled", state_values(BEING_HANDLED), expanding=True, literal_execute=True)
        )

    @hybrid_method
    def is_overdue(self, now: datetime) -> bool:
        """超期 at `now`: being handled, and the handling deadline has passed. Handled, returned, set
        aside (挂账) and finished events are never overdue, whatever their old deadline."""
        return bool(self.is_being_handled and self.handle_due_at is not None and self.handle_due_at < now)

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_expression(cls, now: datetime) -> ColumnElement[bool]:
        return and_(cls.is_being_handled, cls.handle_due_at < now)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_events_channel_external_id"),
        Index("ix_events_state_department", "state", "department_id"),
        Index("ix_events_reported_day", "reported_day", "channel"),
        Index("ix_events_department_day", "department_id", "reported_day"),
        Index("ix_events_category_day", "category_code", "reported_day"),
        # channel, request type and the test flag too: a village's or grid's intake breakdown from the index
        # (events/analytics/kpis.py)
        Index("ix_events_grid_day", "grid_code", "reported_day", "channel", "request_type", "is_test"),
        # a village's or grid's handling-time P90 of a period, from the index alone (events/analytics/kpis.py)
        Index("ix_events_grid_closed", "grid_code", "closed_day", "handle_minutes", "is_test"),
        Index("ix_events_closed_day", "closed_day", "town_code"),
        Index("ix_events_close_due", "close_due_at"),
        Index("ix_events_handle_due", "handle_due_at"),
        # the overdue list (most overdue first) and counts: only the events being handled, a few
        # thousand of a city's millions, while ix_events_handle_due holds every deadline ever set (at 50 M
        # events the list walked it through the closed ones for over a minute)
        Index(
            "ix_events_handling_due",
            "handle_due_at",
            sqlite_where=text(BEING_HANDLED_SQL),
            postgresql_where=text(BEING_HANDLED_SQL),
        ),
        # the duplicate lookup at intake reads originals only, so a spot reported hundreds of times is
        # one index entry, not hundreds (events/intake/duplicates.py)
        Index(
            "ix_events_dup_originals",
            "category_code",
            "lat",
            "lon",
            "reported_at",
            sqlite_where=text("duplicate_of_id IS NULL"),
            postgresql_where=text("duplicate_of_id IS NULL"),
        ),
        # Partial: read only as `merged_into_id = x` / `repeat_of_id = x`, and NULL at intake for almost
        # every event, so a report adds no entry to either (one index write less each)
        Index(
            "ix_events_merged_into",
            "merged_into_id",
            sqlite_where=text("merged_into_id IS NOT NULL"),
            postgresql_where=text("merged_into_id IS NOT NULL"),
        ),
        # the repeated-request lookup at intake: one range scan per (phone, category) of a batch
        Index("ix_events_repeat_lookup", "reporter_phone", "category_code", "reported_at"),
        Index(
            "ix_events_repeat_of",
            "repeat_of_id",
            sqlite_where=text("repeat_of_id IS NOT NULL"),
            postgresql_where=text("repeat_of_id IS NOT NULL"),
        ),
        Index("ix_events_idempotency_key", "idempotency_key", unique=True),
    )


def _column_length(name: str) -> int:
    length = getattr(Event.__table__.c[name].type, "length", None)
    assert isinstance(length, int), name
    return length


# The longest text each intake field may carry, in characters: its column's length, the description's
# Open311 GeoReport v2's 4,000, a media URL's the common 2,000 of browsers and servers. The one
# definition: the JSON schema (`schemas.EventCreate`), intake's `check_fields` (every channel: API,
# Open311, workbench and app form, hotline and history files) and Open311's form names read it, so a
# value either fits its column on both engines or is refused as a 400/422 naming the field.
INTAKE_LIMITS: dict[str, int] = {
    "description": 4000,
    "media_url": 2000,
    **{
        name: _column_length(name)
        for name in ("title", "address", "reporter_name", "reporter_phone", "reporter_email", "external_id")
    },
}


class EventTransition(Base):
    """One step of an event's timeline: who did what, when, from which state to which, and why."""

    __tablename__ = "event_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    note: Mapped[str | None] = mapped_column(Text)
    data_json: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_event_transitions_event", "event_id", "at"),
        Index("ix_event_transitions_action_at", "action", "at"),
    )


class DuplicateProposal(Base):
    """A proposal that `event_id` repeats the open event `original_id` (same minor category, near, recent)."""

    __tablename__ = "event_duplicate_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    original_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    distance_m: Mapped[float | None] = mapped_column(Float)
    hours_apart: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("event_id", "original_id", name="uq_event_duplicate_pair"),)


class DispatchCatalogueVersion(Base):
    """One published version of the dispatch catalogue (派单目录). Each import publishes a new version;
    old versions stay readable. Version 0 is implicit: the categories' own default departments."""

    __tablename__ = "dispatch_catalogue_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(200))
    rule_count: Mapped[int] = mapped_column(Integer, default=0)


class DispatchCatalogueRule(Base):
    """A row of a catalogue version: a minor category goes to a department, optionally only inside an
    area subtree (`area_code`, e.g. a development zone's management committee) and/or only when the text
    contains one of `keywords` (comma separated). `position` is the row's number (第N条) in its version."""

    __tablename__ = "dispatch_catalogue_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dispatch_catalogue_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    category_code: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str | None] = mapped_column(String(15))
    keywords: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("version_id", "position", name="uq_dispatch_catalogue_rules_position"),
        Index("ix_dispatch_catalogue_rules_category", "version_id", "category_code"),
    )


class EventObjection(Base):
    """A department's objection (派单异议) to a dispatch: pending until the centre accepts it (the event
    is dispatched elsewhere) or refuses it (the event stays). Counted per category to show catalogue
    gaps."""

    __tablename__ = "event_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    category_code: Mapped[str | None] = mapped_column(String(16))
    routing_rule_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    raised_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_note: Mapped[str | None] = mapped_column(Text)
    new_department_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_event_objections_category", "category_code", "raised_at"),)


class EventAssist(Base):
    """A co-operating department (配合单位) of a jointly handled event: the lead is `events.department_id`
    (牵头单位); each co-operator signs for its part and reports it to the lead (state assigned → signed
    → handled). The lead cannot report the event handled while a co-operator's part is open
    (国办发〔2020〕53号: 配合单位在规定时限内向牵头单位反馈, 牵头单位统筹答复)."""

    __tablename__ = "event_assists"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(12))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_by: Mapped[str | None] = mapped_column(String(100))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    # the part's time limit (events/sla.py `WorkCalendar.assist_due`); None for parts assigned before
    # limits existed: never overdue
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def is_overdue(self, now: datetime) -> bool:
        """超期 at `now`: the part is still open (not reported to the lead) and its limit has passed."""
        return (
            self.state in {s.value for s in OPEN_ASSIST_STATES}
            and self.due_at is not None
            and self.due_at < now
        )

    __table_args__ = (
        UniqueConstraint("event_id", "department_id", name="uq_event_assists_event_department"),
        # a department's queue: its open parts
        Index("ix_event_assists_department_state", "department_id", "state"),
    )


class EventPhoto(Base):
    """A photo taken at one step of an event (上报 report, 处置 handle, 核查 verify). The file is
    content-addressed (`sha256` of the original upload) under the data folder; a display copy and a
    thumbnail without metadata are made once (events/photos.py). EXIF time and GPS are kept as read,
    for the verify page's distance and time checks."""

    __tablename__ = "event_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(16))
    transition_id: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(32))
    original_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str | None] = mapped_column(String(200))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    uploaded_by_id: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_name: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_event_photos_event_step", "event_id", "step"),
        Index("ix_event_photos_sha256", "sha256"),
    )
