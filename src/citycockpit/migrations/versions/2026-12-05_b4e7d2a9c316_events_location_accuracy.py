"""events.location_accuracy_m: how far off the reported position may be, in metres (a phone's
geolocation accuracy, the radius of its 68 % circle), so the event page can say 位置精度 ±N 米 and a
verifier knows how much to trust the point. Nullable: typed or unknown positions have none.

Revision ID: b4e7d2a9c316
Revises: 5b8d2e6f9a41
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4e7d2a9c316"
down_revision: str | Sequence[str] | None = "5b8d2e6f9a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("location_accuracy_m", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("location_accuracy_m")
