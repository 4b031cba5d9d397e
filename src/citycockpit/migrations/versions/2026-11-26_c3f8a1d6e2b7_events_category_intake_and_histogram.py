"""events_category_intake_and_histogram: event_daily_intake also holds rows per minor category (with its
major; no town or department) and event_handling_rollups a histogram per minor category, so a
category's intake breakdown and handling-time P90 come from the rollups; the P90's index on the events
also carries the category, so its exact value is read from the index alone. A village's or grid's P90
reads a new index by grid and closing day instead of sorting the period's events; it replaces the
village index, which no query filters by (areas are ranges of grid codes).

The rollup rows are emptied here (as by b5e1c0d2a9f4), and the KPIs read the events until the days
are rolled up again, by `citycockpit events rollup` (at once) or by the worker, which fills in missing
past days a batch at a time.

Revision ID: c3f8a1d6e2b7
Revises: b5e1c0d2a9f4
Create Date: 2026-11-26 21:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3f8a1d6e2b7"
down_revision: str | Sequence[str] | None = "b5e1c0d2a9f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUP_TABLES = ("event_daily_rollups", "event_area_rollups", "event_daily_intake", "event_handling_rollups")
P90_INDEX = ["handle_minutes", "closed_day", "is_test", "town_code", "department_id"]


def _empty_rollups() -> None:
    for table in (*ROLLUP_TABLES, "event_rollup_days"):
        op.execute(sa.text(f"DELETE FROM {table}"))


def upgrade() -> None:
    _empty_rollups()
    with op.batch_alter_table("event_daily_intake") as batch:
        batch.add_column(sa.Column("major_code", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("category_code", sa.String(length=16), nullable=True))
    op.drop_index("ix_event_handling_rollups_unit", table_name="event_handling_rollups")
    with op.batch_alter_table("event_handling_rollups") as batch:
        batch.add_column(sa.Column("category_code", sa.String(length=16), nullable=True))
    op.create_index(
        "ix_event_handling_rollups_unit",
        "event_handling_rollups",
        ["town_code", "department_id", "category_code", "grain", "day"],
    )
    op.drop_index("ix_events_handle_minutes", table_name="events")
    op.create_index("ix_events_handle_minutes", "events", [*P90_INDEX, "category_code"])
    op.drop_index("ix_events_village_code", table_name="events")
    op.create_index(
        "ix_events_grid_closed", "events", ["grid_code", "closed_day", "handle_minutes", "is_test"]
    )


def downgrade() -> None:
    op.drop_index("ix_events_grid_closed", table_name="events")
    op.create_index("ix_events_village_code", "events", ["village_code"])
    op.drop_index("ix_events_handle_minutes", table_name="events")
    op.create_index("ix_events_handle_minutes", "events", P90_INDEX)
    _empty_rollups()
    op.drop_index("ix_event_handling_rollups_unit", table_name="event_handling_rollups")
    with op.batch_alter_table("event_handling_rollups") as batch:
        batch.drop_column("category_code")
    op.create_index(
        "ix_event_handling_rollups_unit",
        "event_handling_rollups",
        ["town_code", "department_id", "grain", "day"],
    )
    with op.batch_alter_table("event_daily_intake") as batch:
        batch.drop_column("category_code")
        batch.drop_column("major_code")
