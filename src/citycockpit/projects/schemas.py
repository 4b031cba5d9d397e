"""API shapes of the projects domain. Money is in 万元 CNY unless a field name says otherwise."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from citycockpit.core.pagination import Page
from citycockpit.projects.enums import ProjectLevel, ProjectStage

Money = Annotated[float, Field(ge=0, le=1e12)]


class ProjectFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    level: ProjectLevel | None = None
    industry: str | None = Field(None, max_length=20)
    investor: str | None = Field(None, max_length=200)
    is_foreign_funded: bool | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    area_code: str | None = Field(None, max_length=15)
    department_id: int | None = None
    responsible_person: str | None = Field(None, max_length=50)
    total_investment_wan_cny: Money | None = None
    planned_start_on: date | None = None
    planned_finish_on: date | None = None
    actual_start_on: date | None = None
    actual_finish_on: date | None = None


class ProjectCreate(ProjectFields):
    code: str = Field(min_length=1, max_length=32, description="项目编号, the ledger's stable key")
    name: str = Field(min_length=1, max_length=200)
    level: ProjectLevel
    industry: str = Field(max_length=20)
    area_code: str = Field(max_length=15)
    department_id: int
    total_investment_wan_cny: Money
    stage: ProjectStage = ProjectStage.SIGNED
    stage_on: date | None = Field(None, description="Date the current stage was reached (default: today)")


class ProjectUpdate(ProjectFields):
    pass


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    level: str
    industry: str
    investor: str | None
    is_foreign_funded: bool
    currency: str
    area_code: str
    department_id: int
    responsible_person: str | None
    total_investment_wan_cny: float
    planned_start_on: date | None
    planned_finish_on: date | None
    actual_start_on: date | None
    actual_finish_on: date | None
    stage: str
    stage_changed_on: date | None
    version: int


class StageChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: ProjectStage
    changed_on: date | None = Field(None, description="Default: today")
    reason: str | None = Field(None, max_length=1000, description="Required when moving back")


class StageChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    from_stage: str | None
    to_stage: str
    changed_on: date
    is_backward: bool
    skipped_stages: list[str]
    reason: str | None
    actor_name: str
    recorded_at: datetime

    @field_validator("skipped_stages", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return value.split() if isinstance(value, str) else value


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    planned_investment_wan_cny: float = Field(gt=0, le=1e12)
    start_month: int | None = Field(
        None, ge=1, le=12, description="Default: the planned start month in that year, else 1"
    )


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    year: int
    planned_investment_wan_cny: float
    start_month: int


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actual_cumulative_wan_cny: Money
    note: str | None = Field(None, max_length=4000)
    photo_refs: list[Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=20)


class ProgressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    year: int
    month: int
    actual_cumulative_wan_cny: float
    note: str | None
    photo_refs: list[str]
    reported_by: str
    reported_at: datetime

    @field_validator("photo_refs", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if value is None:
            return []
        return json.loads(value) if isinstance(value, str) else value


class ProjectDetail(ProjectRead):
    stage_changes: list[StageChangeRead]
    plan: PlanRead | None
    progress: list[ProgressRead]


class CompletionRow(BaseModel):
    project_id: int
    code: str
    name: str
    level: str
    industry: str
    area_code: str
    area_name: str
    department_id: int
    department_name: str
    stage: str
    planned: float | None
    start_month: int | None
    actual: float
    time_progress_pct: float | None
    completion_pct: float | None
    gap_pct: float | None
    is_lagging: bool


class CompletionTotals(BaseModel):
    projects: int
    planned_projects: int
    planned_wan_cny: float
    actual_wan_cny: float
    time_adjusted_plan_wan_cny: float
    completion_pct: float | None
    time_progress_pct: float | None
    lagging: int


class CompletionGroup(CompletionTotals):
    key: str
    label: str


class CompletionReport(BaseModel):
    period: str
    margin_pct: float
    by: str
    totals: CompletionTotals
    groups: list[CompletionGroup]


class LaggingReport(BaseModel):
    period: str
    margin_pct: float
    lagging: list[CompletionRow]
    no_plan: list[CompletionRow]


class SigningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    investor: str = Field(min_length=1, max_length=200)
    country: str | None = Field(None, max_length=40)
    industry: str
    is_foreign_funded: bool = False
    currency: str = "CNY"
    signed_on: date
    area_code: str
    department_id: int
    registered_capital_wan_cny: Money
    total_investment_wan_cny: Money
    total_investment_wan_foreign: Money | None = None
    foreign_capital_used_wan_usd: Money = 0.0
    project_id: int | None = None


class SigningRead(SigningIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    is_major: bool
    is_above_threshold: bool


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_value: float = Field(gt=0)
    goal_ref: str | None = Field(None, max_length=64)


class AttractionMonth(BaseModel):
    month: int
    signed_count: float
    total_investment_wan_cny: float
    major_count: float
    foreign_funded_count: float
    foreign_capital_used_wan_usd: float
    cumulative_signed_count: float
    cumulative_total_investment_wan_cny: float
    cumulative_major_count: float
    cumulative_foreign_funded_count: float
    cumulative_foreign_capital_used_wan_usd: float


class AttractionTotal(BaseModel):
    metric: str
    label: str
    actual: float
    target: float | None
    goal_ref: str | None
    goal_title: str | None = None
    progress_pct: float | None


class AttractionReport(BaseModel):
    year: int
    months: list[AttractionMonth]
    totals: list[AttractionTotal]


class LedgerImportSummary(BaseModel):
    created: int
    updated: int
    unchanged: int
    plans_set: int
    stage_changes: int


ProjectPage = Page[ProjectRead]
CompletionPage = Page[CompletionRow]
SigningPage = Page[SigningRead]
