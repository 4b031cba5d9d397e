"""events: drop ix_events_town_day (town_code, reported_day), which no reader needs (issue 24).

Every reader of a town filters it as an area subtree (`code_within`: a range of town_code), so SQLite
could seek the index by town only, never by day: it read the town's whole history for a day's due
instants (a town's KPIs for today, read from the events: 185–262 ms with it, 9–12 ms without, at 300 k
events), and the reported day's own index serves a town's intake. The surge alert's link of its events now reads the reported_at
index (ix_events_surge_count). Each report wrote one entry less. The table of every index on events,
its readers and their plans: docs/domains/events-indexes.md.

On PostgreSQL the index is the partitioned table's: dropping it drops each partition's, and the
downgrade's CREATE INDEX on the parent makes it on every partition again.

Revision ID: fddff0bf4dc3
Revises: 06314d63280e
Create Date: 2026-12-05 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "fddff0bf4dc3"
down_revision: str | Sequence[str] | None = "06314d63280e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_events_town_day", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_town_day", "events", ["town_code", "reported_day"], unique=False)
