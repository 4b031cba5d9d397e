"""events_town_category_rollups: event_daily_intake and event_handling_rollups also hold rows per town ×
minor category, so a category's intake breakdown and handling-time P90 in a town come from the rollups;
the events' grid index also carries the channel, the request type and the test flag, so a village's or
grid's intake breakdown is read from the index alone (without the flag SQLite chose the day index and
read a month's events one by one: 135 ms for a village's December at 1.66 M events). Two indexes on
event_daily_intake by category and by major category keep a category's rows (and, category NULL, the
per town × department rows) apart from the other kinds' rows of the period.

The new rows need no new column (the per town × category rows leave the department NULL), but the days
rolled up before lack them, so the rollup rows of those days are emptied here (as by c3f8a1d6e2b7) and
the KPIs read the events until the days are rolled up again, by `citycockpit events rollup` (at once) or
by the worker, which fills in missing past days a batch at a time. Archived months keep their rollups:
their events are gone, so nothing could roll them up again (their per town × category rows stay absent).

Revision ID: f4c2a8e6b1d9
Revises: e2a9c4f1b7d3
Create Date: 2026-12-05 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "f4c2a8e6b1d9"
down_revision: str | Sequence[str] | None = "e2a9c4f1b7d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUP_TABLES = ("event_daily_rollups", "event_area_rollups", "event_daily_intake", "event_handling_rollups")


def _next(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _empty_rollups_but_archived() -> None:
    bind = op.get_bind()
    months = sorted(
        {
            r[0] if isinstance(r[0], date) else date.fromisoformat(str(r[0])[:10])
            for r in bind.execute(sa.text("SELECT month FROM event_archives WHERE restored_at IS NULL"))
        }
    )
    params: dict[str, date] = {}
    kept = []
    for i, month in enumerate(months):
        params[f"a{i}"], params[f"b{i}"] = month, _next(month)
        kept.append(f"(day >= :a{i} AND day < :b{i})")
    where = f" WHERE NOT ({' OR '.join(kept)})" if kept else ""
    for table in (*ROLLUP_TABLES, "event_rollup_days"):
        bind.execute(sa.text(f"DELETE FROM {table}{where}"), params)


INTAKE_INDEXES = {
    "ix_event_daily_intake_category": ["category_code", "grain", "day", "town_code"],
    "ix_event_daily_intake_major": ["major_code", "grain", "day", "town_code"],
}


def upgrade() -> None:
    _empty_rollups_but_archived()
    for name, columns in INTAKE_INDEXES.items():
        op.create_index(name, "event_daily_intake", columns)
    op.drop_index("ix_events_grid_day", table_name="events")
    op.create_index(
        "ix_events_grid_day", "events", ["grid_code", "reported_day", "channel", "request_type", "is_test"]
    )


def downgrade() -> None:
    for name in INTAKE_INDEXES:
        op.drop_index(name, table_name="event_daily_intake")
    op.drop_index("ix_events_grid_day", table_name="events")
    op.create_index("ix_events_grid_day", "events", ["grid_code", "reported_day"])
    _empty_rollups_but_archived()
