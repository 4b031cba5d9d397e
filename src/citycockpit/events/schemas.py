"""API shapes of the events domain."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from citycockpit.core.coords import CoordSystem
from citycockpit.events.enums import Channel
from citycockpit.events.models import INTAKE_LIMITS, Event, EventTransition


class EventCreate(BaseModel):
    description: str = Field(
        "",
        max_length=INTAKE_LIMITS["description"],
        description="What the reporter says (≤ 4,000 characters).",
    )
    title: str | None = Field(None, max_length=INTAKE_LIMITS["title"])
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
    coord_system: CoordSystem = Field(
        CoordSystem.WGS84,
        description="The system lat/lon are in: wgs84 (GPS, a browser's geolocation), gcj02 (高德/腾讯/微信), "
        "bd09 (百度), cgcs2000 (taken as WGS84). Converted once to WGS84 at intake.",
    )
    address: str | None = Field(None, max_length=INTAKE_LIMITS["address"])
    grid_code: str | None = Field(None, description="15-digit grid code; empty: found from lat/lon")
    reporter_name: str | None = Field(None, max_length=INTAKE_LIMITS["reporter_name"])
    reporter_phone: str | None = Field(None, max_length=INTAKE_LIMITS["reporter_phone"])
    reporter_email: str | None = Field(None, max_length=INTAKE_LIMITS["reporter_email"])
    external_id: str | None = Field(
        None,
        max_length=INTAKE_LIMITS["external_id"],
        description="The source system's id (idempotency key): repeated for the same channel, 409 "
        "event_external_id_taken naming the stored event's public_id",
    )
    media_urls: list[Annotated[str, Field(max_length=INTAKE_LIMITS["media_url"])]] = Field(
        default_factory=list
    )
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
    lat: float | None = Field(description="WGS84 latitude (converted at intake)")
    lon: float | None = Field(description="WGS84 longitude (converted at intake)")
    location_accuracy_m: float | None
    received_lat: float | None = Field(None, description="The latitude as sent, in coord_system")
    received_lon: float | None = Field(None, description="The longitude as sent, in coord_system")
    coord_system: str | None = Field(None, description="The system the point was sent in")
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
    due_at: datetime | None = Field(
        None,
        description="when the part must be reported to the lead (events_assist_limit_share of the handle limit)",
    )
    is_overdue: bool = Field(False, description="open after its due_at (超期)")
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


def reporter_of(event: Event) -> dict[str, str | None]:
    """The event's personal data, to pass through `auth.pii.reveal` before anyone sees it."""
    return {"reporter_name": event.reporter_name, "reporter_phone": event.reporter_phone}


def event_read(event: Event, reporter: Mapping[str, str | None]) -> dict[str, Any]:
    """The event with `reporter` as `auth.pii.reveal` returned it for the caller (masked without
    pii:read; audited with it)."""
    fields = {name: getattr(event, name) for name in EventRead.model_fields if hasattr(event, name)}
    fields.update(reporter)
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


class PhotoRead(BaseModel):
    """A photo of an event: its step, what EXIF said, and where to fetch its metadata-free copies."""

    id: int
    step: str = Field(..., description="report (上报), handle (处置) or verify (核查)")
    sha256: str
    mime: str
    width: int
    height: int
    original_bytes: int
    taken_at: datetime | None = Field(None, description="EXIF time of taking, when the photo has one")
    lat: float | None = Field(None, description="EXIF GPS latitude, when the photo has one")
    lon: float | None = None
    uploaded_by: str
    uploaded_at: datetime
    distance_m: float | None = Field(None, description="metres from the event's point (EXIF GPS)")
    minutes_after_report: float | None = None
    minutes_after_dispatch: float | None = None
    flags: list[str] = Field(
        default_factory=list, description="far (beyond photos_flag_distance_m), before_dispatch"
    )
    display_url: str
    thumb_url: str


def photo_read(event: Event, check: Any) -> dict[str, Any]:
    """A PhotoRead from a `photos.PhotoCheck` of one of the event's photos."""
    p = check.photo
    base = f"/api/v1/events/{event.public_id}/photos/{p.id}"
    return {
        "id": p.id,
        "step": p.step,
        "sha256": p.sha256,
        "mime": p.mime,
        "width": p.width,
        "height": p.height,
        "original_bytes": p.original_bytes,
        "taken_at": p.taken_at,
        "lat": p.lat,
        "lon": p.lon,
        "uploaded_by": p.uploaded_by_name,
        "uploaded_at": p.uploaded_at,
        "distance_m": check.distance_m,
        "minutes_after_report": check.minutes_after_report,
        "minutes_after_dispatch": check.minutes_after_dispatch,
        "flags": check.flags,
        "display_url": f"{base}/display",
        "thumb_url": f"{base}/thumb",
    }
