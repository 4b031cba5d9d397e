from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    region: str | None
    year: int | None
    review_year: int | None
    delivered_on: date | None
    speaker: str | None
    source_filename: str
    source_type: str
    ingested_at: datetime
    ingested_by: str


class ReportIngested(ReportRead):
    missing_parts: list[Literal["review", "targets", "tasks"]] = Field(
        default_factory=list,
        description="Parts not found in the text (stored anyway because allow_partial was set).",
    )


class ReportSummary(ReportRead):
    counts: dict[str, int]


class ReportText(BaseModel):
    id: int
    text: str


class ReportItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    report_id: int
    list_name: str
    position: int
    subtask_id: int | None
    name: str
    measure: str | None
    value: float | None
    unit: str | None
    qualifier: str | None
    stretch: bool
    quote: str
    quote_start: int | None
    quote_end: int | None
    confidence: float
    review_state: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None


class ReportItemPage(BaseModel):
    items: list[ReportItemRead]
    total: int
    offset: int
    limit: int


class ItemReview(BaseModel):
    action: Literal["confirm", "edit", "reject", "reset"]
    changes: dict[str, Any] = Field(
        default_factory=dict, description="For edit: name, measure, value, unit, qualifier, stretch"
    )
    note: str | None = Field(None, max_length=2000)


class BulkConfirm(BaseModel):
    item_ids: list[int] = Field(min_length=1, max_length=5000)


class BulkResult(BaseModel):
    confirmed: int


class SubtaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    text: str


class TaskRead(BaseModel):
    id: int
    number: str
    title: str
    children: list[SubtaskRead]
