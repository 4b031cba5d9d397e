"""Workbench pages for the report ledger (报告台账): the reports with their review backlog, one report's
text with each extracted item's quote highlighted, and the review forms (confirm, reject, reset, edit
one item; confirm a ticked batch). Reads and writes go through the report domain's service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core.errors import AppError
from citycockpit.db import SessionDep
from citycockpit.report import service as report_service
from citycockpit.report.enums import QUALIFIERS, ItemList, Measure, ReviewState
from citycockpit.web import i18n
from citycockpit.web.render import check_csrf, is_htmx, render

router = APIRouter(prefix="/app", tags=["pages"], include_in_schema=False)

ReportReader = Annotated[Principal, require(Perm.REPORT_READ)]
ReportReviewer = Annotated[Principal, require(Perm.REPORT_REVIEW)]
CsrfField = Annotated[str, Form()]


_t = i18n.request_text


@router.get("/reports")
def list_reports(request: Request, session: SessionDep, principal: ReportReader) -> Response:
    reports = [
        {
            "report": r,
            "items": sum(c.get(name.value, 0) for name in ItemList),
            "pending": c.get(ReviewState.EXTRACTED.value, 0),
        }
        for r, c in report_service.list_reports(session)
    ]
    return render(request, "app/reports.html", {"reports": reports})


def _highlighted(text: str, items: list[Any]) -> list[dict[str, Any]]:
    """The report text cut into segments; a segment covered by item quotes carries their ids."""
    bounds = {0, len(text)}
    spans = []
    for item in items:
        if item.quote_start is None or item.quote_end is None:
            continue
        start, end = max(0, item.quote_start), min(len(text), item.quote_end)
        if start < end:
            spans.append((start, end, item.id))
            bounds |= {start, end}
    cuts = sorted(bounds)
    segments = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        ids = [i for s, e, i in spans if s <= a and b <= e]
        starts = [i for s, _, i in spans if s == a]
        segments.append({"text": text[a:b], "ids": ids, "anchors": starts})
    return segments


@router.get("/reports/{report_id}")
def review_report(
    report_id: int,
    request: Request,
    session: SessionDep,
    principal: ReportReader,
    list_name: Annotated[str, Query(alias="list")] = ItemList.TARGET.value,
    state: Annotated[str, Query()] = "",
) -> Response:
    report = report_service.get_report(session, report_id)
    if list_name not in {x.value for x in ItemList}:
        list_name = ItemList.TARGET.value
    state = state if state in {s.value for s in ReviewState} else ""
    items, total = report_service.list_items(
        session, report_id, list_name=list_name, state=state or None, limit=500
    )
    return render(
        request,
        "app/review.html",
        {
            "report": report,
            "items": items,
            "total": total,
            "list_name": list_name,
            "state": state,
            "lists": [x.value for x in ItemList],
            "states": [s.value for s in ReviewState],
            "segments": _highlighted(report.text, items),
            "qualifiers": QUALIFIERS,
            "measures": [m.value for m in Measure],
            "can_review": principal.can(Perm.REPORT_REVIEW),
            "can_make_goals": principal.can(Perm.GOALS_MANAGE),
        },
    )


def _edit_errors(request: Request, item: Any, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate the edit form with messages in the reader's language; returns (changes, errors)."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = _t(request, "form.required")
    elif len(name) > 500:
        errors["name"] = _t(request, "form.too_long", n=500)
    elif name != item.name:
        changes["name"] = name
    if item.list_name != ItemList.QUALITATIVE_TARGET.value:
        raw_value = form.get("value", "").strip()
        try:
            value = float(raw_value)
        except ValueError:
            errors["value"] = _t(request, "form.not_number") if raw_value else _t(request, "form.required")
        else:
            if value != item.value:
                changes["value"] = value
        unit = form.get("unit", "").strip()
        if len(unit) > 32:
            errors["unit"] = _t(request, "form.too_long", n=32)
        elif unit != (item.unit or ""):
            changes["unit"] = unit or None
        qualifier = form.get("qualifier", "")
        if qualifier not in QUALIFIERS:
            errors["qualifier"] = _t(request, "form.required")
        elif qualifier != item.qualifier:
            changes["qualifier"] = qualifier
        measure = form.get("measure", "")
        if measure not in {m.value for m in Measure}:
            errors["measure"] = _t(request, "form.required")
        elif measure != item.measure:
            changes["measure"] = measure
    return changes, errors


def _item_card(request: Request, item: Any, **extra: Any) -> Response:
    return render(
        request,
        "app/review_item.html",
        {
            "item": item,
            "qualifiers": QUALIFIERS,
            "measures": [m.value for m in Measure],
            "can_review": True,
            **extra,
        },
    )


@router.post("/reports/items/{item_id}/review")
def review_item(
    item_id: int,
    request: Request,
    session: SessionDep,
    principal: ReportReviewer,
    csrf_token: CsrfField = "",
    action: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    qualifier: Annotated[str, Form()] = "",
    measure: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Confirm, reject, reset or edit one item; htmx swaps the item's card, a plain post redirects back."""
    check_csrf(request, principal, csrf_token)
    item = report_service.get_item(session, item_id)
    changes: dict[str, Any] | None = None
    if action == "edit":
        form = {"name": name, "value": value, "unit": unit, "qualifier": qualifier, "measure": measure}
        changes, errors = _edit_errors(request, item, form)
        if errors or not changes:
            if not errors:
                errors = {"name": _t(request, "review.no_change")}
            return _item_card(request, item, errors=errors, form=form, editing=True)
    try:
        with session.begin_nested():  # a refused change undoes only itself
            item = report_service.review_item(
                session,
                item_id,
                action=action,
                changes=changes,
                note=note.strip() or None,
                actor=principal,
                now=request.app.state.clock.now(),
            )
    except AppError as exc:
        return _item_card(
            request, report_service.get_item(session, item_id), error=i18n.request_error_text(request, exc)
        )
    session.commit()
    if is_htmx(request):
        return _item_card(request, item)
    return RedirectResponse(f"/app/reports/{item.report_id}?list={item.list_name}", status_code=303)


@router.post("/reports/{report_id}/confirm")
def confirm_items(
    report_id: int,
    request: Request,
    session: SessionDep,
    principal: ReportReviewer,
    csrf_token: CsrfField = "",
    item_ids: Annotated[list[int] | None, Form()] = None,
    list_name: Annotated[str, Form(alias="list")] = ItemList.TARGET.value,
) -> Response:
    check_csrf(request, principal, csrf_token)
    n = report_service.confirm_items(
        session, report_id, item_ids or [], actor=principal, now=request.app.state.clock.now()
    )
    session.commit()
    if list_name not in {x.value for x in ItemList}:
        list_name = ItemList.TARGET.value
    return RedirectResponse(f"/app/reports/{report_id}?list={list_name}&done={n}", status_code=303)
