"""events.idempotency_key: the key a client makes for one report (a phone's offline outbox, an API
client's Idempotency-Key header), so a retried send answers with the event already created instead of
creating a second one. A unique index (not a table constraint): adding it needs no batch rebuild of
events on SQLite, which would drop the table's triggers.

Revision ID: 5d2f8a6c1e93
Revises: 9e4b2c7a1f05
Create Date: 2026-12-05 00:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2f8a6c1e93"
down_revision: str | Sequence[str] | None = "9e4b2c7a1f05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.create_index("ix_events_idempotency_key", "events", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_events_idempotency_key", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("idempotency_key")
