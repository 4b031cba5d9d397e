"""events_compact_rollups: event_daily_rollups keyed by day × town × department × major category only,
intake by channel and request type in event_daily_intake, and "month" rows in both summing their days.
Existing rollup rows are folded into the new shape (no recompute needed).

Revision ID: eb804b2ad8b4
Revises: 3f7d728184b4
Create Date: 2026-11-26 11:36:01.597790
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "eb804b2ad8b4"
down_revision: str | Sequence[str] | None = "3f7d728184b4"
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
KEYS = "town_code, department_id, major_code"
INTAKE_KEYS = "town_code, department_id, channel, request_type"
# events/kpi_models.py HANDLING_EDGES as of this revision
EDGES = tuple(sorted({0.0, *(round(1.1**k, 1) for k in range(150))}))
BUCKET = (
    "CASE "
    + " ".join(f"WHEN handle_minutes < {edge!r} THEN {i}" for i, edge in enumerate(EDGES))
    + f" ELSE {len(EDGES)} END"
)


def upgrade() -> None:
    op.create_table(
        "event_daily_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_daily_intake")),
    )
    with op.batch_alter_table("event_daily_intake", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_daily_intake_department", ["department_id", "grain", "day"], unique=False
        )
        batch_op.create_index("ix_event_daily_intake_grain_day", ["grain", "day", "town_code"], unique=False)
    op.create_table(
        "event_handling_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_handling_rollups")),
    )
    with op.batch_alter_table("event_handling_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_handling_rollups_unit", ["town_code", "department_id", "grain", "day"], unique=False
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_handle_minutes",
            ["handle_minutes", "closed_day", "is_test", "town_code", "department_id"],
            unique=False,
        )
    with op.batch_alter_table("event_daily_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grain", sa.String(length=5), nullable=False, server_default="day"))

    # fold the old rows: intake from their channel × request type, the counts summed per new key
    op.execute(
        f"INSERT INTO event_daily_intake (grain, day, {INTAKE_KEYS}, received) "
        f"SELECT 'day', day, {INTAKE_KEYS}, SUM(received) FROM event_daily_rollups "
        f"GROUP BY day, {INTAKE_KEYS} HAVING SUM(received) > 0"
    )
    columns = ", ".join(SUMS)
    sums = ", ".join(f"SUM({c})" for c in SUMS)
    op.execute(
        f"INSERT INTO event_daily_rollups (grain, day, {KEYS}, channel, request_type, {columns}) "
        f"SELECT 'day', day, {KEYS}, '', NULL, {sums} FROM event_daily_rollups WHERE channel <> '' "
        f"GROUP BY day, {KEYS}"
    )
    op.execute("DELETE FROM event_daily_rollups WHERE channel <> ''")
    for town, department in (("NULL", "NULL"), ("town_code", "NULL"), ("NULL", "department_id")):
        keys = ", ".join(k for k in (town, department) if k != "NULL")
        op.execute(
            f"INSERT INTO event_handling_rollups (grain, day, town_code, department_id, bucket, n) "
            f"SELECT 'day', closed_day, {town}, {department}, {BUCKET}, COUNT(*) FROM events "
            f"WHERE NOT is_test AND handle_minutes IS NOT NULL "
            f"AND closed_day IN (SELECT day FROM event_rollup_days) "
            f"GROUP BY closed_day, {keys + ', ' if keys else ''}{BUCKET}"
        )
    month = (
        "CAST(date_trunc('month', day) AS DATE)"
        if op.get_bind().dialect.name == "postgresql"
        else "date(day, 'start of month')"
    )
    op.execute(
        f"INSERT INTO event_daily_rollups (grain, day, {KEYS}, channel, request_type, {columns}) "
        f"SELECT 'month', {month}, {KEYS}, '', NULL, {sums} FROM event_daily_rollups "
        f"GROUP BY {month}, {KEYS}"
    )
    op.execute(
        f"INSERT INTO event_daily_intake (grain, day, {INTAKE_KEYS}, received) "
        f"SELECT 'month', {month}, {INTAKE_KEYS}, SUM(received) FROM event_daily_intake "
        f"GROUP BY {month}, {INTAKE_KEYS}"
    )
    op.execute(
        f"INSERT INTO event_handling_rollups (grain, day, town_code, department_id, bucket, n) "
        f"SELECT 'month', {month}, town_code, department_id, bucket, SUM(n) FROM event_handling_rollups "
        f"GROUP BY {month}, town_code, department_id, bucket"
    )

    with op.batch_alter_table("event_daily_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_daily_rollups_day_department"))
        batch_op.drop_index(batch_op.f("ix_event_daily_rollups_day_town"))
        batch_op.create_index(
            "ix_event_daily_rollups_department", ["department_id", "grain", "day"], unique=False
        )
        batch_op.create_index("ix_event_daily_rollups_grain_day", ["grain", "day", "town_code"], unique=False)
        batch_op.drop_column("request_type")
        batch_op.drop_column("channel")


def downgrade() -> None:
    # the old shape cannot be rebuilt from the new rows: drop them; `citycockpit events rollup` recomputes
    op.execute("DELETE FROM event_daily_rollups")
    op.execute("DELETE FROM event_rollup_days")
    with op.batch_alter_table("event_daily_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.VARCHAR(length=16), nullable=False))
        batch_op.add_column(sa.Column("request_type", sa.VARCHAR(length=16), nullable=True))
        batch_op.drop_index("ix_event_daily_rollups_grain_day")
        batch_op.drop_index("ix_event_daily_rollups_department")
        batch_op.create_index(
            batch_op.f("ix_event_daily_rollups_day_town"), ["day", "town_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_daily_rollups_day_department"), ["day", "department_id"], unique=False
        )
        batch_op.drop_column("grain")

    with op.batch_alter_table("event_daily_intake", schema=None) as batch_op:
        batch_op.drop_index("ix_event_daily_intake_grain_day")
        batch_op.drop_index("ix_event_daily_intake_department")

    op.drop_table("event_daily_intake")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_handle_minutes")
    with op.batch_alter_table("event_handling_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_event_handling_rollups_unit")
    op.drop_table("event_handling_rollups")
