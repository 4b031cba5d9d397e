"""Key-project pages: the scoped list with filters and export, the detail's plan-vs-actual data, and the
monthly progress form (validated in Chinese, refused outside the department's projects)."""

from __future__ import annotations

import io
import json
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook


def test_the_project_list_filters_by_level_and_exports(client: TestClient, ledger, leader) -> None:
    page = client.get("/app/projects?level=suzhou", headers=leader.headers).text
    assert "共 2 条" in page and "P2 高端装备智能制造项目" in page and "P1 " not in page
    r = client.get("/app/projects?level=suzhou&export=xlsx", headers=leader.headers)
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][0] == "项目编号" and sorted(row[0] for row in rows[1:]) == ["P2", "P6"]


def test_a_department_lists_only_its_projects(client: TestClient, ledger, dept_staff) -> None:
    page = client.get("/app/projects", headers=dept_staff.headers).text
    assert "共 3 条" in page


def test_the_detail_carries_the_planned_path_and_the_actuals(client: TestClient, ledger, leader) -> None:
    page = client.get(f"/app/projects/{ledger['P3'].id}", headers=leader.headers).text
    chart = json.loads(re.search(r"data-chart='([^']*)'", page).group(1).replace("&#39;", "'"))
    # plan 800 from May: 1/8 of it at the end of May, all of it at the end of December
    assert chart["planned"][3] == 0 and chart["planned"][4] == 100 and chart["planned"][11] == 800
    assert chart["actual"][5] == 200 and len(chart["actual"]) == 9


def test_a_department_reports_the_months_progress(client: TestClient, db, ledger, dept_staff) -> None:
    from citycockpit.projects import service

    project = ledger["P3"]
    r = client.post(
        f"/app/projects/{project.id}/progress",
        data={"csrf_token": dept_staff.csrf_token, "month": "9", "actual": "450", "note": "设备进场"},
        headers={"Cookie": dept_staff.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    september = [p for p in service.list_progress(db, project.id, 2024) if p.month == 9]
    assert september[0].actual_cumulative_wan_cny == 450 and september[0].note == "设备进场"


def test_a_progress_below_an_earlier_month_is_refused_with_the_reason(
    client: TestClient,
    ledger,
    dept_staff,
) -> None:
    r = client.post(
        f"/app/projects/{ledger['P3'].id}/progress",
        data={"csrf_token": dept_staff.csrf_token, "month": "9", "actual": "150"},
        headers=dept_staff.headers,
    )
    assert r.status_code == 422 and "未保存" in r.text


def test_a_non_number_is_explained_in_chinese(client: TestClient, ledger, dept_staff) -> None:
    r = client.post(
        f"/app/projects/{ledger['P3'].id}/progress",
        data={"csrf_token": dept_staff.csrf_token, "month": "9", "actual": "四百"},
        headers=dept_staff.headers,
    )
    assert r.status_code == 422 and "请输入数字" in r.text


def test_another_departments_project_does_not_exist_for_it(client: TestClient, ledger, dept_staff) -> None:
    r = client.get(f"/app/projects/{ledger['P1'].id}", headers=dept_staff.headers)
    assert r.status_code == 404 and "not_found" in r.text
