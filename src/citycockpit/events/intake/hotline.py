"""Hotline batch files (12345 CSV / XLSX): every row is checked first, nothing is stored if any is bad,
and good files are created in batches through the intake writer functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import tabular
from citycockpit.core.tabular import ImportFailed, Row, RowError
from citycockpit.events import routing
from citycockpit.events.enums import (
    REQUEST_TYPE_LABELS,
    Channel,
)
from citycockpit.events.errors import InvalidEventInput
from citycockpit.events.intake.service import (
    DEFAULT_REPEAT_WINDOW_DAYS,
    EventInput,
    Lookups,
    Submission,
    create_events,
    validate_input,
)
from citycockpit.events.models import Event, EventCategory
from citycockpit.events.sla import DEFAULT_CALENDAR, WorkCalendar

HOTLINE_BATCH = 500  # events inserted (and audited) together by a hotline import
HOTLINE_COLUMNS = [
    "external_id",
    "reported_at",
    "request_type",
    "category_code",
    "title",
    "description",
    "address",
    "lat",
    "lon",
    "coord_system",
    "grid_code",
    "reporter_name",
    "reporter_phone",
]
HOTLINE_ALIASES = {
    "工单编号": "external_id",
    "工单号": "external_id",
    "受理时间": "reported_at",
    "来电时间": "reported_at",
    "诉求类型": "request_type",
    "分类编码": "category_code",
    "小类编码": "category_code",
    "标题": "title",
    "诉求内容": "description",
    "内容": "description",
    "地址": "address",
    "纬度": "lat",
    "经度": "lon",
    "坐标系": "coord_system",
    "网格编码": "grid_code",
    "姓名": "reporter_name",
    "来电人": "reporter_name",
    "电话": "reporter_phone",
    "来电号码": "reporter_phone",
}
_TYPE_BY_LABEL = {label: t.value for t, label in REQUEST_TYPE_LABELS.items()}


def _cell(row: Row, key: str) -> str:
    value = row.values.get(key)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and key not in ("lat", "lon"):
        value = int(value)
    return str(value).strip()


def _row_input(
    row: Row, zone: Any, errors: list[RowError], coord_system: str | None = None
) -> EventInput | None:
    before = len(errors)

    def bad(reason: str) -> None:
        errors.append(RowError(row.file, row.number, reason, row.sheet))

    external_id = _cell(row, "external_id")
    if not external_id:
        bad("external_id (工单编号) is empty")
    raw_time = row.values.get("reported_at")
    reported_at = None
    if isinstance(raw_time, datetime):
        reported_at = raw_time if raw_time.tzinfo else raw_time.replace(tzinfo=zone)
    elif _cell(row, "reported_at"):
        try:
            parsed = datetime.fromisoformat(_cell(row, "reported_at").replace("/", "-"))
            reported_at = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
        except ValueError:
            bad(f"reported_at {_cell(row, 'reported_at')!r} is not a date and time (YYYY-MM-DD HH:MM)")
    request_type = _cell(row, "request_type")
    request_type = _TYPE_BY_LABEL.get(request_type, request_type) or None
    coords: dict[str, float | None] = {}
    for key in ("lat", "lon"):
        text = _cell(row, key)
        try:
            coords[key] = float(text) if text else None
        except ValueError:
            bad(f"{key} {text!r} is not a number")
    if len(errors) > before:
        return None
    return EventInput(
        description=_cell(row, "description"),
        channel=Channel.HOTLINE,
        title=_cell(row, "title") or None,
        request_type=request_type,
        category_code=_cell(row, "category_code") or None,
        lat=coords.get("lat"),
        lon=coords.get("lon"),
        coord_system=_cell(row, "coord_system") or coord_system,
        address=_cell(row, "address") or None,
        grid_code=_cell(row, "grid_code") or None,
        reporter_name=_cell(row, "reporter_name") or None,
        reporter_phone=_cell(row, "reporter_phone") or None,
        external_id=external_id,
        reported_at=reported_at,
    )


def stored_tickets(session: Session, tickets: list[str]) -> set[str]:
    """The hotline ticket numbers among `tickets` already stored, asked HOTLINE_BATCH at a time: one
    `IN (...)` over a whole file outgrows the databases' parameter limits (SQLite's 32,766, and
    PostgreSQL's 65,535 past which the driver fails) on a large file."""
    found: set[str] = set()
    for start in range(0, len(tickets), HOTLINE_BATCH):
        chunk = [t for t in tickets[start : start + HOTLINE_BATCH] if t]
        if chunk:
            found.update(
                session.scalars(
                    select(Event.external_id).where(
                        Event.channel == Channel.HOTLINE.value, Event.external_id.in_(chunk)
                    )
                )
            )
    return found


def import_hotline_file(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: Any,
    now: datetime,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    triage_threshold: float = routing.DEFAULT_TRIAGE_THRESHOLD,
    encoding: str = "utf-8",
    ip: str | None = None,
    repeat_window_days: float = DEFAULT_REPEAT_WINDOW_DAYS,
    coord_system: str | None = None,
) -> int:
    """Import 12345 hotline tickets (CSV or XLSX). Every row is checked first; one bad row stores nothing.
    A ticket number already imported is an error, so a file cannot be loaded twice. A row's 纬度/经度 are
    in its 坐标系 cell's system, else in `coord_system` (the file's), else WGS84."""
    kind = tabular.file_kind(filename)
    if kind == "csv":
        tables = [tabular.read_csv(data, filename, HOTLINE_ALIASES, encoding=encoding)]
    elif kind == "xlsx":
        tables = tabular.read_xlsx(data, filename, HOTLINE_ALIASES)[:1]
    else:
        raise ImportFailed([RowError(filename, None, "hotline tickets come as .csv or .xlsx")])
    for table in tables:
        missing = [c for c in ("external_id", "description") if c not in table.headers]
        if missing:
            raise ImportFailed([RowError(filename, 1, f"missing column(s) {', '.join(missing)}", table.name)])
    rows = [row for table in tables for row in table.rows]
    if not rows:
        raise ImportFailed([RowError(filename, None, "the file has no tickets")])
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    prepared: list[tuple[EventInput, EventCategory | None]] = []
    lookups = Lookups(session, whole=True)  # one read of the categories, one per grid code of the file
    ids = [_cell(r, "external_id") for r in rows]
    existing = stored_tickets(session, ids)
    for row in rows:
        item = _row_input(row, calendar.zone, errors, coord_system)
        if item is None:
            continue
        if item.external_id in seen:
            errors.append(
                RowError(
                    row.file, row.number, f"ticket {item.external_id} repeats row {seen[item.external_id]}"
                )
            )
            continue
        seen[item.external_id or ""] = row.number
        if item.external_id in existing:
            errors.append(RowError(row.file, row.number, f"ticket {item.external_id} was already imported"))
            continue
        category, problems = validate_input(session, item, lookups)
        for problem in problems:
            errors.append(
                RowError(row.file, row.number, problem, row.sheet, code=problem.code, params=problem.params)
            )
        if not problems:
            prepared.append((item, category))
    if errors:
        raise ImportFailed(errors, what="hotline file")
    for start in range(0, len(prepared), HOTLINE_BATCH):
        results = create_events(
            session,
            [
                Submission(item, actor, ip, category, True)
                for item, category in prepared[start : start + HOTLINE_BATCH]
            ],
            now=now,
            calendar=calendar,
            triage_threshold=triage_threshold,
            repeat_window_days=repeat_window_days,
        )
        refused = next((r for r in results if isinstance(r, InvalidEventInput)), None)
        if refused is not None:
            raise refused
    return len(prepared)
