"""events: a partial index of the handling deadlines of the events being handled (issue 24).

The overdue list (the big screen's alerts, most overdue first) and the overdue counts ask for events
being handled (`state IN ('dispatched', 'signed')`) whose handling deadline has passed. Read through
ix_events_handle_due, which holds every deadline ever set, the list walked the deadlines of the closed
events too: at 50 M events over three years on partitioned PostgreSQL, over a minute for 30 rows. This
index holds only the events being handled (76 k of those 50 M), so the list reads its first 30 entries.
Its predicate is the one `Event.is_being_handled` writes into its statements (events/models.py
BEING_HANDLED_SQL); the values are written here as they were when this revision was made.

On PostgreSQL the index is the partitioned table's (made on every partition). Building it reads the
table once (4 min at 50 M events on 2 cores).

Revision ID: a7c3e9f2d4b1
Revises: fddff0bf4dc3
Create Date: 2026-12-05 17:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e9f2d4b1"
down_revision: str | Sequence[str] | None = "fddff0bf4dc3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREDICATE = "state IN ('dispatched', 'signed')"


def upgrade() -> None:
    op.create_index(
        "ix_events_handling_due",
        "events",
        ["handle_due_at"],
        unique=False,
        sqlite_where=sa.text(PREDICATE),
        postgresql_where=sa.text(PREDICATE),
    )


def downgrade() -> None:
    op.drop_index("ix_events_handling_due", table_name="events")
