"""events_compact_rollups: event_daily_rollups keyed by day × town × department × major category only;
intake by channel and request type moves to event_daily_intake. Existing rollup rows are folded into the
new shape (no recompute needed).

Revision ID: 4915df670a61
Revises: 80b38b849665
Create Date: 2026-11-26 11:33:35.581295
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4915df670a61"
down_revision: str | Sequence[str] | None = "80b38b849665"
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
    "handle_minutes_sum",
)
KEYS = "day, town_code, department_id, major_code"


def upgrade() -> None:
    op.create_table(
        "event_daily_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_daily_intake")),
    )
    with op.batch_alter_table("event_daily_intake", schema=None) as batch_op:
        batch_op.create_index("ix_event_daily_intake_day_town", ["day", "town_code"], unique=False)
        batch_op.create_index("ix_event_daily_intake_department_day", ["department_id", "day"], unique=False)

    # fold the old rows: intake from their channel × request type, the counts summed per new key
    op.execute(
        "INSERT INTO event_daily_intake (day, town_code, department_id, channel, request_type, received) "
        "SELECT day, town_code, department_id, channel, request_type, SUM(received) "
        "FROM event_daily_rollups GROUP BY day, town_code, department_id, channel, request_type "
        "HAVING SUM(received) > 0"
    )
    columns = ", ".join(SUMS)
    sums = ", ".join(f"SUM({c})" for c in SUMS)
    op.execute(
        f"INSERT INTO event_daily_rollups ({KEYS}, channel, request_type, {columns}) "
        f"SELECT {KEYS}, '', NULL, {sums} FROM event_daily_rollups WHERE channel <> '' GROUP BY {KEYS}"
    )
    op.execute("DELETE FROM event_daily_rollups WHERE channel <> ''")
    with op.batch_alter_table("event_daily_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_daily_rollups_day_department"))
        batch_op.create_index("ix_event_daily_rollups_department_day", ["department_id", "day"], unique=False)
        batch_op.drop_column("request_type")
        batch_op.drop_column("channel")


def downgrade() -> None:
    # the old shape cannot be rebuilt from the new rows: drop them; `citycockpit events rollup` recomputes
    op.execute("DELETE FROM event_daily_rollups")
    op.execute("DELETE FROM event_rollup_days")
    with op.batch_alter_table("event_daily_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.VARCHAR(length=16), nullable=False))
        batch_op.add_column(sa.Column("request_type", sa.VARCHAR(length=16), nullable=True))
        batch_op.drop_index("ix_event_daily_rollups_department_day")
        batch_op.create_index(
            batch_op.f("ix_event_daily_rollups_day_department"), ["day", "department_id"], unique=False
        )

    with op.batch_alter_table("event_daily_intake", schema=None) as batch_op:
        batch_op.drop_index("ix_event_daily_intake_department_day")
        batch_op.drop_index("ix_event_daily_intake_day_town")

    op.drop_table("event_daily_intake")
