"""The big screen shows the goals' statuses as of now with no workbench visit: the seed report is ingested,
its targets confirmed, goals made from them and the statistics bureau's actuals imported — writes only —
and the screen API read next already shows this month's statuses, the actuals' effect included."""

from __future__ import annotations

from importlib import resources

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.report import service as report_service

SEED = resources.files("citycockpit.report").joinpath("samples/taicang-2024-government-work-report.txt")
ACTUALS = "指标,期间,数值,同比\nGDP,2024-06,860,5.2\nGDP,2024-08,1150,5.4\n工业投资,2024-08,180,3.1\n"


def _targets(client: TestClient, leader) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/targets", headers=leader.headers).json()
    assert (body["source"], body["period"]) == ("goals", "2024-09")
    return {item["name"]: item["status"] for item in body["items"]}


def test_the_screen_shows_this_months_statuses_after_writes_alone(
    client: TestClient, db: Session, supervisor, leader
) -> None:  # type: ignore[no-untyped-def]
    h = supervisor.headers
    files = {"file": ("taicang-2024.txt", SEED.read_bytes(), "text/plain")}
    report_id = client.post("/api/v1/reports", files=files, headers=h).json()["id"]
    items, _ = report_service.list_items(db, report_id, list_name="targets")
    wanted = {"地区生产总值", "工业投资"}
    ids = [i.id for i in items if i.name in wanted and i.measure == "growth"]
    assert len(ids) == 2
    confirmed = client.post(f"/api/v1/reports/{report_id}/items/confirm", json={"item_ids": ids}, headers=h)
    assert confirmed.json() == {"confirmed": 2}
    for name, alias in (("地区生产总值", "GDP"), ("工业投资", "工业投资额")):
        body = {"name": name, "unit": "亿元", "aliases": [alias]}
        assert client.post("/api/v1/goals/series", json=body, headers=h).status_code == 201
    made = client.post(f"/api/v1/goals/from-report/{report_id}", headers=h)
    assert made.status_code == 200  # the two targets, and a goal per qualitative sub-task

    assert _targets(client, leader) == {"地区生产总值增长5%以上": "no_data", "工业投资增长10%": "no_data"}

    upload = {"file": ("统计月报-2024-08.csv", ACTUALS.encode(), "text/csv")}
    assert client.post("/api/v1/goals/actuals/import", files=upload, headers=h).status_code == 200
    assert _targets(client, leader) == {"地区生产总值增长5%以上": "met", "工业投资增长10%": "off_track"}

    panel = client.get("/api/v1/screen/goals", headers=leader.headers).json()
    targets, *task_areas = [area["counts"] for area in panel["by_task_area"]]
    assert (panel["period"], targets) == ("2024-09", {"met": 1, "off_track": 1})
    assert {status for counts in task_areas for status in counts} == {"not_reported"}  # no report yet
