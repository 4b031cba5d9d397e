"""Surge alerts (未诉先办): one row per surge of one minor category in one town, open while it lasts,
and the events behind it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime
from citycockpit.events.models import Event

# Detection counts a few hours' range of reported_at per window, grouped by category and town: with
# these columns in one index the count reads the index alone (docs/domains/events.md, "Surges").
Index(
    "ix_events_surge_count",
    Event.__table__.c.reported_at,
    Event.__table__.c.category_code,
    Event.__table__.c.town_code,
    Event.__table__.c.is_test,
)

OPEN, CLOSED = "open", "closed"


class SurgeAlert(Base):
    """A surge: requests about `category_code` in `town_code` far above their usual level
    (events/surges/rule.py). `open_key` is "<category>|<town>" while the alert is open and NULL once it
    is closed, so a unique index keeps at most one open alert per category and town on every engine."""

    __tablename__ = "event_surge_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(String(16))
    town_code: Mapped[str] = mapped_column(String(9))
    state: Mapped[str] = mapped_column(String(8), default=OPEN)
    open_key: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The surge's span: from the start of the first window that was one to the end of the last.
    window_start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_hours: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)  # requests in the latest window that was a surge
    peak_count: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)  # the usual level of that window
    ratio: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    event_count: Mapped[int] = mapped_column(Integer, default=0)  # events linked
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(Integer)
    acknowledged_by_name: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_event_surge_alerts_open_key", "open_key", unique=True),
        Index("ix_event_surge_alerts_state", "state", "town_code"),
    )


class SurgeAlertEvent(Base):
    """An event counted in a surge: the drill-down from the alert lists exactly these."""

    __tablename__ = "event_surge_alert_events"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("event_surge_alerts.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_event_surge_alert_events_event", "event_id"),)
