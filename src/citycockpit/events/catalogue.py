"""The dispatch catalogue (派单目录): which department handles each minor category, with area exceptions
(a development zone's management committee handles a category inside its area subtree) and keywords
(a row that applies when the request's text contains one of them).

The 12345 centre edits it as a spreadsheet: export, change, import. Every import is checked whole (one
bad row stores nothing, every bad row is named) and publishes a new version; old versions stay readable
and each event keeps the id of the row that routed it. Version 0 is the categories' own default
departments (`event_categories.default_department_code`): before the first import, and for a category a
version has no row for, routing falls back to it, and exporting version 0 writes one row per category,
the starting point of the first edit.

Routing picks the most specific row that applies: keyword + area > area > keyword > the category's
plain row; among equals the longer (deeper) area, then the earlier row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.errors import NotFound
from citycockpit.core.tabular import ImportFailed, Row, RowError, first_occurrence
from citycockpit.events.models import DispatchCatalogueRule, DispatchCatalogueVersion, EventCategory
from citycockpit.org.models import Area, Department

TOWN = "@town"  # the town/street government of the event's area (属地), as in the categories
COLUMNS = [
    ("position", "条目"),
    ("category_code", "分类编码"),
    ("category_name", "分类名称"),
    ("department", "承办单位"),
    ("department_name", "承办单位名称"),
    ("area_code", "区域编码"),
    ("area_name", "区域名称"),
    ("keywords", "关键词"),
]
HEADER_ALIASES = {
    **tabular.header_aliases(COLUMNS),
    "小类编码": "category_code",
    "分类": "category_code",
    "部门": "department",
    "承办单位编码": "department",
    "责任部门": "department",
    "区域例外": "area_code",
    "功能区": "area_code",
    "序号": "position",
}
_KEYWORD_SPLIT = re.compile(r"[,，、;；\s]+")
MAX_KEYWORDS_CHARS = 300


class CatalogueVersionNotFound(NotFound):
    code = "catalogue_version_not_found"


@dataclass(frozen=True)
class CatalogueRule:
    """A catalogue row as routing reads it."""

    id: int | None
    version: int
    position: int
    category_code: str
    department_code: str
    area_code: str | None
    keywords: tuple[str, ...]

    @property
    def specificity(self) -> int:
        """3 keyword + area, 2 area, 1 keyword, 0 the category's plain row."""
        return 2 * bool(self.area_code) + bool(self.keywords)


def split_keywords(text: str | None) -> tuple[str, ...]:
    return tuple(k for k in _KEYWORD_SPLIT.split(text or "") if k)


def choose_rule(rules: list[CatalogueRule], *, text: str, area_code: str | None) -> CatalogueRule | None:
    """The most specific row of one category that applies to a request's text and area (None: none
    does; routing then takes the category's default department)."""
    applicable = [
        r
        for r in rules
        if (not r.area_code or (area_code or "").startswith(r.area_code))
        and (not r.keywords or any(k in text for k in r.keywords))
    ]
    if not applicable:
        return None
    return max(applicable, key=lambda r: (r.specificity, len(r.area_code or ""), -r.position))


# Built once and read as Core rows, not ORM objects: the intake writer reads the newest version's rows
# on every batch, and loading a few hundred rule objects cost more than the batch's routing (issue 24).
_VERSIONS = cast(Table, DispatchCatalogueVersion.__table__)
_RULES = cast(Table, DispatchCatalogueRule.__table__)
_NEWEST = select(_VERSIONS.c.id, _VERSIONS.c.number).order_by(_VERSIONS.c.number.desc()).limit(1)
_NUMBERED = select(_VERSIONS.c.id, _VERSIONS.c.number).where(_VERSIONS.c.number == bindparam("number"))
_RULES_OF = (
    select(
        _RULES.c.id,
        _RULES.c.position,
        _RULES.c.category_code,
        _RULES.c.department_code,
        _RULES.c.area_code,
        _RULES.c.keywords,
    )
    .where(_RULES.c.version_id == bindparam("version_id"))
    .order_by(_RULES.c.position)
)


def _newest_version(session: Session) -> tuple[int, int] | None:
    """The newest published version's (id, number); None before the first import."""
    row = session.execute(_NEWEST).first()
    return (row.id, row.number) if row else None


def current_rules(session: Session) -> dict[str, list[CatalogueRule]]:
    """The rows of the newest version by category code (empty before the first import: version 0)."""
    version = _newest_version(session)
    if version is None:
        return {}
    by_category: dict[str, list[CatalogueRule]] = {}
    for rule in _rules_of(session, *version):
        by_category.setdefault(rule.category_code, []).append(rule)
    return by_category


def _rules_of(session: Session, version_id: int, number: int) -> list[CatalogueRule]:
    return [
        CatalogueRule(
            r.id,
            number,
            r.position,
            r.category_code,
            r.department_code,
            r.area_code,
            split_keywords(r.keywords),
        )
        for r in session.execute(_RULES_OF, {"version_id": version_id})
    ]


def _version_zero(session: Session) -> list[CatalogueRule]:
    """The categories' own default departments, one plain row per active minor category."""
    rows = session.execute(
        select(EventCategory.code, EventCategory.default_department_code)
        .where(
            EventCategory.level == "minor",
            EventCategory.is_active.is_(True),
            EventCategory.default_department_code.is_not(None),
        )
        .order_by(EventCategory.code)
    ).all()
    return [
        CatalogueRule(None, 0, i, code, dept or "", None, ()) for i, (code, dept) in enumerate(rows, start=1)
    ]


def list_versions(session: Session) -> list[DispatchCatalogueVersion]:
    """Every published version, newest first."""
    return list(
        session.scalars(select(DispatchCatalogueVersion).order_by(DispatchCatalogueVersion.number.desc()))
    )


def version_rules(session: Session, number: int | None = None) -> tuple[int, list[CatalogueRule]]:
    """A version's rows (the newest when `number` is None; 0: the categories' defaults)."""
    if number is None:
        newest = _newest_version(session)
        return (newest[1], _rules_of(session, *newest)) if newest else (0, _version_zero(session))
    if number == 0:
        return 0, _version_zero(session)
    row = session.execute(_NUMBERED, {"number": number}).first()
    if row is None:
        raise CatalogueVersionNotFound(
            f"The dispatch catalogue has no version {number}", catalogue_version=number
        )
    return number, _rules_of(session, row.id, number)


def find_rule(session: Session, rule_id: int | None) -> CatalogueRule | None:
    """The catalogue row an event was routed by (its version may no longer be the newest)."""
    if rule_id is None:
        return None
    row = session.execute(
        select(DispatchCatalogueRule, DispatchCatalogueVersion.number)
        .join(DispatchCatalogueVersion, DispatchCatalogueVersion.id == DispatchCatalogueRule.version_id)
        .where(DispatchCatalogueRule.id == rule_id)
    ).first()
    if row is None:
        return None
    r, number = row
    return CatalogueRule(
        r.id, number, r.position, r.category_code, r.department_code, r.area_code, split_keywords(r.keywords)
    )


# ---- spreadsheet round trip ------------------------------------------------------------------------


@dataclass(frozen=True)
class NamedRule:
    """A catalogue row with the names of its category, department and area, as people read it."""

    rule: CatalogueRule
    category_name: str | None
    department_name: str | None
    area_name: str | None


def _names(session: Session, code: Any, name: Any) -> dict[str, str]:
    return {row[0]: row[1] for row in session.execute(select(code, name))}


def named_rules(session: Session, number: int | None = None) -> tuple[int, list[NamedRule]]:
    """A version's rows (the newest by default) with their names."""
    version, rules = version_rules(session, number)
    categories = _names(session, EventCategory.code, EventCategory.name)
    departments = _names(session, Department.code, Department.name)
    areas = _names(session, Area.code, Area.name)
    departments[TOWN] = "属地镇（街道）"
    return version, [
        NamedRule(
            r,
            categories.get(r.category_code),
            departments.get(r.department_code),
            areas.get(r.area_code) if r.area_code else None,
        )
        for r in rules
    ]


def export_catalogue(session: Session, kind: str = "xlsx", *, number: int | None = None) -> bytes:
    """A version (the newest by default) in the format `import_catalogue` reads, with the category,
    department and area names beside their codes for the reader (ignored on import)."""
    _, named = named_rules(session, number)
    rows = [
        [
            n.rule.position,
            n.rule.category_code,
            n.category_name,
            n.rule.department_code,
            n.department_name,
            n.rule.area_code,
            n.area_name,
            "、".join(n.rule.keywords) or None,
        ]
        for n in named
    ]
    headers = [header for _, header in COLUMNS]
    if kind == "csv":
        return tabular.write_csv(headers, rows)
    return tabular.write_xlsx({"派单目录": (headers, rows)})


def _read_rows(data: bytes, filename: str, encoding: str) -> list[Row]:
    kind = tabular.file_kind(filename)
    if kind == "yaml":
        raise ImportFailed(
            [RowError(filename, None, "the catalogue is a .xlsx or .csv file", code="file_type")]
        )
    if kind == "csv":
        table = tabular.read_csv(data, filename, HEADER_ALIASES, encoding=encoding)
    else:
        table = tabular.read_xlsx(data, filename, HEADER_ALIASES)[0]
    missing = [h for k, h in COLUMNS if k in ("category_code", "department") and k not in table.headers]
    tabular.require_columns(filename, missing, sheet=table.name)
    return table.rows


def _department_codes(session: Session) -> dict[str, str]:
    """Department code, full name or short name → code (a spreadsheet may name a department)."""
    known: dict[str, str] = {}
    for code, name, short, active in session.execute(
        select(Department.code, Department.name, Department.short_name, Department.is_active)
    ):
        if not active:
            continue
        known[code] = code
        known.setdefault(name, code)
        if short:
            known.setdefault(short, code)
    known[TOWN] = TOWN
    return known


def _parse(session: Session, rows: list[Row]) -> tuple[list[dict[str, Any]], list[RowError]]:
    categories = set(
        session.scalars(
            select(EventCategory.code).where(
                EventCategory.level == "minor", EventCategory.is_active.is_(True)
            )
        )
    )
    departments = _department_codes(session)
    area_codes = set(session.scalars(select(Area.code)))
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    for row in rows:
        before = len(errors)
        code = row.text("category_code")
        department = row.text("department")
        area = row.text("area_code") or None
        keywords = split_keywords(row.text("keywords"))
        if not code:
            errors.append(row.error("分类编码 (category_code) is empty", "分类编码", code="empty"))
        elif code not in categories:
            errors.append(
                row.error(
                    f"分类编码 {code} is not an active minor category",
                    "分类编码",
                    code="unknown_category",
                    value=code,
                )
            )
        if not department:
            errors.append(row.error("承办单位 (department) is empty", "承办单位", code="empty"))
        elif department not in departments:
            errors.append(
                row.error(
                    f"承办单位 {department} is not an active department code or name",
                    "承办单位",
                    code="unknown_department",
                    value=department,
                )
            )
        if area is not None and area not in area_codes:
            errors.append(
                row.error(f"区域编码 {area} is not an area code", "区域编码", code="unknown_area", value=area)
            )
        keyword_text = ",".join(keywords) or None
        if keyword_text and len(keyword_text) > MAX_KEYWORDS_CHARS:
            errors.append(
                row.error(
                    f"关键词 are longer than {MAX_KEYWORDS_CHARS} characters",
                    "关键词",
                    code="keywords_too_long",
                    max=MAX_KEYWORDS_CHARS,
                )
            )
        if len(errors) > before:
            continue
        key = f"{code} {area or '—'} {'、'.join(sorted(keywords)) or '—'}"
        if not first_occurrence(seen, key, row, errors, label="category, area and keywords"):
            continue
        parsed.append(
            {
                "category_code": code,
                "department_code": departments[department],
                "area_code": area,
                "keywords": keyword_text,
            }
        )
    return parsed, errors


@dataclass
class CatalogueImportResult:
    version: int
    rules: int
    added: int
    removed: int


def _signature(category: str, dept: str, area: str | None, keywords: tuple[str, ...]) -> tuple[Any, ...]:
    return (category, dept, area, tuple(sorted(keywords)))


def import_catalogue(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: Actor,
    now: datetime,
    encoding: str = "utf-8",
    ip: str | None = None,
) -> CatalogueImportResult:
    """Publish a new catalogue version from a spreadsheet: every row is checked first and one bad row
    stores nothing; rows are numbered (第N条) in file order. The audit entry names the rows added and
    removed against the previous version."""
    parsed, errors = _parse(session, _read_rows(data, filename, encoding))
    if not parsed and not errors:
        errors.append(RowError(filename, None, "the catalogue has no rows", code="no_rows"))
    if errors:
        raise ImportFailed(errors, what="dispatch catalogue")
    previous_number, previous = version_rules(session)
    number = (session.scalar(select(func.max(DispatchCatalogueVersion.number))) or 0) + 1
    version = DispatchCatalogueVersion(
        number=number,
        published_at=now,
        published_by=actor.display_name[:100],
        source=filename[:200],
        rule_count=len(parsed),
    )
    session.add(version)
    session.flush()
    session.add_all(
        DispatchCatalogueRule(version_id=version.id, position=i, **item)
        for i, item in enumerate(parsed, start=1)
    )
    session.flush()
    old = {_signature(r.category_code, r.department_code, r.area_code, r.keywords) for r in previous}
    new = {
        _signature(i["category_code"], i["department_code"], i["area_code"], split_keywords(i["keywords"]))
        for i in parsed
    }
    added, removed = sorted(new - old, key=str), sorted(old - new, key=str)
    audit.record(
        session,
        actor,
        "events.catalogue.publish",
        "dispatch_catalogue",
        number,
        diff={
            "file": filename,
            "version": number,
            "previous_version": previous_number,
            "rules": len(parsed),
            "added": [_describe(s) for s in added[:50]],
            "removed": [_describe(s) for s in removed[:50]],
            "added_count": len(added),
            "removed_count": len(removed),
        },
        ip=ip,
        at=now,
    )
    return CatalogueImportResult(number, len(parsed), len(added), len(removed))


def _describe(signature: tuple[Any, ...]) -> str:
    category, dept, area, keywords = signature
    where = f" @{area}" if area else ""
    words = f" [{'、'.join(keywords)}]" if keywords else ""
    return f"{category}{where}{words}→{dept}"
