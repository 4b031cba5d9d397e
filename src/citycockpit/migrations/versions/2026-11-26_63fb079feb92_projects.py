"""projects

Revision ID: 63fb079feb92
Revises: 4866c44526ca
Create Date: 2026-11-26 10:08:57.079838
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "63fb079feb92"
down_revision: str | Sequence[str] | None = "4866c44526ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attraction_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("target_value", sa.Numeric(precision=18, scale=2, asdecimal=False), nullable=False),
        sa.Column("goal_ref", sa.String(length=64), nullable=True),
        sa.Column("updated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attraction_goals")),
        sa.UniqueConstraint("year", "metric", name="uq_attraction_goals_year_metric"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("industry", sa.String(length=20), nullable=False),
        sa.Column("investor", sa.String(length=200), nullable=True),
        sa.Column("is_foreign_funded", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("area_code", sa.String(length=15), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("responsible_person", sa.String(length=50), nullable=True),
        sa.Column(
            "total_investment_wan_cny", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column("planned_start_on", sa.Date(), nullable=True),
        sa.Column("planned_finish_on", sa.Date(), nullable=True),
        sa.Column("actual_start_on", sa.Date(), nullable=True),
        sa.Column("actual_finish_on", sa.Date(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_changed_on", sa.Date(), nullable=True),
        sa.Column("created_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "total_investment_wan_cny >= 0", name=op.f("ck_projects_total_investment_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["area_code"], ["areas.code"], name=op.f("fk_projects_area_code_areas"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_projects_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_projects_code")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_area_code"), ["area_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_industry"), ["industry"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_level"), ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_stage"), ["stage"], unique=False)

    op.create_table(
        "investment_signings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("investor", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=40), nullable=True),
        sa.Column("industry", sa.String(length=20), nullable=False),
        sa.Column("is_foreign_funded", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("area_code", sa.String(length=15), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "registered_capital_wan_cny", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column(
            "total_investment_wan_cny", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column(
            "total_investment_wan_foreign", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=True
        ),
        sa.Column(
            "foreign_capital_used_wan_usd", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column("is_major", sa.Boolean(), nullable=False),
        sa.Column("is_above_threshold", sa.Boolean(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("created_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["areas.code"],
            name=op.f("fk_investment_signings_area_code_areas"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_investment_signings_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_investment_signings_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_signings")),
        sa.UniqueConstraint("code", name=op.f("uq_investment_signings_code")),
    )
    with op.batch_alter_table("investment_signings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_investment_signings_area_code"), ["area_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_investment_signings_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_investment_signings_signed_on"), ["signed_on"], unique=False)

    op.create_table(
        "project_annual_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column(
            "planned_investment_wan_cny", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column("start_month", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "planned_investment_wan_cny > 0", name=op.f("ck_project_annual_plans_planned_positive")
        ),
        sa.CheckConstraint(
            "start_month BETWEEN 1 AND 12", name=op.f("ck_project_annual_plans_start_month_range")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_annual_plans_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_annual_plans")),
        sa.UniqueConstraint("project_id", "year", name="uq_project_annual_plans_project_year"),
    )
    with op.batch_alter_table("project_annual_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_annual_plans_year"), ["year"], unique=False)

    op.create_table(
        "project_monthly_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column(
            "actual_cumulative_wan_cny", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("photo_refs", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=100), nullable=False),
        sa.Column("reported_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "actual_cumulative_wan_cny >= 0", name=op.f("ck_project_monthly_progress_actual_not_negative")
        ),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_project_monthly_progress_month_range")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_monthly_progress_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_monthly_progress")),
        sa.UniqueConstraint("project_id", "year", "month", name="uq_project_monthly_progress_period"),
    )
    with op.batch_alter_table("project_monthly_progress", schema=None) as batch_op:
        batch_op.create_index("ix_project_monthly_progress_year_month", ["year", "month"], unique=False)

    op.create_table(
        "project_stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("is_backward", sa.Boolean(), nullable=False),
        sa.Column("skipped_stages", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_stage_changes_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_stage_changes")),
    )
    with op.batch_alter_table("project_stage_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_stage_changes_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("project_stage_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_stage_changes_project_id"))

    op.drop_table("project_stage_changes")
    with op.batch_alter_table("project_monthly_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_project_monthly_progress_year_month")

    op.drop_table("project_monthly_progress")
    with op.batch_alter_table("project_annual_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_annual_plans_year"))

    op.drop_table("project_annual_plans")
    with op.batch_alter_table("investment_signings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_signings_signed_on"))
        batch_op.drop_index(batch_op.f("ix_investment_signings_department_id"))
        batch_op.drop_index(batch_op.f("ix_investment_signings_area_code"))

    op.drop_table("investment_signings")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_stage"))
        batch_op.drop_index(batch_op.f("ix_projects_level"))
        batch_op.drop_index(batch_op.f("ix_projects_industry"))
        batch_op.drop_index(batch_op.f("ix_projects_department_id"))
        batch_op.drop_index(batch_op.f("ix_projects_area_code"))

    op.drop_table("projects")
    op.drop_table("attraction_goals")
