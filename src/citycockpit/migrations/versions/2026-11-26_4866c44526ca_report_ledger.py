"""report ledger

Revision ID: 4866c44526ca
Revises: f5171e0171da
Create Date: 2026-11-26 10:07:58.179229
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "4866c44526ca"
down_revision: str | Sequence[str] | None = "f5171e0171da"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("review_year", sa.Integer(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("speaker", sa.String(length=100), nullable=True),
        sa.Column("source_filename", sa.String(length=255), nullable=False),
        sa.Column("source_type", sa.String(length=8), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ingested_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ingested_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_source_sha256"), ["source_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_year"), ["year"], unique=False)

    op.create_table(
        "report_glossary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_glossary_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_glossary")),
    )
    with op.batch_alter_table("report_glossary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_glossary_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_tasks_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_tasks")),
    )
    with op.batch_alter_table("report_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_tasks_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_subtasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["report_tasks.id"],
            name=op.f("fk_report_subtasks_task_id_report_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subtasks")),
    )
    with op.batch_alter_table("report_subtasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_subtasks_task_id"), ["task_id"], unique=False)

    op.create_table(
        "report_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subtask_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("qualifier", sa.String(length=2), nullable=True),
        sa.Column("stretch", sa.Boolean(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("quote_start", sa.Integer(), nullable=True),
        sa.Column("quote_end", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("review_state", sa.String(length=12), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("extracted_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_items_report_id_reports"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subtask_id"],
            ["report_subtasks.id"],
            name=op.f("fk_report_items_subtask_id_report_subtasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_items")),
    )
    with op.batch_alter_table("report_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_items_report_list", ["report_id", "list_name", "position"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_report_items_review_state"), ["review_state"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_items_subtask_id"), ["subtask_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("report_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_items_subtask_id"))
        batch_op.drop_index(batch_op.f("ix_report_items_review_state"))
        batch_op.drop_index("ix_report_items_report_list")

    op.drop_table("report_items")
    with op.batch_alter_table("report_subtasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_subtasks_task_id"))

    op.drop_table("report_subtasks")
    with op.batch_alter_table("report_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_tasks_report_id"))

    op.drop_table("report_tasks")
    with op.batch_alter_table("report_glossary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_glossary_report_id"))

    op.drop_table("report_glossary")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_year"))
        batch_op.drop_index(batch_op.f("ix_reports_source_sha256"))

    op.drop_table("reports")
