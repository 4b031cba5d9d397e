"""Joint handling and repeated requests (issue 18): `event_assists` (co-operating departments, 配合单位,
of a jointly handled event, each with its own sign and report steps); `events.repeat_of_id` and
`repeat_seq` (重复诉求: the same caller's earlier request in the same minor category) with the intake's
lookup index; and the `repeated` count in both KPI rollup tables. Existing events are no repeats and
existing rollup rows count none, which is what they were, so nothing needs recomputing.

Revision ID: a7e3c91d5b24
Revises: 3c9e1f7a5b20
Create Date: 2026-12-04 23:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "a7e3c91d5b24"
down_revision: str | Sequence[str] | None = "3c9e1f7a5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUP_TABLES = ("event_daily_rollups", "event_area_rollups")


def upgrade() -> None:
    op.create_table(
        "event_assists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("assigned_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("signed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.String(length=100), nullable=True),
        sa.Column("handled_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_event_assists_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_assists_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_assists")),
        sa.UniqueConstraint("event_id", "department_id", name="uq_event_assists_event_department"),
    )
    op.create_index(
        "ix_event_assists_department_state", "event_assists", ["department_id", "state"], unique=False
    )
    # SQLite cannot add a foreign key to an existing table: batch mode rebuilds `events` (it has no
    # change-stamp triggers, so nothing else needs restoring).
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repeat_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("repeat_seq", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_events_repeat_of_id_events"),
            "events",
            ["repeat_of_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_events_repeat_lookup", ["reporter_phone", "category_code", "reported_at"], unique=False
        )
        batch_op.create_index("ix_events_repeat_of", ["repeat_of_id"], unique=False)
    for table in ROLLUP_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("repeated", sa.Integer(), nullable=False, server_default="0"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("repeated", server_default=None)


def downgrade() -> None:
    for table in ROLLUP_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("repeated")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_repeat_of")
        batch_op.drop_index("ix_events_repeat_lookup")
        batch_op.drop_constraint(batch_op.f("fk_events_repeat_of_id_events"), type_="foreignkey")
        batch_op.drop_column("repeat_seq")
        batch_op.drop_column("repeat_of_id")
    op.drop_index("ix_event_assists_department_state", table_name="event_assists")
    op.drop_table("event_assists")
