from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import Response

from citycockpit.auth.deps import client_ip, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core.params import ObjectId
from citycockpit.db import SessionDep
from citycockpit.org import boundaries, queries, service
from citycockpit.org.schemas import (
    AreaDetail,
    AreaPage,
    AreaRead,
    DepartmentPage,
    DepartmentRead,
    ImportSummary,
)

router = APIRouter(prefix="/api/v1/org", tags=["org"])

Reader = Annotated[Principal, require(Perm.ORG_READ)]
Writer = Annotated[Principal, require(Perm.ORG_WRITE)]


@router.get("/departments", response_model=DepartmentPage)
def list_departments(
    session: SessionDep,
    principal: Reader,
    kind: str | None = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, object]:
    items, total = service.list_departments(session, kind=kind, offset=offset, limit=limit)
    return {
        "items": [DepartmentRead.model_validate(d) for d in items],
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@router.get("/departments/{department_id}", response_model=DepartmentRead)
def get_department(department_id: ObjectId, session: SessionDep, principal: Reader) -> object:
    return service.get_department(session, department_id)


@router.get("/areas", response_model=AreaPage)
def list_areas(
    session: SessionDep,
    principal: Reader,
    parent_code: str | None = None,
    level: str | None = None,
    within: str | None = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, object]:
    """Areas the caller may read: an area-scoped caller (town, grid worker) gets its own subtree and the
    areas above it, never another town's; the others every area."""
    items, total = service.list_areas(
        session, principal, parent_code=parent_code, level=level, within=within, offset=offset, limit=limit
    )
    return {
        "items": [AreaRead.model_validate(a) for a in items],
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@router.get("/areas/outlines")
def area_outlines(
    session: SessionDep,
    principal: Reader,
    around: Annotated[
        str | None, Query(max_length=15, description="An area or grid code to centre on")
    ] = None,
) -> dict[str, Any]:
    """The outlines a workbench map draws (the town holding `around` and its villages), limited to the
    caller's scope: a scoped caller gets its own subtree and the outlines above it, never a 404."""
    return queries.area_outlines(session, principal, around)


@router.get("/areas/{code}", response_model=AreaDetail)
def get_area(code: str, session: SessionDep, principal: Reader) -> object:
    """One area with its outline (GeoJSON), if the caller may read it (as `/areas`); else 404."""
    return service.get_area(session, principal, code)


@router.post("/import", response_model=ImportSummary)
def import_org(
    request: Request, file: UploadFile, session: SessionDep, principal: Writer, encoding: str = "utf-8"
) -> object:
    data = file.file.read(service.tabular.MAX_IMPORT_BYTES + 1)
    result = service.import_org(
        session,
        data,
        file.filename or "upload",
        actor=principal,
        now=request.app.state.clock.now(),
        encoding=encoding,
        ip=client_ip(request),
    )
    session.commit()
    return {"created": result.created, "updated": result.updated}


class BoundaryFields:
    """The options of a boundary upload (multipart form fields)."""

    def __init__(
        self,
        code_field: Annotated[str, Form(max_length=64)] = "code",
        name_field: Annotated[str, Form(max_length=64)] = "name",
        level: Annotated[str | None, Form(pattern="^(town|village|grid)$")] = None,
        crs: Annotated[str | None, Form(max_length=64, description="e.g. EPSG:4549")] = None,
        encoding: Annotated[str | None, Form(max_length=32)] = None,
    ) -> None:
        self.options = {
            "code_field": code_field,
            "name_field": name_field,
            "level": level or None,
            "crs": crs or None,
            "encoding": encoding or None,
        }


def _check_upload(session: SessionDep, file: UploadFile, fields: BoundaryFields) -> boundaries.BoundaryCheck:
    data = file.file.read(service.tabular.MAX_IMPORT_BYTES + 1)
    return boundaries.check_boundaries(session, data, file.filename or "upload", **fields.options)  # type: ignore[arg-type]


@router.post("/boundaries")
def import_boundaries(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: Writer,
    fields: Annotated[BoundaryFields, Depends()],
    accept_warnings: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Import area boundaries (GeoJSON, or a zipped Shapefile); see `citycockpit org import-boundaries`.
    A refusal (422) names every bad feature, or counts the topology warnings not accepted."""
    check = _check_upload(session, file, fields)
    result = boundaries.store_boundaries(
        session,
        check,
        accept_warnings=accept_warnings,
        actor=principal,
        now=request.app.state.clock.now(),
        ip=client_ip(request),
    )
    session.commit()
    return {
        "crs": check.crs,
        "features": len(check.features),
        "created": result.created,
        "updated": result.updated,
        "warnings": [
            {
                "kind": f.kind,
                "code": f.code,
                "other": f.other or None,
                "area_m2": round(f.area_m2, 1),
                "lon": round(f.lon, 6),
                "lat": round(f.lat, 6),
            }
            for f in check.findings
        ],
    }


@router.post("/boundaries/report")
def boundary_report(
    file: UploadFile,
    session: SessionDep,
    principal: Writer,
    fields: Annotated[BoundaryFields, Depends()],
) -> Response:
    """The topology report (XLSX) of a boundary file, storing nothing."""
    check = _check_upload(session, file, fields)
    return Response(
        check.report_xlsx(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="topology-report.xlsx"'},
    )
