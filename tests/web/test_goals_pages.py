"""Goal pages: the filtered list, the detail with its monthly chart, report submission by the lead
department (validated in Chinese), review by the supervisor, the bulletin page, and creating goals from
the reviewed ledger."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.goals.enums import GoalSource
from citycockpit.goals.models import Goal, ProgressReport
from citycockpit.report import service as report_service
from tests.goals.builders import ACTOR, make_goal, run_daily_evaluation


@pytest.fixture
def goals(db: Session, clock: Clock, city):  # type: ignore[no-untyped-def]
    now = clock.now()
    made = {
        "charging": make_goal(
            db,
            now=now,
            title="新建新能源充电站40座",
            lead_department_id=city["cgj"].id,
            source=GoalSource.MANUAL,
        ),
        "plan": make_goal(db, now=now, title="编制产业发展规划", lead_department_id=city["fgw"].id),
    }
    run_daily_evaluation(db, now=now)
    return made


def test_the_goal_list_filters_by_lead_department(client: TestClient, goals, supervisor, city) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/app/goals?department={city['cgj'].id}", headers=supervisor.headers).text
    assert "新建新能源充电站40座" in page and "编制产业发展规划" not in page
    assert row_cells(page, "新建新能源充电站40座")[:3] == [
        "新建新能源充电站40座",
        "城管局",
        "未报送",
    ]  # no report
    assert '<span class="badge tone-grey">未报送</span>' in page  # in grey


def row_cells(page: str, first: str) -> list[str]:
    """The text of the cells of the table row holding a cell `first`, from that cell on (markup and
    attributes aside)."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if first in cells:
            return cells[cells.index(first) :]
    raise AssertionError(f"no row has a cell {first}")


def test_the_goal_list_offers_the_lead_departments_as_a_filter(
    client: TestClient, goals, supervisor, city
) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/goals", headers=supervisor.headers).text
    options = re.findall(
        r'<option value="(\d+)"[^>]*>([^<]*)</option>',
        page.split('name="department"')[1].split("</select>")[0],
    )
    assert options == sorted(
        [(str(city["cgj"].id), "城管局"), (str(city["fgw"].id), "发改委")],
        key=lambda o: {"城管局": city["cgj"].code, "发改委": city["fgw"].code}[o[1]],
    )


def test_a_department_lists_only_its_goals(client: TestClient, goals, dept_staff) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/goals", headers=dept_staff.headers).text
    assert "新建新能源充电站40座" in page and "编制产业发展规划" not in page


def test_the_lead_department_reports_progress_and_the_supervisor_accepts_it(
    client: TestClient, db: Session, goals, dept_staff, supervisor
) -> None:  # type: ignore[no-untyped-def]
    goal = goals["charging"]
    r = client.post(
        f"/app/goals/{goal.id}/reports",
        data={
            "csrf_token": dept_staff.csrf_token,
            "period": "2024-09",
            "percent": "70",
            "narrative": "已建成28座",
        },
        headers={"Cookie": dept_staff.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    report = db.scalars(select(ProgressReport).where(ProgressReport.goal_id == goal.id)).one()
    assert (report.percent, report.state) == (70, "submitted")
    r = client.post(
        f"/app/goals/reports/{report.id}/review",
        data={"csrf_token": supervisor.csrf_token, "decision": "accept"},
        headers={"Cookie": supervisor.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.refresh(report)
    assert report.state == "accepted"
    page = client.get(f"/app/goals/{goal.id}", headers=supervisor.headers).text
    chart = json.loads(re.search(r"data-chart='([^']*)'", page).group(1))
    assert chart["months"][-1] == "2024-09" and chart["progress"][-1] == 70


def test_a_report_out_of_range_is_explained_in_chinese(client: TestClient, goals, dept_staff) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        f"/app/goals/{goals['charging'].id}/reports",
        data={"csrf_token": dept_staff.csrf_token, "period": "2024-09", "percent": "120", "narrative": "x"},
        headers=dept_staff.headers,
    )
    assert r.status_code == 422 and "进度须在 0 到 100 之间" in r.text


def test_another_departments_goal_cannot_be_reported_on(client: TestClient, goals, dept_staff) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        f"/app/goals/{goals['plan'].id}/reports",
        data={"csrf_token": dept_staff.csrf_token, "period": "2024-09", "percent": "50", "narrative": "x"},
        headers=dept_staff.headers,
    )
    assert r.status_code == 404


def test_returning_a_report_needs_a_comment(
    client: TestClient, db: Session, goals, dept_staff, supervisor
) -> None:  # type: ignore[no-untyped-def]
    goal = goals["charging"]
    client.post(
        f"/app/goals/{goal.id}/reports",
        data={
            "csrf_token": dept_staff.csrf_token,
            "period": "2024-09",
            "percent": "70",
            "narrative": "已建成28座",
        },
        headers=dept_staff.headers,
    )
    report = db.scalars(select(ProgressReport).where(ProgressReport.goal_id == goal.id)).one()
    r = client.post(
        f"/app/goals/reports/{report.id}/review",
        data={"csrf_token": supervisor.csrf_token, "decision": "return"},
        headers=supervisor.headers,
    )
    assert r.status_code == 422 and "退回报告时请填写需要修改的内容" in r.text


def test_the_bulletin_page_counts_statuses_and_links_its_downloads(client: TestClient, goals, leader) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/goals/bulletin?period=2024-09", headers=leader.headers).text
    assert "未报送 2 项" in page
    assert "/api/v1/goals/bulletin?period=2024-09&amp;format=xlsx" in page


def test_a_supervisor_creates_goals_from_confirmed_items(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:  # type: ignore[no-untyped-def]
    data = resources.files("citycockpit.report").joinpath("samples/taicang-2024-government-work-report.txt")
    report, _ = report_service.ingest_report(db, data.read_bytes(), "r.txt", actor=ACTOR, now=clock.now())
    item = report_service.list_items(db, report.id, list_name="targets")[0][0]
    report_service.review_item(db, item.id, action="confirm", actor=ACTOR, now=clock.now())
    r = client.post(
        f"/app/reports/{report.id}/goals",
        data={"csrf_token": supervisor.csrf_token},
        headers={"Cookie": supervisor.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "goals_created=" in r.headers["location"]
    assert db.scalars(select(Goal).where(Goal.report_item_id == item.id)).first() is not None
