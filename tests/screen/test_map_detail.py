"""The screen map draws the real boundaries simplified for display per detail level (screen/shapes.py):
fewer points at coarse levels, the exact stored geometry at level 3, valid shapes at every level, and a
changed boundary drawn anew (the display shapes are kept per change stamp of the areas)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.org.models import Area


def wiggly_ring(lat: float, lon: float, radius_deg: float, points: int = 600) -> list[list[float]]:
    """A closed ring with many small zigzags, as a surveyed boundary has."""
    ring = []
    for k in range(points):
        a = 2 * math.pi * k / points
        r = radius_deg * (1 + 0.0005 * (-1) ** k + 0.05 * math.sin(5 * a))
        ring.append(
            [round(lon + r * math.cos(a) / math.cos(math.radians(lat)), 7), round(lat + r * math.sin(a), 7)]
        )
    return [*ring, ring[0]]


@pytest.fixture
def town_shapes(db: Session, city: dict[str, Any]) -> dict[str, str]:
    stored = {}
    for code, lat, lon in (("320585100", 31.458, 121.100), ("320585101", 31.557, 121.053)):
        area = db.scalars(select(Area).where(Area.code == code)).one()
        area.geometry_geojson = json.dumps({"type": "Polygon", "coordinates": [wiggly_ring(lat, lon, 0.03)]})
        stored[code] = area.geometry_geojson
    db.flush()
    return stored


def _map(client: TestClient, persona: Any, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/screen/map", params=params, headers=persona.headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _points(feature: dict[str, Any]) -> int:
    return len(feature["geometry"]["coordinates"][0])


def test_coarser_detail_draws_fewer_points_and_level_3_draws_the_stored_geometry(
    client: TestClient, leader: Any, town_shapes: dict[str, str]
) -> None:
    counts = []
    for detail in (0, 1, 2, 3):
        feature = _map(client, leader, detail=detail)["geojson"]["features"][0]
        counts.append(_points(feature))
    assert counts[0] < counts[1] < counts[2] < counts[3] == 601
    exact = _map(client, leader, detail=3)["geojson"]["features"][0]["geometry"]
    assert exact == json.loads(town_shapes["320585100"])


def test_every_level_draws_a_valid_shape_close_to_the_stored_one(
    client: TestClient, leader: Any, town_shapes: dict[str, str]
) -> None:
    stored = shape(json.loads(town_shapes["320585100"]))
    for detail, area_error in ((0, 0.02), (1, 0.005), (2, 0.001)):
        drawn = shape(_map(client, leader, detail=detail)["geojson"]["features"][0]["geometry"])
        assert drawn.is_valid, detail
        assert abs(drawn.area - stored.area) / stored.area < area_error, detail


def test_without_a_detail_the_city_view_draws_its_towns_coarsest(
    client: TestClient, leader: Any, town_shapes: dict[str, str]
) -> None:
    body = _map(client, leader)
    assert body["detail"] == 0
    assert _points(body["geojson"]["features"][0]) == _points(
        _map(client, leader, detail=0)["geojson"]["features"][0]
    )


def test_a_changed_boundary_is_drawn_anew_and_reading_changes_no_stored_geometry(
    client: TestClient, db: Session, leader: Any, town_shapes: dict[str, str]
) -> None:
    before = _map(client, leader, detail=1)["geojson"]["features"][0]["geometry"]
    town = db.scalars(select(Area).where(Area.code == "320585100")).one()
    assert town.geometry_geojson == town_shapes["320585100"]  # the read stored nothing
    square = [[121.0, 31.4], [121.2, 31.4], [121.2, 31.5], [121.0, 31.5], [121.0, 31.4]]
    town.geometry_geojson = json.dumps({"type": "Polygon", "coordinates": [square]})
    db.flush()
    after = _map(client, leader, detail=1)["geojson"]["features"][0]["geometry"]
    assert after != before and after["coordinates"][0] == square


def test_a_detail_outside_0_to_3_is_a_validation_error(client: TestClient, leader: Any) -> None:
    r = client.get("/api/v1/screen/map", params={"detail": 4}, headers=leader.headers)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "detail")


def test_a_drilled_town_draws_its_villages_at_the_town_level_and_finer_on_request_without_changing_them(
    client: TestClient, db: Session, leader: Any
) -> None:
    village = db.scalars(select(Area).where(Area.code == "320585100001")).one()
    village.geometry_geojson = json.dumps(
        {"type": "Polygon", "coordinates": [wiggly_ring(31.462, 121.108, 0.004)]}
    )
    db.flush()
    stored = village.geometry_geojson
    default = _map(client, leader, area="320585100")
    finer = _map(client, leader, area="320585100", detail=2)
    assert (default["detail"], finer["detail"]) == (1, 2)
    assert _points(default["geojson"]["features"][0]) < _points(finer["geojson"]["features"][0])
    exact = _map(client, leader, area="320585100", detail=3)["geojson"]["features"][0]["geometry"]
    db.expire_all()
    assert db.scalars(select(Area.geometry_geojson).where(Area.code == "320585100001")).one() == stored
    assert exact == json.loads(stored)


def test_the_screen_page_starts_its_map_at_the_detail_of_its_drill_level(
    client: TestClient, leader: Any
) -> None:
    city = client.get("/screen", headers=leader.headers)
    town = client.get("/screen", params={"area": "320585100"}, headers=leader.headers)
    assert 'data-detail="0"' in city.text
    assert 'data-detail="1"' in town.text
