"""indicator themes and their boards

Revision ID: d5b8e2f14a67
Revises: d5a8c2e7f1b9
Create Date: 2026-12-05 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "d5b8e2f14a67"
down_revision: str | Sequence[str] | None = "d5a8c2e7f1b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("board", sa.JSON(), nullable=True),
        sa.Column("updated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_themes")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_themes_code")),
    )


def downgrade() -> None:
    op.drop_table("indicator_themes")
