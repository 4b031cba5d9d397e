"""events.is_history (imported 12345 history, `events import-history`) and the rollups' received_live
count (受理数 of events that went through the loop here: the denominator of 立案率 and 直接办结率).

Every event before this revision went through the loop, so existing rollup rows get received_live =
received.

Revision ID: 9e4b2c7a1f05
Revises: 9e4b2c7a1f53
Create Date: 2026-12-04 23:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e4b2c7a1f05"
down_revision: str | Sequence[str] | None = "9e4b2c7a1f53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUPS = ("event_daily_rollups", "event_area_rollups")


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild) on both engines: events keeps its indexes and triggers.
    op.add_column("events", sa.Column("is_history", sa.Boolean(), server_default=sa.false(), nullable=False))
    for table in ROLLUPS:
        op.add_column(table, sa.Column("received_live", sa.Integer(), server_default="0", nullable=False))
        op.execute(f"UPDATE {table} SET received_live = received")


def downgrade() -> None:
    for table in ROLLUPS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("received_live")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("is_history")
