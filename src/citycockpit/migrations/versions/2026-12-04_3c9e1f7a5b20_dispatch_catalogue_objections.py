"""dispatch_catalogue_objections: the dispatch catalogue (派单目录) as published versions of rows
(category → department, with an area exception and keywords), the catalogue row that routed each event
(`events.routing_rule_id`), and departments' objections to a dispatch (派单异议: `event_objections`,
`events.has_pending_objection` for the centre's queue).

No data is moved: version 0 of the catalogue is the categories' own default departments, read where
they are (`event_categories.default_department_code`) until the centre publishes version 1.

Revision ID: 3c9e1f7a5b20
Revises: 7c1d4e8f2a36
Create Date: 2026-12-04 23:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "3c9e1f7a5b20"
down_revision: str | Sequence[str] | None = "7c1d4e8f2a36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_catalogue_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_catalogue_versions")),
        sa.UniqueConstraint("number", name=op.f("uq_dispatch_catalogue_versions_number")),
    )
    op.create_table(
        "dispatch_catalogue_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=16), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("area_code", sa.String(length=15), nullable=True),
        sa.Column("keywords", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dispatch_catalogue_versions.id"],
            name=op.f("fk_dispatch_catalogue_rules_version_id_dispatch_catalogue_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_catalogue_rules")),
        sa.UniqueConstraint("version_id", "position", name="uq_dispatch_catalogue_rules_position"),
    )
    op.create_index(
        "ix_dispatch_catalogue_rules_category",
        "dispatch_catalogue_rules",
        ["version_id", "category_code"],
        unique=False,
    )
    op.create_table(
        "event_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("category_code", sa.String(length=16), nullable=True),
        sa.Column("routing_rule_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("raised_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("new_department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_event_objections_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_objections_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_objections")),
    )
    op.create_index("ix_event_objections_category", "event_objections", ["category_code", "raised_at"])
    op.create_index(op.f("ix_event_objections_event_id"), "event_objections", ["event_id"])
    # Plain ADD COLUMN (no table rebuild): both columns are nullable or carry a server default.
    op.add_column("events", sa.Column("routing_rule_id", sa.Integer(), nullable=True))
    op.add_column(
        "events",
        sa.Column("has_pending_objection", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    # SQLite cannot DROP COLUMN on older versions: batch mode. `events` carries no change-stamp
    # triggers (core/stamps.py), so the rebuild loses none.
    with op.batch_alter_table("events") as batch:
        batch.drop_column("has_pending_objection")
        batch.drop_column("routing_rule_id")
    op.drop_index(op.f("ix_event_objections_event_id"), table_name="event_objections")
    op.drop_index("ix_event_objections_category", table_name="event_objections")
    op.drop_table("event_objections")
    op.drop_index("ix_dispatch_catalogue_rules_category", table_name="dispatch_catalogue_rules")
    op.drop_table("dispatch_catalogue_rules")
    op.drop_table("dispatch_catalogue_versions")
