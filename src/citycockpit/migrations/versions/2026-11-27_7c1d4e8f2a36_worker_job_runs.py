"""worker_job_runs: the last run of each periodic job of `citycockpit worker` (runs, failures, when it
last started, succeeded and failed, the last error, which worker), so /metrics reports every job's lag
and whether it is failing, not only the rollup's.

Revision ID: 7c1d4e8f2a36
Revises: 5a2e9c4b7d10
Create Date: 2026-11-27 03:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "7c1d4e8f2a36"
down_revision: str | Sequence[str] | None = "5a2e9c4b7d10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_job_runs",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_started_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seconds", sa.Float(), nullable=False),
        sa.Column("last_succeeded_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_touched", sa.Integer(), nullable=True),
        sa.Column("last_failed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("last_worker", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_worker_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("worker_job_runs")
