"""events kpis: daily rollups, rollup days, classifier models, index on events.sign_due_at

Revision ID: 80b38b849665
Revises: c950430c7d58
Create Date: 2026-11-26 10:27:36.153041
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "80b38b849665"
down_revision: str | Sequence[str] | None = "c950430c7d58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_classifier_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trained_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("algorithm", sa.String(length=100), nullable=False),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_test", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("department_accuracy", sa.Float(), nullable=True),
        sa.Column("n_classes", sa.Integer(), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=True),
        sa.Column("model_bytes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_classifier_models")),
    )
    with op.batch_alter_table("event_classifier_models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_classifier_models_trained_at"), ["trained_at"], unique=False
        )

    op.create_table(
        "event_daily_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("major_code", sa.String(length=16), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("dispatched", sa.Integer(), nullable=False),
        sa.Column("closed_directly", sa.Integer(), nullable=False),
        sa.Column("sign_due", sa.Integer(), nullable=False),
        sa.Column("signed_on_time", sa.Integer(), nullable=False),
        sa.Column("handle_due", sa.Integer(), nullable=False),
        sa.Column("handled_on_time", sa.Integer(), nullable=False),
        sa.Column("close_due", sa.Integer(), nullable=False),
        sa.Column("closed_of_due", sa.Integer(), nullable=False),
        sa.Column("closed_on_time", sa.Integer(), nullable=False),
        sa.Column("reworked", sa.Integer(), nullable=False),
        sa.Column("extended", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("closed_dispatched", sa.Integer(), nullable=False),
        sa.Column("callbacks", sa.Integer(), nullable=False),
        sa.Column("callbacks_valid", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("resolved_locally", sa.Integer(), nullable=False),
        sa.Column("handle_n", sa.Integer(), nullable=False),
        sa.Column("handle_minutes_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_daily_rollups")),
    )
    with op.batch_alter_table("event_daily_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_event_daily_rollups_day_department", ["day", "department_id"], unique=False)
        batch_op.create_index("ix_event_daily_rollups_day_town", ["day", "town_code"], unique=False)

    op.create_table(
        "event_rollup_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_event_rollup_days")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_sign_due", ["sign_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_sign_due")

    op.drop_table("event_rollup_days")
    with op.batch_alter_table("event_daily_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_event_daily_rollups_day_town")
        batch_op.drop_index("ix_event_daily_rollups_day_department")

    op.drop_table("event_daily_rollups")
    with op.batch_alter_table("event_classifier_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_classifier_models_trained_at"))

    op.drop_table("event_classifier_models")
