"""events_category_and_area_rollups: event_daily_rollups also keyed by minor category, so a category's
KPIs come from the rollups; event_area_rollups holds the same counts per day × grid (with its village),
for villages' and grids' KPIs and the maps below the city; the events' grid index also carries the
reported day, so a grid's or village's intake of a period is one index range.

The rollup rows cannot be split by category after the fact: they are emptied here, and the KPIs read
the events until the days are rolled up again, by `citycockpit events rollup` (at once) or by the
worker, which fills in missing past days a batch at a time.

Revision ID: b5e1c0d2a9f4
Revises: a7c3d91e5f20
Create Date: 2026-11-26 16:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5e1c0d2a9f4"
down_revision: str | Sequence[str] | None = "a7c3d91e5f20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = (
    "received",
    "registered",
    "rejected",
    "merged",
    "dispatched",
    "closed_directly",
    "sign_due",
    "signed_on_time",
    "handle_due",
    "handled_on_time",
    "close_due",
    "closed_of_due",
    "closed_on_time",
    "reworked",
    "extended",
    "closed",
    "closed_dispatched",
    "callbacks",
    "callbacks_valid",
    "satisfied",
    "resolved_locally",
    "handle_n",
)
ROLLUP_TABLES = ("event_daily_rollups", "event_area_rollups", "event_daily_intake", "event_handling_rollups")


def _empty_rollups() -> None:
    for table in (*ROLLUP_TABLES, "event_rollup_days"):
        if sa.inspect(op.get_bind()).has_table(table):
            op.execute(sa.text(f"DELETE FROM {table}"))


def upgrade() -> None:
    _empty_rollups()
    with op.batch_alter_table("event_daily_rollups") as batch:
        batch.add_column(sa.Column("category_code", sa.String(length=16), nullable=True))
    op.create_table(
        "event_area_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in SUMS),
        sa.Column("handle_minutes_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_area_rollups")),
    )
    op.create_index("ix_event_area_rollups_grain_day", "event_area_rollups", ["grain", "day", "grid_code"])
    op.drop_index("ix_events_grid_code", table_name="events")
    op.create_index("ix_events_grid_day", "events", ["grid_code", "reported_day"])


def downgrade() -> None:
    op.drop_index("ix_events_grid_day", table_name="events")
    op.create_index("ix_events_grid_code", "events", ["grid_code"])
    op.drop_index("ix_event_area_rollups_grain_day", table_name="event_area_rollups")
    op.drop_table("event_area_rollups")
    _empty_rollups()
    with op.batch_alter_table("event_daily_rollups") as batch:
        batch.drop_column("category_code")
