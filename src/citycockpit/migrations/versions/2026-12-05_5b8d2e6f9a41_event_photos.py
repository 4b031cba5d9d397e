"""event_photos (photos of an event's report, handle and verify steps, content-addressed files under
the data folder) and event_categories.photo_steps (the steps at which a category requires a photo).

Revision ID: 5b8d2e6f9a41
Revises: 4b8d2e6f9a13
Create Date: 2026-12-05 01:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from citycockpit.db import UTCDateTime

revision: str = "5b8d2e6f9a41"
down_revision: str | Sequence[str] | None = "4b8d2e6f9a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event_categories", sa.Column("photo_steps", sa.String(length=40), nullable=True))
    op.create_table(
        "event_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("transition_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("original_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=True),
        sa.Column("taken_at", UTCDateTime(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_name", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_photos_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_photos")),
    )
    op.create_index("ix_event_photos_event_step", "event_photos", ["event_id", "step"], unique=False)
    op.create_index("ix_event_photos_sha256", "event_photos", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_event_photos_sha256", table_name="event_photos")
    op.drop_index("ix_event_photos_event_step", table_name="event_photos")
    op.drop_table("event_photos")
    with op.batch_alter_table("event_categories") as batch:
        batch.drop_column("photo_steps")
