"""goals

Revision ID: 11b157a9130e
Revises: d81ca892e0a0
Create Date: 2026-11-26 10:45:37.924962
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "11b157a9130e"
down_revision: str | Sequence[str] | None = "d81ca892e0a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "goal_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("locked_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_periods")),
        sa.UniqueConstraint("period", name=op.f("uq_goal_periods_period")),
    )
    op.create_table(
        "indicator_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("is_cumulative", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_series")),
        sa.UniqueConstraint("name", name=op.f("uq_indicator_series_name")),
    )
    op.create_table(
        "indicator_actuals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("yoy_pct", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("imported_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["indicator_series.id"],
            name=op.f("fk_indicator_actuals_series_id_indicator_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_actuals")),
        sa.UniqueConstraint("series_id", "period", name=op.f("uq_indicator_actuals_series_id")),
    )
    with op.batch_alter_table("indicator_actuals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_actuals_period"), ["period"], unique=False)

    op.create_table(
        "indicator_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["indicator_series.id"],
            name=op.f("fk_indicator_aliases_series_id_indicator_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_aliases")),
        sa.UniqueConstraint("alias", name=op.f("uq_indicator_aliases_alias")),
    )
    with op.batch_alter_table("indicator_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_aliases_series_id"), ["series_id"], unique=False)

    op.create_table(
        "goal_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("report_task_id", sa.Integer(), nullable=True),
        sa.Column("report_subtask_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=16), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rollup_rule", sa.String(length=10), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["goal_nodes.id"],
            name=op.f("fk_goal_nodes_parent_id_goal_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_subtask_id"],
            ["report_subtasks.id"],
            name=op.f("fk_goal_nodes_report_subtask_id_report_subtasks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_task_id"],
            ["report_tasks.id"],
            name=op.f("fk_goal_nodes_report_task_id_report_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_nodes")),
    )
    with op.batch_alter_table("goal_nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_nodes_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_nodes_year"), ["year"], unique=False)

    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("report_item_id", sa.Integer(), nullable=True),
        sa.Column("report_subtask_id", sa.Integer(), nullable=True),
        sa.Column("measure", sa.String(length=8), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("qualifier", sa.String(length=2), nullable=True),
        sa.Column("stretch", sa.Boolean(), nullable=False),
        sa.Column("lead_department_id", sa.Integer(), nullable=True),
        sa.Column("responsible_person", sa.String(length=100), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_done", sa.Boolean(), nullable=False),
        sa.Column("created_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_department_id"],
            ["departments.id"],
            name=op.f("fk_goals_lead_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["goal_nodes.id"], name=op.f("fk_goals_node_id_goal_nodes"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["report_item_id"],
            ["report_items.id"],
            name=op.f("fk_goals_report_item_id_report_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_subtask_id"],
            ["report_subtasks.id"],
            name=op.f("fk_goals_report_subtask_id_report_subtasks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["indicator_series.id"],
            name=op.f("fk_goals_series_id_indicator_series"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
        sa.UniqueConstraint("key", name=op.f("uq_goals_key")),
        sa.UniqueConstraint("report_item_id", name=op.f("uq_goals_report_item_id")),
    )
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goals_lead_department_id"), ["lead_department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goals_node_id"), ["node_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goals_report_subtask_id"), ["report_subtask_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goals_series_id"), ["series_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goals_year"), ["year"], unique=False)

    op.create_table(
        "goal_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_goal_alerts_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_alerts_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_alerts")),
        sa.UniqueConstraint("kind", "goal_id", "period", "milestone_id", name=op.f("uq_goal_alerts_kind")),
    )
    with op.batch_alter_table("goal_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_alerts_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_alerts_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_alerts_kind"), ["kind"], unique=False)

    op.create_table(
        "goal_co_departments",
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_goal_co_departments_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_co_departments_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("goal_id", "department_id", name=op.f("pk_goal_co_departments")),
    )
    with op.batch_alter_table("goal_co_departments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_goal_co_departments_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "goal_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_goal_comments_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_comments_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_comments")),
    )
    with op.batch_alter_table("goal_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_comments_goal_id"), ["goal_id"], unique=False)

    op.create_table(
        "goal_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("color", sa.String(length=6), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("time_progress", sa.Float(), nullable=True),
        sa.Column("forecast", sa.Float(), nullable=True),
        sa.Column("expected_end", sa.Float(), nullable=True),
        sa.Column("evaluated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_evaluations_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_evaluations")),
        sa.UniqueConstraint("goal_id", "period", name=op.f("uq_goal_evaluations_goal_id")),
    )
    with op.batch_alter_table("goal_evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_goal_evaluations_period_status", ["period", "status"], unique=False)

    op.create_table(
        "goal_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("completed_by", sa.String(length=100), nullable=True),
        sa.Column("completed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_milestones_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_milestones")),
    )
    with op.batch_alter_table("goal_milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_milestones_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_milestones_goal_id"), ["goal_id"], unique=False)

    op.create_table(
        "goal_progress_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("figures_json", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("submitted_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_goal_progress_reports_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_progress_reports_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_progress_reports")),
        sa.UniqueConstraint("goal_id", "period", name=op.f("uq_goal_progress_reports_goal_id")),
    )
    with op.batch_alter_table("goal_progress_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_progress_reports_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_progress_reports_state"), ["state"], unique=False)

    op.create_table(
        "goal_trajectories",
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("planned_share", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_trajectories_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("goal_id", "month", name=op.f("pk_goal_trajectories")),
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table("goal_trajectories")
    with op.batch_alter_table("goal_progress_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_progress_reports_state"))
        batch_op.drop_index(batch_op.f("ix_goal_progress_reports_period"))

    op.drop_table("goal_progress_reports")
    with op.batch_alter_table("goal_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_milestones_goal_id"))
        batch_op.drop_index(batch_op.f("ix_goal_milestones_due_on"))

    op.drop_table("goal_milestones")
    with op.batch_alter_table("goal_evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_goal_evaluations_period_status")

    op.drop_table("goal_evaluations")
    with op.batch_alter_table("goal_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_comments_goal_id"))

    op.drop_table("goal_comments")
    with op.batch_alter_table("goal_co_departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_co_departments_department_id"))

    op.drop_table("goal_co_departments")
    with op.batch_alter_table("goal_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_alerts_kind"))
        batch_op.drop_index(batch_op.f("ix_goal_alerts_goal_id"))
        batch_op.drop_index(batch_op.f("ix_goal_alerts_department_id"))

    op.drop_table("goal_alerts")
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goals_year"))
        batch_op.drop_index(batch_op.f("ix_goals_series_id"))
        batch_op.drop_index(batch_op.f("ix_goals_report_subtask_id"))
        batch_op.drop_index(batch_op.f("ix_goals_node_id"))
        batch_op.drop_index(batch_op.f("ix_goals_lead_department_id"))

    op.drop_table("goals")
    with op.batch_alter_table("goal_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_nodes_year"))
        batch_op.drop_index(batch_op.f("ix_goal_nodes_parent_id"))

    op.drop_table("goal_nodes")
    with op.batch_alter_table("indicator_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_aliases_series_id"))

    op.drop_table("indicator_aliases")
    with op.batch_alter_table("indicator_actuals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_actuals_period"))

    op.drop_table("indicator_actuals")
    op.drop_table("indicator_series")
    op.drop_table("goal_periods")
    # ### end Alembic commands ###
