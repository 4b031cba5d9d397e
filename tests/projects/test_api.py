"""The projects API through the real app: scope, permissions, life cycle, plans, progress, reports."""

from __future__ import annotations

from citycockpit.projects.enums import ProjectStage
from tests.projects.conftest import make_project


def _cgj_project(db, clock, city, code="A1", **kw):  # type: ignore[no-untyped-def]
    return make_project(db, clock, city, code, department_id=city["cgj"].id, **kw)


def test_a_department_lists_only_its_own_projects(client, db, clock, city, dept_staff) -> None:
    _cgj_project(db, clock, city, "A1")
    make_project(db, clock, city, "B1")  # 发改委's
    r = client.get("/api/v1/projects", headers=dept_staff.headers)
    assert r.status_code == 200
    assert [p["code"] for p in r.json()["items"]] == ["A1"]


def test_a_leader_lists_every_project(client, db, clock, city, leader) -> None:
    _cgj_project(db, clock, city, "A1")
    make_project(db, clock, city, "B1")
    r = client.get("/api/v1/projects", headers=leader.headers)
    assert r.json()["total"] == 2


def test_another_departments_project_is_not_found(
    client, db, clock, city, other_dept_staff, dept_staff
) -> None:
    project = _cgj_project(db, clock, city)
    assert client.get(f"/api/v1/projects/{project.id}", headers=dept_staff.headers).status_code == 200
    r = client.get(f"/api/v1/projects/{project.id}", headers=other_dept_staff.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


def test_a_department_reports_progress_on_its_own_project_but_not_anothers(
    client, db, clock, city, dept_staff, other_dept_staff
) -> None:
    project = _cgj_project(db, clock, city)
    body = {"actual_cumulative_wan_cny": 1200, "note": "主体结构封顶", "photo_refs": ["2024-09/site.jpg"]}
    r = client.put(f"/api/v1/projects/{project.id}/progress/2024-09", json=body, headers=dept_staff.headers)
    assert r.status_code == 200 and r.json()["actual_cumulative_wan_cny"] == 1200
    assert r.json()["photo_refs"] == ["2024-09/site.jpg"]
    r = client.put(
        f"/api/v1/projects/{project.id}/progress/2024-09", json=body, headers=other_dept_staff.headers
    )
    assert r.status_code == 404


def test_a_town_sees_projects_in_its_area_only(client, db, clock, city, town_staff) -> None:
    make_project(db, clock, city, "IN")
    make_project(db, clock, city, "OUT", area_code=city["town_b"].code)
    r = client.get("/api/v1/projects", headers=town_staff.headers)
    assert [p["code"] for p in r.json()["items"]] == ["IN"]


def test_a_grid_worker_may_not_read_projects(client, grid_worker) -> None:
    assert client.get("/api/v1/projects", headers=grid_worker.headers).status_code == 403


def test_the_project_office_creates_a_project_and_a_department_may_not(
    client, city, supervisor, dept_staff
) -> None:
    body = {
        "code": "TC2024-900",
        "name": "舍弗勒智能装备扩产项目",
        "level": "suzhou",
        "industry": "高端装备",
        "investor": "舍弗勒(中国)有限公司",
        "is_foreign_funded": True,
        "currency": "EUR",
        "area_code": city["town_a"].code,
        "department_id": city["fgw"].id,
        "total_investment_wan_cny": 120000,
        "stage": "approved",
    }
    assert client.post("/api/v1/projects", json=body, headers=dept_staff.headers).status_code == 403
    r = client.post("/api/v1/projects", json=body, headers=supervisor.headers)
    assert r.status_code == 201 and r.json()["stage"] == "approved"
    again = client.post("/api/v1/projects", json=body, headers=supervisor.headers)
    assert (again.status_code, again.json()["code"]) == (409, "project_code_taken")


def test_an_unknown_industry_is_a_clear_error(client, city, supervisor) -> None:
    body = {
        "code": "X",
        "name": "x",
        "level": "city",
        "industry": "炼金术",
        "area_code": city["town_a"].code,
        "department_id": city["fgw"].id,
        "total_investment_wan_cny": 1,
    }
    r = client.post("/api/v1/projects", json=body, headers=supervisor.headers)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "invalid_project", "industry")


def test_moving_a_stage_back_without_a_reason_is_refused_over_http(
    client, db, clock, city, dept_staff
) -> None:
    project = _cgj_project(db, clock, city, stage=ProjectStage.STARTED)
    url = f"/api/v1/projects/{project.id}/stage"
    r = client.post(url, json={"stage": "approved"}, headers=dept_staff.headers)
    assert (r.status_code, r.json()["code"]) == (422, "project_stage_reason_required")
    r = client.post(
        url, json={"stage": "approved", "reason": "规划调整，重新报批"}, headers=dept_staff.headers
    )
    assert r.status_code == 201 and r.json()["is_backward"] is True


def test_a_skipped_forward_move_lists_the_skipped_stages(client, db, clock, city, dept_staff) -> None:
    project = _cgj_project(db, clock, city, stage=ProjectStage.LAND)
    r = client.post(
        f"/api/v1/projects/{project.id}/stage",
        json={"stage": "construction", "changed_on": "2024-09-01"},
        headers=dept_staff.headers,
    )
    assert r.json()["skipped_stages"] == ["approved", "started"]
    detail = client.get(f"/api/v1/projects/{project.id}", headers=dept_staff.headers).json()
    assert [c["to_stage"] for c in detail["stage_changes"]] == ["land", "construction"]
    assert detail["actual_start_on"] == "2024-09-01"


def test_setting_a_plan_needs_the_project_office(client, db, clock, city, dept_staff, supervisor) -> None:
    project = _cgj_project(db, clock, city)
    body = {"planned_investment_wan_cny": 3000, "start_month": 4}
    url = f"/api/v1/projects/{project.id}/plans/2024"
    assert client.put(url, json=body, headers=dept_staff.headers).status_code == 403
    r = client.put(url, json=body, headers=supervisor.headers)
    assert r.json() == {"year": 2024, "planned_investment_wan_cny": 3000.0, "start_month": 4}


def test_completion_and_lagging_come_out_of_the_api(client, ledger, leader) -> None:
    r = client.get("/api/v1/projects/completion?period=2024-06&by=department", headers=leader.headers)
    body = r.json()
    assert body["totals"]["lagging"] == 2 and body["margin_pct"] == 10.0
    assert {g["label"] for g in body["groups"]} == {"发改委", "城管局"}
    lag = client.get("/api/v1/projects/lagging?period=2024-06", headers=leader.headers).json()
    assert [p["code"] for p in lag["lagging"]] == ["P6", "P2"]
    assert [p["code"] for p in lag["no_plan"]] == ["P4"]


def test_a_malformed_period_is_a_problem(client, leader) -> None:
    r = client.get("/api/v1/projects/lagging?period=2024-13", headers=leader.headers)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_period")


def test_attraction_totals_count_signings_per_month_against_the_goal(
    client, city, supervisor, leader
) -> None:
    base = {
        "investor": "模泰柯汽车系统(中国)有限公司",
        "industry": "汽车零部件",
        "area_code": city["town_a"].code,
        "department_id": city["fgw"].id,
    }
    signings = [
        {
            "code": "Q1",
            "name": "模泰柯汽车系统项目",
            "signed_on": "2024-02-10",
            "registered_capital_wan_cny": 5000,
            "total_investment_wan_cny": 80000,
            "currency": "USD",
            "total_investment_wan_foreign": 11000,
            "is_foreign_funded": True,
            "foreign_capital_used_wan_usd": 800,
        },
        {
            "code": "Q2",
            "name": "小型配套项目",
            "signed_on": "2024-02-20",
            "registered_capital_wan_cny": 1500,
            "total_investment_wan_cny": 3000,
        },
        {
            "code": "Q3",
            "name": "高端材料项目",
            "signed_on": "2024-05-03",
            "registered_capital_wan_cny": 2000,
            "total_investment_wan_cny": 120000,
        },
    ]
    for s in signings:
        r = client.post("/api/v1/projects/signings", json={**base, **s}, headers=supervisor.headers)
        assert r.status_code == 201, r.text
    client.put(
        "/api/v1/projects/attraction/goals/2024/major_count",
        json={"target_value": 4},
        headers=supervisor.headers,
    )
    body = client.get("/api/v1/projects/attraction?year=2024", headers=leader.headers).json()
    feb, may = body["months"][1], body["months"][4]
    assert (feb["signed_count"], feb["major_count"]) == (1, 1)  # Q2 is under 2000万 registered capital
    assert (may["cumulative_signed_count"], may["cumulative_total_investment_wan_cny"]) == (2, 200000)
    major = next(t for t in body["totals"] if t["metric"] == "major_count")
    assert (major["actual"], major["target"], major["progress_pct"]) == (2, 4, 50.0)


def test_a_department_lists_only_the_signings_it_made(client, city, supervisor, dept_staff) -> None:
    base = {
        "investor": "太仓某公司",
        "industry": "先进材料",
        "area_code": city["town_a"].code,
        "signed_on": "2024-03-01",
        "registered_capital_wan_cny": 3000,
        "total_investment_wan_cny": 9000,
    }
    client.post(
        "/api/v1/projects/signings",
        json={**base, "code": "S1", "name": "甲项目", "department_id": city["cgj"].id},
        headers=supervisor.headers,
    )
    client.post(
        "/api/v1/projects/signings",
        json={**base, "code": "S2", "name": "乙项目", "department_id": city["fgw"].id},
        headers=supervisor.headers,
    )
    r = client.get("/api/v1/projects/signings?year=2024", headers=dept_staff.headers)
    assert [s["code"] for s in r.json()["items"]] == ["S1"]


def test_an_attraction_goal_links_to_a_tracked_goal_and_shows_its_title(
    client, db, clock, supervisor, leader
) -> None:
    from tests.goals.builders import make_goal

    tracked = make_goal(db, now=clock.now(), title="全年新签约超10亿元或1亿美元重大项目40个")
    r = client.put(
        "/api/v1/projects/attraction/goals/2024/major_count",
        json={"target_value": 40, "goal_ref": str(tracked.id)},
        headers=supervisor.headers,
    )
    assert r.status_code == 200, r.text
    body = client.get("/api/v1/projects/attraction?year=2024", headers=leader.headers).json()
    major = next(t for t in body["totals"] if t["metric"] == "major_count")
    assert (major["goal_ref"], major["goal_title"]) == (
        str(tracked.id),
        "全年新签约超10亿元或1亿美元重大项目40个",
    )


def test_an_attraction_goal_linking_to_no_goal_is_refused(client, supervisor) -> None:
    r = client.put(
        "/api/v1/projects/attraction/goals/2024/major_count",
        json={"target_value": 40, "goal_ref": "987654"},
        headers=supervisor.headers,
    )
    assert (r.status_code, r.json()["code"]) == (404, "goal_not_found")
    r = client.put(
        "/api/v1/projects/attraction/goals/2024/major_count",
        json={"target_value": 40, "goal_ref": "GDP"},
        headers=supervisor.headers,
    )
    assert r.status_code == 422
