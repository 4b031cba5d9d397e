"""The project office's XLSX ledger (重点项目台账): import (all or nothing, keyed by 项目编号) and export
in the same format, so an edited export re-imports as updates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.tabular import ImportFailed, Row, RowError, first_occurrence
from citycockpit.org.models import Area, Department
from citycockpit.projects import queries, service
from citycockpit.projects.enums import (
    INDUSTRIES,
    LEVEL_LABELS,
    STAGE_LABELS,
    ProjectLevel,
    ProjectStage,
    parse_currency,
    parse_level,
    parse_stage,
)
from citycockpit.projects.models import Project

SHEET = "重点项目"
# (key, header) in ledger order; the last two are written on export and ignored on import.
COLUMNS = [
    ("code", "项目编号"),
    ("name", "项目名称"),
    ("level", "级别"),
    ("industry", "产业类别"),
    ("investor", "投资主体"),
    ("is_foreign_funded", "是否外资"),
    ("currency", "币种"),
    ("area", "所在区域"),
    ("department", "牵头单位"),
    ("responsible_person", "责任人"),
    ("total_investment_wan_cny", "总投资(万元)"),
    ("planned_investment_wan_cny", "年度计划投资(万元)"),
    ("start_month", "计划起始月"),
    ("planned_start_on", "计划开工"),
    ("planned_finish_on", "计划竣工"),
    ("actual_start_on", "实际开工"),
    ("actual_finish_on", "实际竣工"),
    ("stage", "当前阶段"),
    ("actual_wan_cny", "累计完成投资(万元)"),
    ("completion_pct", "计划完成率(%)"),
]
HEADERS = dict(COLUMNS)
HEADER_ALIASES = tabular.header_aliases(COLUMNS)
HEADER_ALIASES.update(
    {
        "编号": "code",
        "项目级别": "level",
        "产业": "industry",
        "行业": "industry",
        "区域": "area",
        "所属镇区": "area",
        "所在镇区": "area",
        "责任单位": "department",
        "牵头部门": "department",
        "阶段": "stage",
        "总投资": "total_investment_wan_cny",
        "年度计划投资": "planned_investment_wan_cny",
    }
)
REQUIRED = ("code", "name", "level", "industry", "area", "department", "total_investment_wan_cny")
YES = {"是", "y", "yes", "true", "1", "外资"}
NO = {"否", "n", "no", "false", "0", "内资", ""}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?$")


@dataclass
class LedgerResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    plans_set: int = 0
    stage_changes: int = 0
    codes: list[str] = field(default_factory=list)


def parse_date(row: Row, key: str, errors: list[RowError], headers: dict[str, str] = HEADERS) -> date | None:
    """The cell as a date (a date cell, or YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日; a month alone means
    its 1st); a bad one adds an error naming its column's header."""
    value = row.values.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(str(value).strip())
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))
        except ValueError:
            pass
    errors.append(
        RowError(row.file, row.number, f"{headers[key]} {value!r} is not a date (YYYY-MM-DD)", row.sheet)
    )
    return None


def parse_number(
    row: Row, key: str, errors: list[RowError], *, positive: bool = False, headers: dict[str, str] = HEADERS
) -> float | None:
    """The cell as a number ≥ 0 (> 0 with `positive`; thousands separators allowed), None when empty;
    a bad one adds an error naming its column's header."""
    raw = row.text(key).replace(",", "")
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        errors.append(RowError(row.file, row.number, f"{headers[key]} {raw!r} is not a number", row.sheet))
        return None
    if number < 0 or (positive and number == 0):
        errors.append(
            RowError(
                row.file,
                row.number,
                f"{headers[key]} must be {'more than' if positive else 'at least'} 0",
                row.sheet,
            )
        )
        return None
    return round(number, 2)


def lookups(session: Session) -> tuple[dict[str, str], dict[str, int]]:
    """Towns (and the city) by code and name → code; departments by code, name and short name → id."""
    areas: dict[str, str] = {}
    for code, name in session.execute(select(Area.code, Area.name).where(Area.level.in_(("city", "town")))):
        areas[code] = code
        areas.setdefault(name, code)
    departments: dict[str, int] = {}
    for dept in session.scalars(select(Department)):
        for key in (dept.code, dept.name, dept.short_name):
            if key:
                departments.setdefault(key, dept.id)
    return areas, departments


@dataclass(frozen=True)
class CommonCells:
    """The cells the project ledger and the signing list share, parsed."""

    industry: str
    is_foreign_funded: bool
    currency: str | None
    area_code: str | None
    department_id: int | None


def parse_common_cells(
    row: Row,
    areas: dict[str, str],
    departments: dict[str, int],
    errors: list[RowError],
    *,
    department_header: str,
) -> CommonCells:
    """产业类别, 是否外资 (是/否, empty is 否), 币种 (code or name, empty is CNY), 所在区域 (a town or the
    city by name or code) and the department column (`department_header`: by code, name or short name);
    each bad cell adds its error. An empty 产业类别, 所在区域 or department is left to the caller's check of
    required cells."""
    industry = row.text("industry")
    if industry and industry not in INDUSTRIES:
        errors.append(row.error(f"unknown 产业类别 {industry!r}"))
    foreign_text = row.text("is_foreign_funded").lower()
    if foreign_text not in YES | NO:
        errors.append(row.error(f"是否外资 {foreign_text!r} is not 是 or 否"))
    currency = parse_currency(row.text("currency") or "CNY")
    if currency is None:
        errors.append(row.error(f"unknown 币种 {row.text('currency')!r}"))
    area_code = areas.get(row.text("area"))
    if row.text("area") and area_code is None:
        errors.append(row.error(f"unknown 所在区域 {row.text('area')!r} (a town or street)"))
    department_id = departments.get(row.text("department"))
    if row.text("department") and department_id is None:
        errors.append(row.error(f"unknown {department_header} {row.text('department')!r}"))
    return CommonCells(industry, foreign_text in YES, currency, area_code, department_id)


def _validate(session: Session, rows: list[Row], errors: list[RowError]) -> list[dict[str, Any]]:
    areas, departments = lookups(session)
    seen: dict[str, int] = {}
    parsed = []
    for row in rows:
        before = len(errors)
        missing = [dict(COLUMNS)[k] for k in REQUIRED if not row.text(k)]
        if missing:
            errors.append(RowError(row.file, row.number, f"empty {', '.join(missing)}", row.sheet))
            continue
        code = row.text("code")
        if len(code) > 32:
            errors.append(
                RowError(row.file, row.number, f"项目编号 {code!r} is longer than 32 characters", row.sheet)
            )
            continue
        if not first_occurrence(seen, code, row, errors, label="项目编号"):
            continue
        level = parse_level(row.text("level"))
        if level is None:
            errors.append(
                RowError(
                    row.file,
                    row.number,
                    f"unknown 级别 {row.text('level')!r}; use {', '.join(LEVEL_LABELS.values())}",
                    row.sheet,
                )
            )
        common = parse_common_cells(row, areas, departments, errors, department_header="牵头单位")
        stage_text = row.text("stage")
        stage = parse_stage(stage_text) if stage_text else None
        if stage_text and stage is None:
            errors.append(
                RowError(
                    row.file,
                    row.number,
                    f"unknown 当前阶段 {stage_text!r}; use {' / '.join(STAGE_LABELS.values())}",
                    row.sheet,
                )
            )
        total = parse_number(row, "total_investment_wan_cny", errors)
        planned = parse_number(row, "planned_investment_wan_cny", errors, positive=True)
        start_month = None
        if row.text("start_month"):
            try:
                start_month = int(float(row.text("start_month")))
            except ValueError:
                start_month = 0
            if not 1 <= start_month <= 12:
                errors.append(
                    RowError(
                        row.file,
                        row.number,
                        f"计划起始月 {row.text('start_month')!r} is not 1 to 12",
                        row.sheet,
                    )
                )
        dates = {
            k: parse_date(row, k, errors)
            for k in ("planned_start_on", "planned_finish_on", "actual_start_on", "actual_finish_on")
        }
        for start, finish in (
            ("planned_start_on", "planned_finish_on"),
            ("actual_start_on", "actual_finish_on"),
        ):
            if dates[start] and dates[finish] and dates[finish] < dates[start]:
                errors.append(
                    RowError(
                        row.file,
                        row.number,
                        f"{dict(COLUMNS)[finish]} is before {dict(COLUMNS)[start]}",
                        row.sheet,
                    )
                )
        if len(errors) == before:
            parsed.append(
                {
                    "row": row,
                    "code": code,
                    "stage": stage,
                    "planned": planned,
                    "start_month": start_month,
                    "fields": {
                        "name": row.text("name")[:200],
                        "level": level.value if level else None,
                        "industry": common.industry,
                        "investor": row.text("investor")[:200] or None,
                        "is_foreign_funded": common.is_foreign_funded,
                        "currency": common.currency,
                        "area_code": common.area_code,
                        "department_id": common.department_id,
                        "responsible_person": row.text("responsible_person")[:50] or None,
                        "total_investment_wan_cny": total,
                        **dates,
                    },
                }
            )
    return parsed


def import_ledger(
    session: Session,
    data: bytes,
    filename: str,
    *,
    year: int,
    actor: Actor,
    now: datetime,
    today: date,
    ip: str | None = None,
) -> LedgerResult:
    """Create or update projects from the ledger, keyed by 项目编号, with the year's plan.

    Every row is checked first (unknown levels, industries, areas or departments, malformed numbers and
    dates, a stage moved backwards); if any is bad, nothing is stored and every bad row is reported. A
    new project without 当前阶段 starts at 签约; a changed 当前阶段 moves the project forward today (moving
    back needs a reason, so the ledger cannot do it). An empty 年度计划投资 leaves the plan as it is."""
    if tabular.file_kind(filename) != "xlsx":
        raise ImportFailed([RowError(filename, None, "the project ledger is an .xlsx workbook")])
    sheets = tabular.read_xlsx(data, filename, HEADER_ALIASES)
    sheet = next((s for s in sheets if s.name == SHEET), sheets[0] if sheets else None)
    if sheet is None:
        raise ImportFailed([RowError(filename, None, "the workbook has no sheet")])
    missing = [dict(COLUMNS)[k] for k in REQUIRED if k not in sheet.headers]
    if missing:
        raise ImportFailed([RowError(filename, 1, f"missing column(s) {', '.join(missing)}", sheet.name)])
    errors: list[RowError] = []
    parsed = _validate(session, sheet.rows, errors)
    existing = {
        p.code: p
        for p in session.scalars(select(Project).where(Project.code.in_([p["code"] for p in parsed])))
    }
    for item in parsed:
        project, stage = existing.get(item["code"]), item["stage"]
        if project is not None and stage is not None and stage.rank < ProjectStage(project.stage).rank:
            row = item["row"]
            errors.append(
                RowError(
                    row.file,
                    row.number,
                    f"当前阶段 cannot move back from {ProjectStage(project.stage).label} to {stage.label} by import; "
                    "change the stage with a reason instead",
                    row.sheet,
                )
            )
    if errors:
        raise ImportFailed(errors, what=filename)

    result = LedgerResult()
    for item in parsed:
        project = existing.get(item["code"])
        stage = item["stage"]
        if project is None:
            project = service.create_project(
                session,
                code=item["code"],
                fields=item["fields"],
                stage=stage or ProjectStage.SIGNED,
                stage_on=today,
                actor=actor,
                now=now,
                ip=ip,
            )
            result.created += 1
        else:
            version = project.version
            service.update_project(session, project, fields=item["fields"], actor=actor, now=now, ip=ip)
            moved = stage is not None and stage.value != project.stage
            if moved:
                service.change_stage(
                    session,
                    project,
                    to_stage=stage,
                    changed_on=max(today, project.stage_changed_on or today),
                    reason=None,
                    actor=actor,
                    now=now,
                    today=max(today, project.stage_changed_on or today),
                    ip=ip,
                )
                result.stage_changes += 1
            if project.version != version or moved:
                result.updated += 1
            else:
                result.unchanged += 1
        if item["planned"] is not None:
            plan = service.get_annual_plan(session, project.id, year)
            if (
                plan is None
                or plan.planned_investment_wan_cny != item["planned"]
                or (item["start_month"] and plan.start_month != item["start_month"])
            ):
                service.set_annual_plan(
                    session,
                    project,
                    year=year,
                    planned_investment_wan_cny=item["planned"],
                    start_month=item["start_month"],
                    actor=actor,
                    now=now,
                    ip=ip,
                )
                result.plans_set += 1
        result.codes.append(item["code"])
    audit.record(
        session,
        actor,
        "projects.import",
        "projects",
        filename,
        at=now,
        ip=ip,
        diff={
            "file": filename,
            "year": year,
            "created": result.created,
            "updated": result.updated,
            "plans_set": result.plans_set,
            "stage_changes": result.stage_changes,
        },
    )
    session.flush()
    return result


def export_ledger(session: Session, principal: Principal, period: queries.Period) -> bytes:
    """The ledger for the caller's scope: the period's year plan, actual and completion rate included."""
    rates = queries.project_rates(principal, period, 0.0)
    query = (
        select(
            Project,
            rates.c.planned,
            rates.c.start_month,
            rates.c.actual,
            rates.c.completion_pct,
            Area.name,
            Department.name,
        )
        .join(rates, rates.c.project_id == Project.id, isouter=True)
        .join(Area, Area.code == Project.area_code)
        .join(Department, Department.id == Project.department_id)
        .where(service.project_scope(principal))
        .order_by(Project.code)
    )
    rows = []
    for project, planned, start_month, actual, completion, area_name, dept_name in session.execute(query):
        rows.append(
            [
                project.code,
                project.name,
                ProjectLevel(project.level).label,
                project.industry,
                project.investor,
                "是" if project.is_foreign_funded else "否",
                project.currency,
                area_name,
                dept_name,
                project.responsible_person,
                project.total_investment_wan_cny,
                planned,
                start_month,
                project.planned_start_on,
                project.planned_finish_on,
                project.actual_start_on,
                project.actual_finish_on,
                ProjectStage(project.stage).label,
                actual if planned is not None else None,
                round(completion, 2) if completion is not None else None,
            ]
        )
    return tabular.write_xlsx({SHEET: ([header for _, header in COLUMNS], rows)})
