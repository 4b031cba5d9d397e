from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile

from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.db import SessionDep
from citycockpit.report import service
from citycockpit.report.read import MAX_REPORT_BYTES
from citycockpit.report.schemas import (
    BulkConfirm,
    BulkResult,
    ItemReview,
    ReportIngested,
    ReportItemPage,
    ReportItemRead,
    ReportRead,
    ReportSummary,
    ReportText,
    SubtaskRead,
    TaskRead,
)

router = APIRouter(prefix="/api/v1/reports", tags=["report"])

Reader = Annotated[Principal, require(Perm.REPORT_READ)]
Ingester = Annotated[Principal, require(Perm.REPORT_INGEST)]
Reviewer = Annotated[Principal, require(Perm.REPORT_REVIEW)]


@router.get("", response_model=list[ReportSummary])
def list_reports(session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    return [
        {**ReportRead.model_validate(r).model_dump(), "counts": c} for r, c in service.list_reports(session)
    ]


@router.post("", response_model=ReportIngested, status_code=201)
def ingest_report(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: Ingester,
    allow_duplicate: bool = False,
    allow_partial: bool = False,
) -> dict[str, Any]:
    """Upload a report (.txt, .docx, .pdf; at most 20 MB); its items are stored for review. A text without
    a review, targets or task areas is refused (422) unless `allow_partial`; then `missing_parts` names them."""
    data = file.file.read(MAX_REPORT_BYTES + 1)
    report, ledger = service.ingest_report(
        session,
        data,
        file.filename or "upload.txt",
        actor=principal,
        now=request.app.state.clock.now(),
        allow_duplicate=allow_duplicate,
        allow_partial=allow_partial,
    )
    session.commit()
    return {**ReportRead.model_validate(report).model_dump(), "missing_parts": service.missing_parts(ledger)}


@router.get("/{report_id}", response_model=ReportRead)
def get_report(report_id: int, session: SessionDep, principal: Reader) -> object:
    return service.get_report(session, report_id)


@router.get("/{report_id}/text", response_model=ReportText)
def get_report_text(report_id: int, session: SessionDep, principal: Reader) -> dict[str, Any]:
    report = service.get_report(session, report_id)
    return {"id": report.id, "text": report.text}


@router.get("/{report_id}/ledger")
def get_ledger(report_id: int, session: SessionDep, principal: Reader) -> dict[str, Any]:
    """The ledger in the documented JSON shape, with reviewers' edits applied and rejected items left out."""
    return service.ledger_json(session, report_id)


@router.get("/{report_id}/tasks", response_model=list[TaskRead])
def list_tasks(report_id: int, session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    return [
        {
            "id": t.id,
            "number": t.number,
            "title": t.title,
            "children": [SubtaskRead.model_validate(s) for s in subs],
        }
        for t, subs in service.task_tree(session, report_id)
    ]


@router.get("/{report_id}/items", response_model=ReportItemPage)
def list_items(
    report_id: int,
    session: SessionDep,
    principal: Reader,
    list_name: Annotated[
        str | None, Query(alias="list", pattern="^(targets|qualitative_targets|actuals|commitments)$")
    ] = None,
    state: Annotated[str | None, Query(pattern="^(extracted|confirmed|edited|rejected)$")] = None,
    max_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    items, total = service.list_items(
        session,
        report_id,
        list_name=list_name,
        state=state,
        max_confidence=max_confidence,
        offset=offset,
        limit=limit,
    )
    return {
        "items": [ReportItemRead.model_validate(i) for i in items],
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@router.post("/items/{item_id}/review", response_model=ReportItemRead)
def review_item(
    item_id: int, body: ItemReview, request: Request, session: SessionDep, principal: Reviewer
) -> object:
    item = service.review_item(
        session,
        item_id,
        action=body.action,
        changes=body.changes,
        note=body.note,
        actor=principal,
        now=request.app.state.clock.now(),
    )
    session.commit()
    return item


@router.post("/{report_id}/items/confirm", response_model=BulkResult)
def confirm_items(
    report_id: int, body: BulkConfirm, request: Request, session: SessionDep, principal: Reviewer
) -> dict[str, int]:
    n = service.confirm_items(
        session, report_id, body.item_ids, actor=principal, now=request.app.state.clock.now()
    )
    session.commit()
    return {"confirmed": n}
