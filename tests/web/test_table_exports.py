"""Every workbench table exports to XLSX: one sheet with the page's column headers and one row per row of
the table (all pages of it, in the caller's scope), the same count the page shows."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.auth.models import User
from citycockpit.core.clock import Clock
from citycockpit.events.models import Event, EventCategory
from citycockpit.goals.models import Goal
from citycockpit.org.models import Area, Department
from citycockpit.projects.models import Project
from tests.events.conftest import report
from tests.goals.builders import make_goal

TABLES: dict[str, tuple[str, str, list[str], Any]] = {
    # page: (URL, file name, header row, how many rows it holds)
    "users": ("/app/admin/users", "users.xlsx", ["用户名", "姓名", "角色", "范围", "状态"], select(User)),
    "departments": (
        "/app/admin/org?tab=departments",
        "departments.xlsx",
        ["代码", "名称", "类型"],
        select(Department),
    ),
    "areas": (
        "/app/admin/org?tab=areas",
        "areas.xlsx",
        ["代码", "名称", "层级", "上级", "边界"],
        select(Area),
    ),
    "audit": ("/app/admin/audit", "audit.xlsx", ["时间", "操作人", "操作", "对象", "IP"], select(AuditEntry)),
    "categories": (
        "/app/admin/categories",
        "categories.xlsx",
        [
            "代码",
            "名称",
            "类型",
            "承办部门",
            "计时方式",
            "签收时限",
            "处置时限",
            "核查时限",
            "现场核查",
            "须拍照环节",
        ],
        select(EventCategory),
    ),
    "projects": (
        "/app/projects",
        "projects.xlsx",
        ["项目编号", "项目名称", "级别", "所在区域", "牵头单位", "当前阶段", "总投资（万元）"],
        select(Project),
    ),
    "goals": (
        "/app/goals",
        "goals-2024-09.xlsx",
        ["编号", "目标任务", "牵头单位", "状态", "进度", "时序进度", "完成时限"],
        select(Goal).where(Goal.year == 2024),
    ),
}


def _sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.values) for sheet in book.worksheets}


def _count(db: Session, query: Any) -> int:
    return db.scalar(select(func.count()).select_from(query.subquery())) or 0


def _shown_total(page: str) -> int:
    return int(re.search(r"共 (\d+) 条", page).group(1))  # type: ignore[union-attr]


@pytest.fixture
def everything(db: Session, clock: Clock, city, categories, ledger, grid_worker) -> None:  # type: ignore[no-untyped-def]
    """Rows in every table: the small city, its categories, seven projects, goals and a few events (and
    more audit entries than one page shows)."""
    make_goal(db, now=clock.now(), title="新建新能源充电站40座", lead_department_id=city["cgj"].id)
    make_goal(db, now=clock.now(), title="编制产业发展规划", lead_department_id=city["fgw"].id)
    for description in ("东门街口有一堆暴露垃圾，气味很大", "西门路灯不亮已经三天了", "南园小区门口占道经营"):
        report(db, grid_worker.principal, clock.now(), description=description)


@pytest.mark.parametrize("table", list(TABLES))
def test_a_table_page_exports_its_header_and_every_row(
    client: TestClient, db: Session, everything, admin, table: str
) -> None:
    url, filename, header, rows_query = TABLES[table]
    expected = _count(db, rows_query)
    assert expected > 0  # the export below has rows to lose
    page = client.get(url, headers=admin.headers)
    r = client.get(url + ("&" if "?" in url else "?") + "export=xlsx", headers=admin.headers)
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert r.headers["content-disposition"] == f"attachment; filename*=UTF-8''{filename}"
    sheets = _sheets(r.content)
    assert list(sheets) == ["sheet1"]
    assert list(sheets["sheet1"][0]) == header
    assert len(sheets["sheet1"]) - 1 == expected == _shown_total(page.text)


def test_the_export_holds_more_than_one_page_of_rows(
    client: TestClient, db: Session, everything, admin
) -> None:
    total = _count(db, select(AuditEntry))
    assert total > 25  # one page shows 25
    rows = _sheets(client.get("/app/admin/audit?export=xlsx", headers=admin.headers).content)["sheet1"]
    assert len(rows) - 1 == total


def test_the_areas_export_keeps_the_callers_scope(
    client: TestClient, db: Session, everything, town_staff
) -> None:
    rows = _sheets(client.get("/app/admin/org?tab=areas&export=xlsx", headers=town_staff.headers).content)[
        "sheet1"
    ]
    expected = _count(db, select(Area).where(Area.code.startswith("320585100")))
    assert 0 < expected < _count(db, select(Area))
    assert sorted(row[0] for row in rows[1:]) == sorted(
        db.scalars(select(Area.code).where(Area.code.startswith("320585100")))
    )


def test_the_event_queue_exports_its_own_sheet(
    client: TestClient, db: Session, everything, dispatcher
) -> None:
    r = client.get("/app/events?queue=intake&export=xlsx", headers=dispatcher.headers)
    assert r.headers["content-disposition"] == 'attachment; filename="events.xlsx"'
    sheets = _sheets(r.content)
    assert list(sheets) == ["events"]
    assert list(sheets["events"][0]) == ["编号", "标题", "状态", "类别", "来源", "上报时间", "处置时限"]
    expected = _count(db, select(Event).where(Event.state == "reported", Event.needs_triage.is_(False)))
    assert expected > 0 and len(sheets["events"]) - 1 == expected


def test_an_export_follows_the_asked_sort(client: TestClient, db: Session, everything, admin) -> None:
    r = client.get("/app/projects?sort=-code&export=xlsx", headers=admin.headers)
    codes = [row[0] for row in _sheets(r.content)["sheet1"][1:]]
    assert codes == sorted(db.scalars(select(Project.code)), reverse=True) and len(codes) > 1
