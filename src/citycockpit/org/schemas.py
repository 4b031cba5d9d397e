from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from citycockpit.core.pagination import Page


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    short_name: str | None
    kind: str
    parent_id: int | None
    area_code: str | None
    is_active: bool


class AreaRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    centroid_lat: float | None
    centroid_lon: float | None


class AreaDetail(AreaRead):
    geometry_geojson: str | None


class ImportSummary(BaseModel):
    created: dict[str, int]
    updated: dict[str, int]


DepartmentPage = Page[DepartmentRead]
AreaPage = Page[AreaRead]
