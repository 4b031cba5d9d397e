"""Shared path and query parameter types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime

# Primary keys are 32-bit INTEGER on PostgreSQL; a larger id cannot exist, and SQLite's driver would
# overflow on it, so refuse it as invalid input (422) before it reaches the database.
MAX_ID = 2_147_483_647

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="Object id")]


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+14:00, 9999-12-31T23:59-14:00
        raise ValueError("the instant is outside the calendar once expressed in UTC") from exc


# An instant a client sends (an expiry, a deadline): with a time zone (a bare date or a local time
# is ambiguous, and compared with our aware clock it used to fail as a 500), converted to UTC, and
# refused (422 naming the field) when UTC cannot hold it.
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]
