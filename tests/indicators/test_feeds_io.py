"""Files of values and stations, the scheduled pull against a local server, thresholds and silence."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.core.tabular import ImportFailed
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.indicators import jobs, service
from citycockpit.indicators.models import Alert, Pull, Station, Value
from tests.builders import xlsx_bytes
from tests.indicators.builders import ACTOR, ZONE, deliver, make_feed, make_station


def _count(db: Session, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def air(db: Session, clock: Clock, city):  # type: ignore[no-untyped-def]
    make_station(db, "TC01", now=clock.now())
    return make_feed(db, "pm25", now=clock.now())


def test_a_csv_of_values_is_imported_with_chinese_headers(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    data = "指标,时间,站点,数值\npm25,2024-09-30 08:00,TC01,35\npm25,2024-09-30 09:00,TC01,41\n".encode()
    result = service.import_values_file(db, data, "pm25.csv", principal=ACTOR, now=clock.now(), zone=ZONE)
    assert (result.created, _count(db, Value)) == (2, 2)


def test_an_xlsx_of_values_names_the_bad_rows_and_stores_nothing(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    data = xlsx_bytes(
        "数据", ["时间", "站点", "数值"], [["2024-09-30 08:00", "TC01", 35], ["2024-09-30 09:00", "TC99", 41]]
    )
    with pytest.raises(ImportFailed) as caught:
        service.import_values_file(
            db, data, "pm25.xlsx", principal=ACTOR, now=clock.now(), zone=ZONE, series="pm25"
        )
    assert [(e.row, e.column) for e in caught.value.row_errors] == [(3, "place")]
    assert _count(db, Value) == 0


def test_stations_are_imported_from_a_file(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    data = "站点代码,站点名称,级别,纬度,经度,所属地区\nTC01,太仓监测站,国控,31.45,121.10,320585100\nTC02,城厢镇站,镇控,31.46,121.11,\n".encode()
    assert service.import_stations(db, data, "stations.csv", actor=ACTOR, now=clock.now()) == {
        "created": 2,
        "updated": 0,
    }
    assert db.scalar(select(Station.level).where(Station.code == "TC02")) == "town"


def test_a_station_with_a_bad_level_and_latitude_is_refused(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    data = "code,name,level,lat,lon\nTC01,太仓监测站,市控,95,121.10\n".encode()
    with pytest.raises(ImportFailed) as caught:
        service.import_stations(db, data, "stations.csv", actor=ACTOR, now=clock.now())
    assert [e.column for e in caught.value.row_errors] == ["level", "lat"]
    assert _count(db, Station) == 0


# ---------------------------------------------------------------- pulls


@pytest.fixture
def other_system() -> Iterator[dict[str, bytes]]:
    """A local HTTP server standing in for the environment bureau's system: serves `answers[path]`."""
    answers: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = answers.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    answers["__base__"] = f"http://127.0.0.1:{server.server_port}".encode()
    yield answers
    server.shutdown()
    server.server_close()


def test_the_worker_pulls_json_with_the_stored_mapping(db: Session, clock: Clock, air, other_system) -> None:  # type: ignore[no-untyped-def]
    other_system["/aq.json"] = json.dumps(
        {
            "data": [
                {"ts": "2024-09-30T08:00:00+08:00", "site": "TC01", "pm": 33.5},
                {"ts": "2024-09-30T09:00:00+08:00", "site": "TC01", "pm": 36},
            ]
        }
    ).encode()
    base = other_system["__base__"].decode()
    jobs.add_pull(
        db,
        code="pm25",
        url=f"{base}/aq.json",
        format="json",
        mapping={"items": "data", "time": "ts", "place": "site", "value": "pm"},
        actor=ACTOR,
        now=clock.now(),
    )
    result = jobs.pull_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    assert (result.touched, sorted(db.scalars(select(Value.value)))) == (2, [33.5, 36.0])
    again = jobs.pull_job(db, now=clock.now() + timedelta(minutes=5), calendar=DEFAULT_CALENDAR)
    assert again.touched == 0  # not due yet (every 60 minutes)


def test_a_pull_of_csv_with_a_bad_row_records_the_error_and_stores_nothing(
    db: Session, clock: Clock, air, other_system
) -> None:  # type: ignore[no-untyped-def]
    other_system["/aq.csv"] = (
        b"time,station,value\n2024-09-30T08:00+08:00,TC01,33\n2024-09-30T09:00+08:00,TC01,99999\n"
    )
    base = other_system["__base__"].decode()
    pull = jobs.add_pull(
        db,
        code="pm25",
        url=f"{base}/aq.csv",
        format="csv",
        mapping={"time": "time", "place": "station", "value": "value"},
        actor=ACTOR,
        now=clock.now(),
    )
    jobs.pull_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    assert _count(db, Value) == 0
    assert "outside the physical range" in (db.get(Pull, pull.id).last_error or "")


# ---------------------------------------------------------------- thresholds and silence


def test_crossing_a_threshold_raises_an_alert_and_coming_back_resolves_it(
    db: Session, clock: Clock, city
) -> None:  # type: ignore[no-untyped-def]
    make_station(db, "TC01", now=clock.now())
    make_feed(
        db,
        "pm25",
        now=clock.now(),
        name="细颗粒物",
        min_value=0,
        max_value=1000,
        thresholds=[service.ThresholdIn("warn", "above", 75), service.ThresholdIn("alarm", "above", 150)],
    )
    deliver(db, [("pm25", "2024-09-30T08:00+08:00", "TC01", 160)], now=clock.now())
    alert = db.scalar(select(Alert).where(Alert.resolved_at.is_(None)))
    assert (alert.kind, alert.level, alert.limit_value) == ("threshold", "alarm", 150)
    deliver(db, [("pm25", "2024-09-30T09:00+08:00", "TC01", 40)], now=clock.now())
    assert _count(db, Alert) == 1 and db.get(Alert, alert.id).resolved_at == clock.now()


def test_late_data_older_than_the_latest_value_does_not_raise(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    make_station(db, "TC01", now=clock.now())
    make_feed(
        db, "pm25", now=clock.now(), name="细颗粒物", thresholds=[service.ThresholdIn("warn", "above", 75)]
    )
    deliver(db, [("pm25", "2024-09-30T09:00+08:00", "TC01", 40)], now=clock.now())
    deliver(db, [("pm25", "2024-09-30T03:00+08:00", "TC01", 90)], now=clock.now())
    assert _count(db, Alert) == 0


def test_a_feed_that_stops_sending_raises_one_silence_alert(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    air.silence_minutes = 120
    deliver(db, [("pm25", "2024-09-30T08:00+08:00", "TC01", 35)], now=clock.now())
    assert jobs.silence_job(db, now=clock.now() + timedelta(minutes=119), calendar=None).touched == 0
    assert jobs.silence_job(db, now=clock.now() + timedelta(minutes=121), calendar=None).touched == 1
    assert jobs.silence_job(db, now=clock.now() + timedelta(minutes=180), calendar=None).touched == 0
    deliver(db, [("pm25", "2024-09-30T12:00+08:00", "TC01", 35)], now=clock.now() + timedelta(hours=3))
    assert db.scalar(select(func.count()).select_from(Alert).where(Alert.resolved_at.is_(None))) == 0


def test_alerts_are_listed_by_the_api_within_the_callers_area(
    client, db: Session, clock: Clock, city, leader, town_staff
) -> None:  # type: ignore[no-untyped-def]
    make_station(db, "TC01", now=clock.now(), area="320585100")
    make_station(db, "TC02", now=clock.now(), area="320585101")
    make_feed(
        db, "pm25", now=clock.now(), name="细颗粒物", thresholds=[service.ThresholdIn("warn", "above", 75)]
    )
    deliver(
        db,
        [("pm25", "2024-09-30T08:00+08:00", "TC01", 80), ("pm25", "2024-09-30T08:00+08:00", "TC02", 90)],
        now=clock.now(),
    )
    everyone = client.get("/api/v1/indicators/alerts", headers=leader.headers).json()
    town = client.get("/api/v1/indicators/alerts", headers=town_staff.headers).json()
    assert sorted(a["place"] for a in everyone) == ["TC01", "TC02"]
    assert [a["place"] for a in town] == ["TC01"]


def test_an_admin_changes_thresholds_and_a_supervisor_may_not(
    client, db: Session, clock: Clock, air, admin, supervisor
) -> None:  # type: ignore[no-untyped-def]
    body = {"thresholds": [{"level": "warn", "direction": "above", "limit_value": 75}]}
    refused = client.put("/api/v1/indicators/pm25/thresholds", json=body, headers=supervisor.headers)
    assert refused.status_code == 403
    r = client.put("/api/v1/indicators/pm25/thresholds", json=body, headers=admin.headers)
    assert r.status_code == 200
    deliver(db, [("pm25", "2024-09-30T08:00+08:00", "TC01", 80)], now=clock.now())
    assert db.scalar(select(Alert.level)) == "warn"
    bad = {"thresholds": [{"level": "severe", "direction": "above", "limit_value": 75}]}
    answer = client.put("/api/v1/indicators/pm25/thresholds", json=bad, headers=admin.headers)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_indicator_feed")
