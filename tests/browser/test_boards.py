"""Theme boards in a real Chromium at 1920×1080: /screen?theme=ecology and /screen?theme=safety draw every
panel with data, in Chinese only (no English words, raw codes or reprs), inside the stage, nothing
overlapping; the main screen links to each board and each board back."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from citycockpit.core.dialect import upsert_insert
from citycockpit.db import session_scope
from citycockpit.indicators import aqi
from citycockpit.indicators.models import AirQualityDay, Station
from citycockpit.org.models import Area
from tests.browser.conftest import Demo, Watch, artifact, open_context, sign_in
from tests.browser.walk import text_problems

BOARD_READY = "() => [...document.querySelectorAll('[data-board-panel]')].every(p => p.dataset.state)"
# The board's own stations: one in each of three towns, named after their town.
STATIONS = ("BT-ECO-1", "BT-ECO-2", "BT-ECO-3")
PRIMARY = ("PM2.5", "O3_8h", "PM10", "NO2")


def add_air_year(engine) -> None:  # type: ignore[no-untyped-def]
    """This test's own air data (never the demo's): three stations at their towns' centres and each day of
    2024 up to the demo's date, for them and the city (the city's days only where none is stored yet)."""
    rng = random.Random(2024)
    now = datetime(2024, 9, 30, 2, tzinfo=UTC)
    with session_scope(engine) as session:
        if session.scalar(select(Station.id).where(Station.code == "BT-ECO-1")) is not None:
            return
        towns = session.execute(
            select(Area.code, Area.name, Area.centroid_lon, Area.centroid_lat)
            .where(Area.level == "town", Area.centroid_lon.is_not(None))
            .order_by(Area.code)
            .limit(len(STATIONS))
        ).all()
        for code, town in zip(STATIONS, towns, strict=False):
            session.add(
                Station(
                    code=code,
                    name=f"{town.name[:2]}监测站",
                    level="national",
                    lon=town.centroid_lon + 0.02,
                    lat=town.centroid_lat - 0.01,
                    area_code=town.code,
                    updated_at=now,
                )
            )
        rows = []
        for place in ["", *STATIONS]:
            day = date(2024, 1, 1)
            while day < date(2024, 9, 30):
                winter = day.month in (1, 2, 12)
                index = max(15, int(rng.gauss(95 if winter else 60, 35)))
                rows.append(
                    {
                        "place_code": place,
                        "day": day,
                        "aqi": index,
                        "pm25": round(index * 0.55, 1),
                        "primary_pollutants": rng.choice(PRIMARY) if index > 50 else None,
                        "is_valid": True,
                        "computed_at": now,
                    }
                )
                day += timedelta(days=1)
        insert = upsert_insert(session, AirQualityDay.__table__)
        session.execute(insert.on_conflict_do_nothing(index_elements=["place_code", "day"]), rows)
    assert aqi.grade(60) == 2


def _open_board(context, demo: Demo, theme: str):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(f"{demo.url}/screen?theme={theme}")
    page.wait_for_function(BOARD_READY, timeout=20_000)
    page.wait_for_timeout(1200)  # the charts' entry animation
    return page


def _panel_states(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        "[data-board-panel]",
        "ps => Object.fromEntries(ps.map(p => [p.dataset.type + ':' + p.dataset.boardPanel, p.dataset.state]))",
    )


def _overlaps(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Panels lying over one another or past the stage's edge."""
    return page.evaluate(
        """() => {
      const stage = document.getElementById('stage').getBoundingClientRect();
      const boxes = [...document.querySelectorAll('[data-board-panel]')].map(p => [p.dataset.boardPanel, p.getBoundingClientRect()]);
      const out = [];
      boxes.forEach(([id, b], i) => {
        if (b.left < stage.left - 1 || b.right > stage.right + 1 || b.bottom > stage.bottom + 1) out.push('off ' + id);
        boxes.slice(i + 1).forEach(([id2, c]) => {
          if (b.left < c.right - 1 && c.left < b.right - 1 && b.top < c.bottom - 1 && c.top < b.bottom - 1) out.push(id + ' over ' + id2);
        });
      });
      return out;
    }"""
    )


@pytest.fixture(scope="module")
def air(demo: Demo) -> None:
    engine = demo.engine()
    add_air_year(engine)
    engine.dispose()


def test_the_ecology_board_draws_its_panels_in_chinese(context, demo: Demo, watch: Watch, air) -> None:  # type: ignore[no-untyped-def]
    sign_in(context, demo, "web_leader")
    page = _open_board(context, demo, "ecology")
    states = _panel_states(page)
    assert len(states) == 6
    drawn = {name.split(":")[0] for name, state in states.items() if state == "drawn"}
    assert {"station_map", "aqi_calendar", "goal_gauge", "ratio", "worst_days"} <= drawn, states
    assert page.locator('[data-type="worst_days"] tbody tr, [data-type="worst_days"] tr').count() >= 5
    assert page.locator(".screen-title").inner_text() == "生态环境专题"
    text = page.locator("#stage").inner_text()
    assert text_problems(text, lang="zh", allowed=set()) == []
    assert _overlaps(page) == []
    page.screenshot(path=str(artifact("board-ecology-1920x1080.png")))
    # and back to the main screen by its link
    page.locator('nav.boards a[data-board-link=""]').click()
    page.wait_for_url(lambda url: url.endswith("/screen"))
    assert page.locator('nav.boards a[data-board-link="ecology"]').count() == 1
    assert watch.outside_requests == []
    assert watch.console_errors == []


def test_the_safety_board_draws_the_towns_figures_in_chinese(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    sign_in(context, demo, "web_leader")
    page = _open_board(context, demo, "safety")
    states = _panel_states(page)
    assert len(states) == 5 and set(states.values()) == {"drawn"}, states
    assert page.locator('[data-type="kpi"] .kpi').count() == 5
    assert page.locator('[data-type="alerts"] li.level-alarm').count() >= 1
    text = page.locator("#stage").inner_text()
    assert text_problems(text, lang="zh", allowed=set()) == []
    assert _overlaps(page) == []
    page.screenshot(path=str(artifact("board-safety-1920x1080.png")))
    assert watch.outside_requests == []
    assert watch.console_errors == []


def test_a_town_kiosk_opens_its_towns_ecology_board(browser, demo: Demo, air) -> None:  # type: ignore[no-untyped-def]

    watch = Watch()
    context = open_context(browser, watch)
    try:
        page = context.new_page()
        page.goto(f"{demo.url}{demo.town_kiosk_path}?theme=ecology")
        page.wait_for_function(BOARD_READY, timeout=20_000)
        assert page.url.endswith("/screen?theme=ecology")
        assert "城厢镇" in page.locator(".screen-head").inner_text()
        page.screenshot(path=str(artifact("board-ecology-town-kiosk.png")))
        assert watch.console_errors == []
    finally:
        context.close()


MONTHLY = """
theme: inspections
name: 企业检查
position: 9
series:
  - {code: bt_inspections, name: 企业检查数, unit: 家, min: 0, max: 5000, monthly_rule: sum}
board:
  panels:
    - {type: trend, title: 近六个月企业检查数, at: [0, 0, 12, 8], params: {series: bt_inspections, months: 6}}
"""


def test_a_trend_by_month_draws_its_months_in_chinese(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete, update

    from citycockpit.core.actors import SystemActor
    from citycockpit.indicators import service as indicators
    from citycockpit.indicators.models import Feed, Theme
    from tests.indicators.builders import deliver

    engine = demo.engine()
    now = datetime(2024, 9, 30, 2, tzinfo=UTC)  # the demo server's day
    with session_scope(engine) as session:
        indicators.load_theme(
            session, MONTHLY.encode(), "inspections.yaml", actor=SystemActor("测试"), now=now
        )
        town = session.scalars(select(Area.code).where(Area.level == "town").order_by(Area.code)).first()
        rows = [("bt_inspections", f"2024-{m:02d}-15T17:00+08:00", town, 10 * m) for m in range(4, 10)]
        deliver(session, rows, now=now)
    try:
        sign_in(context, demo, "web_leader")
        page = _open_board(context, demo, "inspections")
        assert _panel_states(page) == {"trend:1": "drawn"}
        axis = page.evaluate(
            "() => echarts.getInstanceByDom(document.querySelector('[data-type=trend] .chart'))"
            ".getOption().xAxis[0].data"
        )
        assert axis == ["2024年4月", "2024年5月", "2024年6月", "2024年7月", "2024年8月", "2024年9月"]
        assert text_problems(page.locator("#stage").inner_text(), lang="zh", allowed=set()) == []
        page.screenshot(path=str(artifact("board-trend-months-1920x1080.png")))
    finally:  # the shared demo keeps its own boards: other tests count the screen's board links
        with session_scope(engine) as session:
            session.execute(delete(Theme).where(Theme.code == "inspections"))
            session.execute(update(Feed).where(Feed.theme == "inspections").values(theme=None))
        engine.dispose()
    assert watch.outside_requests == []
    assert watch.console_errors == []
