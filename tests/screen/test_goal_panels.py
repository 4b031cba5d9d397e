"""Goal panels: the main targets with the rules' status, the monthly growth series against target, and the
status distribution — read through the goals domain (the clock is 2024-09-30; evaluated month 2024-09)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.goals import evaluation
from citycockpit.goals.enums import GoalSource
from citycockpit.goals.status import Thresholds
from tests.goals.builders import add_actuals, make_goal, make_series


@pytest.fixture
def targets(db: Session, clock: Clock, city):  # type: ignore[no-untyped-def]
    now = clock.now()
    gdp = make_series(db, "地区生产总值", now=now)
    add_actuals(db, gdp, 2024, {3: (420.0, 4.9), 6: (860.0, 5.2), 8: (1150.0, 5.4)}, now=now)
    inv = make_series(db, "工业投资", now=now)
    add_actuals(db, inv, 2024, {6: (120.0, -2.3)}, now=now)
    met = make_goal(
        db,
        now=now,
        title="地区生产总值增长5%以上",
        measure="growth",
        qualifier=">=",
        target_value=5,
        unit="%",
        series_id=gdp.id,
        source=GoalSource.TARGET,
        lead_department_id=city["fgw"].id,
    )
    red = make_goal(
        db,
        now=now,
        title="工业投资增长10%",
        measure="growth",
        qualifier="=",
        target_value=10,
        unit="%",
        series_id=inv.id,
        source=GoalSource.TARGET,
        lead_department_id=city["fgw"].id,
    )
    evaluation.evaluate_goals(db, "2024-09", today=date(2024, 9, 30), thresholds=Thresholds(), now=now)
    return {"met": met, "red": red}


def test_main_targets_show_the_rules_status_and_link_to_the_goal(client: TestClient, targets, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/targets", headers=leader.headers).json()
    assert body["source"] == "goals" and body["period"] == "2024-09"
    by_name = {i["name"]: i for i in body["items"]}
    assert by_name["地区生产总值增长5%以上"]["status"] == "met"
    assert by_name["工业投资增长10%"]["status"] == "off_track"
    assert by_name["工业投资增长10%"]["href"] == f"/app/goals/{targets['red'].id}"


def test_the_economy_panel_plots_ytd_growth_against_each_target(client: TestClient, targets, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/economy", headers=leader.headers).json()
    gdp = next(s for s in body["series"] if s["name"] == "地区生产总值")
    assert gdp["target"] == 5 and [p["value"] for p in gdp["points"]] == [4.9, 5.2, 5.4]
    assert [p["month"] for p in gdp["points"]] == ["03", "06", "08"]


def test_the_status_panel_counts_goals_per_status(client: TestClient, targets, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/goals", headers=leader.headers).json()
    counts: dict[str, int] = {}
    for area in body["by_task_area"]:
        for status, n in area["counts"].items():
            counts[status] = counts.get(status, 0) + n
    assert counts == {"met": 1, "off_track": 1}
    assert [s["key"] for s in body["statuses"]] == ["off_track", "met"]  # worst first


def test_a_department_sees_only_the_goals_it_works_on(client: TestClient, targets, dept_staff) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/targets", headers=dept_staff.headers).json()
    assert body["source"] == "report" and body["items"] is None  # 城管局 leads none; no report either
