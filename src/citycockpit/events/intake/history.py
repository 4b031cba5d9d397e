"""A city's 12345 history (历史工单): closed tickets from before the cockpit, loaded from CSV or XLSX as
closed (or rated) events marked `is_history`.

The file is streamed and written in batches inside one savepoint: every row is checked, bad rows are
named (file, row, column, reason), and if any is bad the savepoint is rolled back, so nothing is
stored. Ticket numbers are checked against the database one batch at a time (never one `IN (...)`
over the whole file). Each event gets one timeline row; the import gets one audit entry; the rollups
of the days it touched are recomputed. Which KPIs count history: events/analytics/definitions.py."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core import tabular
from citycockpit.core.tabular import ErrorList, Row, RowError
from citycockpit.core.text import clean_text
from citycockpit.events.analytics import rollup
from citycockpit.events.enums import (
    REQUEST_TYPE_LABELS,
    Channel,
    EventState,
    GridMethod,
    Satisfaction,
    SystemAction,
)
from citycockpit.events.intake.service import (
    DEFAULT_REPEAT_WINDOW_DAYS,
    NEW_EVENT_COUNTS,
    EventInput,
    Lookups,
    actor_fields,
    check_fields,
    find_repeats,
    link_batch_repeats,
    located_point,
    new_public_id,
)
from citycockpit.events.models import Event, EventCategory, EventTransition
from citycockpit.org.models import Department

HISTORY_BATCH = 1000  # rows checked against the database and inserted together
# (key, the header a 12345 export uses); other headers the same column goes by are in HISTORY_ALIASES.
HISTORY_COLUMNS = (
    ("external_id", "工单编号"),
    ("reported_at", "受理时间"),
    ("title", "标题"),
    ("description", "诉求内容"),
    ("request_type", "诉求类型"),
    ("category_code", "分类编码"),
    ("category_name", "分类名称"),
    ("department", "承办单位"),
    ("closed_at", "办结时间"),
    ("result_text", "办理结果"),
    ("satisfaction", "满意度"),
    ("address", "地址"),
    ("lon", "经度"),
    ("lat", "纬度"),
    ("coord_system", "坐标系"),
    ("grid_code", "网格编码"),
    ("reporter_phone", "来电号码"),
)
HEADER = dict(HISTORY_COLUMNS)
HISTORY_ALIASES = {
    **tabular.header_aliases([(k, h) for k, h in HISTORY_COLUMNS]),
    "工单号": "external_id",
    "来电时间": "reported_at",
    "内容": "description",
    "小类编码": "category_code",
    "小类名称": "category_name",
    "诉求分类": "category_name",
    "承办部门": "department",
    "办理单位": "department",
    "结案时间": "closed_at",
    "答复内容": "result_text",
    "回访满意度": "satisfaction",
    "满意度评价": "satisfaction",
    "联系电话": "reporter_phone",
    "电话": "reporter_phone",
    "来电人电话": "reporter_phone",
}
MAX_PHONE = 32  # events.reporter_phone
REQUIRED = ("external_id", "reported_at", "description", "department", "closed_at")
SATISFACTION_WORDS = {
    "满意": Satisfaction.SATISFIED,
    "非常满意": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.BASICALLY_SATISFIED,
    "不满意": Satisfaction.UNSATISFIED,
    "未联系上": Satisfaction.UNREACHABLE,
}
NOT_CALLED_BACK = ("", "未回访", "无")  # no callback was made: the event stays closed, not rated
_TYPE_BY_LABEL = {label: t.value for t, label in REQUEST_TYPE_LABELS.items()}
# the intake's field names (check_fields' Problem.field) → the file's column headers
_FIELD_HEADER = {
    "lat": "纬度",
    "lon": "经度",
    "description": "诉求内容",
    "title": "标题",
    "address": "地址",
    "external_id": "工单编号",
    "coord_system": "坐标系",
}


@dataclass
class HistoryResult:
    imported: int
    first_day: date | None
    last_day: date | None
    rollup_days: int


class _Refs:
    """Categories (by code and by name) and departments (by code, name or short name), read once."""

    def __init__(self, session: Session, lookups: Lookups) -> None:
        table = EventCategory.__table__
        self.by_code: dict[str, Any] = {}
        self.by_name: dict[str, Any] = {}
        ambiguous: set[str] = set()
        for row in session.execute(select(table).where(table.c.level == "minor")).mappings():
            self.by_code[row["code"]] = row
            if row["name"] in self.by_name:
                ambiguous.add(row["name"])
            self.by_name[row["name"]] = row
        self.ambiguous_names = ambiguous
        self.departments: dict[str, int] = {}
        for id_, code, name, short in session.execute(
            select(Department.id, Department.code, Department.name, Department.short_name)
        ):
            for key in (short, name, code):  # a code wins over a name that happens to equal it
                if key:
                    self.departments[key] = id_
        self.lookups = lookups


def _text(row: Row, key: str) -> str:
    value = row.values.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and key not in ("lat", "lon"):
        value = int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return clean_text(str(value)).strip()  # the intake's one normalisation (core.text)


def _instant(row: Row, key: str, zone: ZoneInfo, bad: Any) -> datetime | None:
    raw = row.values.get(key)
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=zone)
    text = _text(row, key)
    if not text:
        bad(key, "is empty", "empty")
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        bad(key, f"{text!r} is not a date and time (YYYY-MM-DD HH:MM)", "bad_datetime", value=text)
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _row_event(
    row: Row,
    refs: _Refs,
    errors: ErrorList,
    *,
    zone: ZoneInfo,
    now: datetime,
    actor: Any,
    coord_system: str | None = None,
) -> dict[str, Any] | None:
    """The events row for one line of the file, or None after adding each of its problems to errors."""
    before = errors.total

    def bad(key: str | None, reason: str, code: str, **params: Any) -> None:
        errors.add(row.error(reason, HEADER.get(key or "", key), code=code, **params))

    for key in ("external_id", "description", "department"):
        if not _text(row, key):
            bad(key, "is empty", "empty")
    reported_at = _instant(row, "reported_at", zone, bad)
    closed_at = _instant(row, "closed_at", zone, bad)
    if reported_at and closed_at:
        if closed_at < reported_at:
            bad(
                "closed_at", "is before the time the ticket was received (受理时间)", "closed_before_received"
            )
        if closed_at > now:
            bad("closed_at", "is in the future: only closed tickets are history", "closed_in_future")
    category = None
    code, name = _text(row, "category_code"), _text(row, "category_name")
    if code:
        category = refs.by_code.get(code)
        if category is None:
            bad("category_code", f"unknown minor category {code}", "unknown_category", value=code)
    elif name:
        category = refs.by_name.get(name)
        if category is None:
            bad("category_name", f"unknown minor category {name}", "unknown_category", value=name)
        elif name in refs.ambiguous_names:
            bad(
                "category_name",
                f"several minor categories are named {name}: give 分类编码",
                "ambiguous_category",
                value=name,
            )
    else:
        bad("category_code", "is empty (give 分类编码 or 分类名称)", "category_missing")
    department = _text(row, "department")
    department_id = refs.departments.get(department)
    if department and department_id is None:
        bad("department", f"unknown department {department}", "unknown_department", value=department)
    sat_text = _text(row, "satisfaction")
    satisfaction = SATISFACTION_WORDS.get(sat_text)
    if satisfaction is None and sat_text not in NOT_CALLED_BACK:
        bad(
            "satisfaction",
            f"{sat_text!r} is not one of 满意, 基本满意, 不满意, 未回访",
            "bad_satisfaction",
            value=sat_text,
        )
    request_type = _text(row, "request_type")
    request_type = _TYPE_BY_LABEL.get(request_type, request_type)
    coords: dict[str, float | None] = {}
    for key in ("lat", "lon"):
        text = _text(row, key)
        try:
            coords[key] = float(text) if text else None
        except ValueError:
            bad(key, f"{text!r} is not a number", "not_a_number", value=text)
    phone = _text(row, "reporter_phone")
    if len(phone) > MAX_PHONE:
        bad("reporter_phone", f"is longer than {MAX_PHONE} characters", "phone_too_long", max=MAX_PHONE)
    grid_code = _text(row, "grid_code") or None
    if grid_code and not refs.lookups.grid_exists(grid_code):
        bad("grid_code", f"unknown grid code {grid_code}", "unknown_grid", value=grid_code)
    data = EventInput(
        description=_text(row, "description"),
        channel=Channel.HOTLINE,
        title=_text(row, "title") or None,
        address=_text(row, "address") or None,
        external_id=_text(row, "external_id") or None,
        request_type=request_type or None,
        lat=coords.get("lat"),
        lon=coords.get("lon"),
        coord_system=_text(row, "coord_system") or coord_system,
    )
    for problem in check_fields(data):  # the intake's own checks: length, ranges, request type
        if problem.code != "description_required":
            header = _FIELD_HEADER.get(problem.field or "") or HEADER.get(problem.field or "")
            errors.add(row.error(problem, header, code=problem.code, **problem.params))
    if errors.total > before:
        return None
    assert reported_at and closed_at and category is not None
    point = located_point(data)  # WGS84, and the point as the file gave it
    method = GridMethod.GIVEN if grid_code else None
    if grid_code is None and point["lat"] is not None and point["lon"] is not None:
        found = refs.lookups.grid_index().locate(point["lat"], point["lon"])
        if found:
            grid_code, method = found
    local_reported, local_closed = reported_at.astimezone(zone), closed_at.astimezone(zone)
    rated = satisfaction is not None
    title = data.title or data.description[:40]
    return {
        **NEW_EVENT_COUNTS,
        "public_id": new_public_id(local_reported),
        "version": 1,
        "channel": Channel.HOTLINE.value,
        "request_type": request_type or None,
        "external_id": data.external_id,
        "title": title[:200],
        "description": data.description,
        "reported_by_id": None,
        "reported_by_name": actor.display_name[:100],
        # the caller: masked like any reporter's (auth/pii.py), and what links repeated requests
        "reporter_phone": phone or None,
        "is_test": False,
        "is_history": True,
        **point,
        "address": data.address,
        "grid_code": grid_code,
        "village_code": grid_code[:12] if grid_code else None,
        "town_code": grid_code[:9] if grid_code else None,
        "grid_method": method.value if method else None,
        "category_code": category["code"],
        "major_code": category["parent_code"],
        "category_kind": category["kind"],
        "clock_kind": category["clock_kind"],
        "priority": "normal",
        "department_id": department_id,
        "department_count": 1,
        "routing_rule": "history",
        "needs_triage": False,
        "state": (EventState.RATED if rated else EventState.CLOSED).value,
        "reported_at": reported_at,
        "reported_day": local_reported.date(),
        "closed_at": closed_at,
        "closed_day": local_closed.date(),
        # the callback's own time is not in a 12345 export: the close stands for it
        "rated_at": closed_at if rated else None,
        "satisfaction": satisfaction.value if satisfaction else None,
        "callback_reached": (satisfaction is not Satisfaction.UNREACHABLE) if rated else None,
        "result_text": _text(row, "result_text") or None,
        "updated_at": now,
    }


def _batches(rows: Iterator[Row], size: int) -> Iterable[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch


def import_history_file(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: Any,
    now: datetime,
    zone: ZoneInfo,
    encoding: str = "utf-8",
    ip: str | None = None,
    repeat_window_days: float = DEFAULT_REPEAT_WINDOW_DAYS,
    coord_system: str | None = None,
) -> HistoryResult:
    """Import closed 12345 tickets as history: each row becomes a closed event (rated when 满意度 gives a
    callback result) marked `is_history`, with one timeline row; a row with the caller's phone
    (来电号码) is linked to the same caller's earlier ticket in its category within
    `repeat_window_days` (重复诉求, `intake.find_repeats`: earlier rows of the file and stored events); the import is audited once and the
    rollups of the days it covers are recomputed. All or nothing: one bad row, or a ticket number
    already present (stored, or twice in the file), stores nothing and every bad row is named. A row's
    纬度/经度 are in its 坐标系 cell's system, else in `coord_system` (the file's), else WGS84."""
    headers, rows = tabular.stream_rows(data, filename, HISTORY_ALIASES, encoding=encoding)
    missing = [HEADER[k] for k in REQUIRED if k not in headers]
    if "category_code" not in headers and "category_name" not in headers:
        missing.append("分类编码 or 分类名称")
    tabular.require_columns(filename, missing, what="history file")
    refs = _Refs(session, Lookups(session))
    errors = ErrorList()
    seen: dict[str, int] = {}
    imported = 0
    first_day: date | None = None
    last_day: date | None = None
    events, transitions = cast(Table, Event.__table__), cast(Table, EventTransition.__table__)
    savepoint = session.begin_nested()
    try:
        for batch in _batches(rows, HISTORY_BATCH):
            built: list[tuple[Row, dict[str, Any]]] = []
            for row in batch:
                event = _row_event(
                    row, refs, errors, zone=zone, now=now, actor=actor, coord_system=coord_system
                )
                ticket = _text(row, "external_id")
                if ticket:
                    if ticket in seen:
                        errors.add(
                            row.error(
                                f"ticket {ticket} repeats row {seen[ticket]}",
                                HEADER["external_id"],
                                code="ticket_repeats",
                                value=ticket,
                                first=seen[ticket],
                            )
                        )
                        continue
                    seen[ticket] = row.number
                if event is not None:
                    built.append((row, event))
            present = (
                set(
                    session.scalars(
                        select(events.c.external_id).where(
                            events.c.channel == Channel.HOTLINE.value,
                            events.c.external_id.in_([e["external_id"] for _, e in built]),
                        )
                    )
                )
                if built
                else set()
            )
            for row, event in built:
                if event["external_id"] in present:
                    errors.add(
                        row.error(
                            f"ticket {event['external_id']} is already stored",
                            HEADER["external_id"],
                            code="ticket_stored",
                            value=event["external_id"],
                        )
                    )
            if errors:
                continue  # keep checking the rest of the file, store nothing more
            # 重复诉求 with the caller's phone, as at live intake (the one rule: intake.find_repeats)
            pending = find_repeats(session, [e for _, e in built], window_days=repeat_window_days)
            returned = session.execute(
                insert(events).returning(events.c.public_id, events.c.id), [e for _, e in built]
            ).all()
            ids: dict[str, int] = dict(returned)  # type: ignore[arg-type]
            for _, e in built:
                e["id"] = ids[e["public_id"]]
            link_batch_repeats(session, pending)
            who = actor_fields(actor)
            session.execute(
                insert(transitions),
                [
                    {
                        "event_id": ids[e["public_id"]],
                        "action": SystemAction.IMPORT_HISTORY.value,
                        "from_state": None,
                        "to_state": e["state"],
                        "at": e["closed_at"],
                        "note": "历史工单导入",
                        "department_id": e["department_id"],
                        "data_json": json.dumps({"file": filename, "row": row.number}, ensure_ascii=False),
                        **who,
                    }
                    for row, e in built
                ],
            )
            imported += len(built)
            days = [d for _, e in built for d in (e["reported_day"], e["closed_day"])]
            first_day = min([*days, *([first_day] if first_day else [])])
            last_day = max([*days, *([last_day] if last_day else [])])
        if not errors and not imported:
            errors.add(RowError(filename, None, "the file has no tickets", code="no_tickets"))
        errors.raise_if_any(what="history file")
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    audit.record(
        session,
        actor,
        "event.import_history",
        "event",
        None,
        diff={"file": filename, "imported": imported, "from": str(first_day), "to": str(last_day)},
        ip=ip,
        at=now,
    )
    assert first_day is not None and last_day is not None
    result = rollup.recompute_days(session, first_day, last_day, zone=zone, now=now)
    session.flush()
    return HistoryResult(imported, first_day, last_day, result.days)
