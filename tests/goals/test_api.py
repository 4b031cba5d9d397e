"""The goals API under the auth rules: scope, permissions, computed statuses, periods, alerts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.core.clock import Clock
from tests.goals.builders import make_goal, run_daily_evaluation

REPORT = {"period": "2024-06", "percent": 55, "narrative": "完成选址12处，开工8座"}


def test_the_lead_department_reports_on_its_goal(
    client: TestClient, db: Session, clock: Clock, city, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    r = client.post(f"/api/v1/goals/{goal.id}/reports", json=REPORT, headers=dept_staff.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["state"], r.json()["percent"], r.json()["department_id"]) == (
        "submitted",
        55,
        city["cgj"].id,
    )


def test_a_department_cannot_report_on_another_departments_goal(
    client: TestClient, db: Session, clock: Clock, city, other_dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    r = client.post(f"/api/v1/goals/{goal.id}/reports", json=REPORT, headers=other_dept_staff.headers)
    assert (r.status_code, r.json()["code"]) == (404, "goal_not_found")
    assert client.get(f"/api/v1/goals/{goal.id}", headers=other_dept_staff.headers).status_code == 404


def test_a_co_operating_department_sees_the_goal_and_comments_but_does_not_report(
    client: TestClient, db: Session, clock: Clock, city, other_dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(
        db, now=clock.now(), lead_department_id=city["cgj"].id, co_department_ids=[city["fgw"].id]
    )
    assert client.get(f"/api/v1/goals/{goal.id}", headers=other_dept_staff.headers).status_code == 200
    r = client.post(f"/api/v1/goals/{goal.id}/reports", json=REPORT, headers=other_dept_staff.headers)
    assert (r.status_code, r.json()["code"]) == (403, "not_lead_department")
    r = client.post(
        f"/api/v1/goals/{goal.id}/comments",
        json={"period": "2024-06", "body": "已配合完成用地预审"},
        headers=other_dept_staff.headers,
    )
    assert r.status_code == 201


def test_a_department_lists_only_the_goals_it_leads_or_co_operates_on(
    client: TestClient, db: Session, clock: Clock, city, dept_staff, supervisor
) -> None:  # type: ignore[no-untyped-def]
    own = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    co = make_goal(db, now=clock.now(), lead_department_id=city["fgw"].id, co_department_ids=[city["cgj"].id])
    make_goal(db, now=clock.now(), lead_department_id=city["fgw"].id)
    mine = client.get("/api/v1/goals?period=2024-06", headers=dept_staff.headers).json()
    assert sorted(g["id"] for g in mine["items"]) == sorted([own.id, co.id]) and mine["total"] == 2
    assert client.get("/api/v1/goals?period=2024-06", headers=supervisor.headers).json()["total"] == 3


def test_the_supervisor_returns_a_report_with_a_comment_and_the_leader_cannot(
    client: TestClient, db: Session, clock: Clock, city, dept_staff, supervisor, leader
) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    rid = client.post(f"/api/v1/goals/{goal.id}/reports", json=REPORT, headers=dept_staff.headers).json()[
        "id"
    ]
    refused = client.post(
        f"/api/v1/goals/reports/{rid}/return", json={"comment": "补充材料"}, headers=leader.headers
    )
    assert refused.status_code == 403
    r = client.post(
        f"/api/v1/goals/reports/{rid}/return", json={"comment": "请补充开工照片"}, headers=supervisor.headers
    )
    assert (r.status_code, r.json()["state"], r.json()["review_comment"]) == (
        200,
        "returned",
        "请补充开工照片",
    )
    missing = client.get("/api/v1/goals/reminders?period=2024-06", headers=supervisor.headers).json()
    assert [g["id"] for g in missing] == [goal.id]


def test_a_computed_status_cannot_be_set_by_hand(
    client: TestClient, db: Session, clock: Clock, city, supervisor
) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    r = client.patch(f"/api/v1/goals/{goal.id}", json={"status": "on_track"}, headers=supervisor.headers)
    assert (r.status_code, r.json()["code"]) == (409, "goal_status_computed")
    ok = client.patch(
        f"/api/v1/goals/{goal.id}", json={"responsible_person": "王芳"}, headers=supervisor.headers
    )
    assert ok.status_code == 200 and ok.json()["responsible_person"] == "王芳"


def test_only_the_supervisor_creates_and_assigns_goals(
    client: TestClient, db: Session, clock: Clock, city, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    body = {"title": "新建幸福河湖100条", "year": 2024, "lead_department_id": city["cgj"].id}
    assert client.post("/api/v1/goals", json=body, headers=dept_staff.headers).status_code == 403
    r = client.post("/api/v1/goals", json=body, headers=supervisor.headers)
    assert r.status_code == 201 and r.json()["key"] == "2024-001"
    a = client.put(
        f"/api/v1/goals/{r.json()['id']}/assignment",
        json={"lead_department_id": city["fgw"].id, "co_department_ids": [city["cgj"].id]},
        headers=supervisor.headers,
    )
    assert (a.json()["lead_department_id"], a.json()["co_department_ids"]) == (
        city["fgw"].id,
        [city["cgj"].id],
    )


def test_a_locked_period_refuses_reports_until_the_supervisor_unlocks_it(
    client: TestClient, db: Session, clock: Clock, city, dept_staff, supervisor
) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    assert client.post("/api/v1/goals/periods/2024-06/lock", headers=dept_staff.headers).status_code == 403
    assert (
        client.post("/api/v1/goals/periods/2024-06/lock", headers=supervisor.headers).json()["state"]
        == "locked"
    )
    r = client.post(f"/api/v1/goals/{goal.id}/reports", json=REPORT, headers=dept_staff.headers)
    assert (r.status_code, r.json()["code"]) == (409, "period_locked")
    u = client.post(
        "/api/v1/goals/periods/2024-06/unlock", json={"reason": "补报6月进展"}, headers=supervisor.headers
    )
    assert u.json()["state"] == "open"
    assert (
        client.post(f"/api/v1/goals/{goal.id}/reports", json=REPORT, headers=dept_staff.headers).status_code
        == 201
    )
    unlock = db.scalars(select(AuditEntry).where(AuditEntry.action == "goal_period.unlock")).one()
    assert "补报6月进展" in unlock.diff_json and unlock.actor_name.endswith("supervisor")


def test_alerts_are_listed_per_department_in_scope(
    client: TestClient, db: Session, clock: Clock, city, dept_staff, supervisor
) -> None:  # type: ignore[no-untyped-def]
    mine = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    theirs = make_goal(db, now=clock.now(), lead_department_id=city["fgw"].id)
    run_daily_evaluation(db, now=clock.now())
    body = client.get("/api/v1/goals/alerts?period=2024-06", headers=supervisor.headers).json()
    assert {a["goal_id"] for a in body["items"]} == {mine.id, theirs.id}
    assert {(d["department_id"], d["kind"]) for d in body["by_department"]} == {
        (city["cgj"].id, "report_missing"),
        (city["fgw"].id, "report_missing"),
    }
    own = client.get("/api/v1/goals/alerts?period=2024-06", headers=dept_staff.headers).json()
    assert [a["goal_id"] for a in own["items"]] == [mine.id]


def test_actuals_import_needs_its_permission(
    client: TestClient, db: Session, clock: Clock, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/v1/goals/series", json={"name": "工业投资", "unit": "亿元"}, headers=supervisor.headers)
    files = {"file": ("a.csv", "指标,期间,数值,同比\n工业投资,2024-06,120,6.2\n".encode(), "text/csv")}
    assert (
        client.post("/api/v1/goals/actuals/import", files=files, headers=dept_staff.headers).status_code
        == 403
    )
    r = client.post("/api/v1/goals/actuals/import", files=files, headers=supervisor.headers)
    assert (r.status_code, r.json()["created"]) == (200, 1)
    bad = {"file": ("b.csv", "指标,期间,数值\n工业增加值,2024-06,1\n".encode(), "text/csv")}
    r = client.post("/api/v1/goals/actuals/import", files=bad, headers=supervisor.headers)
    assert (r.status_code, r.json()["code"], r.json()["errors"][0]["row"]) == (422, "import_failed", 2)


def test_the_department_completes_its_own_milestone_with_evidence(
    client: TestClient, db: Session, clock: Clock, city, dept_staff, other_dept_staff, supervisor
) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    ms = client.post(
        f"/api/v1/goals/{goal.id}/milestones",
        json={"title": "完成立项", "due_on": "2024-05-31"},
        headers=supervisor.headers,
    ).json()
    path = f"/api/v1/goals/milestones/{ms['id']}/complete"
    assert (
        client.post(path, json={"evidence": "批复文件"}, headers=other_dept_staff.headers).status_code == 404
    )
    r = client.post(
        path,
        json={"evidence": "立项批复文号太发改〔2024〕12号", "completed_on": "2024-05-20"},
        headers=dept_staff.headers,
    )
    assert (r.status_code, r.json()["completed_on"]) == (200, "2024-05-20")


def test_the_statistics_bureaus_token_imports_actuals_but_reads_no_goals(
    client: TestClient, db: Session, clock: Clock
) -> None:
    from citycockpit.auth import tokens
    from citycockpit.core.actors import SystemActor
    from tests.goals.builders import make_series

    make_series(db, "社会消费品零售总额", now=clock.now(), aliases=["社零总额"])
    created = tokens.create_token(
        db, name="统计局", scopes=["actuals:import"], actor=SystemActor("t"), now=clock.now()
    )
    headers = {"Authorization": f"Bearer {created.secret}"}
    files = {
        "file": (
            "m.csv",
            "指标名称,月份,累计值,同比增长(%)\n社零总额,2024年6月,281.4,5.8\n".encode(),
            "text/csv",
        )
    }
    r = client.post("/api/v1/goals/actuals/import", files=files, headers=headers)
    assert (r.status_code, r.json()["periods"]) == (200, ["2024-06"])
    assert client.get("/api/v1/goals", headers=headers).status_code == 403
