"""Coordinate systems on intake: every channel takes the system its point is in (wgs84 default, gcj02,
bd09, cgcs2000), converts it once to WGS84 (core/coords.py) and stores both; a GCJ-02 point whose raw
coordinates fall in the neighbouring grid lands in the grid it is really in."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import coords
from citycockpit.core.clock import Clock
from citycockpit.core.tabular import ImportFailed
from citycockpit.events.intake import history, hotline
from citycockpit.events.models import Event
from tests.builders import make_area
from tests.events.conftest import TESTER

# Two grids of 东门社区 that share the meridian 121.100: WEST is 121.080–121.100, EAST 121.100–121.120.
WEST, EAST = "320585100001002", "320585100001003"
BORDER_LON = 121.100
# A WGS84 point 190 m west of the border (in WEST). Its GCJ-02 coordinates lie about 450 m further east,
# inside EAST: taken as they come they would put the event in the wrong grid.
TRUE_POINT = (31.460, 121.098)
GCJ_POINT = coords.from_wgs84(*TRUE_POINT, "gcj02")
BD_POINT = coords.from_wgs84(*TRUE_POINT, "bd09")


def _box(west: float, east: float) -> str:
    ring = [[west, 31.45], [east, 31.45], [east, 31.47], [west, 31.47], [west, 31.45]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def add_border_grids(db: Session, now: Any) -> None:
    make_area(db, WEST, "东门社区西网格", now=now, lat=31.46, lon=121.09, geometry=_box(121.08, BORDER_LON))
    make_area(db, EAST, "东门社区东网格", now=now, lat=31.46, lon=121.11, geometry=_box(BORDER_LON, 121.12))


@pytest.fixture
def border_grids(db: Session, clock: Clock, city: dict[str, Any]) -> None:
    add_border_grids(db, clock.now())


# --- the one home ------------------------------------------------------------------------------------


def test_gcj02_and_bd09_convert_to_the_published_wgs84_point_within_a_metre() -> None:
    # Beijing railway station, as published with the geoChina package: WGS-84 (39.90105, 116.42079),
    # GCJ-02 (39.90245, 116.42703), BD-09 (39.90851, 116.43351); 1e-5 degrees is about a metre.
    for system, point in (("gcj02", (39.90245, 116.42703)), ("bd09", (39.90851, 116.43351))):
        lat, lon = coords.to_wgs84(*point, system)
        assert (round(lat, 4), round(lon, 4)) == (39.9011, 116.4208), system
    assert coords.from_wgs84(39.90105, 116.42079, "gcj02") == pytest.approx((39.90245, 116.42703), abs=1e-5)


def test_wgs84_and_cgcs2000_are_taken_as_they_are_and_outside_china_nothing_moves() -> None:
    assert coords.to_wgs84(31.46, 121.098, "cgcs2000") == (31.46, 121.098)
    assert coords.to_wgs84(31.46, 121.098, None) == (31.46, 121.098)
    assert coords.to_wgs84(48.8566, 2.3522, "gcj02") == pytest.approx((48.8566, 2.3522))


def test_the_gcj02_offset_near_the_border_crosses_into_the_neighbouring_grid() -> None:
    assert TRUE_POINT[1] < BORDER_LON < GCJ_POINT[1]  # the premise of the border tests below


def test_systems_are_named_by_code_or_by_the_words_a_file_uses() -> None:
    assert coords.parse_system("GCJ-02") is coords.CoordSystem.GCJ02
    assert coords.parse_system("百度") is coords.CoordSystem.BD09
    assert coords.parse_system("") is coords.CoordSystem.WGS84
    with pytest.raises(coords.UnknownCoordSystem, match="is not one of wgs84, gcj02, bd09, cgcs2000"):
        coords.parse_system("mercator")


# --- JSON API ----------------------------------------------------------------------------------------


def _post_event(client: Any, persona: Any, **fields: Any) -> Any:
    body = {"description": "路口有一堆暴露垃圾", "category_code": "E0102", **fields}
    return client.post("/api/v1/events", json=body, headers=persona.headers)


def test_a_gcj02_point_from_the_api_lands_in_the_grid_it_is_really_in(
    client: Any, db: Session, categories: None, border_grids: None, dispatcher: Any
) -> None:
    r = _post_event(client, dispatcher, lat=GCJ_POINT[0], lon=GCJ_POINT[1], coord_system="gcj02")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["grid_code"] == WEST
    assert (body["lat"], body["lon"]) == pytest.approx(TRUE_POINT, abs=1e-5)
    assert (body["received_lat"], body["received_lon"], body["coord_system"]) == (*GCJ_POINT, "gcj02")
    stored = db.scalars(select(Event).where(Event.public_id == body["public_id"])).one()
    assert (stored.received_lat, stored.received_lon, stored.coord_system) == (*GCJ_POINT, "gcj02")


def test_the_same_raw_point_sent_as_wgs84_goes_to_the_other_grid(
    client: Any, categories: None, border_grids: None, dispatcher: Any
) -> None:
    r = _post_event(client, dispatcher, lat=GCJ_POINT[0], lon=GCJ_POINT[1])
    assert r.status_code == 201, r.text
    assert (r.json()["grid_code"], r.json()["coord_system"]) == (EAST, "wgs84")


def test_a_bd09_point_from_the_api_lands_in_its_grid(
    client: Any, categories: None, border_grids: None, dispatcher: Any
) -> None:
    r = _post_event(client, dispatcher, lat=BD_POINT[0], lon=BD_POINT[1], coord_system="bd09")
    assert (r.status_code, r.json()["grid_code"]) == (201, WEST)


def test_an_unknown_coordinate_system_is_refused_and_nothing_is_stored(
    client: Any, db: Session, categories: None, dispatcher: Any
) -> None:
    r = _post_event(client, dispatcher, lat=31.46, lon=121.1, coord_system="mercator")
    assert r.status_code == 422
    assert any(e["field"].endswith("coord_system") for e in r.json()["errors"])
    assert db.scalar(select(Event.id)) is None


def test_the_locate_endpoint_converts_as_intake_does(
    client: Any, categories: None, border_grids: None, grid_worker: Any
) -> None:
    url = f"/api/v1/events/locate?lat={GCJ_POINT[0]}&lon={GCJ_POINT[1]}"
    assert client.get(url + "&coord_system=gcj02", headers=grid_worker.headers).json()["grid_code"] == WEST
    assert client.get(url, headers=grid_worker.headers).json()["grid_code"] == EAST


# --- the workbench report form (the phone's geolocation and the map picker) ---------------------------


def test_the_report_form_sends_its_points_system_and_the_event_lands_in_the_right_grid(
    client: Any, db: Session, categories: None, border_grids: None, dispatcher: Any
) -> None:
    data = {
        "csrf_token": dispatcher.csrf_token,
        "description": "东门街口有一堆暴露垃圾，气味很大",
        "category_code": "E0102",
        "lat": f"{GCJ_POINT[0]:.6f}",
        "lon": f"{GCJ_POINT[1]:.6f}",
        "coord_system": "gcj02",
    }
    r = client.post(
        "/app/events/new", data=data, headers={"Cookie": dispatcher.headers["Cookie"]}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    event = db.scalars(select(Event).where(Event.channel == "workbench")).one()
    assert (event.grid_code, event.coord_system) == (WEST, "gcj02")


def test_the_report_form_refuses_an_unknown_system_in_chinese(
    client: Any, categories: None, dispatcher: Any
) -> None:
    data = {
        "csrf_token": dispatcher.csrf_token,
        "description": "东门街口有一堆暴露垃圾，气味很大",
        "lat": "31.46",
        "lon": "121.1",
        "coord_system": "mars",
    }
    r = client.post("/app/events/new", data=data, headers={"Cookie": dispatcher.headers["Cookie"]})
    assert r.status_code == 422 and "无法识别的坐标系" in r.text


def test_the_report_page_marks_the_phone_position_and_the_map_as_wgs84(client: Any, grid_worker: Any) -> None:
    page = client.get("/app/events/new", headers=grid_worker.headers).text
    assert 'name="coord_system" value="wgs84"' in page and 'data-coord-system="wgs84"' in page


# --- 12345 files -------------------------------------------------------------------------------------


def _hotline_csv(
    rows: list[list[str]], header: str = "工单编号,受理时间,分类编码,诉求内容,纬度,经度,坐标系"
) -> bytes:
    out = io.StringIO()
    out.write(header + "\n")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_a_hotline_files_coordinate_column_converts_each_row(
    db: Session, clock: Clock, categories: None, border_grids: None
) -> None:
    data = _hotline_csv(
        [
            [
                "TC1",
                "2024-09-30 09:10",
                "E0102",
                "东门街口垃圾",
                str(GCJ_POINT[0]),
                str(GCJ_POINT[1]),
                "高德",
            ],
            ["TC2", "2024-09-30 09:20", "E0102", "东门街口垃圾", str(GCJ_POINT[0]), str(GCJ_POINT[1]), ""],
        ]
    )
    hotline.import_hotline_file(db, data, "hotline.csv", actor=TESTER, now=clock.now())
    rows = db.execute(
        select(Event.external_id, Event.grid_code, Event.coord_system).order_by(Event.external_id)
    )
    assert [tuple(r) for r in rows] == [("TC1", WEST, "gcj02"), ("TC2", EAST, "wgs84")]


def test_a_hotline_files_own_system_applies_where_the_column_is_empty(
    db: Session, clock: Clock, categories: None, border_grids: None
) -> None:
    data = _hotline_csv(
        [["TC1", "2024-09-30 09:10", "E0102", "东门街口垃圾", str(BD_POINT[0]), str(BD_POINT[1]), ""]]
    )
    hotline.import_hotline_file(db, data, "hotline.csv", actor=TESTER, now=clock.now(), coord_system="bd09")
    assert db.execute(select(Event.grid_code, Event.coord_system)).one() == (WEST, "bd09")


def test_a_hotline_row_with_an_unknown_system_stores_nothing(
    db: Session, clock: Clock, categories: None
) -> None:
    data = _hotline_csv([["TC1", "2024-09-30 09:10", "E0102", "东门街口垃圾", "31.46", "121.1", "墨卡托"]])
    with pytest.raises(ImportFailed, match="coord_system '墨卡托' is not one of"):
        hotline.import_hotline_file(db, data, "hotline.csv", actor=TESTER, now=clock.now())
    assert db.scalar(select(Event.id)) is None


def test_the_hotline_import_api_takes_the_files_system(
    client: Any, db: Session, categories: None, border_grids: None, dispatcher: Any
) -> None:
    data = _hotline_csv(
        [["TC1", "2024-09-30 09:10", "E0102", "东门街口垃圾", str(GCJ_POINT[0]), str(GCJ_POINT[1]), ""]]
    )
    r = client.post(
        "/api/v1/events/import?coord_system=gcj02",
        files={"file": ("hotline.csv", data, "text/csv")},
        headers=dispatcher.headers,
    )
    assert r.status_code == 200, r.text
    assert db.execute(select(Event.grid_code, Event.coord_system)).one() == (WEST, "gcj02")


HISTORY_HEADER = "工单编号,受理时间,诉求内容,分类编码,承办单位,办结时间,满意度,纬度,经度,坐标系"


def test_a_history_files_coordinate_column_converts_each_row(
    db: Session, clock: Clock, categories: None, border_grids: None
) -> None:
    gcj = f"{GCJ_POINT[0]},{GCJ_POINT[1]}"
    text = "\n".join(
        [
            HISTORY_HEADER,
            f"RX1,2024-08-05 09:00,门口垃圾没人清,E0102,城管局,2024-08-06 17:00,满意,{gcj},火星坐标",
            f"RX2,2024-08-05 09:00,门口垃圾没人清,E0102,城管局,2024-08-06 17:00,满意,{gcj},",
        ]
    )
    history.import_history_file(
        db,
        text.encode(),
        "history.csv",
        actor=TESTER,
        now=clock.now(),
        zone=history.ZoneInfo("Asia/Shanghai"),
    )
    rows = db.execute(
        select(Event.external_id, Event.grid_code, Event.coord_system, Event.received_lon).order_by(
            Event.external_id
        )
    )
    assert [tuple(r) for r in rows] == [
        ("RX1", WEST, "gcj02", GCJ_POINT[1]),
        ("RX2", EAST, "wgs84", GCJ_POINT[1]),
    ]


def test_a_history_row_with_an_unknown_system_is_named_by_its_column(
    db: Session, clock: Clock, categories: None
) -> None:
    text = (
        HISTORY_HEADER
        + "\nRX1,2024-08-05 09:00,门口垃圾,E0102,城管局,2024-08-06 17:00,满意,31.46,121.1,谷歌\n"
    )
    with pytest.raises(ImportFailed) as info:
        history.import_history_file(
            db,
            text.encode(),
            "history.csv",
            actor=TESTER,
            now=clock.now(),
            zone=history.ZoneInfo("Asia/Shanghai"),
        )
    assert [(e.row, e.column, e.code) for e in info.value.row_errors] == [(2, "坐标系", "bad_coord_system")]
    assert db.scalar(select(Event.id)) is None


# --- Open311 (the extension parameter) --------------------------------------------------------------


def _open311(live: Any, **fields: Any) -> Any:
    form = {"api_key": live.api_key, "service_code": "E0102", "description": "路口有垃圾", **fields}
    return live.client.post("/open311/v2/requests.json", data=form)


def test_an_open311_request_with_coord_system_gcj02_lands_in_its_grid_and_reads_back_both_points(
    live_intake: Any,
) -> None:
    with live_intake.session() as s:
        add_border_grids(s, live_intake.clock.now())
    r = _open311(live_intake, lat=GCJ_POINT[0], long=GCJ_POINT[1], coord_system="gcj02")
    assert r.status_code == 201, r.text
    request_id = r.json()[0]["service_request_id"]
    with live_intake.session() as s:
        stored = s.scalars(select(Event).where(Event.public_id == request_id)).one()
        assert (stored.grid_code, stored.coord_system) == (WEST, "gcj02")
    read = live_intake.client.get(f"/open311/v2/requests/{request_id}.json?extensions=true").json()[0]
    assert (read["lat"], read["long"]) == pytest.approx(TRUE_POINT, abs=1e-5)
    extra = read["extended_attributes"]
    assert (extra["coord_system"], extra["received_lat"], extra["received_long"]) == ("gcj02", *GCJ_POINT)


def test_an_open311_request_with_an_unknown_coord_system_is_a_400_error_list(live_intake: Any) -> None:
    r = _open311(live_intake, lat=31.46, long=121.1, coord_system="mercator")
    assert r.status_code == 400
    assert "coord_system 'mercator' is not one of" in r.json()[0]["description"]
