"""events: the coordinates as received and their system (wgs84, gcj02, bd09, cgcs2000); events.lat/lon
stay WGS84 (converted once at intake by core/coords.py).

Revision ID: c7a1e4b9d2f6
Revises: c3e7a1f9d204
Create Date: 2026-12-05 01:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7a1e4b9d2f6"
down_revision: str | Sequence[str] | None = "c3e7a1f9d204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("received_lat", sa.Float(), nullable=True))
    op.add_column("events", sa.Column("received_lon", sa.Float(), nullable=True))
    op.add_column("events", sa.Column("coord_system", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("coord_system")
        batch.drop_column("received_lon")
        batch.drop_column("received_lat")
