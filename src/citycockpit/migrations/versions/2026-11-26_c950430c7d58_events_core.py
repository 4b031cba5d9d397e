"""events core

Revision ID: c950430c7d58
Revises: 11b157a9130e
Create Date: 2026-11-26 10:09:01.351194
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "c950430c7d58"
down_revision: str | Sequence[str] | None = "11b157a9130e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("parent_code", sa.String(length=16), nullable=True),
        sa.Column("default_department_code", sa.String(length=32), nullable=True),
        sa.Column("clock_kind", sa.String(length=16), nullable=False),
        sa.Column("sign_limit", sa.Float(), nullable=True),
        sa.Column("handle_limit", sa.Float(), nullable=True),
        sa.Column("verify_limit", sa.Float(), nullable=True),
        sa.Column("requires_onsite_verification", sa.Boolean(), nullable=False),
        sa.Column("duplicate_radius_m", sa.Float(), nullable=True),
        sa.Column("duplicate_window_h", sa.Float(), nullable=True),
        sa.Column("keywords", sa.String(length=300), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_event_categories_code")),
    )
    with op.batch_alter_table("event_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_categories_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_categories_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("intake_token", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("media_urls_json", sa.Text(), nullable=True),
        sa.Column("reporter_name", sa.String(length=100), nullable=True),
        sa.Column("reporter_phone", sa.String(length=32), nullable=True),
        sa.Column("reporter_email", sa.String(length=200), nullable=True),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("reported_by_name", sa.String(length=100), nullable=True),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("grid_method", sa.String(length=10), nullable=True),
        sa.Column("category_code", sa.String(length=16), nullable=True),
        sa.Column("major_code", sa.String(length=16), nullable=True),
        sa.Column("category_kind", sa.String(length=16), nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("routing_source", sa.String(length=8), nullable=True),
        sa.Column("routing_rule", sa.String(length=100), nullable=True),
        sa.Column("routing_score", sa.Float(), nullable=True),
        sa.Column("needs_triage", sa.Boolean(), nullable=False),
        sa.Column("departments_seen", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reported_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_day", sa.Date(), nullable=False),
        sa.Column("registered_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_dispatched_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("returned_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("suspended_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_day", sa.Date(), nullable=True),
        sa.Column("rated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("clock_kind", sa.String(length=16), nullable=True),
        sa.Column("sign_due_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handle_due_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verify_due_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("close_due_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handle_minutes", sa.Float(), nullable=True),
        sa.Column("extension_requested_limit", sa.Float(), nullable=True),
        sa.Column("warned_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_reminded_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("supervised_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("supervision_level", sa.Integer(), nullable=False),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("return_count", sa.Integer(), nullable=False),
        sa.Column("extension_count", sa.Integer(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("reminder_count", sa.Integer(), nullable=False),
        sa.Column("department_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column("signed_on_time", sa.Boolean(), nullable=True),
        sa.Column("handled_on_time", sa.Boolean(), nullable=True),
        sa.Column("closed_on_time", sa.Boolean(), nullable=True),
        sa.Column("closed_by_center", sa.Boolean(), nullable=False),
        sa.Column("resolved_locally", sa.Boolean(), nullable=True),
        sa.Column("verified_onsite", sa.Boolean(), nullable=True),
        sa.Column("has_pending_extension", sa.Boolean(), nullable=False),
        sa.Column("reject_reason", sa.String(length=32), nullable=True),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("result_photos_json", sa.Text(), nullable=True),
        sa.Column("suspension_note", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.String(length=24), nullable=True),
        sa.Column("callback_reached", sa.Boolean(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_events_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["events.id"],
            name=op.f("fk_events_merged_into_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_events_reported_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("channel", "external_id", name="uq_events_channel_external_id"),
        sa.UniqueConstraint("intake_token", name=op.f("uq_events_intake_token")),
        sa.UniqueConstraint("public_id", name=op.f("uq_events_public_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_category_day", ["category_code", "reported_day"], unique=False)
        batch_op.create_index("ix_events_close_due", ["close_due_at"], unique=False)
        batch_op.create_index("ix_events_closed_day", ["closed_day", "town_code"], unique=False)
        batch_op.create_index("ix_events_department_day", ["department_id", "reported_day"], unique=False)
        batch_op.create_index("ix_events_dup_lookup", ["category_code", "reported_at"], unique=False)
        batch_op.create_index("ix_events_grid_code", ["grid_code"], unique=False)
        batch_op.create_index("ix_events_handle_due", ["handle_due_at"], unique=False)
        batch_op.create_index("ix_events_merged_into", ["merged_into_id"], unique=False)
        batch_op.create_index("ix_events_reported_day", ["reported_day", "channel"], unique=False)
        batch_op.create_index("ix_events_state_department", ["state", "department_id"], unique=False)
        batch_op.create_index("ix_events_town_day", ["town_code", "reported_day"], unique=False)
        batch_op.create_index("ix_events_village_code", ["village_code"], unique=False)

    op.create_table(
        "event_duplicate_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("original_id", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("hours_apart", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("proposed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_duplicate_proposals_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["events.id"],
            name=op.f("fk_event_duplicate_proposals_original_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_duplicate_proposals")),
        sa.UniqueConstraint("event_id", "original_id", name="uq_event_duplicate_pair"),
    )
    with op.batch_alter_table("event_duplicate_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_duplicate_proposals_original_id"), ["original_id"], unique=False
        )

    op.create_table(
        "event_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_event_transitions_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_transitions_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_transitions")),
    )
    with op.batch_alter_table("event_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_event_transitions_action_at", ["action", "at"], unique=False)
        batch_op.create_index("ix_event_transitions_event", ["event_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_event_transitions_event")
        batch_op.drop_index("ix_event_transitions_action_at")

    op.drop_table("event_transitions")
    with op.batch_alter_table("event_duplicate_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_duplicate_proposals_original_id"))

    op.drop_table("event_duplicate_proposals")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_village_code")
        batch_op.drop_index("ix_events_town_day")
        batch_op.drop_index("ix_events_state_department")
        batch_op.drop_index("ix_events_reported_day")
        batch_op.drop_index("ix_events_merged_into")
        batch_op.drop_index("ix_events_handle_due")
        batch_op.drop_index("ix_events_grid_code")
        batch_op.drop_index("ix_events_dup_lookup")
        batch_op.drop_index("ix_events_department_day")
        batch_op.drop_index("ix_events_closed_day")
        batch_op.drop_index("ix_events_close_due")
        batch_op.drop_index("ix_events_category_day")

    op.drop_table("events")
    with op.batch_alter_table("event_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_categories_parent_code"))
        batch_op.drop_index(batch_op.f("ix_event_categories_kind"))

    op.drop_table("event_categories")
