"""Goal series follow the daily air quality; feeds may carry daily figures.

`indicator_series.link`: what feeds a goals series besides imported actuals — `air:pm25_annual_mean`
or `air:good_days_ratio` (the city's `air_quality_days`); null otherwise. `indicator_feeds.resolution`:
`hour` (hourly means, the default and every existing feed) or `day` (one figure a day, the day's
24-h mean or ozone's maximum 8-h mean, used by the daily air quality as it is).

Revision ID: d5a8c2e7f1b9
Revises: d1f4a7c2e9b3
Create Date: 2026-12-05 03:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5a8c2e7f1b9"
down_revision: str | Sequence[str] | None = "d1f4a7c2e9b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild) on both engines.
    op.add_column("indicator_series", sa.Column("link", sa.String(length=40), nullable=True))
    op.add_column(
        "indicator_feeds",
        sa.Column("resolution", sa.String(length=4), server_default="hour", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("indicator_feeds") as batch:
        batch.drop_column("resolution")
    with op.batch_alter_table("indicator_series") as batch:
        batch.drop_column("link")
