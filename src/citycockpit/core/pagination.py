"""One page shape for every list endpoint."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")


class PageParams(BaseModel):
    offset: int = 0
    limit: int = 50


def page_params(
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Rows to return (at most 500)")] = 50,
) -> PageParams:
    return PageParams(offset=offset, limit=limit)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int
