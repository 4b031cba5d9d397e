"""Tables of the events analytics: daily rollups behind the KPIs, the days they cover, and the trained
text classifier. (The event tables themselves live in events/models.py.)"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime
from citycockpit.events.models import Event

# The rollup groups signing deadlines by day; events/models.py indexes the other due instants.
Index("ix_events_sign_due", Event.__table__.c.sign_due_at)
# The handling P90 reads the events of one histogram bucket in handle_minutes order (events/analytics/kpis.py).
Index(
    "ix_events_handle_minutes",
    Event.__table__.c.handle_minutes,
    Event.__table__.c.closed_day,
    Event.__table__.c.is_test,
    Event.__table__.c.town_code,
    Event.__table__.c.department_id,
    Event.__table__.c.category_code,
)

ROLLUP_COUNTS = (
    # anchored on the day the event was received (reported_day)
    "received",
    "received_live",
    "registered",
    "rejected",
    "merged",
    "dispatched",
    "closed_directly",
    "repeated",
    # anchored on the day signing was due
    "sign_due",
    "signed_on_time",
    # anchored on the day handling was due
    "handle_due",
    "handled_on_time",
    # anchored on the day closing was due (应结案)
    "close_due",
    "closed_of_due",
    "closed_on_time",
    "reworked",
    "extended",
    # anchored on the day the event was closed
    "closed",
    "closed_dispatched",
    "callbacks",
    "callbacks_valid",
    "satisfied",
    "resolved_locally",
    "handle_n",
)


DAY, MONTH = "day", "month"


class _Sums:
    """The counts of ROLLUP_COUNTS and the handling minutes, as columns of a rollup table."""

    received: Mapped[int] = mapped_column(Integer, default=0)
    received_live: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    closed_directly: Mapped[int] = mapped_column(Integer, default=0)
    repeated: Mapped[int] = mapped_column(Integer, default=0)
    sign_due: Mapped[int] = mapped_column(Integer, default=0)
    signed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    handle_due: Mapped[int] = mapped_column(Integer, default=0)
    handled_on_time: Mapped[int] = mapped_column(Integer, default=0)
    close_due: Mapped[int] = mapped_column(Integer, default=0)
    closed_of_due: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    reworked: Mapped[int] = mapped_column(Integer, default=0)
    extended: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    closed_dispatched: Mapped[int] = mapped_column(Integer, default=0)
    callbacks: Mapped[int] = mapped_column(Integer, default=0)
    callbacks_valid: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    resolved_locally: Mapped[int] = mapped_column(Integer, default=0)
    handle_n: Mapped[int] = mapped_column(Integer, default=0)
    handle_minutes_sum: Mapped[float] = mapped_column(Float, default=0.0)


class EventDailyRollup(_Sums, Base):
    """Counts per local day × town × department × minor category (with its major category beside it):
    the dimensions the KPI filters and scopes use, and no more, so a day holds at most one row per
    (town, department, category) no matter how many events it saw. Intake by channel and request type
    lives in `event_daily_intake`; villages and grids in `event_area_rollups`.

    Each count is anchored on its own day (see ROLLUP_COUNTS and docs/domains/events-kpis.md), so a
    period's KPI is a SUM over the rows of its days. Rows of grain "month" (`day` = the 1st) repeat the
    sums of their month's "day" rows, so a long period reads one row per month and key instead of 30."""

    __tablename__ = "event_daily_rollups"

    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(String(5), default=DAY)
    day: Mapped[date] = mapped_column(Date)
    town_code: Mapped[str | None] = mapped_column(String(9))
    department_id: Mapped[int | None] = mapped_column(Integer)
    major_code: Mapped[str | None] = mapped_column(String(16))
    category_code: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_event_daily_rollups_grain_day", "grain", "day", "town_code"),
        Index("ix_event_daily_rollups_department", "department_id", "grain", "day"),
    )


class EventAreaRollup(_Sums, Base):
    """The same counts per local day × grid (with its village beside it): what answers a village's or a
    grid's KPIs and the maps below the city level, which `event_daily_rollups` (town at its finest)
    cannot. No department or category: those filters below the town read the events. "day" and
    "month" rows as in `event_daily_rollups`."""

    __tablename__ = "event_area_rollups"

    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(String(5), default=DAY)
    day: Mapped[date] = mapped_column(Date)
    village_code: Mapped[str | None] = mapped_column(String(12))
    grid_code: Mapped[str | None] = mapped_column(String(15))

    __table_args__ = (Index("ix_event_area_rollups_grain_day", "grain", "day", "grid_code"),)


# The kinds of rows of event_daily_intake and event_handling_rollups, by the unit columns each kind is
# per (the table's other unit columns NULL, which tells the kinds apart): rollup.py writes one UNION ALL
# branch per kind, kpis.py (_unit_rows) reads the kind a call's unit names. A kind counts the events
# whose unit columns are all set, except the table's first kind, which counts every event (a NULL town or
# department kept as such) and so also answers any part of its unit: the intake's per town × department
# rows answer a town, a department and the whole city. The intake's category rows also carry the major
# category of their minor one (major_code), so a major category is the sum of its rows.
UNIT_COLUMNS = ("town_code", "department_id", "category_code")
INTAKE_UNITS: tuple[tuple[str, ...], ...] = (
    ("town_code", "department_id"),
    ("category_code",),
    ("town_code", "category_code"),
    ("department_id", "category_code"),
)
HANDLING_UNITS: tuple[tuple[str, ...], ...] = (
    (),
    ("town_code",),
    ("department_id",),
    ("category_code",),
    ("town_code", "category_code"),
    ("department_id", "category_code"),
)


def set_in_kind(kinds: tuple[tuple[str, ...], ...], kind: tuple[str, ...]) -> tuple[str, ...]:
    """The unit columns every event a kind of rows counts has set (so its rows have them set too): all
    of the kind's, but none for the table's first kind, which counts every event."""
    return () if kind == kinds[0] else kind


class EventDailyIntake(Base):
    """Events received per local day × channel × request type: the intake breakdowns, kept apart from
    `event_daily_rollups` so neither multiplies the other's rows. Four kinds of rows (INTAKE_UNITS): per
    town × department (category_code NULL), which answer area (town level or above) and department
    filters and scopes; per minor category with its major (town and department NULL), which answer a
    category filter with no other; per town × minor category with its major (department NULL), which
    answer a category in an area of town level or above; and per department × minor category with its
    major (town NULL), which answer a category in a department (filter or scope). Like the KPI rollups
    it holds "day" rows and "month" rows summing them."""

    __tablename__ = "event_daily_intake"

    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(String(5), default=DAY)
    day: Mapped[date] = mapped_column(Date)
    town_code: Mapped[str | None] = mapped_column(String(9))
    department_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    request_type: Mapped[str | None] = mapped_column(String(16))
    major_code: Mapped[str | None] = mapped_column(String(16))
    category_code: Mapped[str | None] = mapped_column(String(16))
    received: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_event_daily_intake_grain_day", "grain", "day", "town_code"),
        # a department's rows of one kind: per town × department (category NULL) or per department ×
        # category
        Index("ix_event_daily_intake_department", "department_id", "category_code", "grain", "day"),
        # a category's rows (alone or per town), and the per town × department rows (category NULL),
        # without reading the other kinds' rows of the period
        Index("ix_event_daily_intake_category", "category_code", "grain", "day", "town_code"),
        Index("ix_event_daily_intake_major", "major_code", "grain", "day", "town_code"),
    )


# Handling-time histogram edges (minutes): 0, then ×1.1 steps from 1 minute to ~3 years, rounded to the
# 0.1 minute handle_minutes is stored in. Bucket i holds EDGES[i-1] <= minutes < EDGES[i].
HANDLING_EDGES: tuple[float, ...] = tuple(sorted({0.0, *(round(1.1**k, 1) for k in range(150))}))


class EventHandlingRollup(Base):
    """How many events closed on a local day (grain "day") or month (grain "month", `day` = the 1st) had a
    handling time in each HANDLING_EDGES bucket: city-wide (town_code, department_id and category_code
    NULL), per town, per department and per minor category (the other two NULL), per town × minor
    category (department NULL) and per department × minor category (town NULL): HANDLING_UNITS. It
    locates the P90 of a period without sorting the period's events: the exact value is then read from
    the events of one bucket."""

    __tablename__ = "event_handling_rollups"

    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(String(5), default=DAY)
    day: Mapped[date] = mapped_column(Date)
    town_code: Mapped[str | None] = mapped_column(String(9))
    department_id: Mapped[int | None] = mapped_column(Integer)
    category_code: Mapped[str | None] = mapped_column(String(16))
    bucket: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index(
            "ix_event_handling_rollups_unit", "town_code", "department_id", "category_code", "grain", "day"
        ),
    )


class EventRollupDay(Base):
    """A local day whose rollup rows (both tables) are complete, and when they were computed."""

    __tablename__ = "event_rollup_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rows: Mapped[int] = mapped_column(Integer, default=0)


class ClassifierModel(Base):
    """A trained text classifier (category and department), stored so every process can load it."""

    __tablename__ = "event_classifier_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    algorithm: Mapped[str] = mapped_column(String(100))
    n_train: Mapped[int] = mapped_column(Integer)
    n_test: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[float | None] = mapped_column(Float)
    department_accuracy: Mapped[float | None] = mapped_column(Float)
    n_classes: Mapped[int] = mapped_column(Integer)
    params_json: Mapped[str | None] = mapped_column(Text)
    # The lowest held-out score at which auto-routed events reached the target precision (1.0: none
    # did, so nothing is auto-routed); None for models trained before thresholds were chosen.
    autoroute_threshold: Mapped[float | None] = mapped_column(Float)
    # Held-out figures (classifier.Figures as JSON): per-category precision/recall, auto-routed share
    # and precision, top-1/top-3 accuracy; the weekly retrain compares them.
    figures_json: Mapped[str | None] = mapped_column(Text)
    model_bytes: Mapped[bytes] = mapped_column(LargeBinary)
