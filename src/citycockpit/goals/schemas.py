"""API shapes of the goals domain."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GoalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    node_id: int | None = None
    measure: str | None = None
    target_value: float | None = None
    unit: str | None = None
    qualifier: str | None = None
    stretch: bool = False
    lead_department_id: int | None = None
    co_department_ids: list[int] = []
    responsible_person: str | None = None
    series_id: int | None = None
    starts_on: date | None = None
    due_on: date | None = None
    weight: float = 1.0
    area_code: str | None = Field(
        None,
        pattern=r"^\d{6,15}$",
        description="the area whose target this is (a town's own); none or the city's code: the city's",
    )


class GoalChanges(BaseModel):
    """The fields a PATCH may change, typed so a date arrives as a date (a bad one is a 422 naming the
    field); fields beyond these pass through so the service names why they cannot be changed."""

    model_config = ConfigDict(extra="allow")

    title: str | None = Field(None, min_length=1)
    measure: str | None = None
    target_value: float | None = None
    unit: str | None = None
    qualifier: str | None = None
    stretch: bool | None = None
    responsible_person: str | None = None
    starts_on: date | None = None
    due_on: date | None = None
    weight: float | None = None
    node_id: int | None = None
    is_done: bool | None = None
    series_id: int | None = None


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_department_id: int | None
    co_department_ids: list[int] = []
    responsible_person: str | None = None


class TrajectoryIn(BaseModel):
    plan: dict[int, float] = Field(description="month (1-12) → cumulative planned share of the target (0..1)")


class MilestoneIn(BaseModel):
    title: str = Field(min_length=1)
    due_on: date


class MilestoneComplete(BaseModel):
    evidence: str = Field(min_length=1)
    completed_on: date | None = None


class ReportIn(BaseModel):
    period: str = Field(examples=["2024-06"])
    percent: float = Field(ge=0, le=100)
    narrative: str = Field(min_length=1)
    figures: dict[str, Any] | None = None


class ReviewIn(BaseModel):
    comment: str | None = None


class CommentIn(BaseModel):
    period: str
    body: str = Field(min_length=1)


class SeriesIn(BaseModel):
    name: str = Field(min_length=1)
    unit: str | None = None
    is_cumulative: bool = True
    aliases: list[str] = []
    description: str | None = None


class SeriesLinkIn(BaseModel):
    link: str | None = Field(
        description="air:pm25_annual_mean or air:good_days_ratio (the city's daily air quality), or null"
    )


class AliasIn(BaseModel):
    alias: str = Field(min_length=1)


class RollupIn(BaseModel):
    rule: str = Field(description="average, weighted or worst")
    weight: float | None = None


class UnlockIn(BaseModel):
    reason: str = Field(min_length=1)
