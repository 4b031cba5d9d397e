"""The key-projects panel: completion by level against time progress and the lagging list, scoped and
drilled down through the projects domain's own queries (the clock is 2024-09-30: period 2024-09)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _titles(body: dict) -> set[str]:  # type: ignore[type-arg]
    return {row["title"].split()[0] for row in body["lagging"]}


def test_the_city_sees_every_level_and_the_lagging_projects(client: TestClient, ledger, leader) -> None:
    body = client.get("/api/v1/screen/projects", headers=leader.headers).json()
    assert body["period"] == "2024-09"
    assert [row["name"] for row in body["by_level"]] == ["省重大", "苏州重点", "市级重点"]
    provincial = body["by_level"][0]
    assert provincial["completion"] == 0.75 and provincial["time_progress"] == 0.75
    # P1 is on time (900/1200 = 75%); the rest with a plan are more than 10 points behind
    assert _titles(body) == {"P2", "P3", "P5", "P6", "P7"}
    assert body["totals"]["projects"] == 7 and body["totals"]["lagging"] == 5


def test_drilling_down_to_a_town_counts_only_its_projects(client: TestClient, ledger, leader) -> None:
    body = client.get("/api/v1/screen/projects", params={"area": "320585101"}, headers=leader.headers).json()
    assert _titles(body) == {"P6", "P7"}
    assert body["totals"]["projects"] == 2


def test_a_department_sees_only_the_projects_it_leads(client: TestClient, ledger, dept_staff) -> None:
    body = client.get("/api/v1/screen/projects", headers=dept_staff.headers).json()
    assert [row["level"] for row in body["by_level"]] == ["city"]
    assert _titles(body) == {"P3", "P5"}


def test_without_plans_the_panel_has_no_data(client: TestClient, leader) -> None:
    body = client.get("/api/v1/screen/projects", headers=leader.headers).json()
    assert body["by_level"] is None and body["lagging"] is None and body["totals"] is None
