"""Statuses are computed on the writes that change them (API, pages, CLI) and by the worker once a day for
what changes with the date alone; the stored evaluation of this month (2024-09, the clock's) is read back
straight from the table, with no GET in between."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit.cli import app as cli_app
from citycockpit.db import session_scope
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.goals import evaluation, periods, service, tasks_io
from citycockpit.goals.models import Goal, GoalAlert, GoalEvaluation
from citycockpit.goals.status import Thresholds
from tests.goals.builders import ACTOR, add_milestone, make_goal, make_series

REPORT = {"period": "2024-09", "percent": 80, "narrative": "已建成32座"}


def _status(db: Session, goal_id: int, period: str = "2024-09") -> str | None:
    db.expire_all()
    return db.scalar(
        select(GoalEvaluation.status).where(
            GoalEvaluation.goal_id == goal_id, GoalEvaluation.period == period
        )
    )


def _create(client: TestClient, supervisor, city, **fields) -> int:  # type: ignore[no-untyped-def]
    body = {"title": "新建新能源充电站40座", "year": 2024, "lead_department_id": city["cgj"].id, **fields}
    r = client.post("/api/v1/goals", json=body, headers=supervisor.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_a_created_goal_is_evaluated_for_every_month_of_its_year_up_to_now(
    client: TestClient, db: Session, city, supervisor
) -> None:  # type: ignore[no-untyped-def]
    goal_id = _create(client, supervisor, city)
    stored = db.scalars(
        select(GoalEvaluation.period).where(GoalEvaluation.goal_id == goal_id).order_by(GoalEvaluation.period)
    ).all()
    assert stored == [f"2024-{m:02d}" for m in range(1, 10)]
    assert _status(db, goal_id) == "not_reported"


def test_a_submitted_report_re_evaluates_its_goal(
    client: TestClient, db: Session, city, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal_id = _create(client, supervisor, city)
    r = client.post(f"/api/v1/goals/{goal_id}/reports", json=REPORT, headers=dept_staff.headers)
    assert r.status_code == 201
    assert _status(db, goal_id) == "ahead"  # 80% ≥ 时序进度 74.9% + 5


def test_returning_a_report_makes_its_goal_not_reported_again(
    client: TestClient, db: Session, city, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal_id = _create(client, supervisor, city)
    rid = client.post(f"/api/v1/goals/{goal_id}/reports", json=REPORT, headers=dept_staff.headers).json()[
        "id"
    ]
    r = client.post(
        f"/api/v1/goals/reports/{rid}/return", json={"comment": "请补充照片"}, headers=supervisor.headers
    )
    assert r.status_code == 200
    assert _status(db, goal_id) == "not_reported"


def test_a_milestone_past_its_date_makes_the_goal_overdue_and_completing_it_clears_that(
    client: TestClient, db: Session, city, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal_id = _create(client, supervisor, city)
    client.post(f"/api/v1/goals/{goal_id}/reports", json=REPORT, headers=dept_staff.headers)
    ms = client.post(
        f"/api/v1/goals/{goal_id}/milestones",
        json={"title": "完成选址", "due_on": "2024-08-31"},
        headers=supervisor.headers,
    ).json()
    assert _status(db, goal_id) == "overdue"
    r = client.post(
        f"/api/v1/goals/milestones/{ms['id']}/complete",
        json={"evidence": "选址批复", "completed_on": "2024-09-02"},
        headers=dept_staff.headers,
    )
    assert r.status_code == 200
    assert _status(db, goal_id) == "ahead"


def test_editing_a_goal_and_its_monthly_plan_re_evaluate_it(
    client: TestClient, db: Session, city, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal_id = _create(client, supervisor, city)
    client.post(f"/api/v1/goals/{goal_id}/reports", json=REPORT, headers=dept_staff.headers)
    plan = client.put(
        f"/api/v1/goals/{goal_id}/trajectory", json={"plan": {"9": 0.9}}, headers=supervisor.headers
    )
    assert plan.status_code == 200
    assert _status(db, goal_id) == "behind"  # 80% < planned 90% − 5
    done = client.patch(f"/api/v1/goals/{goal_id}", json={"is_done": True}, headers=supervisor.headers)
    assert done.status_code == 200
    assert _status(db, goal_id) == "done"


def test_importing_actuals_re_evaluates_the_goals_that_follow_the_series(
    client: TestClient, db: Session, city, supervisor
) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/v1/goals/series", json={"name": "工业投资", "unit": "亿元"}, headers=supervisor.headers)
    series_id = client.get("/api/v1/goals/series", headers=supervisor.headers).json()[0]["id"]
    goal_id = _create(
        client, supervisor, city, measure="growth", qualifier=">=", target_value=6, series_id=series_id
    )
    assert _status(db, goal_id) == "no_data"
    files = {"file": ("a.csv", "指标,期间,数值,同比\n工业投资,2024-08,180,7.5\n".encode(), "text/csv")}
    r = client.post("/api/v1/goals/actuals/import", files=files, headers=supervisor.headers)
    assert (r.status_code, sorted(r.json())) == (200, ["created", "periods", "replaced", "unchanged"])
    assert (_status(db, goal_id, "2024-07"), _status(db, goal_id, "2024-08")) == ("no_data", "met")


def test_the_workbench_report_form_and_review_re_evaluate_the_goal(
    client: TestClient, db: Session, city, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal_id = _create(client, supervisor, city)
    form = {
        "csrf_token": dept_staff.csrf_token,
        "period": "2024-09",
        "percent": "80",
        "narrative": "已建成32座",
    }
    r = client.post(
        f"/app/goals/{goal_id}/reports",
        data=form,
        headers={"Cookie": dept_staff.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and _status(db, goal_id) == "ahead"
    rid = client.get(f"/api/v1/goals/reports?goal_id={goal_id}", headers=supervisor.headers).json()[0]["id"]
    r = client.post(
        f"/app/goals/reports/{rid}/review",
        data={"csrf_token": supervisor.csrf_token, "decision": "return", "comment": "请补充照片"},
        headers={"Cookie": supervisor.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and _status(db, goal_id) == "not_reported"


def test_a_task_sheet_import_evaluates_the_goals_it_adds(
    client: TestClient, db: Session, supervisor, city
) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import xlsx_bytes

    data = xlsx_bytes(
        "任务分解表", tasks_io.HEADERS, [["", 1, "新建幸福河湖100条", "城管局", "", "", "", ""]]
    )
    files = {"file": ("tasks.xlsx", data, "application/octet-stream")}
    r = client.post("/api/v1/goals/import-tasks?year=2024", files=files, headers=supervisor.headers)
    assert (r.status_code, r.json()["created"]) == (200, 1)
    goal_id = db.scalar(select(Goal.id).where(Goal.title == "新建幸福河湖100条"))
    assert goal_id is not None and _status(db, goal_id) == "not_reported"


def test_a_locked_month_keeps_its_statuses_through_later_writes(
    client: TestClient, db: Session, city, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    goal_id = _create(client, supervisor, city)
    assert client.post("/api/v1/goals/periods/2024-08/lock", headers=supervisor.headers).status_code == 200
    client.patch(f"/api/v1/goals/{goal_id}", json={"is_done": True}, headers=supervisor.headers)
    assert (_status(db, goal_id, "2024-08"), _status(db, goal_id, "2024-09")) == ("not_reported", "done")


# ---------------------------------------------------------------- the worker's daily job

SEPT_20 = datetime(2024, 9, 20, 2, 0, tzinfo=UTC)  # 10:00 in Taicang
SEPT_26 = datetime(2024, 9, 25, 17, 0, tzinfo=UTC)  # 01:00 on the 26th in Taicang


def _milestone_goal(db: Session, city, now: datetime) -> Goal:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=now, lead_department_id=city["cgj"].id)
    add_milestone(db, goal, date(2024, 9, 25), now=now, title="完成主体施工")
    evaluation.reevaluate(db, goal_ids=[goal.id], today=date(2024, 9, 20), thresholds=Thresholds(), now=now)
    return goal


def test_the_daily_job_makes_a_goal_overdue_once_its_milestone_date_has_passed(db: Session, city) -> None:  # type: ignore[no-untyped-def]
    goal = _milestone_goal(db, city, SEPT_20)
    assert _status(db, goal.id) == "not_reported"
    result = evaluation.evaluate_goals_job(db, now=SEPT_26, calendar=DEFAULT_CALENDAR)
    assert (result.name, result.touched) == ("goals", 9)  # January to September
    assert _status(db, goal.id) == "overdue"
    kinds = set(
        db.scalars(select(GoalAlert.kind).where(GoalAlert.goal_id == goal.id, GoalAlert.period == "2024-09"))
    )
    assert kinds == {"milestone_overdue", "turned_red"}  # 逾期 is red


def test_the_daily_job_runs_once_a_day(db: Session, city) -> None:  # type: ignore[no-untyped-def]
    _milestone_goal(db, city, SEPT_20)
    assert evaluation.evaluate_goals_job(db, now=SEPT_26, calendar=DEFAULT_CALENDAR).touched == 9
    later = SEPT_26.replace(hour=23)  # 07:00 the same local day
    assert evaluation.evaluate_goals_job(db, now=later, calendar=DEFAULT_CALENDAR).touched == 0
    next_day = datetime(2024, 9, 26, 16, 30, tzinfo=UTC)  # 00:30 on the 27th
    assert evaluation.evaluate_goals_job(db, now=next_day, calendar=DEFAULT_CALENDAR).touched == 9


def test_the_daily_job_leaves_a_locked_month_as_it_was(db: Session, city) -> None:  # type: ignore[no-untyped-def]
    goal = _milestone_goal(db, city, SEPT_20)
    periods.lock_period(db, "2024-09", actor=ACTOR, now=SEPT_20)
    assert evaluation.evaluate_goals_job(db, now=SEPT_26, calendar=DEFAULT_CALENDAR).touched == 8
    assert _status(db, goal.id) == "not_reported"


def test_in_january_the_daily_job_also_closes_last_december(db: Session, city) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=SEPT_20, lead_department_id=city["cgj"].id, year=2024)
    new_year = datetime(2025, 1, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 January 2025
    assert evaluation.evaluate_goals_job(db, now=new_year, calendar=DEFAULT_CALENDAR).touched == 1
    assert _status(db, goal.id, "2024-12") == "not_reported"
    missing = db.scalar(
        select(func.count()).where(GoalAlert.goal_id == goal.id, GoalAlert.kind == "report_missing")
    )
    assert missing == 1  # December is over and was not reported


def test_the_worker_command_runs_the_goals_job(
    fresh_db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = fresh_db
    with session_scope(engine) as session:
        goal = service.create_goal(session, title="新建学校8所", year=2024, actor=ACTOR, now=SEPT_20)
        goal_id = goal.id
    monkeypatch.setenv("CITYCOCKPIT_TODAY", "2024-09-30")
    result = CliRunner().invoke(cli_app, ["worker", "--once", "--db", url])
    assert result.exit_code == 0, result.output
    assert "goals" in result.output
    with Session(engine) as session:
        assert _status(session, goal_id) == "not_reported"


def test_judging_the_earlier_months_again_keeps_this_months_red_alert_open(db: Session, city) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=SEPT_20, lead_department_id=city["cgj"].id)
    add_milestone(db, goal, date(2024, 9, 10), now=SEPT_20, title="完成主体施工")
    for _write in range(2):  # January to August are grey (未报送), September red (逾期)
        evaluation.reevaluate(
            db, goal_ids=[goal.id], today=date(2024, 9, 20), thresholds=Thresholds(), now=SEPT_20
        )
    open_red = db.scalars(
        select(GoalAlert.period).where(
            GoalAlert.goal_id == goal.id, GoalAlert.kind == "turned_red", GoalAlert.resolved_at.is_(None)
        )
    ).all()
    assert (_status(db, goal.id), open_red) == ("overdue", ["2024-09"])


def test_the_actuals_import_command_re_evaluates_the_goals_that_follow_the_series(
    fresh_db: tuple[str, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = fresh_db
    with session_scope(engine) as session:
        series = make_series(session, "地区生产总值", now=SEPT_20, aliases=["GDP"])
        goal = make_goal(
            session,
            now=SEPT_20,
            title="地区生产总值增长5%以上",
            measure="growth",
            qualifier=">=",
            target_value=5,
            series_id=series.id,
        )
        goal_id = goal.id
    actuals = tmp_path / "统计月报-2024-08.csv"
    actuals.write_text("指标,期间,数值,同比\nGDP,2024-08,1150,5.4\n", encoding="utf-8")
    monkeypatch.setenv("CITYCOCKPIT_TODAY", "2024-09-30")
    result = CliRunner().invoke(cli_app, ["actuals", "import", str(actuals), "--db", url])
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert (_status(session, goal_id, "2024-07"), _status(session, goal_id)) == ("no_data", "met")
