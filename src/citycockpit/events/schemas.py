"""API shapes of the events domain."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from citycockpit.auth import pii
from citycockpit.auth.principal import Principal
from citycockpit.events.enums import Channel
from citycockpit.events.models import Event, EventTransition


class EventCreate(BaseModel):
    description: str = Field("", max_length=4000, description="What the reporter says (≤ 4,000 characters).")
    title: str | None = Field(None, max_length=200)
    channel: Channel = Channel.API
    request_type: str | None = Field(None, description="consult/help/complaint/report/suggestion (咨询…建议)")
    category_code: str | None = Field(
        None, description="Minor category (小类), e.g. E0102; empty: classified"
    )
    lat: float | None = None
    lon: float | None = None
    location_accuracy_m: float | None = Field(
        None, description="How far off lat/lon may be, in metres (a phone's geolocation accuracy)"
    )
    address: str | None = Field(None, max_length=300)
    grid_code: str | None = Field(None, description="15-digit grid code; empty: found from lat/lon")
    reporter_name: str | None = Field(None, max_length=100)
    reporter_phone: str | None = Field(None, max_length=32)
    reporter_email: str | None = Field(None, max_length=200)
    external_id: str | None = Field(
        None, max_length=64, description="The source system's id (idempotency key)"
    )
    media_urls: list[str] = Field(default_factory=list)
    priority: str = "normal"


class ActionIn(BaseModel):
    version: int = Field(..., description="The version of the event you acted on (optimistic locking).")
    note: str | None = Field(None, max_length=4000)
    reason: str | None = Field(None, description="reject: an enumerated reason")
    original: str | None = Field(None, description="merge: id or public id of the original event")
    department_id: int | None = Field(None, description="dispatch/register: the handling department")
    assist_department_ids: list[int] = Field(
        default_factory=list,
        description="dispatch: co-operating departments (配合单位) besides the lead (牵头单位, department_id)",
    )
    category_code: str | None = Field(None, description="register: the minor category chosen in triage")
    extension: float | None = Field(None, description="request_extension: extra units of the category clock")
    photos: list[str] = Field(default_factory=list, description="handle: photo references")
    satisfaction: str | None = Field(
        None, description="rate: satisfied/basically_satisfied/unsatisfied/unreachable"
    )


class AssistIn(BaseModel):
    note: str | None = Field(None, max_length=4000, description="assist/handle: what your department did")


class RegisterDispatchIn(BaseModel):
    """立案 and 派遣 in one step, as the triage page does."""

    version: int = Field(..., description="The version of the event you acted on (optimistic locking).")
    category_code: str | None = Field(None, description="the minor category chosen (default: the routed one)")
    department_id: int | None = Field(None, description="the department (default: the category's rule)")
    note: str | None = Field(None, max_length=4000)


class TransitionRead(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    at: datetime
    actor_name: str
    actor_role: str | None
    department_id: int | None
    note: str | None
    data: dict[str, Any] | None


class SuggestionRead(BaseModel):
    """One category the classifier suggested at intake (stored then: a read never runs the model)."""

    category_code: str
    name: str
    score: float = Field(description="the model's confidence, 0–1")
    department_code: str | None = Field(description="the department routing gives this category here")


class EventRead(BaseModel):
    id: int
    public_id: str
    version: int
    state: str
    channel: str
    request_type: str | None
    title: str
    description: str
    category_code: str | None
    major_code: str | None
    department_id: int | None
    routing_source: str | None
    routing_rule: str | None
    routing_score: float | None
    routing_rule_id: int | None
    has_pending_objection: bool
    needs_triage: bool
    suggestions: list[SuggestionRead] = Field(
        default_factory=list,
        description="the classifier's top three categories, best first, for events it routed or left in "
        "triage (kept after a dispatcher chose)",
    )
    lat: float | None
    lon: float | None
    location_accuracy_m: float | None
    address: str | None
    grid_code: str | None
    town_code: str | None
    grid_method: str | None
    reporter_name: str | None
    reporter_phone: str | None
    priority: str
    reported_at: datetime
    reported_day: date
    registered_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    handled_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    rated_at: datetime | None
    clock_kind: str | None
    sign_due_at: datetime | None
    handle_due_at: datetime | None
    verify_due_at: datetime | None
    close_due_at: datetime | None
    has_pending_extension: bool
    supervision_level: int
    rework_count: int
    return_count: int
    extension_count: int
    reopen_count: int
    merged_into_id: int | None
    duplicate_count: int
    reject_reason: str | None
    result_text: str | None
    result_photos: list[str]
    satisfaction: str | None
    closed_by_center: bool
    repeat_of_id: int | None = Field(
        None, description="重复诉求: the caller's earlier ticket this one repeats"
    )
    repeat_seq: int | None = Field(
        None, description="重复诉求: which request of the caller's chain (2 = 第2次)"
    )


class DuplicateRead(BaseModel):
    event_id: int
    original_id: int
    distance_m: float | None
    hours_apart: float
    status: str


class CatalogueRuleRead(BaseModel):
    """A dispatch catalogue (派单目录) row: `position` is its number (第N条) in `version`."""

    id: int | None
    version: int
    position: int
    category_code: str
    department_code: str
    area_code: str | None
    keywords: list[str]


class CatalogueVersionRead(BaseModel):
    version: int
    published_at: datetime
    published_by: str
    source: str | None
    rule_count: int


class CatalogueRead(BaseModel):
    version: int
    rules: list[CatalogueRuleRead]
    versions: list[CatalogueVersionRead]


class CatalogueImportSummary(BaseModel):
    version: int
    rules: int
    added: int
    removed: int


class ObjectionRead(BaseModel):
    id: int
    department_id: int | None
    reason: str
    status: str
    raised_at: datetime
    raised_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    new_department_id: int | None


class ObjectionCountRead(BaseModel):
    category_code: str | None
    category_name: str | None
    total: int
    accepted: int
    refused: int
    pending: int


class AssistRead(BaseModel):
    """A co-operating department's part (配合单位) of a jointly handled event."""

    department_id: int
    state: str = Field(..., description="assigned (待签收) / signed (已签收) / handled (已反馈)")
    assigned_at: datetime
    signed_at: datetime | None
    signed_by: str | None
    handled_at: datetime | None
    handled_by: str | None
    note: str | None


class RepeatLink(BaseModel):
    id: int
    public_id: str
    seq: int | None
    state: str
    reported_at: datetime


class RepeatRead(BaseModel):
    """重复诉求: 第 `seq` 次, the earlier ticket and the later ones (no phone number: the link says it)."""

    seq: int | None
    earlier: RepeatLink | None
    later: list[RepeatLink]


class EventDetail(EventRead):
    timeline: list[TransitionRead]
    duplicates: list[DuplicateRead]
    routing_catalogue: CatalogueRuleRead | None = None
    objections: list[ObjectionRead] = Field(default_factory=list)
    allowed_actions: list[str]
    assists: list[AssistRead] = Field(default_factory=list)
    assist_actions: list[str] = Field(
        default_factory=list, description="assist_sign / assist_handle: the caller's co-operating step"
    )
    repeat: RepeatRead | None = None


class EventPage(BaseModel):
    items: list[EventRead]
    total: int
    offset: int
    limit: int


class ImportSummary(BaseModel):
    created: int
    updated: int = 0


class HistoryImportSummary(BaseModel):
    imported: int
    first_day: date | None
    last_day: date | None
    rollup_days: int


def event_read(event: Event, principal: Principal | None) -> dict[str, Any]:
    """The event as the caller may see it (reporter masked by auth's rules without pii:read)."""
    fields = {name: getattr(event, name) for name in EventRead.model_fields if hasattr(event, name)}
    fields.update(
        pii.shown(principal, {"reporter_name": event.reporter_name, "reporter_phone": event.reporter_phone})
    )
    fields["result_photos"] = json.loads(event.result_photos_json) if event.result_photos_json else []
    return fields


def transition_read(row: EventTransition) -> dict[str, Any]:
    return {
        "action": row.action,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "at": row.at,
        "actor_name": row.actor_name,
        "actor_role": row.actor_role,
        "department_id": row.department_id,
        "note": row.note,
        "data": json.loads(row.data_json) if row.data_json else None,
    }


def repeat_link(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "public_id": event.public_id,
        "seq": event.repeat_seq,
        "state": event.state,
        "reported_at": event.reported_at,
    }
