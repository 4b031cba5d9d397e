"""events: duplicate_of_id and the duplicate lookup on originals only

The duplicate lookup at intake read every event of the category in a box (ix_events_dup_lookup), so a
spot reported hundreds of times (a burst main) made each new report read all of its earlier reports.
Each event now names the original it was proposed against (`duplicate_of_id`, None for an original),
and the lookup reads a partial index holding originals only (ix_events_dup_originals). Existing
events with proposals take their nearest proposed original.

ix_events_merged_into and ix_events_repeat_of become partial (IS NOT NULL): they are read only by
equality, and the column is NULL at intake for almost every event, so a report writes neither.

Revision ID: d1f4a7c2e9b3
Revises: 9e45259e3e01
Create Date: 2026-12-05 03:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d1f4a7c2e9b3"
down_revision: str | Sequence[str] | None = "9e45259e3e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORIGINALS = sa.text("duplicate_of_id IS NULL")
LINKS = ("merged_into_id", "repeat_of_id")  # ix_events_merged_into, ix_events_repeat_of


def _link_index(column: str) -> str:
    return "ix_events_merged_into" if column == "merged_into_id" else "ix_events_repeat_of"


def upgrade() -> None:
    # a plain ADD COLUMN (no batch rebuild of the events table on SQLite)
    op.add_column("events", sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE events SET duplicate_of_id = (SELECT p.original_id FROM event_duplicate_proposals p"
        " WHERE p.event_id = events.id ORDER BY p.distance_m, p.original_id LIMIT 1)"
        " WHERE EXISTS (SELECT 1 FROM event_duplicate_proposals q WHERE q.event_id = events.id)"
    )
    op.drop_index("ix_events_dup_lookup", table_name="events")
    op.create_index(
        "ix_events_dup_originals",
        "events",
        ["category_code", "lat", "lon", "reported_at"],
        unique=False,
        sqlite_where=ORIGINALS,
        postgresql_where=ORIGINALS,
    )
    for column in LINKS:
        linked = sa.text(f"{column} IS NOT NULL")
        op.drop_index(_link_index(column), table_name="events")
        op.create_index(_link_index(column), "events", [column], sqlite_where=linked, postgresql_where=linked)


def downgrade() -> None:
    for column in LINKS:
        op.drop_index(_link_index(column), table_name="events")
        op.create_index(_link_index(column), "events", [column], unique=False)
    op.drop_index("ix_events_dup_originals", table_name="events")
    op.create_index(
        "ix_events_dup_lookup", "events", ["category_code", "lat", "lon", "reported_at"], unique=False
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("duplicate_of_id")
