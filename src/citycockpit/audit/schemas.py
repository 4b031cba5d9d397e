"""API shapes for the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str | None
    ip: str | None
    diff: dict[str, Any] = Field(validation_alias="diff_json")
    prev_hash: str
    hash: str

    @field_validator("diff", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value or "{}") if isinstance(value, str) else value


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    total: int
    offset: int
    limit: int


class ChainCheckRead(BaseModel):
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str | None
    keyed_from: int | None = Field(
        None, description="The first entry with an HMAC; entries before it are the old unkeyed chain."
    )
    anchors_checked: int = Field(0, description="Anchors from the anchor file the chain was checked against.")
