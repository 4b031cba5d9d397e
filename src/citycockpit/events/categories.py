"""Category trees (部件, 事件, 热线诉求): import (all or nothing, errors by row), export, reads.

The shipped file `data/categories.yaml` is an editable starting point; every city sets its own limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.listing import Listing
from citycockpit.core.tabular import ImportFailed, Row, RowError, first_occurrence
from citycockpit.events import photos, routing
from citycockpit.events.enums import CategoryKind, ClockKind
from citycockpit.events.errors import CategoryNotFound
from citycockpit.events.models import EventCategory
from citycockpit.org.models import Department

COLUMNS = [
    "code",
    "name",
    "kind",
    "parent_code",
    "department",
    "clock_kind",
    "sign_limit",
    "handle_limit",
    "verify_limit",
    "onsite_verification",
    "duplicate_radius_m",
    "duplicate_window_h",
    "keywords",
    "photo_steps",
]
HEADER_ALIASES = {
    "编码": "code",
    "代码": "code",
    "名称": "name",
    "类型": "kind",
    "上级编码": "parent_code",
    "大类编码": "parent_code",
    "责任部门": "department",
    "默认部门": "department",
    "计时方式": "clock_kind",
    "签收时限": "sign_limit",
    "处置时限": "handle_limit",
    "核查时限": "verify_limit",
    "现场核查": "onsite_verification",
    "重复半径米": "duplicate_radius_m",
    "重复窗口小时": "duplicate_window_h",
    "关键词": "keywords",
    "照片环节": "photo_steps",
    "需拍照环节": "photo_steps",
    "parent": "parent_code",
    "department_code": "department",
}
KIND_PREFIX = {CategoryKind.COMPONENT: "C", CategoryKind.EVENT: "E", CategoryKind.HOTLINE: "H"}
_TRUE = {"true", "1", "yes", "y", "是", "需要"}
_FALSE = {"false", "0", "no", "n", "否", "不需要", ""}


@dataclass
class CategoryImportResult:
    created: int = 0
    updated: int = 0


def shipped_categories_file() -> bytes:
    return resources.files("citycockpit.events").joinpath("data/categories.yaml").read_bytes()


def _rows(data: bytes, filename: str, encoding: str) -> list[Row]:
    kind = tabular.file_kind(filename)
    if kind == "yaml":
        doc = tabular.read_yaml(data, filename)
        items = doc.get("categories") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise ImportFailed(
                [
                    RowError(
                        filename, None, "the YAML must hold a `categories` list", code="categories_yaml_shape"
                    )
                ]
            )
        rows = []
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise ImportFailed(
                    [RowError(filename, i, f"item {i} is not a mapping", code="not_a_mapping")]
                )
            values = {tabular.normalise_header(k, HEADER_ALIASES): v for k, v in item.items()}
            rows.append(Row(filename, i, values))
        return rows
    if kind == "csv":
        table = tabular.read_csv(data, filename, HEADER_ALIASES, encoding=encoding)
        tables = [table]
    else:
        tables = tabular.read_xlsx(data, filename, HEADER_ALIASES)[:1]
    for table in tables:
        missing = [c for c in ("code", "name") if c not in table.headers]
        tabular.require_columns(filename, missing, sheet=table.name)
    return [row for table in tables for row in table.rows]


def _parse(session: Session, rows: list[Row]) -> tuple[list[dict[str, Any]], list[RowError]]:
    errors: list[RowError] = []
    departments = set(session.scalars(select(Department.code)).all())
    existing = set(session.scalars(select(EventCategory.code)).all())
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    for row in rows:
        before = len(errors)
        code, name = row.text("code"), row.text("name")
        if not code or len(code) > 16 or not code[0].isalpha() or not code[1:].isdigit():
            errors.append(
                row.error(f"code {code!r} must be a letter then digits", code="category_code", value=code)
            )
            continue
        if not first_occurrence(seen, code, row, errors):
            continue
        if not name:
            errors.append(row.error("name is empty", code="name_empty"))
        kind_text = row.text("kind") or {v: k for k, v in KIND_PREFIX.items()}.get(code[0], "")
        try:
            kind = CategoryKind(kind_text)
        except ValueError:
            errors.append(
                row.error(
                    f"kind {kind_text!r} is not component/event/hotline",
                    code="category_kind",
                    value=kind_text,
                )
            )
            continue
        parent = row.text("parent_code")
        item: dict[str, Any] = {"row": row, "code": code, "name": name, "kind": kind, "parent_code": None}
        if not parent:
            item["level"] = "major"
            if len(errors) == before:
                parsed.append(item)
            continue
        item["level"] = "minor"
        item["parent_code"] = parent
        if not code.startswith(parent):
            errors.append(
                row.error(
                    f"code {code} does not start with its parent {parent}",
                    code="code_parent_prefix",
                    value=code,
                    parent=parent,
                )
            )
        department = row.text("department")
        if not department:
            errors.append(row.error("a minor category needs a department", code="minor_needs_department"))
        elif department not in departments and department != "@town":
            errors.append(
                row.error(
                    f"unknown department code {department}", code="unknown_department_code", value=department
                )
            )
        clock_text = row.text("clock_kind") or ClockKind.WORK_HOURS.value
        try:
            clock = ClockKind(clock_text)
        except ValueError:
            errors.append(
                row.error(
                    f"clock_kind {clock_text!r} is not one of {', '.join(k.value for k in ClockKind)}",
                    code="clock_kind",
                    value=clock_text,
                )
            )
            clock = ClockKind.WORK_HOURS
        limits = {
            k: row.numeric(k, errors, above_zero=True) for k in ("sign_limit", "handle_limit", "verify_limit")
        }
        if limits["handle_limit"] is None and len(errors) == before:
            errors.append(
                RowError(
                    row.file, row.number, "handle_limit is required", row.sheet, code="handle_limit_required"
                )
            )
        onsite_raw = row.text("onsite_verification").lower()
        if onsite_raw not in _TRUE | _FALSE:
            errors.append(
                row.error(
                    f"onsite_verification {onsite_raw!r} is not true/false",
                    code="not_boolean",
                    value=onsite_raw,
                )
            )
        try:
            photo_steps = photos.parse_photo_steps(row.text("photo_steps"))
        except ValueError as exc:
            errors.append(row.error(str(exc), code="photo_steps", value=row.text("photo_steps")))
            photo_steps = []
        item.update(
            photo_steps=",".join(photo_steps) or None,
            department=department,
            clock_kind=clock,
            onsite=onsite_raw in _TRUE,
            radius=row.numeric("duplicate_radius_m", errors, above_zero=True),
            window=row.numeric("duplicate_window_h", errors, above_zero=True),
            keywords=row.text("keywords") or None,
            **limits,
        )
        if len(errors) == before:
            parsed.append(item)
    known_majors = {p["code"] for p in parsed if p["level"] == "major"} | {c for c in existing if len(c) == 3}
    for item in parsed:
        if item["parent_code"] and item["parent_code"] not in known_majors:
            row = item["row"]
            errors.append(
                row.error(
                    f"unknown parent code {item['parent_code']}",
                    code="unknown_parent",
                    value=item["parent_code"],
                )
            )
    return parsed, errors


def import_categories(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: Actor,
    now: datetime,
    encoding: str = "utf-8",
    ip: str | None = None,
) -> CategoryImportResult:
    """Create or update categories by code. Every row is checked first; one bad row stores nothing."""
    parsed, errors = _parse(session, _rows(data, filename, encoding))
    if errors:
        raise ImportFailed(errors, what="category file")
    by_code = {c.code: c for c in session.scalars(select(EventCategory)).all()}
    result = CategoryImportResult()
    for order, item in enumerate(parsed):
        category = by_code.get(item["code"])
        if category is None:
            category = EventCategory(code=item["code"])
            session.add(category)
            result.created += 1
        else:
            result.updated += 1
        category.name = item["name"]
        category.kind = item["kind"].value
        category.level = item["level"]
        category.parent_code = item["parent_code"]
        category.sort_order = order
        category.is_active = True
        category.updated_at = now
        if item["level"] == "minor":
            category.default_department_code = item["department"]
            category.clock_kind = item["clock_kind"].value
            category.sign_limit = item["sign_limit"]
            category.handle_limit = item["handle_limit"]
            category.verify_limit = item["verify_limit"]
            category.requires_onsite_verification = item["onsite"]
            category.duplicate_radius_m = item["radius"]
            category.duplicate_window_h = item["window"]
            category.keywords = item["keywords"]
            category.photo_steps = item["photo_steps"]
        else:
            category.photo_steps = None
            category.clock_kind = ClockKind.WORK_HOURS.value
            category.requires_onsite_verification = False
    session.flush()
    audit.record(
        session,
        actor,
        "events.categories.import",
        "event_category",
        None,
        diff={"file": filename, "created": result.created, "updated": result.updated},
        ip=ip,
        at=now,
    )
    return result


def _export_rows(session: Session) -> list[list[Any]]:
    out = []
    for c in session.scalars(select(EventCategory).order_by(EventCategory.sort_order, EventCategory.code)):
        minor = c.level == "minor"
        out.append(
            [
                c.code,
                c.name,
                c.kind,
                c.parent_code,
                c.default_department_code if minor else None,
                c.clock_kind if minor else None,
                c.sign_limit,
                c.handle_limit,
                c.verify_limit,
                c.requires_onsite_verification if minor else None,
                c.duplicate_radius_m,
                c.duplicate_window_h,
                c.keywords,
                c.photo_steps if minor else None,
            ]
        )
    return out


def export_categories(session: Session, kind: str) -> bytes:
    """The categories in the format `import_categories` reads (yaml, csv or xlsx)."""
    rows = _export_rows(session)
    if kind == "csv":
        return tabular.write_csv(COLUMNS, rows)
    if kind == "xlsx":
        return tabular.write_xlsx({"categories": (COLUMNS, rows)})
    items = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    return yaml.safe_dump({"categories": items}, allow_unicode=True, sort_keys=False).encode("utf-8")


def get_category(session: Session, code: str) -> EventCategory:
    category = session.scalars(select(EventCategory).where(EventCategory.code == code)).first()
    if category is None:
        raise CategoryNotFound(f"Category {code} does not exist", category_code=code)
    return category


def get_minor_category(session: Session, code: str) -> EventCategory:
    category = get_category(session, code)
    if category.level != "minor":
        raise CategoryNotFound(
            f"{code} is a major class; choose one of its minor categories", category_code=code
        )
    return category


def list_categories(
    session: Session, *, kind: str | None = None, minor_only: bool = False
) -> list[EventCategory]:
    stmt = select(EventCategory).where(EventCategory.is_active.is_(True))
    if kind:
        stmt = stmt.where(EventCategory.kind == kind)
    if minor_only:
        stmt = stmt.where(EventCategory.level == "minor")
    return list(session.scalars(stmt.order_by(EventCategory.sort_order, EventCategory.code)))


def find_category(session: Session, code: str) -> EventCategory | None:
    """A category by code, or None when there is none (the event page shows an event whose category
    was removed)."""
    return session.scalars(select(EventCategory).where(EventCategory.code == code)).first()


def list_report_categories(session: Session) -> list[EventCategory]:
    """The active minor categories in code order: the choices of the workbench's report form."""
    return list(
        session.scalars(
            select(EventCategory)
            .where(EventCategory.level == "minor", EventCategory.is_active.is_(True))
            .order_by(EventCategory.code)
        )
    )


def categories_listing() -> Listing:
    """Every category, both levels, active or not; rows are (EventCategory,). Sortable by code, name,
    kind, department, clock and the sign, handle and verify limits; by code unless asked."""
    return Listing(
        select(EventCategory),
        sorts={
            "code": EventCategory.code,
            "name": EventCategory.name,
            "kind": EventCategory.kind,
            "department": EventCategory.default_department_code,
            "clock": EventCategory.clock_kind,
            "sign": EventCategory.sign_limit,
            "handle": EventCategory.handle_limit,
            "verify": EventCategory.verify_limit,
        },
        default_order=(EventCategory.code,),
    )


def search_minor_categories(session: Session, text: str, *, limit: int = 12) -> list[EventCategory]:
    """Active minor categories whose name, code or keywords contain `text` (the triage page's picker),
    name matches first, then in code order."""
    needle = text.strip().lower()
    if not needle:
        return []
    name_hit = func.lower(EventCategory.name).contains(needle, autoescape=True)
    return list(
        session.scalars(
            select(EventCategory)
            .where(
                EventCategory.level == "minor",
                EventCategory.is_active.is_(True),
                or_(
                    name_hit,
                    func.lower(EventCategory.code).contains(needle, autoescape=True),
                    func.lower(func.coalesce(EventCategory.keywords, "")).contains(needle, autoescape=True),
                ),
            )
            .order_by(case((name_hit, 0), else_=1), EventCategory.code)
            .limit(limit)
        )
    )


def rule_department_id(
    session: Session, category: EventCategory, *, text: str, area_code: str | None
) -> int | None:
    """The department routing gives `category` for a request's text and place: the dispatch catalogue's
    most specific row, else the category's default (routing.catalogue_department); the triage page
    prefills it."""
    return routing.catalogue_department(session, category, text=text, area_code=area_code).department_id


def department_id_by_code(session: Session, code: str | None) -> int | None:
    """A department's id by its code (a suggestion names its department by code)."""
    return routing.department_id_for(session, code) if code and code != routing.TOWN else None
