"""Goals carry an area, and evaluations keep the year-to-date figure they were judged on.

`goals.area_code`: the area whose target a goal is (a town's own targets); null for the city's own
goals, which every area below the city also sees, read-only. `goal_evaluations.to_date` and
`data_month`: the year-to-date value of an indicator goal's series (the cumulative total, the mean of
the monthly levels, or the YTD YoY growth for growth targets) and the latest month it covers, so the
big screen can show the value against the target for every kind of target without recomputing it.

Revision ID: b4d2e6f8a1c3
Revises: 5d2f8a6c1e93
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4d2e6f8a1c3"
down_revision: str | Sequence[str] | None = "5d2f8a6c1e93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild) on both engines: the tables keep their indexes and triggers.
    op.add_column("goals", sa.Column("area_code", sa.String(length=15), nullable=True))
    op.create_index("ix_goals_area_code", "goals", ["area_code"])
    op.add_column("goal_evaluations", sa.Column("to_date", sa.Float(), nullable=True))
    op.add_column("goal_evaluations", sa.Column("data_month", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("goal_evaluations") as batch:
        batch.drop_column("data_month")
        batch.drop_column("to_date")
    op.drop_index("ix_goals_area_code", table_name="goals")
    with op.batch_alter_table("goals") as batch:
        batch.drop_column("area_code")
