"""Goals (清单化管理、节点化督查): goals, nodes, milestones, reports, series, actuals, periods, statuses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime
from citycockpit.report.enums import value_text


class GoalNode(Base):
    """A task area (一、二…) or sub-task the goals are grouped under, with its explicit roll-up rule."""

    __tablename__ = "goal_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("goal_nodes.id", ondelete="CASCADE"), index=True)
    report_task_id: Mapped[int | None] = mapped_column(ForeignKey("report_tasks.id", ondelete="SET NULL"))
    report_subtask_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_subtasks.id", ondelete="SET NULL")
    )
    number: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    rollup_rule: Mapped[str] = mapped_column(String(10), default="average")
    weight: Mapped[float] = mapped_column(Float, default=1.0)


class IndicatorSeries(Base):
    """A statistical indicator with monthly actuals (e.g. 地区生产总值, PM2.5 monthly mean). `link` names
    what feeds it other than imported actuals: `air:pm25_annual_mean` or `air:good_days_ratio` (the
    city's daily air quality, goals/airgoals.py); None for a series fed by files or indicator feeds."""

    __tablename__ = "indicator_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    unit: Mapped[str | None] = mapped_column(String(32))
    frequency: Mapped[str] = mapped_column(String(10), default="monthly")
    is_cumulative: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IndicatorAlias(Base):
    __tablename__ = "indicator_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("indicator_series.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(100), unique=True)


class IndicatorActual(Base):
    """One month's published figure: value (YTD total for cumulative series) and YTD YoY growth %."""

    __tablename__ = "indicator_actuals"
    __table_args__ = (UniqueConstraint("series_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("indicator_series.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    value: Mapped[float | None] = mapped_column(Float)
    yoy_pct: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Goal(Base):
    """A tracked goal: from a confirmed ledger item, a qualitative sub-task, an import or by hand."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(Text)
    # The area whose target this is (a town's own targets); None: the city's, seen read-only below it.
    area_code: Mapped[str | None] = mapped_column(String(15), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("goal_nodes.id", ondelete="SET NULL"), index=True)
    report_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_items.id", ondelete="SET NULL"), unique=True
    )
    report_subtask_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_subtasks.id", ondelete="SET NULL"), index=True
    )
    measure: Mapped[str | None] = mapped_column(String(8))
    target_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    qualifier: Mapped[str | None] = mapped_column(String(2))
    stretch: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    responsible_person: Mapped[str | None] = mapped_column(String(100))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator_series.id", ondelete="SET NULL"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # 完成时限
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def target_text(self) -> str:
        """The target in the report's own notation (增长5%以上, 24微克/立方米以下); "" without a value."""
        return value_text(self.measure, self.target_value, self.unit, self.qualifier)


class GoalCoDepartment(Base):
    """A co-operating department (配合单位) of a goal."""

    __tablename__ = "goal_co_departments"

    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class GoalTrajectory(Base):
    """The goal's monthly planned path: the cumulative share of the target due by the end of `month`."""

    __tablename__ = "goal_trajectories"

    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    planned_share: Mapped[float] = mapped_column(Float)


class Milestone(Base):
    """A node (节点) of a goal: due date, completion and its evidence."""

    __tablename__ = "goal_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    completed_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProgressReport(Base):
    """A department's report on a goal for one period (monthly), reviewed by the supervisor."""

    __tablename__ = "goal_progress_reports"
    __table_args__ = (UniqueConstraint("goal_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    percent: Mapped[float] = mapped_column(Float)
    narrative: Mapped[str] = mapped_column(Text)
    figures_json: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), index=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_comment: Mapped[str | None] = mapped_column(Text)


class GoalComment(Base):
    """A comment on a goal for a period (the way to annotate a computed status)."""

    __tablename__ = "goal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportingPeriod(Base):
    """A monthly reporting period; locked by the supervisor once the bulletin is out."""

    __tablename__ = "goal_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)
    state: Mapped[str] = mapped_column(String(8), default="open")
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(100))


class GoalEvaluation(Base):
    """The computed status of a goal for a period (written only by the rules, never by hand)."""

    __tablename__ = "goal_evaluations"
    __table_args__ = (
        UniqueConstraint("goal_id", "period"),
        Index("ix_goal_evaluations_period_status", "period", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(14))
    color: Mapped[str] = mapped_column(String(6))
    rule: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    progress: Mapped[float | None] = mapped_column(Float)
    time_progress: Mapped[float | None] = mapped_column(Float)
    forecast: Mapped[float | None] = mapped_column(Float)
    expected_end: Mapped[float | None] = mapped_column(Float)
    to_date: Mapped[float | None] = mapped_column(Float)  # the year-to-date figure judged (indicators)
    data_month: Mapped[int | None] = mapped_column(Integer)  # the latest month `to_date` covers
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GoalAlert(Base):
    """A goal turning red, a milestone overdue or a report missing; one row per fact."""

    __tablename__ = "goal_alerts"
    __table_args__ = (UniqueConstraint("kind", "goal_id", "period", "milestone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int] = mapped_column(Integer, default=0)  # 0: not about a milestone
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    period: Mapped[str] = mapped_column(String(7))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
