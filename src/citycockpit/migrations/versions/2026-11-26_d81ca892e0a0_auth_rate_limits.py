"""auth: database rate-limit counters; seed the audit chain's head row

Revision ID: d81ca892e0a0
Revises: 63fb079feb92
Create Date: 2026-11-26 10:13:56.404510
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "d81ca892e0a0"
down_revision: str | Sequence[str] | None = "63fb079feb92"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_counters")),
    )
    # The head row must exist before two writers meet: SELECT … FOR UPDATE cannot lock a missing row,
    # and two concurrent first inserts would collide.
    op.execute(
        sa.text(
            "INSERT INTO audit_head (id, last_entry_id, last_hash) "
            "SELECT 1, NULL, :genesis WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)"
        ).bindparams(genesis=GENESIS)
    )


def downgrade() -> None:
    # The seeded head row stays: it is valid for the foundation schema too.
    op.drop_table("rate_limit_counters")
