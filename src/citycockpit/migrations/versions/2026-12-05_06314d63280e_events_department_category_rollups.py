"""events_department_category_rollups: event_daily_intake and event_handling_rollups also hold rows per
department × minor category (town NULL), so a category's intake breakdown and handling-time P90 in one
department (filter, or a department's scope) come from the rollups instead of the events (1.4 s p50 for a
department's year of one minor category at 1.66 M events). The intake's department index also carries
the category, `(department_id, category_code, grain, day)`, so a department's rows of one kind (per town
× department, category NULL, or per department × category) are read apart from the other kind's.

The new rows need no new column, but the days rolled up before lack them, so the rollup rows of those
days are emptied here (as by f4c2a8e6b1d9) and the KPIs read the events until the days are rolled up
again, by `citycockpit events rollup` (at once) or by the worker, which fills in missing past days a
batch at a time. Archived months keep their rollups: their events are gone, so nothing could roll them
up again (their per department × category rows stay absent). The events table is not touched.

Revision ID: 06314d63280e
Revises: f4c2a8e6b1d9
Create Date: 2026-12-05 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "06314d63280e"
down_revision: str | Sequence[str] | None = "f4c2a8e6b1d9"
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


def upgrade() -> None:
    _empty_rollups_but_archived()
    op.drop_index("ix_event_daily_intake_department", table_name="event_daily_intake")
    op.create_index(
        "ix_event_daily_intake_department",
        "event_daily_intake",
        ["department_id", "category_code", "grain", "day"],
    )


def downgrade() -> None:
    op.drop_index("ix_event_daily_intake_department", table_name="event_daily_intake")
    op.create_index(
        "ix_event_daily_intake_department", "event_daily_intake", ["department_id", "grain", "day"]
    )
    _empty_rollups_but_archived()
