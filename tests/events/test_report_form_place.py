"""The report form's point must lie in the city: inside the top-level area's outline (grown by
org/queries.CITY_MARGIN_M), taken in the coordinate system it was given in; a city without a shape
checks nothing; refused reports store nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.core import coords
from citycockpit.events.models import Event
from citycockpit.org.models import Area
from tests.events.conftest import GRID_A

# A square of about 20 km around the small city's centre (31.457, 121.13).
SQUARE = [[121.03, 31.37], [121.23, 31.37], [121.23, 31.55], [121.03, 31.55], [121.03, 31.37]]
OUT_OF_CITY = "坐标不在本市范围内"


@pytest.fixture
def city_shape(db: Session, city: dict[str, Any]) -> None:
    area = db.scalars(select(Area).where(Area.code == "320585")).one()
    area.geometry_geojson = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    db.flush()


def _report(client: TestClient, persona: Any, lat: float, lon: float, **extra: str) -> Any:
    data = {
        "csrf_token": persona.csrf_token,
        "description": "东门街口有一堆暴露垃圾，气味很大",
        "lat": str(lat),
        "lon": str(lon),
        **extra,
    }
    return client.post(
        "/app/events/new", data=data, headers={"Cookie": persona.headers["Cookie"]}, follow_redirects=False
    )


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event)) or 0


def test_a_point_inside_the_city_outline_is_reported(
    client: TestClient, db: Session, categories, grid_worker, city_shape
) -> None:
    r = _report(client, grid_worker, *GRID_A)
    assert r.status_code == 303, r.text


def test_a_point_outside_the_city_outline_is_refused_with_a_clear_message_and_nothing_stored(
    client: TestClient, db: Session, categories, grid_worker, city_shape
) -> None:
    before = _count(db)
    # in 昆山, 5 km west of the square: inside the old fixed box (30–33, 119–123), outside the city
    r = _report(client, grid_worker, 31.45, 120.98)
    assert r.status_code == 422
    assert OUT_OF_CITY in r.text and "坐标系" in r.text
    assert _count(db) == before


def test_a_point_just_outside_the_border_is_still_the_citys(
    client: TestClient, db: Session, categories, grid_worker, city_shape
) -> None:
    r = _report(client, grid_worker, 31.45, 121.234)  # ~400 m east of the square's edge
    assert r.status_code == 303, r.text


def test_a_gcj02_point_is_checked_where_it_lies_in_wgs84(
    client: TestClient, db: Session, categories, grid_worker, city_shape
) -> None:
    # in WGS84 300 m east of the square's edge (inside the margin); its GCJ-02 figures lie ~400 m further
    # east, beyond the margin, yet name the same place
    lat, lon = coords.from_wgs84(31.45, 121.233, "gcj02")
    assert lon > 121.23 + 0.0065
    r = _report(client, grid_worker, lat, lon, coord_system="gcj02")
    assert r.status_code == 303, r.text
    r = _report(client, grid_worker, lat, lon)  # the same figures taken as WGS84: too far east
    assert r.status_code == 422 and OUT_OF_CITY in r.text


def test_without_a_city_shape_any_valid_point_is_taken(
    client: TestClient, db: Session, categories, dispatcher
) -> None:
    assert db.scalar(select(Area.geometry_geojson).where(Area.code == "320585")) is None
    r = _report(client, dispatcher, 39.9, 116.4)  # Beijing: nothing to check against
    assert r.status_code == 303, r.text


def test_a_changed_city_shape_is_used_at_once(
    client: TestClient, db: Session, categories, grid_worker, city_shape
) -> None:
    assert _report(client, grid_worker, 31.45, 120.98).status_code == 422
    area = db.scalars(select(Area).where(Area.code == "320585")).one()
    moved = [[x - 0.1, y] for x, y in SQUARE]
    area.geometry_geojson = json.dumps({"type": "Polygon", "coordinates": [moved]})
    db.flush()
    assert _report(client, grid_worker, 31.45, 120.98).status_code == 303
