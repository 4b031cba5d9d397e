"""GET /api/v1/events/kpis and /ranking: formulas in the answer, permission, and the caller's scope."""

from __future__ import annotations

import pytest

from tests.events.kpi_fixture import SEPTEMBER, build_month

URL = "/api/v1/events/kpis?from=2024-09-01&to=2024-09-30"


@pytest.fixture
def month(db, city):  # type: ignore[no-untyped-def]
    return build_month(db, city)


def test_a_leader_gets_every_kpi_with_its_formula(client, leader, month) -> None:
    r = client.get(URL, headers=leader.headers)
    assert r.status_code == 200
    body = r.json()
    by_key = {k["key"]: k for k in body["kpis"]}
    assert by_key["closed_on_time_rate"]["formula"] == "按期结案数 / 应结案数"
    assert (by_key["closed_on_time_rate"]["numerator"], by_key["closed_on_time_rate"]["denominator"]) == (
        2,
        4,
    )
    assert body["counts"]["close_due"]["label"] == "应结案数"
    assert body["counts"]["received"]["value"] == SEPTEMBER["received"]


def test_a_grid_worker_may_not_read_kpis(client, grid_worker, month) -> None:
    r = client.get(URL, headers=grid_worker.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_a_department_user_sees_only_its_departments_events(
    client, other_dept_staff, dept_staff, month
) -> None:
    fgw = client.get(URL, headers=other_dept_staff.headers).json()["counts"]
    cgj = client.get(URL, headers=dept_staff.headers).json()["counts"]
    assert (fgw["received"]["value"], cgj["received"]["value"]) == (1, 5)


def test_a_town_user_sees_only_its_town(client, town_staff, month) -> None:
    counts = client.get(URL + "&area=320585101", headers=town_staff.headers).json()["counts"]
    assert counts["received"]["value"] == 0
    assert client.get(URL, headers=town_staff.headers).json()["counts"]["received"]["value"] == 7


def test_a_period_that_ends_before_it_starts_is_refused(client, leader) -> None:
    r = client.get("/api/v1/events/kpis?from=2024-09-30&to=2024-09-01", headers=leader.headers)
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")


def test_the_ranking_applies_the_minimum_volume_setting(client, leader, month, settings) -> None:
    r = client.get(
        "/api/v1/events/kpis/ranking?by=town&from=2024-09-01&to=2024-09-30", headers=leader.headers
    )
    body = r.json()
    assert body["min_volume"] == settings.events_ranking_min_volume == 30
    assert body["ranked"] == [] and {i["key"] for i in body["unranked"]} == {"320585100", "320585101"}


def test_ranking_by_something_else_is_refused(client, leader) -> None:
    r = client.get("/api/v1/events/kpis/ranking?by=grid", headers=leader.headers)
    assert r.status_code == 422
