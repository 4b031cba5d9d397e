"""Ingest a report into a stored, reviewable ledger; list, show, review and export it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import Actor
from citycockpit.core.errors import AppError, Conflict, NotFound, Unprocessable
from citycockpit.report.enums import QUALIFIERS, ItemList, Measure, ReviewState
from citycockpit.report.ledger import extract_ledger
from citycockpit.report.models import GlossaryEntry, Report, ReportItem, ReportSubtask, ReportTask
from citycockpit.report.read import ReportReadError, read_report_bytes
from citycockpit.report.titles import task_title


class ReportFileRejected(AppError):
    """The file cannot be read as a report (empty, binary, scanned, too large, unsupported)."""

    status, code, title = 422, "report_unreadable", "Report file rejected"

    def __init__(self, exc: ReportReadError) -> None:
        super().__init__(str(exc.detail))
        self.status, self.code = exc.status, exc.code


class ReportNotFound(NotFound):
    code = "report_not_found"


class ReportItemNotFound(NotFound):
    code = "report_item_not_found"


class ReportAlreadyIngested(Conflict):
    code = "report_already_ingested"


class InvalidItemEdit(Unprocessable):
    code = "invalid_item_edit"


class ReportNotRecognised(Unprocessable):
    """Readable text in which no part of a government work report was found (a note, an unrelated text)."""

    code, title = "report_not_recognised", "Not a government work report"


class ReportPartsMissing(Unprocessable):
    """A report in which some of its parts were not found; stored only when the caller allows a partial one."""

    code, title = "report_parts_missing", "Report parts not found"


# The parts every government work report has, as they are named to the person ingesting it.
REPORT_PARTS = {
    "review": ("工作回顾", "a review of last year with its results"),
    "targets": ("主要预期目标", "the year's main targets"),
    "tasks": ("重点工作任务", "the numbered task areas"),
}


def missing_parts(ledger: Mapping[str, Any]) -> list[str]:
    """The parts of a work report (`REPORT_PARTS`) a ledger lacks: `review` when no result was found in a
    review part, `targets` when there is no 主要预期目标 list, `tasks` when there are no task areas."""
    found = {
        "review": bool(ledger["actuals"]),
        "targets": bool(ledger["targets"] or ledger["qualitative_targets"]),
        "tasks": bool(ledger["tasks"]),
    }
    return [name for name in REPORT_PARTS if not found[name]]


def describe_missing(missing: Sequence[str]) -> str:
    """``the year's main targets, the numbered task areas`` (a Chinese page names them through the
    catalogue, from the error's code)."""
    return ", ".join(REPORT_PARTS[name][1] for name in missing)


def _refuse_partial(filename: str, missing: list[str]) -> None:
    if len(missing) == len(REPORT_PARTS):
        raise ReportNotRecognised(
            f"{filename}: this does not read as a government work report (none of {describe_missing(missing)} "
            "was found); nothing was stored",
            missing=missing,
        )
    raise ReportPartsMissing(
        f"{filename}: {describe_missing(missing)} not found; nothing was stored: ingest it with "
        "allow_partial (CLI: --allow-partial) to store it without these parts",
        missing=missing,
    )


EDITABLE_FIELDS = ("name", "measure", "value", "unit", "qualifier", "stretch")


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def ingest_report(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: Actor,
    now: datetime,
    allow_duplicate: bool = False,
    allow_partial: bool = False,
) -> tuple[Report, dict[str, Any]]:
    """Read, structure and extract a report file and store it with every item in state `extracted`.

    A file that cannot be read raises ReportFileRejected and stores nothing. Text in which a part of a
    report (`missing_parts`: review, targets, task areas) is not found is refused, as ReportNotRecognised
    when none is found and ReportPartsMissing otherwise, unless `allow_partial`: then it is stored and the
    missing parts are audited with it (callers warn with `missing_parts(ledger)`). The same file (by SHA-256)
    is refused as a conflict unless `allow_duplicate`. Returns the report and its ledger JSON."""
    try:
        document = read_report_bytes(data, filename)
    except ReportReadError as exc:
        raise ReportFileRejected(exc) from exc
    digest = hashlib.sha256(data).hexdigest()
    if not allow_duplicate:
        existing = session.scalars(select(Report.id).where(Report.source_sha256 == digest)).first()
        if existing is not None:
            raise ReportAlreadyIngested(
                f"{filename} was already ingested as report {existing}", report_id=existing
            )
    ledger = extract_ledger(document.text)
    ledger_json = ledger.to_json(offsets=True)
    missing = missing_parts(ledger_json)
    if missing and not allow_partial:
        _refuse_partial(filename, missing)
    meta = ledger_json["report"]
    report = Report(
        title=(meta["title"] or filename)[:200],
        region=meta["region"],
        year=meta["year"],
        review_year=meta["review_year"],
        delivered_on=_date(meta["delivered_on"]),
        speaker=meta["speaker"],
        source_filename=filename[:255],
        source_type=document.file_type,
        source_sha256=digest,
        size_bytes=document.size_bytes,
        text=ledger.text,
        ingested_at=now,
        ingested_by=actor.display_name,
    )
    session.add(report)
    session.flush()

    commitment_subtask: dict[int, int] = {}
    for t_pos, task in enumerate(ledger.tasks):
        row = ReportTask(
            report_id=report.id,
            position=t_pos,
            number=task.number,
            title=task.title,
            start=task.start,
            end=task.end,
        )
        session.add(row)
        session.flush()
        for c_pos, child in enumerate(task.children):
            sub = ReportSubtask(
                task_id=row.id,
                position=c_pos,
                title=child.title,
                text=child.text,
                start=child.start,
                end=child.end,
            )
            session.add(sub)
            session.flush()
            for index in child.commitments:
                commitment_subtask[index] = sub.id

    items: list[ReportItem] = []
    for list_name in (ItemList.TARGET, ItemList.ACTUAL, ItemList.COMMITMENT):
        for pos, item in enumerate(ledger_json[list_name.value]):  # type: ignore[literal-required]
            contract = {
                k: item[k]
                for k in ("name", "measure", "value", "unit", "qualifier", "stretch", "quote", "confidence")
            }
            items.append(
                ReportItem(
                    report_id=report.id,
                    list_name=list_name.value,
                    position=pos,
                    subtask_id=commitment_subtask.get(pos) if list_name is ItemList.COMMITMENT else None,
                    name=item["name"],
                    measure=item["measure"],
                    value=float(item["value"]),
                    unit=item["unit"],
                    qualifier=item["qualifier"],
                    stretch=bool(item["stretch"]),
                    quote=item["quote"],
                    quote_start=item.get("quote_start"),
                    quote_end=item.get("quote_end"),
                    confidence=float(item["confidence"]),
                    review_state=ReviewState.EXTRACTED.value,
                    extracted_json=json.dumps(contract, ensure_ascii=False),
                )
            )
    for pos, qual in enumerate(ledger.qualitative_targets):
        items.append(
            ReportItem(
                report_id=report.id,
                list_name=ItemList.QUALITATIVE_TARGET.value,
                position=pos,
                name=qual.text,
                quote=qual.text,
                quote_start=qual.start,
                quote_end=qual.end,
                confidence=1.0,
                review_state=ReviewState.EXTRACTED.value,
                extracted_json=json.dumps({"text": qual.text}, ensure_ascii=False),
            )
        )
    session.add_all(items)
    session.add_all(
        GlossaryEntry(
            report_id=report.id, position=i, term=g.term[:200], definition=g.definition, page=g.page
        )
        for i, g in enumerate(ledger.glossary)
    )
    session.flush()
    counts = {
        name: len(ledger_json[name])
        for name in (
            "targets",
            "qualitative_targets",
            "actuals",
            "commitments",  # type: ignore[literal-required]
            "tasks",
            "glossary",
        )
    }
    audit.record(
        session,
        actor,
        "report.ingest",
        "report",
        report.id,
        at=now,
        diff={
            "file": filename,
            "sha256": digest,
            "counts": counts,
            **({"missing": missing} if missing else {}),
        },
    )
    return report, _strip_offsets(ledger_json)


def _strip_offsets(ledger_json: Any) -> dict[str, Any]:
    out = dict(ledger_json)
    for name in ("targets", "actuals", "commitments"):
        out[name] = [
            {k: v for k, v in item.items() if k not in ("quote_start", "quote_end")} for item in out[name]
        ]
    return out


def get_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise ReportNotFound(f"Report {report_id} does not exist", report_id=report_id)
    return report


def list_reports(session: Session) -> list[tuple[Report, dict[str, int]]]:
    """Reports, newest first, each with item counts per list and review state (one GROUP BY)."""
    reports = session.scalars(select(Report).order_by(Report.id.desc())).all()
    counts: dict[int, dict[str, int]] = {r.id: {} for r in reports}
    rows = session.execute(
        select(ReportItem.report_id, ReportItem.list_name, ReportItem.review_state, func.count()).group_by(
            ReportItem.report_id, ReportItem.list_name, ReportItem.review_state
        )
    ).all()
    for report_id, list_name, state, n in rows:
        bucket = counts.setdefault(report_id, {})
        bucket[list_name] = bucket.get(list_name, 0) + n
        bucket[state] = bucket.get(state, 0) + n
    return [(r, counts[r.id]) for r in reports]


def list_items(
    session: Session,
    report_id: int,
    *,
    list_name: str | None = None,
    state: str | None = None,
    max_confidence: float | None = None,
    offset: int = 0,
    limit: int = 200,
) -> tuple[list[ReportItem], int]:
    get_report(session, report_id)
    query = select(ReportItem).where(ReportItem.report_id == report_id)
    if list_name:
        query = query.where(ReportItem.list_name == ItemList(list_name).value)
    if state:
        query = query.where(ReportItem.review_state == ReviewState(state).value)
    if max_confidence is not None:
        query = query.where(ReportItem.confidence <= max_confidence)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (ReportItem.list_name, ReportItem.position)
    return list(session.scalars(query.order_by(*order).offset(offset).limit(limit)).all()), total


def item_task(quote: str, name: str) -> str | None:
    """The task an item belongs to as the report states it (report.titles.task_title): the clause that holds
    the item, trimmed to its verb phrase; None when the clause does not hold it."""
    return task_title(quote, name)


def get_item(session: Session, item_id: int) -> ReportItem:
    item = session.get(ReportItem, item_id)
    if item is None:
        raise ReportItemNotFound(f"Report item {item_id} does not exist", item_id=item_id)
    return item


def _validated_edit(item: ReportItem, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidItemEdit(f"These fields cannot be edited: {', '.join(sorted(unknown))}")
    if item.list_name == ItemList.QUALITATIVE_TARGET and set(changes) - {"name"}:
        raise InvalidItemEdit("A qualitative target only has a text (name)")
    out = dict(changes)
    if "name" in out and not str(out["name"] or "").strip():
        raise InvalidItemEdit("The name cannot be empty")
    if "measure" in out and out["measure"] not in {m.value for m in Measure}:
        raise InvalidItemEdit("measure must be level, growth or share")
    if "qualifier" in out and out["qualifier"] not in QUALIFIERS:
        raise InvalidItemEdit(f"qualifier must be one of {' '.join(QUALIFIERS)}")
    if "value" in out:
        try:
            out["value"] = float(out["value"])
        except (TypeError, ValueError) as exc:
            raise InvalidItemEdit("value must be a number") from exc
    return out


def review_item(
    session: Session,
    item_id: int,
    *,
    action: str,
    actor: Actor,
    now: datetime,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
) -> ReportItem:
    """Confirm, edit (fields change, state `edited`) or reject an item; who and when are kept, and
    the machine's original stays in `extracted_json`."""
    item = get_item(session, item_id)
    before = {"state": item.review_state, **{f: getattr(item, f) for f in EDITABLE_FIELDS}}
    if action == "confirm":
        item.review_state = ReviewState.CONFIRMED.value
    elif action == "reject":
        item.review_state = ReviewState.REJECTED.value
    elif action == "edit":
        edits = _validated_edit(item, changes or {})
        if not edits:
            raise InvalidItemEdit("An edit needs at least one changed field")
        for key, value in edits.items():
            setattr(item, key, value)
        item.review_state = ReviewState.EDITED.value
    elif action == "reset":
        item.review_state = ReviewState.EXTRACTED.value
    else:
        raise InvalidItemEdit(f"Unknown review action {action!r}: use confirm, edit, reject or reset")
    item.reviewed_by, item.reviewed_at, item.review_note = actor.display_name, now, note
    after = {"state": item.review_state, **{f: getattr(item, f) for f in EDITABLE_FIELDS}}
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit.record(
        session,
        actor,
        f"report_item.{action}",
        "report_item",
        item.id,
        at=now,
        diff={**diff, "note": note} if note else diff,
    )
    session.flush()
    return item


def confirm_items(
    session: Session, report_id: int, item_ids: Sequence[int], *, actor: Actor, now: datetime
) -> int:
    """Bulk confirm: every listed item of the report still in state `extracted` becomes confirmed."""
    get_report(session, report_id)
    items = session.scalars(
        select(ReportItem).where(
            ReportItem.report_id == report_id,
            ReportItem.id.in_(list(item_ids)),
            ReportItem.review_state == ReviewState.EXTRACTED.value,
        )
    ).all()
    for item in items:
        item.review_state, item.reviewed_by, item.reviewed_at = (
            ReviewState.CONFIRMED.value,
            actor.display_name,
            now,
        )
    audit.record(
        session,
        actor,
        "report_item.bulk_confirm",
        "report",
        report_id,
        at=now,
        diff={"items": [i.id for i in items]},
    )
    session.flush()
    return len(items)


def ledger_json(session: Session, report_id: int, *, include_rejected: bool = False) -> dict[str, Any]:
    """The report's ledger in the issue-4 JSON shape, with people's edits applied and rejected items left
    out (their indexes in the task tree are renumbered accordingly)."""
    report = get_report(session, report_id)
    items = session.scalars(
        select(ReportItem)
        .where(ReportItem.report_id == report_id)
        .order_by(ReportItem.list_name, ReportItem.position)
    ).all()
    out: dict[str, Any] = {
        "report": {
            "title": report.title,
            "region": report.region,
            "year": report.year,
            "review_year": report.review_year,
            "delivered_on": report.delivered_on.isoformat() if report.delivered_on else None,
            "speaker": report.speaker,
        },
        "targets": [],
        "qualitative_targets": [],
        "actuals": [],
        "commitments": [],
        "tasks": [],
        "glossary": [],
    }
    commitment_index: dict[int, list[int]] = {}
    for item in items:
        if item.review_state == ReviewState.REJECTED.value and not include_rejected:
            continue
        if item.list_name == ItemList.QUALITATIVE_TARGET.value:
            out["qualitative_targets"].append({"text": item.name})
            continue
        value: float | int | None = item.value
        if value is not None and float(value).is_integer():
            value = int(value)
        out[item.list_name].append(
            {
                "name": item.name,
                "measure": item.measure,
                "value": value,
                "unit": item.unit,
                "qualifier": item.qualifier,
                "stretch": item.stretch,
                "quote": item.quote,
                "confidence": item.confidence,
            }
        )
        if item.list_name == ItemList.COMMITMENT.value and item.subtask_id is not None:
            commitment_index.setdefault(item.subtask_id, []).append(len(out["commitments"]) - 1)
    for task, subs in task_tree(session, report_id):
        out["tasks"].append(
            {
                "number": task.number,
                "title": task.title,
                "children": [
                    {"title": s.title, "text": s.text, "commitments": commitment_index.get(s.id, [])}
                    for s in subs
                ],
            }
        )
    glossary = session.scalars(
        select(GlossaryEntry).where(GlossaryEntry.report_id == report_id).order_by(GlossaryEntry.position)
    ).all()
    out["glossary"] = [{"term": g.term, "definition": g.definition, "page": g.page} for g in glossary]
    return out


def task_tree(session: Session, report_id: int) -> list[tuple[ReportTask, list[ReportSubtask]]]:
    get_report(session, report_id)
    tasks = session.scalars(
        select(ReportTask).where(ReportTask.report_id == report_id).order_by(ReportTask.position)
    ).all()
    subs = session.scalars(
        select(ReportSubtask)
        .join(ReportTask)
        .where(ReportTask.report_id == report_id)
        .order_by(ReportSubtask.task_id, ReportSubtask.position)
    ).all()
    by_task: dict[int, list[ReportSubtask]] = {}
    for sub in subs:
        by_task.setdefault(sub.task_id, []).append(sub)
    return [(t, by_task.get(t.id, [])) for t in tasks]
