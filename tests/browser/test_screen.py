"""The big screen in a real Chromium: every panel drawn or explicitly empty, nothing fetched from outside,
scaled to fit, drill-down to a town and back, and escaped tooltips."""

from __future__ import annotations

from sqlalchemy import select

from citycockpit.db import session_scope
from citycockpit.org.models import Area
from tests.browser.conftest import Demo, Watch, artifact, open_context, sign_in

PANELS_READY = "() => [...document.querySelectorAll('section.panel')].every(p => p.dataset.state)"
# Panels the demo city has data for (grows as domains land in the demo).
DEMO_DRAWN = {
    "targets",
    "map",
    "projects",
    "economy",
    "goals",
    "alerts",
    "events/counters",
    "events/breakdown",
}

CANVAS_INK = """(panel) => [...panel.querySelectorAll('canvas')].some(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4 * 97) { if (d[i] > 0) return true; }
  return false;
})"""


def _open_screen(page, demo: Demo, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(demo.url + path)
    page.wait_for_function(PANELS_READY, timeout=20_000)


def test_the_big_screen_draws_every_panel_from_local_files_only(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    _open_screen(page, demo, demo.kiosk_path)
    assert page.url.endswith("/screen")
    states = page.eval_on_selector_all(
        "section.panel", "ps => Object.fromEntries(ps.map(p => [p.dataset.panel, p.dataset.state]))"
    )
    assert len(states) == 8
    for name, state in states.items():
        panel = page.locator(f'section.panel[data-panel="{name}"]')
        assert panel.locator("[data-as-of]").inner_text().startswith("数据截至"), name
        if state == "no-data":
            # "no data yet" is said in words, never shown as a zero
            assert panel.locator("[data-no-data]").inner_text().startswith("暂无数据"), name
        else:
            assert state == "drawn", name
    for name in DEMO_DRAWN:
        assert states[name] == "drawn", name
    assert page.locator('section[data-panel="targets"] li').count() >= 5
    assert page.locator('section[data-panel="map"]').evaluate(CANVAS_INK)
    assert page.locator("#clock-date").inner_text().startswith("2024年9月30日")
    assert "太仓市" in page.locator(".screen-head").inner_text()
    page.screenshot(path=str(artifact("screen-1920x1080.png")))
    assert watch.outside_requests == []
    assert watch.console_errors == []


def test_the_big_screen_scales_to_fit_a_1366_by_768_display(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    context = open_context(browser, watch, width=1366, height=768)
    try:
        page = context.new_page()
        _open_screen(page, demo, demo.kiosk_path)
        box = page.locator("#stage").bounding_box()
        scale = min(1366 / 1920, 768 / 1080)
        assert abs(box["width"] - 1920 * scale) < 1 and abs(box["height"] - 1080 * scale) < 1
        assert abs(box["x"] - (1366 - box["width"]) / 2) < 1 and box["y"] >= -0.5
        page.screenshot(path=str(artifact("screen-1366x768.png")))
        assert watch.outside_requests == [] and watch.console_errors == []
    finally:
        context.close()


def _click_area(page, code: str) -> None:  # type: ignore[no-untyped-def]
    """Click the map at an area's centroid (the map panel's chart knows where that is)."""
    centroid = page.evaluate(
        """(code) => fetch('/api/v1/screen/map' + location.search).then(r => r.json())
             .then(d => d.centroids.find(c => c.code === code))""",
        code,
    )
    holder = page.locator('section[data-panel="map"] .chart')
    x, y = holder.evaluate(
        "(el, c) => echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [c.lon, c.lat])", centroid
    )
    box = holder.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_clicking_a_town_on_the_map_opens_its_screen_with_a_way_back(
    context, demo: Demo, watch: Watch
) -> None:  # type: ignore[no-untyped-def]
    sign_in(context, demo, "web_leader")
    page = context.new_page()
    _open_screen(page, demo, "/screen")
    _click_area(page, "320585101")
    page.wait_for_url("**/screen?area=320585101")
    page.wait_for_function(PANELS_READY)
    assert "沙溪镇" in page.locator(".screen-head").inner_text()
    page.locator("#back-link").click()
    page.wait_for_url(lambda url: url.endswith("/screen"))
    assert watch.console_errors == []


def test_a_town_kiosk_cannot_leave_its_town(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    context = open_context(browser, watch)
    try:
        page = context.new_page()
        _open_screen(page, demo, demo.town_kiosk_path)
        assert "城厢镇" in page.locator(".screen-head").inner_text()
        assert page.locator("#back-link").count() == 0
        response = page.goto(demo.url + "/screen?area=320585101")
        assert response.status == 404
    finally:
        context.close()


def test_an_area_name_with_markup_is_escaped_in_the_map_tooltip(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    evil = '<img src=x onerror="window.__xss=1">东门'
    engine = demo.engine()
    with session_scope(engine) as session:
        village = session.scalars(
            select(Area)
            .where(Area.level == "village", Area.code.startswith("320585100"))
            .where(Area.geometry_geojson.is_not(None))
            .order_by(Area.code)
        ).first()
        code, original = village.code, village.name
        village.name = evil
    try:
        sign_in(context, demo, "web_leader")
        page = context.new_page()
        _open_screen(page, demo, "/screen?area=320585100")
        centroid = page.evaluate(
            """(code) => fetch('/api/v1/screen/map?area=320585100').then(r => r.json())
                 .then(d => d.centroids.find(c => c.code === code))""",
            code,
        )
        holder = page.locator('section[data-panel="map"] .chart')
        x, y = holder.evaluate(
            "(el, c) => echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [c.lon, c.lat])",
            centroid,
        )
        box = holder.bounding_box()
        page.mouse.move(box["x"] + x, box["y"] + y)
        tooltip = page.locator('section[data-panel="map"] div').filter(has_text="东门").last
        tooltip.wait_for(timeout=5000)
        assert "<img" in tooltip.inner_text()
        assert page.locator('section[data-panel="map"] img').count() == 0
        assert page.evaluate("window.__xss") is None
    finally:
        with session_scope(engine) as session:
            session.scalars(select(Area).where(Area.code == code)).one().name = original
        engine.dispose()


def test_a_department_name_with_markup_is_text_on_the_screen(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.org.models import Department

    evil = '<img src=x onerror="window.__xss=1">'
    engine = demo.engine()
    with session_scope(engine) as session:
        dept = (
            session.scalars(select(Department).where(Department.code == "ZJJ")).first()
            or session.scalars(select(Department).where(Department.short_name == "住建局")).one()
        )
        code, original = dept.code, dept.short_name
        dept.short_name = evil + "住建局"
    try:
        page = context.new_page()
        _open_screen(page, demo, demo.kiosk_path)
        alerts = page.locator('section[data-panel="alerts"]')
        page.wait_for_function(
            "() => document.querySelector('section[data-panel=\"alerts\"]').innerText.includes('<img')"
        )
        assert alerts.locator("img").count() == 0 and page.locator("#stage img").count() == 0
        assert page.evaluate("window.__xss") is None
        assert watch.console_errors == []
    finally:
        with session_scope(engine) as session:
            session.scalars(select(Department).where(Department.code == code)).one().short_name = original
        engine.dispose()


def _map_details(urls: list[str]) -> list[str]:
    """The `detail` of each map request, in order."""
    from urllib.parse import parse_qs, urlparse

    return [parse_qs(urlparse(u).query).get("detail", ["?"])[0] for u in urls if "/api/v1/screen/map" in u]


def _zoom_map(page, notches: int) -> None:  # type: ignore[no-untyped-def]
    """Turn the mouse wheel over the map's middle (negative: zoom in)."""
    box = page.locator('section[data-panel="map"] .chart').bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(abs(notches)):
        page.mouse.wheel(0, -120 if notches > 0 else 120)
        page.wait_for_timeout(30)


def test_the_map_asks_for_finer_boundaries_when_drilled_into_a_town_and_when_zoomed_in(
    context, demo: Demo, watch: Watch
) -> None:  # type: ignore[no-untyped-def]
    sign_in(context, demo, "web_leader")
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    _open_screen(page, demo, "/screen")
    assert set(_map_details(asked)) == {"0"}  # the whole city: its towns coarsest
    _click_area(page, "320585101")
    page.wait_for_url("**/screen?area=320585101")
    page.wait_for_function(PANELS_READY)
    town_requests = [u for u in asked if "area=320585101" in u]
    assert _map_details(town_requests)[-1:] == ["1"]  # a town: its villages at the town's detail

    # zoomed in five times over, the town's map asks for the next finer level and draws it
    asked.clear()
    _zoom_map(page, 12)
    page.wait_for_function("document.querySelector('section[data-panel=\"map\"]').dataset.detail === '2'")
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('/screen/map') && e.name.includes('detail=2'))"
    )
    assert _map_details(asked) == ["2"]
    # zoomed back out, the town's level is drawn from what the page kept: nothing is fetched
    asked.clear()
    _zoom_map(page, -12)
    page.wait_for_function("document.querySelector('section[data-panel=\"map\"]').dataset.detail === '1'")
    page.wait_for_timeout(300)
    assert _map_details(asked) == []
    assert page.locator('section[data-panel="map"]').evaluate(CANVAS_INK)
    assert watch.console_errors == []
