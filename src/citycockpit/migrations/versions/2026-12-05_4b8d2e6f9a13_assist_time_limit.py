"""event_assists.due_at: a co-operating department's (配合单位) time limit for reporting its part,
set when the part is assigned (`events_assist_limit_share` of the lead's handle limit, events/sla.py).

Parts assigned before this revision keep no limit (NULL): they are never overdue.

Revision ID: 4b8d2e6f9a13
Revises: b4d2e6f8a1c3
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "4b8d2e6f9a13"
down_revision: str | Sequence[str] | None = "b4d2e6f8a1c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "event_assists", sa.Column("due_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("event_assists") as batch:
        batch.drop_column("due_at")
