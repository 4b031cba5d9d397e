"""The investment promotion office's signing list (招商引资签约项目) as an XLSX or CSV file: every row is
checked first and nothing is stored if any is bad; each good row is then recorded as one signing
(`attraction.record_signing`: flagged by the city's counting rules, audited). A code already recorded is
an error, so a file cannot be loaded twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.tabular import ImportFailed, Row, RowError, first_occurrence
from citycockpit.projects import attraction
from citycockpit.projects.ledger import lookups, parse_common_cells, parse_date, parse_number
from citycockpit.projects.models import InvestmentSigning

SHEET = "签约项目"
COLUMNS = [
    ("code", "签约编号"),
    ("name", "项目名称"),
    ("investor", "投资方"),
    ("country", "国别/地区"),
    ("industry", "产业类别"),
    ("is_foreign_funded", "是否外资"),
    ("currency", "币种"),
    ("area", "所在区域"),
    ("department", "签约单位"),
    ("signed_on", "签约日期"),
    ("registered_capital_wan_cny", "注册资金(万元)"),
    ("total_investment_wan_cny", "总投资(万元)"),
    ("total_investment_wan_foreign", "外币总投资(万)"),
    ("foreign_capital_used_wan_usd", "实际使用外资(万美元)"),
]
HEADERS = dict(COLUMNS)
HEADER_ALIASES = tabular.header_aliases(COLUMNS)
REQUIRED = (
    "code",
    "name",
    "investor",
    "industry",
    "area",
    "department",
    "signed_on",
    "registered_capital_wan_cny",
    "total_investment_wan_cny",
)


def _read(data: bytes, filename: str, encoding: str) -> tabular.Table:
    kind = tabular.file_kind(filename)
    if kind == "csv":
        return tabular.read_csv(data, filename, HEADER_ALIASES, encoding=encoding)
    if kind != "xlsx":
        raise ImportFailed([RowError(filename, None, "the signing list is an .xlsx workbook or a .csv file")])
    sheets = tabular.read_xlsx(data, filename, HEADER_ALIASES)
    sheet = next((s for s in sheets if s.name == SHEET), sheets[0] if sheets else None)
    if sheet is None:
        raise ImportFailed([RowError(filename, None, "the workbook has no sheet")])
    return sheet


def _row_fields(
    row: Row, areas: dict[str, str], departments: dict[str, int], errors: list[RowError]
) -> dict[str, Any] | None:
    before = len(errors)
    missing = [HEADERS[k] for k in REQUIRED if not row.text(k)]
    if missing:
        errors.append(row.error(f"empty {', '.join(missing)}"))
    common = parse_common_cells(row, areas, departments, errors, department_header="签约单位")
    numbers = {
        key: parse_number(row, key, errors, headers=HEADERS)
        for key in (
            "registered_capital_wan_cny",
            "total_investment_wan_cny",
            "total_investment_wan_foreign",
            "foreign_capital_used_wan_usd",
        )
    }
    signed_on = parse_date(row, "signed_on", errors, headers=HEADERS)
    if len(errors) > before:
        return None
    return {
        "code": row.text("code"),
        "name": row.text("name"),
        "investor": row.text("investor"),
        "country": row.text("country") or None,
        "industry": common.industry,
        "is_foreign_funded": common.is_foreign_funded,
        "currency": common.currency,
        "signed_on": signed_on,
        "area_code": common.area_code,
        "department_id": common.department_id,
        "registered_capital_wan_cny": numbers["registered_capital_wan_cny"],
        "total_investment_wan_cny": numbers["total_investment_wan_cny"],
        "total_investment_wan_foreign": numbers["total_investment_wan_foreign"],
        "foreign_capital_used_wan_usd": numbers["foreign_capital_used_wan_usd"] or 0.0,
    }


def import_signings(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: Actor,
    now: datetime,
    rules: attraction.SigningRules,
    encoding: str = "utf-8",
    ip: str | None = None,
) -> list[str]:
    """Record every signing of the file (all or nothing); returns their codes in file order."""
    table = _read(data, filename, encoding)
    missing = [HEADERS[k] for k in REQUIRED if k not in table.headers]
    if missing:
        raise ImportFailed([RowError(filename, 1, f"missing column(s) {', '.join(missing)}", table.name)])
    if not table.rows:
        raise ImportFailed([RowError(filename, None, "the file has no signings", table.name)])
    areas, departments = lookups(session)
    codes = [row.text("code") for row in table.rows]
    recorded = set(session.scalars(select(InvestmentSigning.code).where(InvestmentSigning.code.in_(codes))))
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parsed = []
    for row in table.rows:
        fields = _row_fields(row, areas, departments, errors)
        code = row.text("code")
        if code and not first_occurrence(seen, code, row, errors, label="签约编号"):
            continue
        if code in recorded:
            errors.append(row.error(f"签约编号 {code} is already recorded"))
            continue
        if fields is not None:
            parsed.append(fields)
    if errors:
        raise ImportFailed(errors, what=filename)
    for fields in parsed:
        attraction.record_signing(session, fields=fields, actor=actor, now=now, ip=ip, rules=rules)
    return [fields["code"] for fields in parsed]
