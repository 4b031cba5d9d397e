"""screen kiosk links

Revision ID: 3f7d728184b4
Revises: 80b38b849665
Create Date: 2026-11-26 10:17:24.725495
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "3f7d728184b4"
down_revision: str | Sequence[str] | None = "80b38b849665"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kiosk_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("area_code", sa.String(length=15), nullable=True),
        sa.Column("created_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("is_revoked", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_links")),
    )


def downgrade() -> None:
    op.drop_table("kiosk_links")
