"""The outlines a workbench map draws answer within the caller's scope: a grid worker gets its town's
and village's outlines (not another village's), a town user its town and villages, a city-wide user
every town; a place outside the caller's scope gives its own area's map, never a 404."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_area


def _square(lon: float, lat: float, d: float = 0.01) -> str:
    ring = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@pytest.fixture
def shapes(db: Session, city, clock) -> None:  # type: ignore[no-untyped-def]
    for key in ("town_a", "village_a", "town_b", "village_b"):
        area = city[key]
        area.geometry_geojson = _square(area.centroid_lon, area.centroid_lat, 0.03 if "town" in key else 0.01)
    make_area(
        db,
        "320585100002",
        "西门社区",
        now=clock.now(),
        lat=31.45,
        lon=121.09,
        geometry=_square(121.09, 31.45),
    )
    db.flush()


def _codes(client: TestClient, persona, around: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    url = "/api/v1/org/areas/outlines" + (f"?around={around}" if around else "")
    r = client.get(url, headers=persona.headers)
    assert r.status_code == 200, r.text
    geojson = r.json()["geojson"]
    return [f["properties"]["code"] for f in geojson["features"]] if geojson else []


def test_a_grid_worker_sees_its_town_and_village_outlines_only(client, shapes, grid_worker) -> None:  # type: ignore[no-untyped-def]
    assert _codes(client, grid_worker, "320585100") == ["320585100", "320585100001"]


def test_a_grid_worker_asking_about_another_town_gets_its_own_map(client, shapes, grid_worker) -> None:  # type: ignore[no-untyped-def]
    assert _codes(client, grid_worker, "320585101") == ["320585100", "320585100001"]


def test_a_town_user_sees_its_town_and_every_village_in_it(client, shapes, town_staff) -> None:  # type: ignore[no-untyped-def]
    assert _codes(client, town_staff, "320585100001001") == ["320585100", "320585100001", "320585100002"]


def test_a_city_wide_user_sees_every_town_without_a_place(client, shapes, dispatcher) -> None:  # type: ignore[no-untyped-def]
    assert _codes(client, dispatcher) == ["320585100", "320585101"]
    assert _codes(client, dispatcher, "320585101") == ["320585101", "320585101001"]


def test_outlines_need_a_signed_in_caller(client, shapes) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/org/areas/outlines").status_code == 401
