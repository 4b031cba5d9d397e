"""events_dup_lookup_and_suspension: the duplicate lookup index is keyed by category, then latitude
(then longitude and time), so each nearby box of intake's duplicate proposals is one narrow index
range (SQLite's multi-index OR, PostgreSQL's BitmapOr) instead of a scan of the category's whole time
window; events.suspended_minutes keeps the time an event spent set aside (挂账), during which its handling
clock stands still.

Revision ID: a7c3d91e5f20
Revises: eb804b2ad8b4
Create Date: 2026-11-26 14:12:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3d91e5f20"
down_revision: str | Sequence[str] | None = "eb804b2ad8b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("suspended_minutes", sa.Float(), nullable=True))
    op.drop_index("ix_events_dup_lookup", table_name="events")
    op.create_index("ix_events_dup_lookup", "events", ["category_code", "lat", "lon", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_events_dup_lookup", table_name="events")
    op.create_index("ix_events_dup_lookup", "events", ["category_code", "reported_at"])
    with op.batch_alter_table("events") as batch:
        batch.drop_column("suspended_minutes")
