"""Theme boards: a theme's board is data (checked when loaded, nothing stored when wrong), each panel type
answers from SQL on both databases, within the viewer's scope, and the main screen carries the
indicator alerts and the links to the boards."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.core.clock import Clock
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.goals.models import GoalEvaluation
from citycockpit.indicators import boards as board_config
from citycockpit.indicators import service as indicators
from citycockpit.indicators.air import air_quality_job
from citycockpit.indicators.errors import InvalidTheme
from citycockpit.indicators.models import AirQualityDay, Feed, Theme
from citycockpit.screen import boards
from citycockpit.screen import service as screen_service
from tests.goals.builders import make_goal
from tests.indicators.builders import ACTOR, deliver, make_station

SECRET = "test-secret-key-" + "x" * 32  # the `settings` fixture's key
TOWN_A, TOWN_B = "320585100", "320585101"


def _theme_file(code: str) -> bytes:
    return resources.files("citycockpit.indicators").joinpath(f"data/themes/{code}.yaml").read_bytes()


@pytest.fixture
def themes(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    for code in ("ecology", "safety"):
        indicators.load_theme(db, _theme_file(code), f"{code}.yaml", actor=ACTOR, now=clock.now())
    make_station(db, "TC01", now=clock.now(), area=TOWN_A)
    make_station(db, "TC02", now=clock.now(), area=TOWN_B)


def _air_day(db: Session, place: str, day: str, aqi: int, pm25: float, primary: str | None) -> None:
    db.add(
        AirQualityDay(
            place_code=place,
            day=date.fromisoformat(day),
            pm25=pm25,
            aqi=aqi,
            primary_pollutants=primary,
            is_valid=True,
            computed_at=datetime.fromisoformat("2024-09-30T01:00+00:00"),
        )
    )


@pytest.fixture
def air_year(db: Session, themes) -> None:  # type: ignore[no-untyped-def]
    """A few days of 2024 for the city and its two stations (one in each town)."""
    for place, day, aqi, pm25, primary in [
        ("", "2024-01-05", 160, 120.0, "PM2.5"),
        ("", "2024-03-01", 45, 20.0, None),
        ("", "2024-06-01", 120, 40.0, "O3_8h"),
        ("", "2024-09-29", 80, 55.0, "PM10"),
        ("", "2023-12-31", 400, 300.0, "PM2.5"),  # last year: in no panel of this year
        ("TC01", "2024-02-01", 210, 160.0, "PM2.5"),
        ("TC01", "2024-09-29", 90, 60.0, "PM10"),
        ("TC02", "2024-02-02", 305, 250.0, "PM2.5"),
        ("TC02", "2024-09-29", 60, 30.0, "NO2"),
    ]:
        _air_day(db, place, day, aqi, pm25, primary)
    db.flush()


def _board(client: TestClient, who: Any, theme: str = "ecology", **params: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/screen/boards/{theme}", params=params, headers=who.headers if who else None)
    assert r.status_code == 200, r.text
    return r.json()


def _panel(body: dict[str, Any], kind: str, n: int = 0) -> Any:
    return [p for p in body["panels"] if p["type"] == kind][n]["data"]


# --- the board as data ----------------------------------------------------------------------------------


def test_every_panel_type_a_board_may_name_has_a_reader() -> None:
    assert set(boards.READERS) == set(board_config.PANEL_TYPES)


def test_loading_the_shipped_themes_stores_their_boards_and_audits_it(db: Session, themes) -> None:
    stored = {t.code: t for t in db.scalars(select(Theme))}
    assert {c: t.name for c, t in stored.items()} == {"ecology": "生态环境", "safety": "安全生产"}
    ecology = [p["type"] for p in stored["ecology"].board["panels"]]  # type: ignore[index]
    assert ecology == ["station_map", "goal_gauge", "ratio", "alerts", "aqi_calendar", "worst_days"]
    safety = {p["type"] for p in stored["safety"].board["panels"]}  # type: ignore[index]
    assert safety <= set(board_config.PANEL_TYPES) and "kpi" in safety
    assert db.scalar(select(Feed.theme).where(Feed.code == "safety_rectified_pct")) == "safety"
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "indicator_theme")).all()
    assert list(actions) == ["indicators.theme.load", "indicators.theme.load"]


BAD_BOARD = """
theme: water
name: 水务
series:
  - {code: water_level, name: 河道水位, unit: m}
board:
  panels:
    - {type: trend, title: 水位, at: [0, 0, 6, 4], params: {series: water_level}}
    - %s
"""


@pytest.mark.parametrize(
    ("panel", "named"),
    [
        ("{type: pie_chart, title: 饼图, at: [6, 0, 6, 4]}", "unknown type 'pie_chart'"),
        ("{type: trend, title: 流量, at: [6, 0, 6, 4], params: {series: water_flow}}", "series 'water_flow'"),
        ("{type: kpi, title: 概况, at: [6, 0, 6, 4], params: {items: [{series: rain}]}}", "series 'rain'"),
        ("{type: alerts, title: 告警, at: [4, 0, 6, 4]}", "lies over panel 1 (水位)"),
        ("{type: alerts, title: 告警, at: [8, 0, 6, 4]}", "off the 12×8 grid"),
        ("{type: by_area, title: 分镇, at: [6, 0, 6, 4], params: {series: water_level, agg: max}}", "agg"),
        # every parameter's value is read at load, not when the screen draws it
        (
            "{type: trend, title: 流量, at: [6, 0, 6, 4], params: {series: water_level, days: 三十}}",
            "days is a whole",
        ),
        (
            "{type: trend, title: 流量, at: [6, 0, 6, 4], params: {series: water_level, days: 0}}",
            "from 1 to 366",
        ),
        (
            "{type: trend, title: 流量, at: [6, 0, 6, 4], params: {series: water_level, months: 12.5}}",
            "months is",
        ),
        (
            "{type: trend, title: 流量, at: [6, 0, 6, 4], params: {series: water_level, days: 7, months: 2}}",
            "both",
        ),
        ("{type: trend, title: 流量, at: [6, 0, 6, 4], params: {series: [water_level]}}", "series is a text"),
        (
            "{type: by_area, title: 分镇, at: [6, 0, 6, 4], params: {series: water_level, target: 九十}}",
            "target",
        ),
        ("{type: alerts, title: 告警, at: [6, 0, 6, 4], params: {limit: 1000}}", "limit is a whole number"),
        ("{type: alerts, title: 告警, at: [6, 0, 6, 4], params: {limit: true}}", "limit is a whole number"),
        (
            "{type: ratio, title: 比例, at: [6, 0, 6, 4], params: {measure: good_ratio, target: .nan}}",
            "target",
        ),
        (
            "{type: kpi, title: 概况, at: [6, 0, 6, 4], params: {items: [{series: water_level, lower_is_better: 是}]}}",
            "lower_is_better is true or false",
        ),
        (
            "{type: kpi, title: 概况, at: [6, 0, 6, 4], params: {items: [{series: water_level, target: 高}]}}",
            "item water_level: target is a number",
        ),
    ],
)
def test_a_wrong_board_is_refused_naming_the_panel_and_nothing_is_stored(
    db: Session, clock: Clock, city, panel: str, named: str
) -> None:
    with pytest.raises(InvalidTheme) as refused:
        indicators.load_theme(db, (BAD_BOARD % panel).encode(), "water.yaml", actor=ACTOR, now=clock.now())
    assert "water.yaml: panel 2" in refused.value.detail or "panel 2" in refused.value.detail
    assert named in refused.value.detail
    assert db.scalar(select(func.count()).select_from(Feed).where(Feed.code == "water_level")) == 0
    assert db.scalar(select(func.count()).select_from(Theme)) == 0


def test_loading_a_theme_again_replaces_its_board(db: Session, clock: Clock, themes) -> None:
    changed = _theme_file("safety").replace("本月安全生产概况".encode(), "安全生产总览".encode())
    result = indicators.load_theme(db, changed, "safety.yaml", actor=ACTOR, now=clock.now())
    assert (result["created"], result["updated"], result["panels"]) == (0, 5, 5)
    board = db.scalar(select(Theme.board).where(Theme.code == "safety"))
    assert board["panels"][0]["title"] == "安全生产总览"  # type: ignore[index]


# --- the ecology board ----------------------------------------------------------------------------------


def test_the_ecology_board_reads_the_years_air_quality(client: TestClient, leader, air_year) -> None:
    body = _board(client, leader)
    assert body["theme"] == {"code": "ecology", "name": "生态环境"}
    calendar = _panel(body, "aqi_calendar")
    assert calendar["days"] == [
        ["2024-01-05", 160],
        ["2024-03-01", 45],
        ["2024-06-01", 120],
        ["2024-09-29", 80],
    ]
    assert [g["name"] for g in calendar["grades"]][:2] == ["优", "良"]
    ratio = _panel(body, "ratio")
    assert (ratio["value"], ratio["good_days"], ratio["valid_days"], ratio["target"]) == (50.0, 2, 4, 86)
    worst = _panel(body, "worst_days")["items"]
    assert [(w["day"], w["aqi"], w["primary"]) for w in worst] == [
        ("2024-01-05", 160, ["细颗粒物"]),
        ("2024-06-01", 120, ["臭氧(8小时)"]),
        ("2024-09-29", 80, ["可吸入颗粒物"]),
        ("2024-03-01", 45, []),
    ]
    assert worst[0]["grade"]["name"] == "中度污染"
    gauge = _panel(body, "goal_gauge")
    assert (gauge["value"], gauge["target"], gauge["source"], gauge["goal"]) == (58.8, 24, "air", None)
    stations = {s["code"]: (s["value"], s["grade"]["name"]) for s in _panel(body, "station_map")["stations"]}
    assert stations == {"TC01": (90, "良"), "TC02": (60, "良")}
    assert _panel(body, "station_map")["day"] == "2024-09-29"


def test_the_pm25_gauge_reads_the_goal_its_forecast_and_status(
    client: TestClient, db: Session, clock: Clock, leader, air_year
) -> None:
    goal = make_goal(
        db,
        now=clock.now(),
        title="PM2.5年均浓度24微克/立方米以下",
        measure="level",
        target_value=24.0,
        unit="微克/立方米",
        qualifier="<=",
    )
    db.add(
        GoalEvaluation(
            goal_id=goal.id,
            period="2024-09",
            status="at_risk",
            color="amber",
            rule="level",
            reason="预计略超目标",
            progress=None,
            time_progress=0.75,
            forecast=25.3,
            to_date=26.1,
            data_month=9,
            evaluated_at=clock.now(),
        )
    )
    db.flush()
    gauge = _panel(_board(client, leader), "goal_gauge")
    assert (gauge["value"], gauge["forecast"], gauge["status"], gauge["source"]) == (
        26.1,
        25.3,
        "at_risk",
        "goal",
    )
    assert (gauge["goal"]["id"], gauge["target"], gauge["ceiling"]) == (goal.id, 24.0, True)


def test_a_towns_gauge_reads_its_own_stations_against_the_citys_target(
    client: TestClient, db: Session, clock: Clock, town_staff, air_year
) -> None:
    make_goal(
        db,
        now=clock.now(),
        title="PM2.5年均浓度22微克/立方米以下",
        measure="level",
        target_value=22.0,
        unit="微克/立方米",
        qualifier="<=",
    )
    gauge = _panel(_board(client, town_staff), "goal_gauge")
    # 城厢镇's station: (160 + 60) / 2 over its two valid days; the city's goal gives only the target
    assert (gauge["value"], gauge["source"], gauge["target"], gauge["goal"]) == (110.0, "air", 22.0, None)


def test_panels_without_data_answer_null(client: TestClient, leader, themes) -> None:
    body = _board(client, leader)
    assert {p["type"]: p["data"] for p in body["panels"] if p["type"] != "station_map"} == {
        "goal_gauge": None,
        "ratio": None,
        "alerts": None,
        "aqi_calendar": None,
        "worst_days": None,
    }
    stations = _panel(body, "station_map")["stations"]
    assert [s["value"] for s in stations] == [None, None]
    safety = _board(client, leader, "safety")
    assert [p["data"] for p in safety["panels"]] == [None] * 5


def test_the_station_map_shows_the_aqi_computed_from_hourly_values(
    client: TestClient, db: Session, clock: Clock, leader, themes
) -> None:
    midnight = datetime.fromisoformat("2024-09-28T00:00+08:00")
    levels = {"pm25": 80.0, "pm10": 100.0, "so2": 10.0, "no2": 30.0, "co": 0.8, "o3": 120.0}
    deliver(
        db,
        [
            (code, (midnight + timedelta(hours=h)).isoformat(), "TC01", level)
            for code, level in levels.items()
            for h in range(1, 25)
        ],
        now=clock.now(),
    )
    air_quality_job(db, now=clock.now(), calendar=DEFAULT_CALENDAR)
    data = _panel(_board(client, leader), "station_map")
    tc01 = next(s for s in data["stations"] if s["code"] == "TC01")
    assert (data["day"], tc01["value"], tc01["grade"]["name"], tc01["primary"]) == (
        "2024-09-28",
        107,
        "轻度污染",
        ["细颗粒物"],
    )


# --- scope and auth -----------------------------------------------------------------------------------


def test_a_town_user_sees_only_its_towns_stations(client: TestClient, town_staff, air_year) -> None:
    body = _board(client, town_staff)
    assert body["area"]["code"] == TOWN_A
    assert [s["code"] for s in _panel(body, "station_map")["stations"]] == ["TC01"]
    assert _panel(body, "aqi_calendar")["days"] == [["2024-02-01", 210], ["2024-09-29", 90]]
    worst = _panel(body, "worst_days")["items"]
    assert [(w["place_name"], w["aqi"]) for w in worst] == [("TC01监测站", 210), ("TC01监测站", 90)]
    assert _panel(body, "ratio")["value"] == 50.0
    r = client.get("/api/v1/screen/boards/ecology", params={"area": TOWN_B}, headers=town_staff.headers)
    assert (r.status_code, r.json()["code"]) == (404, "screen_area_not_found")


def test_a_leader_drilled_into_a_town_sees_that_towns_stations(client: TestClient, leader, air_year) -> None:
    body = _board(client, leader, area=TOWN_B)
    assert [s["code"] for s in _panel(body, "station_map")["stations"]] == ["TC02"]
    assert _panel(body, "worst_days")["items"][0]["aqi"] == 305


def test_a_town_kiosk_opens_its_towns_board(client: TestClient, db: Session, clock: Clock, air_year) -> None:
    created = screen_service.create_kiosk_link(
        db, name="城厢镇生态大屏", area_code=TOWN_A, secret_key=SECRET, actor=ACTOR, now=clock.now()
    )
    r = client.get(created.path, params={"theme": "ecology"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/screen?theme=ecology")
    assert client.get("/screen?theme=ecology").status_code == 200
    body = _board(client, None)
    assert [s["code"] for s in _panel(body, "station_map")["stations"]] == ["TC01"]


def test_the_board_needs_a_signed_in_screen_reader(client: TestClient, themes, dept_staff) -> None:
    assert client.get("/api/v1/screen/boards/ecology").status_code == 401
    assert client.get("/api/v1/screen/boards", headers=dept_staff.headers).status_code == 200


def test_an_unknown_theme_is_not_found(client: TestClient, leader, themes) -> None:
    r = client.get("/api/v1/screen/boards/water", headers=leader.headers)
    assert (r.status_code, r.json()["code"]) == (404, "indicator_theme_not_found")
    assert client.get("/screen?theme=water", headers=leader.headers).status_code == 404


# --- the safety board: series pushed per town ----------------------------------------------------------


@pytest.fixture
def safety_data(db: Session, clock: Clock, themes) -> None:  # type: ignore[no-untyped-def]
    deliver(
        db,
        [
            ("safety_inspections", "2024-09-10T17:00+08:00", TOWN_A, 12),
            ("safety_inspections", "2024-09-20T17:00+08:00", TOWN_A, 8),
            ("safety_inspections", "2024-09-15T17:00+08:00", TOWN_B, 5),
            ("safety_inspections", "2024-08-10T17:00+08:00", TOWN_A, 10),
            ("safety_inspections", "2024-08-31T17:00+08:00", TOWN_A, 99),  # past the span compared with
            ("safety_rectified_pct", "2024-09-20T17:00+08:00", TOWN_A, 85),
            ("safety_rectified_pct", "2024-09-20T17:00+08:00", TOWN_B, 96),
            ("safety_major_open", "2024-09-10T17:00+08:00", TOWN_A, 3),
            ("safety_major_open", "2024-09-25T17:00+08:00", TOWN_A, 1),
            ("safety_major_open", "2024-09-25T17:00+08:00", TOWN_B, 2),
        ],
        now=clock.now(),
    )


def test_the_safety_board_sums_counts_and_the_latest_open_hazards(
    client: TestClient, leader, safety_data
) -> None:
    body = _board(client, leader, "safety")
    kpis = {i["series"]: i for i in _panel(body, "kpi")["items"]}
    inspections = kpis["safety_inspections"]
    assert (inspections["value"], inspections["previous"], inspections["change"]) == (25.0, 10.0, 15.0)
    assert kpis["safety_rectified_pct"]["value"] == 90.5
    assert kpis["safety_major_open"]["value"] == 3.0  # 1 open in 城厢镇 now + 2 in 沙溪镇
    assert kpis["safety_hazards"]["value"] is None
    by_area = _panel(body, "by_area", 1)["items"]
    assert [(b["name"], b["value"]) for b in by_area] == [("沙溪镇", 96.0), ("城厢镇", 85.0)]
    trend = _panel(body, "trend")
    assert trend["step"] == "day"
    assert trend["points"] == [["2024-09-10", 12.0], ["2024-09-15", 5.0], ["2024-09-20", 8.0]]


MONTHLY_TREND = """
theme: monthly
name: 月度
series:
  - {code: safety_inspections_m, name: 企业检查数, unit: 家}
board:
  panels:
    - {type: trend, title: 近三个月企业检查数, at: [0, 0, 12, 8], params: {series: safety_inspections_m, months: 3}}
"""


def test_a_trend_by_month_sums_each_local_month_with_this_one_so_far(
    client: TestClient, db: Session, clock: Clock, leader, themes
) -> None:
    indicators.load_theme(db, MONTHLY_TREND.encode(), "monthly.yaml", actor=ACTOR, now=clock.now())
    deliver(
        db,
        [
            ("safety_inspections_m", "2024-06-30T23:00+08:00", TOWN_A, 50),  # before the three months
            ("safety_inspections_m", "2024-07-01T00:30+08:00", TOWN_A, 4),  # July locally (June 30 in UTC)
            ("safety_inspections_m", "2024-07-20T17:00+08:00", TOWN_B, 6),
            ("safety_inspections_m", "2024-08-31T23:30+08:00", TOWN_A, 3),  # August locally
            ("safety_inspections_m", "2024-09-10T17:00+08:00", TOWN_A, 12),
            ("safety_inspections_m", "2024-09-20T17:00+08:00", TOWN_B, 8),
        ],
        now=clock.now(),
    )
    trend = _panel(_board(client, leader, "monthly"), "trend")
    assert trend["step"] == "month"
    assert trend["points"] == [["2024-07", 10.0], ["2024-08", 3.0], ["2024-09", 20.0]]
    town = _panel(_board(client, leader, "monthly", area=TOWN_A), "trend")
    assert town["points"] == [["2024-07", 4.0], ["2024-08", 3.0], ["2024-09", 12.0]]


def test_a_town_user_sees_only_its_towns_safety_figures(client: TestClient, town_staff, safety_data) -> None:
    body = _board(client, town_staff, "safety")
    kpis = {i["series"]: i["value"] for i in _panel(body, "kpi")["items"]}
    assert (kpis["safety_inspections"], kpis["safety_major_open"]) == (20.0, 1.0)
    assert [b["name"] for b in _panel(body, "by_area", 1)["items"]] == ["城厢镇"]


def test_a_low_rectification_rate_is_an_alarm_on_the_board_and_the_main_screen(
    client: TestClient, leader, town_staff, safety_data
) -> None:
    alerts = _panel(_board(client, leader, "safety"), "alerts")["items"]
    assert sorted((a["series_name"], a["place_name"], a["level"], a["value"]) for a in alerts) == [
        ("重大隐患未销号数", "城厢镇", "warn", 1.0),
        ("重大隐患未销号数", "沙溪镇", "warn", 2.0),
        ("隐患按期整改率", "城厢镇", "alarm", 85.0),
    ]
    main = client.get("/api/v1/screen/alerts", headers=leader.headers).json()["items"]
    indicator = [i for i in main if i["kind"] == "indicator"]
    assert indicator[0]["level"] == "alarm"  # alarms before warnings
    assert (indicator[0]["theme_name"], indicator[0]["place_name"], indicator[0]["href"]) == (
        "安全生产",
        "城厢镇",
        "/screen?theme=safety",
    )
    town = client.get("/api/v1/screen/alerts", headers=town_staff.headers).json()["items"]
    assert {i["place_name"] for i in town if i["kind"] == "indicator"} == {"城厢镇"}


# --- pages ----------------------------------------------------------------------------------------------


def test_the_main_screen_links_to_each_board_and_each_board_back(client: TestClient, leader, themes) -> None:
    main = client.get("/screen", headers=leader.headers).text
    assert 'href="/screen?theme=ecology"' in main and 'href="/screen?theme=safety"' in main
    board = client.get("/screen?theme=safety", headers=leader.headers).text
    assert 'data-board-link="" href="/screen"' in board or 'href="/screen" data-board-link=""' in board
    assert "本月安全生产概况" in board and "js/board.js" in board


def test_the_boards_are_listed_in_their_order(client: TestClient, leader, themes) -> None:
    r = client.get("/api/v1/screen/boards", headers=leader.headers)
    assert r.json() == [{"code": "ecology", "name": "生态环境"}, {"code": "safety", "name": "安全生产"}]


def test_a_boards_way_back_from_a_town_keeps_the_board(client: TestClient, leader, themes) -> None:
    board = client.get(f"/screen?area={TOWN_A}&theme=ecology", headers=leader.headers).text
    assert 'id="back-link" href="/screen?theme=ecology"' in board
    main = client.get(f"/screen?area={TOWN_A}", headers=leader.headers).text
    assert 'id="back-link" href="/screen"' in main


def test_another_system_pushes_values_with_a_token_and_the_board_shows_them_on_its_next_refresh(
    client: TestClient, db: Session, clock: Clock, leader, themes
) -> None:
    from citycockpit.auth import tokens

    secret = tokens.create_token(
        db, name="安全监管平台", scopes=["indicators:write"], actor=ACTOR, now=clock.now()
    ).secret
    token_id = db.scalar(select(tokens.ApiToken.id).where(tokens.ApiToken.name == "安全监管平台"))
    indicators.grant_feeds(
        db, token_id, ["safety_inspections", "safety_rectified_pct"], actor=ACTOR, now=clock.now()
    )
    assert _panel(_board(client, leader, "safety"), "kpi") is None  # no figures yet
    auth = {"Authorization": f"Bearer {secret}"}
    for series, value in (("safety_inspections", 7), ("safety_rectified_pct", 80)):
        body = {"values": [{"time": "2024-09-29T17:00+08:00", "station": TOWN_B, "value": value}]}
        r = client.post(f"/api/v1/indicators/{series}/values", json=body, headers=auth)
        assert (r.status_code, r.json()["created"]) == (200, 1), r.text
    after = _board(client, leader, "safety")  # the board's next refresh: no job in between
    kpis = {i["series"]: i["value"] for i in _panel(after, "kpi")["items"]}
    assert (kpis["safety_inspections"], kpis["safety_rectified_pct"]) == (7.0, 80.0)
    alerts = _panel(after, "alerts")["items"]
    assert ("隐患按期整改率", "沙溪镇", "alarm") in {
        (a["series_name"], a["place_name"], a["level"]) for a in alerts
    }
