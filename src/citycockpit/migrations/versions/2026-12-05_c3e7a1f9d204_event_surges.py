"""Surge alerts (未诉先办): event_surge_alerts (one open alert per minor category and town, by a unique
index on open_key), event_surge_alert_events (the events behind each) and the index detection counts
with. An index on events, not a table change: no batch rebuild of events on SQLite.

Revision ID: c3e7a1f9d204
Revises: 4b8d2e6f1a93
Create Date: 2026-12-05 01:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from citycockpit.db import UTCDateTime

revision: str = "c3e7a1f9d204"
down_revision: str | Sequence[str] | None = "4b8d2e6f1a93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_surge_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=16), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("open_key", sa.String(length=32), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("window_start_at", UTCDateTime(), nullable=False),
        sa.Column("window_end_at", UTCDateTime(), nullable=False),
        sa.Column("window_hours", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("peak_count", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_by_name", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_surge_alerts")),
    )
    op.create_index("ix_event_surge_alerts_open_key", "event_surge_alerts", ["open_key"], unique=True)
    op.create_index("ix_event_surge_alerts_state", "event_surge_alerts", ["state", "town_code"])
    op.create_table(
        "event_surge_alert_events",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["event_surge_alerts.id"],
            name=op.f("fk_event_surge_alert_events_alert_id_event_surge_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_surge_alert_events_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "event_id", name=op.f("pk_event_surge_alert_events")),
    )
    op.create_index("ix_event_surge_alert_events_event", "event_surge_alert_events", ["event_id"])
    op.create_index(
        "ix_events_surge_count", "events", ["reported_at", "category_code", "town_code", "is_test"]
    )


def downgrade() -> None:
    op.drop_index("ix_events_surge_count", table_name="events")
    op.drop_index("ix_event_surge_alert_events_event", table_name="event_surge_alert_events")
    op.drop_table("event_surge_alert_events")
    op.drop_index("ix_event_surge_alerts_state", table_name="event_surge_alerts")
    op.drop_index("ix_event_surge_alerts_open_key", table_name="event_surge_alerts")
    op.drop_table("event_surge_alerts")
