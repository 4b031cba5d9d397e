"""Areas are read within the caller's scope (`org.queries.visible_areas`, the rule the map outlines
use too): a grid worker or town user gets its own subtree and the areas above it, never another
town's area or outline; a city-wide caller gets every area."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _codes(client: TestClient, persona, query: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/org/areas?limit=500" + query, headers=persona.headers)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == len(r.json()["items"])
    return [a["code"] for a in r.json()["items"]]


def test_a_grid_worker_lists_its_grid_and_the_areas_above_it(client, city, grid_worker) -> None:  # type: ignore[no-untyped-def]
    assert _codes(client, grid_worker) == ["320585", "320585100", "320585100001", "320585100001001"]


def test_a_town_user_lists_its_town_every_area_in_it_and_the_city(client, city, town_staff) -> None:  # type: ignore[no-untyped-def]
    assert _codes(client, town_staff) == ["320585", "320585100", "320585100001", "320585100001001"]
    assert _codes(client, town_staff, "&within=320585101") == []


def test_a_city_wide_user_lists_every_area(client, city, dispatcher) -> None:  # type: ignore[no-untyped-def]
    assert _codes(client, dispatcher) == [
        "320585",
        "320585100",
        "320585100001",
        "320585100001001",
        "320585101",
        "320585101001",
        "320585101001001",
    ]


def test_another_towns_area_and_outline_are_not_found(client, city, grid_worker, dispatcher) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/org/areas/320585101", headers=grid_worker.headers).status_code == 404
    assert client.get("/api/v1/org/areas/320585101001001", headers=grid_worker.headers).status_code == 404
    assert client.get("/api/v1/org/areas/320585101", headers=dispatcher.headers).status_code == 200


def test_a_scoped_caller_reads_its_own_area_and_the_town_above_it(client, city, grid_worker) -> None:  # type: ignore[no-untyped-def]
    for code in ("320585100001001", "320585100"):
        r = client.get(f"/api/v1/org/areas/{code}", headers=grid_worker.headers)
        assert (r.status_code, r.json()["code"]) == (200, code)


def test_the_children_of_another_town_are_not_found(client, city, town_staff) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/org/areas?parent_code=320585101", headers=town_staff.headers)
    assert r.status_code == 404
    assert _codes(client, town_staff, "&parent_code=320585100") == ["320585100001"]
