"""The project office's XLSX ledger: bad rows reported by row and nothing stored; export re-imports."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from citycockpit.core.tabular import ImportFailed
from citycockpit.projects import ledger, queries
from citycockpit.projects.models import Project
from tests.builders import xlsx_bytes
from tests.projects.conftest import OFFICE, TODAY

HEADERS = [
    "项目编号",
    "项目名称",
    "级别",
    "产业类别",
    "投资主体",
    "是否外资",
    "币种",
    "所在区域",
    "牵头单位",
    "责任人",
    "总投资(万元)",
    "年度计划投资(万元)",
    "计划开工",
    "计划竣工",
    "实际开工",
    "实际竣工",
    "当前阶段",
]
GOOD = [
    [
        "TC-001",
        "舍弗勒智能装备扩产项目",
        "苏州重点",
        "高端装备",
        "舍弗勒(中国)有限公司",
        "是",
        "欧元",
        "城厢镇",
        "发改委",
        "王建国",
        120000,
        30000,
        "2024-03-01",
        "2025-12-31",
        date(2024, 3, 5),
        None,
        "在建",
    ],
    [
        "TC-002",
        "高博航空发动机零部件项目",
        "省重大",
        "航空航天",
        "高博航空科技有限公司",
        "否",
        "",
        "320585101",
        "太仓市城市管理局",
        "李明",
        500000,
        80000,
        "2024/01/15",
        "2026-06-30",
        None,
        None,
        "审批",
    ],
]


def _xlsx(rows: list[list[object]], headers: list[str] = HEADERS) -> bytes:
    return xlsx_bytes("重点项目", headers, rows)


def _import(db, clock, data: bytes):  # type: ignore[no-untyped-def]
    return ledger.import_ledger(db, data, "台账.xlsx", year=2024, actor=OFFICE, now=clock.now(), today=TODAY)


def test_a_good_ledger_creates_projects_with_their_plans(db, clock, city) -> None:
    result = _import(db, clock, _xlsx(GOOD))
    assert (result.created, result.plans_set) == (2, 2)
    project = db.scalars(select(Project).where(Project.code == "TC-001")).one()
    assert (project.level, project.currency, project.stage, project.actual_start_on) == (
        "suzhou",
        "EUR",
        "construction",
        date(2024, 3, 5),
    )


def test_bad_rows_are_reported_by_row_and_nothing_is_stored(db, clock, city) -> None:
    bad = [
        GOOD[0],
        [
            "TC-003",
            "某项目",
            "国家级",
            "高端装备",
            "",
            "否",
            "",
            "城厢镇",
            "发改委",
            "",
            100,
            10,
            "",
            "",
            "",
            "",
            "在建",
        ],
        [
            "TC-004",
            "某项目",
            "市级重点",
            "高端装备",
            "",
            "否",
            "",
            "火星镇",
            "不存在局",
            "",
            "一百",
            10,
            "2024-13-01",
            "",
            "",
            "",
            "在建",
        ],
    ]
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, _xlsx(bad))
    reasons = {
        (e.row, e.reason.split(" ")[0] + " " + e.reason.split(" ")[1]) for e in caught.value.row_errors
    }
    assert (3, "unknown 级别") in reasons
    assert {
        (4, "unknown 所在区域"),
        (4, "unknown 牵头单位"),
        (4, "总投资(万元) '一百'"),
        (4, "计划开工 '2024-13-01'"),
    } <= reasons
    assert db.scalar(select(func.count(Project.id))) == 0


def test_a_stage_moved_backwards_by_import_is_refused(db, clock, city) -> None:
    _import(db, clock, _xlsx(GOOD))
    edited = [GOOD[0][:16] + ["审批"]]
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, _xlsx(edited))
    assert "cannot move back" in caught.value.row_errors[0].reason


def test_a_missing_required_column_is_reported(db, clock, city) -> None:
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, _xlsx([GOOD[0][1:]], HEADERS[1:]))
    assert "项目编号" in caught.value.row_errors[0].reason


def test_an_unchanged_export_reimports_as_no_change_and_an_edit_as_one_update(db, clock, city, admin) -> None:
    _import(db, clock, _xlsx(GOOD))
    exported = ledger.export_ledger(db, admin.principal, queries.Period(2024, 9))
    again = _import(db, clock, exported)
    assert (again.created, again.updated, again.unchanged, again.plans_set) == (0, 0, 2, 0)
    wb = load_workbook(io.BytesIO(exported))
    ws = wb["重点项目"]
    assert ws["B2"].value == "舍弗勒智能装备扩产项目"
    ws["J2"] = "张伟"  # 责任人
    ws["L2"] = 35000  # 年度计划投资
    out = io.BytesIO()
    wb.save(out)
    edited = _import(db, clock, out.getvalue())
    assert (edited.updated, edited.unchanged, edited.plans_set) == (1, 1, 1)
    assert db.scalars(select(Project.responsible_person).where(Project.code == "TC-001")).one() == "张伟"


def test_the_cli_imports_exports_and_reports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.cli import app

    runner = CliRunner()
    db_path = tmp_path / "cli.db"
    assert runner.invoke(app, ["demo", "--no-serve", "--db", str(db_path)]).exit_code == 0
    out = tmp_path / "ledger.xlsx"
    r = runner.invoke(
        app, ["projects", "export", "--out", str(out), "--period", "2024-09", "--db", str(db_path)]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["projects", "import", str(out), "--year", "2024", "--db", str(db_path)])
    assert r.exit_code == 0 and "created 0, updated 0, unchanged 190" in r.output, r.output
    # Piped (not a terminal, 80 columns by default): every code and name whole, headers in Chinese.
    r = runner.invoke(app, ["projects", "report", "--period", "2024-09", "--db", str(db_path)])
    assert r.exit_code == 0 and "合计" in r.output and "年度计划（万元）" in r.output
    lagging = int(re.search(r"滞后项目（(\d+) 个）", r.output).group(1))  # type: ignore[union-attr]
    assert lagging > 0 and len(re.findall(r"│ (TC2024-\d{3}) +│", r.output)) == lagging
    assert "…" not in r.output and re.findall(r"[A-Za-z]{3,}", r.output.replace("TC2024", "")) == []
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        _xlsx(
            [["X", "x", "国家级", "高端装备", "", "否", "", "城厢镇", "发改委", "", 1, 1, "", "", "", "", ""]]
        )
    )
    r = runner.invoke(app, ["projects", "import", str(bad), "--db", str(db_path)])
    assert r.exit_code == 1 and "row 2" in r.output
