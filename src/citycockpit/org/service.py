"""Departments and areas: import (all or nothing), export, reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.dialect import code_within
from citycockpit.core.errors import NotFound
from citycockpit.core.tabular import ImportFailed, Row, RowError, first_occurrence
from citycockpit.org.enums import AREA_CODE_LENGTH, PARENT_LEVEL, AreaLevel, DepartmentKind
from citycockpit.org.models import Area, Department
from citycockpit.org.queries import visible_areas

AREA_COLUMNS = ["code", "name", "level", "parent_code", "lat", "lon", "geometry"]
DEPARTMENT_COLUMNS = ["code", "name", "short_name", "kind", "parent_code", "area_code"]

HEADER_ALIASES = {
    "编码": "code",
    "代码": "code",
    "名称": "name",
    "简称": "short_name",
    "层级": "level",
    "级别": "level",
    "类型": "kind",
    "上级编码": "parent_code",
    "上级代码": "parent_code",
    "纬度": "lat",
    "经度": "lon",
    "边界": "geometry",
    "所属区域": "area_code",
    "区域编码": "area_code",
    "parent": "parent_code",
    "latitude": "lat",
    "longitude": "lon",
    "geojson": "geometry",
}
SHEET_ALIASES = {"areas": "areas", "区域": "areas", "departments": "departments", "部门": "departments"}


class AreaNotFound(NotFound):
    code = "area_not_found"


class DepartmentNotFound(NotFound):
    code = "department_not_found"


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: {"areas": 0, "departments": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"areas": 0, "departments": 0})


def _tables_from_file(data: bytes, filename: str, *, encoding: str) -> dict[str, list[Row]]:
    kind = tabular.file_kind(filename)
    if kind == "yaml":
        doc = tabular.read_yaml(data, filename)
        if not isinstance(doc, dict) or not ({"areas", "departments"} & set(doc)):
            raise ImportFailed(
                [
                    RowError(
                        filename,
                        None,
                        "the YAML must have an `areas` and/or `departments` list",
                        code="org_yaml_shape",
                    )
                ]
            )
        out: dict[str, list[Row]] = {}
        for table_name in ("areas", "departments"):
            items = doc.get(table_name) or []
            if not isinstance(items, list):
                raise ImportFailed(
                    [RowError(filename, None, f"`{table_name}` must be a list", code="org_yaml_shape")]
                )
            rows = []
            for i, item in enumerate(items, start=1):
                if not isinstance(item, dict):
                    raise ImportFailed(
                        [
                            RowError(
                                filename, i, f"{table_name} item {i} is not a mapping", code="not_a_mapping"
                            )
                        ]
                    )
                values = {tabular.normalise_header(k, HEADER_ALIASES): v for k, v in item.items()}
                rows.append(Row(filename, i, values, sheet=table_name))
            out[table_name] = rows
        return out
    if kind == "csv":
        table = tabular.read_csv(data, filename, HEADER_ALIASES, encoding=encoding)
        table_name = "areas" if "level" in table.headers or "lat" in table.headers else "departments"
        if "kind" not in table.headers and table_name == "departments":
            table_name = "areas"
        _require_columns(filename, None, table.headers, table_name)
        return {table_name: table.rows}
    out = {}
    for sheet in tabular.read_xlsx(data, filename, HEADER_ALIASES):
        name = SHEET_ALIASES.get((sheet.name or "").strip().lower()) or SHEET_ALIASES.get(sheet.name or "")
        if name is None:
            raise ImportFailed(
                [
                    RowError(
                        filename,
                        None,
                        f"sheet {sheet.name!r} is neither `areas` nor `departments`",
                        sheet.name,
                        code="org_bad_sheet",
                        params={"value": sheet.name},
                    )
                ]
            )
        _require_columns(filename, sheet.name, sheet.headers, name)
        out[name] = sheet.rows
    return out


def _require_columns(filename: str, sheet: str | None, headers: list[str], table: str) -> None:
    needed = ["code", "name"] + (["kind"] if table == "departments" else [])
    tabular.require_columns(
        filename, [c for c in needed if c not in headers], sheet=sheet, where=f" in the {table} header"
    )


def _geometry(row: Row, errors: list[RowError]) -> str | None:
    raw = row.values.get("geometry")
    if raw in (None, ""):
        return None
    try:
        geo = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        errors.append(
            RowError(
                row.file, row.number, "geometry is not valid GeoJSON text", row.sheet, code="bad_geometry"
            )
        )
        return None
    if isinstance(geo, dict) and geo.get("type") == "Feature":
        geo = geo.get("geometry")
    if not isinstance(geo, dict) or geo.get("type") not in ("Polygon", "MultiPolygon"):
        errors.append(row.error("geometry must be a GeoJSON Polygon or MultiPolygon", code="bad_geometry"))
        return None
    return json.dumps(geo, separators=(",", ":"))


def _validate_areas(session: Session, rows: list[Row], errors: list[RowError]) -> list[dict[str, Any]]:
    existing = dict(session.execute(select(Area.code, Area.level)).all())
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    for row in rows:
        code, name = row.text("code"), row.text("name")
        problems_before = len(errors)
        if not code.isdigit() or len(code) not in (6, 9, 12, 15):
            errors.append(
                row.error(f"code {code!r} must be 6, 9, 12 or 15 digits", code="area_code_digits", value=code)
            )
            continue
        if not first_occurrence(seen, code, row, errors):
            continue
        if not name:
            errors.append(row.error("name is empty", code="name_empty"))
        by_length = {v: k for k, v in AREA_CODE_LENGTH.items()}[len(code)]
        level_text = row.text("level") or by_length.value
        try:
            level = AreaLevel(level_text)
        except ValueError:
            errors.append(
                row.error(
                    f"level {level_text!r} is not one of city/town/village/grid",
                    code="area_level",
                    value=level_text,
                )
            )
            continue
        if AREA_CODE_LENGTH[level] != len(code):
            errors.append(
                row.error(
                    f"a {level} code has {AREA_CODE_LENGTH[level]} digits, not {len(code)}",
                    code="area_level_digits",
                    expected=AREA_CODE_LENGTH[level],
                    given=len(code),
                )
            )
        parent_code = row.text("parent_code")
        if level is AreaLevel.CITY:
            parent_code = ""
        else:
            parent_code = parent_code or code[: AREA_CODE_LENGTH[PARENT_LEVEL[level]]]
            if not code.startswith(parent_code):
                errors.append(
                    row.error(
                        f"code {code} does not start with its parent's code {parent_code}",
                        code="code_parent_prefix",
                        value=code,
                        parent=parent_code,
                    )
                )
        lat = row.numeric("lat", errors, low=-90, high=90)
        lon = row.numeric("lon", errors, low=-180, high=180)
        geometry = _geometry(row, errors)
        if len(errors) == problems_before:
            parsed.append(
                {
                    "row": row,
                    "code": code,
                    "name": name,
                    "level": level,
                    "parent_code": parent_code or None,
                    "lat": lat,
                    "lon": lon,
                    "geometry": geometry,
                }
            )
    _check_parents(parsed, set(existing), errors)
    return parsed


def _validate_departments(
    session: Session, rows: list[Row], errors: list[RowError], area_codes: set[str]
) -> list[dict[str, Any]]:
    existing = set(session.scalars(select(Department.code)).all())
    kinds = {k.value for k in DepartmentKind} | {k.name.lower() for k in DepartmentKind}
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    for row in rows:
        code, name, kind = row.text("code"), row.text("name"), row.text("kind")
        before = len(errors)
        if not code or len(code) > 32:
            errors.append(row.error("code is empty or longer than 32 characters", code="department_code"))
            continue
        if not first_occurrence(seen, code, row, errors):
            continue
        if not name:
            errors.append(row.error("name is empty", code="name_empty"))
        if kind not in kinds:
            errors.append(
                row.error(
                    f"kind {kind!r} is not one of {', '.join(k.value for k in DepartmentKind)}",
                    code="department_kind",
                    value=kind,
                )
            )
        else:
            kind = (
                DepartmentKind[kind.upper()].value
                if kind.lower() in {k.name.lower() for k in DepartmentKind}
                else kind
            )
        area_code = row.text("area_code") or None
        if area_code and area_code not in area_codes:
            errors.append(row.error(f"unknown area code {area_code}", code="unknown_area", value=area_code))
        if len(errors) == before:
            parsed.append(
                {
                    "row": row,
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "short_name": row.text("short_name") or None,
                    "parent_code": row.text("parent_code") or None,
                    "area_code": area_code,
                }
            )
    _check_parents(parsed, existing, errors)
    return parsed


def _check_parents(parsed: list[dict[str, Any]], existing: set[str], errors: list[RowError]) -> None:
    """A row's parent must be stored already or come in the same file, and may not be the row itself
    (areas and departments alike)."""
    known = existing | {p["code"] for p in parsed}
    for item in parsed:
        parent = item["parent_code"]
        if parent and (parent not in known or parent == item["code"]):
            errors.append(
                item["row"].error(f"unknown parent code {parent}", code="unknown_parent", value=parent)
            )


def import_org(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: Actor,
    now: datetime,
    encoding: str = "utf-8",
    ip: str | None = None,
) -> ImportResult:
    """Import areas and/or departments from CSV, XLSX or YAML, creating or updating by code.

    Every row is checked first; if any is bad, ImportFailed lists them all and nothing is written."""
    tables = _tables_from_file(data, filename, encoding=encoding)
    errors: list[RowError] = []
    areas = _validate_areas(session, tables.get("areas", []), errors)
    area_codes = set(session.scalars(select(Area.code)).all()) | {a["code"] for a in areas}
    departments = _validate_departments(session, tables.get("departments", []), errors, area_codes)
    if errors:
        raise ImportFailed(errors, what=filename)

    result = ImportResult()
    by_code = {a.code: a for a in session.scalars(select(Area)).all()}
    for item in sorted(areas, key=lambda a: len(a["code"])):
        area = by_code.get(item["code"])
        fields = {
            "name": item["name"],
            "level": item["level"].value,
            "centroid_lat": item["lat"],
            "centroid_lon": item["lon"],
            "geometry_geojson": item["geometry"],
            "parent_id": by_code[item["parent_code"]].id if item["parent_code"] else None,
        }
        if area is None:
            area = Area(code=item["code"], updated_at=now, **fields)
            session.add(area)
            by_code[item["code"]] = area
            result.created["areas"] += 1
        else:
            changed = {k: v for k, v in fields.items() if getattr(area, k) != v}
            if not changed:
                continue
            for key, value in changed.items():
                setattr(area, key, value)
            area.updated_at = now
            result.updated["areas"] += 1
        session.flush()

    depts = {d.code: d for d in session.scalars(select(Department)).all()}
    pending_parents: list[tuple[Department, str]] = []
    for item in departments:
        dept = depts.get(item["code"])
        fields = {
            "name": item["name"],
            "kind": item["kind"],
            "short_name": item["short_name"],
            "area_code": item["area_code"],
        }
        if dept is None:
            dept = Department(code=item["code"], updated_at=now, is_active=True, **fields)
            session.add(dept)
            depts[item["code"]] = dept
            result.created["departments"] += 1
        else:
            changed = {k: v for k, v in fields.items() if getattr(dept, k) != v}
            for key, value in changed.items():
                setattr(dept, key, value)
            if changed:
                dept.updated_at = now
                result.updated["departments"] += 1
        if item["parent_code"]:
            pending_parents.append((dept, item["parent_code"]))
    session.flush()
    for dept, parent_code in pending_parents:
        dept.parent_id = depts[parent_code].id
    session.flush()
    audit.record(
        session,
        actor,
        "org.import",
        "org",
        filename,
        ip=ip,
        at=now,
        diff={"file": filename, "created": result.created, "updated": result.updated},
    )
    return result


def area_rows(session: Session) -> list[list[Any]]:
    codes = dict(session.execute(select(Area.id, Area.code)).all())
    rows = []
    for area in session.scalars(select(Area).order_by(Area.code)):
        rows.append(
            [
                area.code,
                area.name,
                area.level,
                codes.get(area.parent_id) if area.parent_id else "",
                area.centroid_lat,
                area.centroid_lon,
                area.geometry_geojson or "",
            ]
        )
    return rows


def department_rows(session: Session) -> list[list[Any]]:
    codes = dict(session.execute(select(Department.id, Department.code)).all())
    return [
        [
            d.code,
            d.name,
            d.short_name or "",
            d.kind,
            codes.get(d.parent_id, "") if d.parent_id else "",
            d.area_code or "",
        ]
        for d in session.scalars(select(Department).order_by(Department.code))
    ]


def export_org(session: Session, kind: str, *, table: str | None = None) -> bytes:
    """Export in the same format import reads (so an export re-imports unchanged)."""
    areas, departments = area_rows(session), department_rows(session)
    if kind == "yaml":
        import yaml

        doc = {
            "areas": [dict(zip(AREA_COLUMNS, r, strict=True)) for r in areas],
            "departments": [dict(zip(DEPARTMENT_COLUMNS, r, strict=True)) for r in departments],
        }
        for item in doc["areas"]:
            for key in ("parent_code", "geometry", "lat", "lon"):
                if item[key] in ("", None):
                    del item[key]
        for item in doc["departments"]:
            for key in ("parent_code", "area_code", "short_name"):
                if item[key] == "":
                    del item[key]
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8")
    if kind == "xlsx":
        return tabular.write_xlsx(
            {"areas": (AREA_COLUMNS, areas), "departments": (DEPARTMENT_COLUMNS, departments)}
        )
    if table == "areas":
        return tabular.write_csv(AREA_COLUMNS, areas)
    if table == "departments":
        return tabular.write_csv(DEPARTMENT_COLUMNS, departments)
    raise ValueError("CSV holds one table: choose areas or departments")


def list_departments(
    session: Session, *, kind: str | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[Department], int]:
    query = select(Department)
    if kind:
        query = query.where(Department.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Department.code).offset(offset).limit(limit)).all()
    return list(items), total


def get_department(session: Session, department_id: int) -> Department:
    dept = session.get(Department, department_id)
    if dept is None:
        raise DepartmentNotFound(f"Department {department_id} does not exist", department_id=department_id)
    return dept


def list_areas(
    session: Session,
    principal: Principal,
    *,
    parent_code: str | None = None,
    level: str | None = None,
    within: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[Area], int]:
    """Areas the principal may read (`queries.visible_areas`), optionally the children of one area,
    one level, or a subtree (code prefix). A parent outside the principal's areas is not found."""
    visible = visible_areas(principal)
    query = select(Area).where(visible)
    if parent_code:
        parent = session.scalars(select(Area).where(Area.code == parent_code, visible)).first()
        if parent is None:
            raise AreaNotFound(f"Area {parent_code} does not exist", area_code=parent_code)
        query = query.where(Area.parent_id == parent.id)
    if level:
        query = query.where(Area.level == level)
    if within:
        query = query.where(code_within(Area.code, within))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Area.code).offset(offset).limit(limit)).all()
    return list(items), total


def get_area(session: Session, principal: Principal, code: str) -> Area:
    """One area with its outline, if the principal may read it (`queries.visible_areas`); another
    town's area is not found, as if it did not exist, so codes cannot be probed."""
    area = session.scalars(select(Area).where(Area.code == code, visible_areas(principal))).first()
    if area is None:
        raise AreaNotFound(f"Area {code} does not exist", area_code=code)
    return area
