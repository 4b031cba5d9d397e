"""Event panels on real events walked through the loop with the events domain's services (clock:
2024-09-30 10:00): counters, breakdown, map values, the overdue list, and the viewer's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from citycockpit.events.enums import Action
from tests.events.conftest import GRID_B, act, report


@pytest.fixture
def loop(db, clock, city, categories, dispatcher, dept_staff, grid_worker):  # type: ignore[no-untyped-def]
    """Three events today: one closed and rated satisfied, one dispatched long overdue, one in 沙溪镇."""
    now = clock.now()
    closed = report(db, grid_worker.principal, now - timedelta(hours=3))
    for action, who, dt in (
        (Action.REGISTER, dispatcher, 0),
        (Action.DISPATCH, dispatcher, 0),
        (Action.SIGN, dept_staff, 5),
        (Action.HANDLE, dept_staff, 30),
        (Action.VERIFY, grid_worker, 60),
        (Action.CLOSE, dispatcher, 70),
    ):
        act(db, closed, action, who.principal, now - timedelta(hours=3) + timedelta(minutes=dt))
    act(db, closed, Action.RATE, dispatcher.principal, now - timedelta(minutes=10), satisfaction="satisfied")
    late = report(db, grid_worker.principal, now - timedelta(days=8), description="东门街口暴露垃圾无人清理")
    act(db, late, Action.REGISTER, dispatcher.principal, now - timedelta(days=8))
    act(db, late, Action.DISPATCH, dispatcher.principal, now - timedelta(days=8))
    report(
        db,
        dispatcher.principal,
        now - timedelta(hours=1),
        lat=GRID_B[0],
        lon=GRID_B[1],
        channel="hotline",
        description="沙溪镇沙南社区路边有暴露垃圾",
    )
    return {"closed": closed, "late": late}


def test_the_counters_count_today_and_the_month(client: TestClient, loop, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/events/counters", headers=leader.headers).json()
    assert body["today"] == {"intake": 2, "closed": 1, "overdue": 1}
    assert body["month"] == {"intake": 3, "closed": 1, "satisfaction": 1.0}


def test_the_breakdown_groups_this_months_events(client: TestClient, loop, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/events/breakdown", headers=leader.headers).json()
    assert body["by_category"][0]["name"] == "市容环境" and body["by_category"][0]["count"] == 3
    assert {c["channel"]: c["count"] for c in body["by_channel"]} == {"patrol": 2, "hotline": 1}


def test_the_map_colours_each_town_by_its_events(client: TestClient, loop, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/map", headers=leader.headers).json()
    assert {v["name"]: v["value"] for v in body["values"]} == {"城厢镇": 2, "沙溪镇": 1}
    overdue = client.get("/api/v1/screen/map", params={"metric": "overdue"}, headers=leader.headers).json()
    assert {v["name"]: v["value"] for v in overdue["values"]} == {"城厢镇": 1, "沙溪镇": 0}


def test_the_overdue_list_links_to_the_event(client: TestClient, loop, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/alerts", headers=leader.headers).json()
    assert [i["href"] for i in body["items"]] == [f"/app/events/{loop['late'].public_id}"]
    assert body["items"][0]["overdue_text"].startswith("城管局")


def test_a_town_sees_only_its_events(client: TestClient, loop, town_staff) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/events/counters", headers=town_staff.headers).json()
    assert body["month"]["intake"] == 2


def test_drilling_down_to_a_town_counts_only_its_events(client: TestClient, loop, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get(
        "/api/v1/screen/events/counters", params={"area": "320585101"}, headers=leader.headers
    ).json()
    assert body["month"]["intake"] == 1 and body["today"]["overdue"] == 0


def test_the_breakdown_reads_the_rollups_once_past_days_are_rolled_up(  # type: ignore[no-untyped-def]
    client: TestClient, db, clock, loop, leader
) -> None:
    from zoneinfo import ZoneInfo

    from citycockpit.events.analytics import rollup

    rollup.recompute_recent(db, days=35, zone=ZoneInfo("Asia/Shanghai"), now=clock.now())
    body = client.get("/api/v1/screen/events/breakdown", headers=leader.headers).json()
    assert body["by_category"][0]["count"] == 3
    assert {c["channel"]: c["count"] for c in body["by_channel"]} == {"patrol": 2, "hotline": 1}


def test_the_counters_and_the_map_read_the_rollups_once_past_days_are_rolled_up(  # type: ignore[no-untyped-def]
    client: TestClient, db, clock, loop, leader
) -> None:
    from zoneinfo import ZoneInfo

    from citycockpit.events.analytics import rollup

    rollup.recompute_recent(db, days=35, zone=ZoneInfo("Asia/Shanghai"), now=clock.now())
    counters = client.get("/api/v1/screen/events/counters", headers=leader.headers).json()
    assert counters["today"] == {"intake": 2, "closed": 1, "overdue": 1}
    assert counters["month"] == {"intake": 3, "closed": 1, "satisfaction": 1.0}
    body = client.get("/api/v1/screen/map", headers=leader.headers).json()
    assert {v["name"]: v["value"] for v in body["values"]} == {"城厢镇": 2, "沙溪镇": 1}
