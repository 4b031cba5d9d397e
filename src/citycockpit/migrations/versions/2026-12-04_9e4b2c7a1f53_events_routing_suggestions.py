"""Routing a dispatcher can trust: the top three categories the classifier suggested for an event
(`events.routing_suggestions_json`, written at intake so reads never run the model), room for the
`dispatcher` routing source, and each stored classifier's auto-route threshold and held-out figures
(`event_classifier_models.autoroute_threshold`, `figures_json`).

Revision ID: 9e4b2c7a1f53
Revises: a7e3c91d5b24
Create Date: 2026-12-04 23:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e4b2c7a1f53"
down_revision: str | Sequence[str] | None = "a7e3c91d5b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot ALTER a column's type: batch mode (the events table has no change-stamp triggers)
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("routing_suggestions_json", sa.Text(), nullable=True))
        batch.alter_column("routing_source", existing_type=sa.String(length=8), type_=sa.String(length=16))
    with op.batch_alter_table("event_classifier_models") as batch:
        batch.add_column(sa.Column("autoroute_threshold", sa.Float(), nullable=True))
        batch.add_column(sa.Column("figures_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event_classifier_models") as batch:
        batch.drop_column("figures_json")
        batch.drop_column("autoroute_threshold")
    # a dispatcher's choice is recorded as `manual`, the one value of the older vocabulary that fits
    op.execute("UPDATE events SET routing_source = 'manual' WHERE routing_source = 'dispatcher'")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("routing_source", existing_type=sa.String(length=16), type_=sa.String(length=8))
        batch.drop_column("routing_suggestions_json")
