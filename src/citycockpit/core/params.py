"""Shared path and query parameter types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# Primary keys are 32-bit INTEGER on PostgreSQL; a larger id cannot exist, and SQLite's driver would
# overflow on it, so refuse it as invalid input (422) before it reaches the database.
MAX_ID = 2_147_483_647

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="Object id")]
