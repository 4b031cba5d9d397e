"""Key projects (重点项目), their stage changes, annual plans and monthly progress, and investment
attraction signings (招商引资签约项目) with the year's attraction goals.

Money is stored in 万元 (10,000 yuan) of CNY unless the column name says otherwise."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime

# Amounts in 万元 with two decimals (i.e. to the 100 yuan); read back as float on both engines.
Money = Numeric(16, 2, asdecimal=False)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 项目编号: the ledger's stable key
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    industry: Mapped[str] = mapped_column(String(20), index=True)
    investor: Mapped[str | None] = mapped_column(String(200))
    is_foreign_funded: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    responsible_person: Mapped[str | None] = mapped_column(String(50))
    total_investment_wan_cny: Mapped[float] = mapped_column(Money)
    planned_start_on: Mapped[date | None] = mapped_column(Date)
    planned_finish_on: Mapped[date | None] = mapped_column(Date)
    actual_start_on: Mapped[date | None] = mapped_column(Date)
    actual_finish_on: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(16), index=True)
    stage_changed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("total_investment_wan_cny >= 0", name="total_investment_not_negative"),)


class ProjectStageChange(Base):
    """One dated move in the life cycle; backward moves carry a reason, skipped stages are named."""

    __tablename__ = "project_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[date] = mapped_column(Date)
    is_backward: Mapped[bool] = mapped_column(default=False)
    skipped_stages: Mapped[str] = mapped_column(String(200), default="")  # space-separated stage values
    reason: Mapped[str | None] = mapped_column(Text)
    actor_name: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProjectAnnualPlan(Base):
    """The year's planned investment (年度计划投资). Time progress runs from `start_month` to December,
    so a project starting mid-year is not held against months before it began."""

    __tablename__ = "project_annual_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(SmallInteger, index=True)
    planned_investment_wan_cny: Mapped[float] = mapped_column(Money)
    start_month: Mapped[int] = mapped_column(SmallInteger, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("project_id", "year", name="uq_project_annual_plans_project_year"),
        CheckConstraint("planned_investment_wan_cny > 0", name="planned_positive"),
        CheckConstraint("start_month BETWEEN 1 AND 12", name="start_month_range"),
    )


class ProjectMonthlyProgress(Base):
    """A department's monthly report: investment completed so far this year (cumulative) and notes."""

    __tablename__ = "project_monthly_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    actual_cumulative_wan_cny: Mapped[float] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(Text)
    photo_refs: Mapped[str | None] = mapped_column(Text)  # JSON list of image file names or URLs
    reported_by: Mapped[str] = mapped_column(String(100))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("project_id", "year", "month", name="uq_project_monthly_progress_period"),
        Index("ix_project_monthly_progress_year_month", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("actual_cumulative_wan_cny >= 0", name="actual_not_negative"),
    )


class InvestmentSigning(Base):
    """An investment attraction signing (招商引资签约项目). `is_major` marks ≥ 1亿美元 or ≥ 10亿元;
    `is_above_threshold` marks registered capital ≥ 2000万元, the report's counting threshold."""

    __tablename__ = "investment_signings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    investor: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(40))
    industry: Mapped[str] = mapped_column(String(20))
    is_foreign_funded: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    signed_on: Mapped[date] = mapped_column(Date, index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    registered_capital_wan_cny: Mapped[float] = mapped_column(Money)
    total_investment_wan_cny: Mapped[float] = mapped_column(Money)
    total_investment_wan_foreign: Mapped[float | None] = mapped_column(Money)  # in `currency`
    foreign_capital_used_wan_usd: Mapped[float] = mapped_column(Money, default=0)
    is_major: Mapped[bool] = mapped_column(default=False)
    is_above_threshold: Mapped[bool] = mapped_column(default=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AttractionGoal(Base):
    """The year's investment attraction goal for one metric (e.g. 实际使用外资 6亿美元)."""

    __tablename__ = "attraction_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    metric: Mapped[str] = mapped_column(String(32))
    target_value: Mapped[float] = mapped_column(Numeric(18, 2, asdecimal=False))
    goal_ref: Mapped[str | None] = mapped_column(String(64))  # id of the tracked goal naming it, if any
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("year", "metric", name="uq_attraction_goals_year_metric"),)
