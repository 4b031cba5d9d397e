"""The workbench on a phone (390×844, touch, granted geolocation) in a real Chromium: a grid worker
reports with a photo and the phone's position without typing a coordinate; the bottom bar replaces
the sidebar and tables become cards; a report made offline waits in the outbox and is sent exactly
once when the connection returns, even when the send is retried; the event page's map is drawn for
the grid worker (no 404). Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import time

from sqlalchemy import select

from tests.browser.conftest import Demo, Watch, artifact, sign_in
from tests.browser.journeys import HERE, Steps, jpeg, phone_context, report_in_a_few_taps

GRID = "320585001001001"  # 娄东社区第1网格


def _phone(browser, watch: Watch, width: int = 390, height: int = 844):  # type: ignore[no-untyped-def]
    return phone_context(browser, watch, width, height)


def _photo() -> dict[str, object]:
    return {"name": "street.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}


def _events_with_key(demo: Demo, key: str) -> list[tuple[str, str | None, float | None]]:
    from citycockpit.events.models import Event

    engine = demo.engine()
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.public_id, Event.grid_code, Event.lat).where(Event.idempotency_key == key)
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _located(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#position-status.ok").wait_for()
    page.locator("#grid-name", has_text="娄东社区第1网格").wait_for()


def _pin(page) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The pin's position on the page (the map draws it where its point lies, and says where)."""
    node = page.locator("#pick-map")
    page.wait_for_function("document.getElementById('pick-map').dataset.pinX !== undefined")
    box = node.bounding_box()
    return box["x"] + float(node.get_attribute("data-pin-x")), box["y"] + float(
        node.get_attribute("data-pin-y")
    )


def _event_row(demo: Demo, key: str):  # type: ignore[no-untyped-def]
    from citycockpit.events.models import Event

    engine = demo.engine()
    with engine.connect() as conn:
        row = conn.execute(
            select(
                Event.public_id,
                Event.grid_code,
                Event.lat,
                Event.lon,
                Event.location_accuracy_m,
                Event.category_code,
            ).where(Event.idempotency_key == key)
        ).one()
    engine.dispose()
    return row


def test_a_grid_worker_reports_with_a_photo_and_its_position_in_a_few_taps(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    """The journey of issue 19's "done when": from the home page, a photo, a few words, a suggested
    category and one button — no coordinate typed; each step's time is written to phone-journey.txt."""
    watch = Watch()
    ctx = _phone(browser, watch)
    sign_in(ctx, demo, "web_grid")
    page = ctx.new_page()
    # the suggestions come from the classifier the demo trained; one tap on one chooses it
    page.on(
        "response",
        lambda r: suggested.extend(r.json()) if "categories/suggestions" in r.url and r.ok else None,
    )
    suggested: list[dict[str, object]] = []

    def filled(page) -> None:  # type: ignore[no-untyped-def]
        assert "精度约 12 米" in page.locator("#position-status").inner_text()
        assert page.locator("#grid-name").inner_text().endswith("娄东社区第1网格")
        chosen = page.locator("#suggestions button.chip.chosen")
        assert chosen.inner_text() == "暴露垃圾"
        assert page.locator("select[name=category_code]").input_value() == chosen.get_attribute("data-code")
        assert page.locator("details.manual").get_attribute("open") is None  # coordinates stay folded away
        assert page.locator("#thumbs img").count() == 1
        page.screenshot(path=str(artifact("phone-report.png")), full_page=True)

    steps = Steps()
    key, code = report_in_a_few_taps(page, demo.url, steps, before_send=filled)
    artifact("phone-journey.txt").write_text(steps.text(), encoding="utf-8")
    assert "暴露垃圾" in [s["name"] for s in suggested]
    assert code in [s["code"] for s in suggested]
    public_id, grid, lat, _lon, accuracy, category = _event_row(demo, key)
    assert grid == GRID and abs(lat - HERE["latitude"]) < 1e-4
    assert (accuracy, category) == (12, code)  # the tapped suggestion was sent
    assert public_id in page.url
    assert page.locator("#location-accuracy").inner_text() == "位置精度 ±12 米"
    # the event page draws its map for the grid worker (the outlines it may see: no 404)
    page.locator("#event-map canvas").first.wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifact("phone-event.png")), full_page=True)
    assert watch.console_errors == [] and watch.outside_requests == []
    ctx.close()


def _moved(page, start: tuple[float, float], to: tuple[float, float], drag) -> str:  # type: ignore[no-untyped-def]
    """Drag the pin from `start` to `to` with `drag(x, y, to_x, to_y)`; returns the new latitude once
    the grid was looked up for the new point."""
    before = page.locator("input[name=lat]").input_value()
    with page.expect_response(
        lambda r: "/api/v1/events/locate" in r.url and f"lat={before}&" not in r.url
    ) as seen:
        drag(start[0], start[1], to[0], to[1])
    lat = page.locator("input[name=lat]").input_value()
    assert lat != before and f"lat={lat}&" in seen.value.url
    assert seen.value.ok
    assert page.locator("#position-status").inner_text() == "位置已在地图上手动调整"
    assert page.locator("input[name=accuracy]").input_value() == ""
    return lat


def test_the_pin_is_dragged_by_finger_or_mouse_and_the_report_takes_its_point(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = _phone(browser, watch)
    sign_in(ctx, demo, "web_grid")
    page = ctx.new_page()
    page.goto(demo.url + "/app/events/new")
    _located(page)
    page.locator("#pick-map canvas").first.wait_for()
    cdp = ctx.new_cdp_session(page)

    def finger(x: float, y: float, to_x: float, to_y: float) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for i in range(1, 11):
            point = {"x": x + (to_x - x) * i / 10, "y": y + (to_y - y) * i / 10}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    def mouse(x: float, y: float, to_x: float, to_y: float) -> None:
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(to_x, to_y, steps=10)
        page.mouse.up()

    # the mouse first: zrender ignores mouse events for a moment after a touch (emulated ones).
    # Down and right, out of the worker's grid: the grid looked up for the new point says so.
    start = _pin(page)
    away = (start[0] + 60, start[1] + 40)
    by_mouse = _moved(page, start, away, mouse)
    assert float(by_mouse) < HERE["latitude"] - 0.005  # down is south
    page.locator("#grid-name", has_text="该位置不在您负责的区域内").wait_for()
    moved = _pin(page)
    assert abs(moved[0] - away[0]) < 3 and abs(moved[1] - away[1]) < 3
    page.screenshot(path=str(artifact("phone-pin-dragged.png")), full_page=False)
    # and back by finger, into the grid again
    scroll = page.evaluate("window.scrollY")
    by_finger = _moved(page, moved, start, finger)
    assert page.evaluate("window.scrollY") == scroll  # the finger moved the pin, not the page
    assert abs(float(by_finger) - HERE["latitude"]) < 0.001
    page.locator("#grid-name", has_text="娄东社区第1网格").wait_for()
    back = _pin(page)
    # zooming the map keeps the pin on its point (and the point where it was)
    page.wait_for_timeout(1000)  # zrender takes mouse events again a moment after a touch
    box = page.locator("#pick-map").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    for _ in range(3):
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(200)
    expected = page.evaluate(
        "(() => { const f = document.getElementById('report-form');"
        " return echarts.getInstanceByDom(document.getElementById('pick-map'))"
        ".convertToPixel({geoIndex: 0}, [+f.elements.lon.value, +f.elements.lat.value]); })()"
    )
    zoomed = _pin(page)
    assert abs(zoomed[0] - box["x"] - expected[0]) < 2 and abs(zoomed[1] - box["y"] - expected[1]) < 2
    assert zoomed != back
    assert page.locator("input[name=lat]").input_value() == by_finger
    # a new fix from the phone does not undo the worker's choice
    ctx.set_geolocation({"latitude": 31.46, "longitude": 121.17, "accuracy": 5})
    page.wait_for_timeout(500)
    assert page.locator("input[name=lat]").input_value() == by_finger
    form_lon = float(page.locator("input[name=lon]").input_value())
    page.fill("textarea[name=description]", "娄东社区路口井盖松动，车辆经过有响声")
    key = page.locator("input[name=idempotency_key]").input_value()
    page.get_by_role("button", name="上报", exact=True).tap()
    page.wait_for_url("**/app/events/E*")
    _public_id, _grid, lat, lon, accuracy, _category = _event_row(demo, key)
    assert abs(lat - float(by_finger)) < 1e-6 and abs(lon - form_lon) < 1e-6
    assert accuracy is None and page.locator("#location-accuracy").count() == 0
    assert watch.console_errors == [] and watch.outside_requests == []
    ctx.close()


def test_the_report_form_fits_small_and_large_phones(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    for width, height in ((360, 640), (412, 915)):
        watch = Watch()
        ctx = _phone(browser, watch, width, height)
        sign_in(ctx, demo, "web_grid")
        page = ctx.new_page()
        page.goto(demo.url + "/app/events/new")
        _located(page)
        page.locator("#pick-map canvas").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        map_box = page.locator("#pick-map").bounding_box()
        assert map_box["x"] >= 0 and map_box["x"] + map_box["width"] <= width
        send = page.get_by_role("button", name="上报", exact=True)
        send.scroll_into_view_if_needed()
        box = send.bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= width  # a thumb-sized button
        assert page.locator("nav.bottombar").is_visible() and not page.locator("nav.sidenav").is_visible()
        # what the phone's screen shows (a full-page shot would draw the fixed bars mid-page)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifact(f"phone-report-{width}x{height}-top.png")))
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.screenshot(path=str(artifact(f"phone-report-{width}x{height}-end.png")))
        assert watch.console_errors == [] and watch.outside_requests == []
        ctx.close()


def test_on_a_phone_the_bottom_bar_replaces_the_sidebar_and_tables_are_cards(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = _phone(browser, watch)
    sign_in(ctx, demo, "web_cgj")
    page = ctx.new_page()
    page.goto(demo.url + "/app/events")
    bar = page.locator("nav.bottombar")
    assert bar.is_visible() and not page.locator("nav.sidenav").is_visible()
    assert bar.locator("a").all_inner_texts()[:2] == ["首页", "事件"]
    row = page.locator("table.data tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    label = row.locator("td").nth(2).evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"状态"'
    # time left on the clock, and the distance from the phone once its position is granted
    assert page.locator("td .clock").first.inner_text().startswith(("剩", "超时"))
    page.locator("td.distance[data-metres]").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifact("phone-list.png")), full_page=False)
    # "more" opens the rest of the navigation above the bar
    bar.get_by_role("button", name="更多").click()
    assert page.locator("nav.sidenav").is_visible()
    page.goto(demo.url + "/app/admin/org")
    assert page.locator("table.data tbody tr").first.evaluate("r => getComputedStyle(r).display") == "block"
    page.screenshot(path=str(artifact("phone-table-cards.png")), full_page=False)
    assert watch.console_errors == [] and watch.outside_requests == []
    ctx.close()


def test_a_report_made_offline_waits_in_the_outbox_and_is_sent_once_when_back_online(
    browser, demo: Demo
) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = _phone(browser, watch)
    sign_in(ctx, demo, "web_grid")
    page = ctx.new_page()
    page.goto(demo.url + "/app/events/new")
    _located(page)
    ctx.set_offline(True)
    page.fill("textarea[name=description]", "娄东社区第1网格路灯不亮，夜里很黑")
    # the photo rides along as a Blob; the server ignores the part until photos land (issue 19)
    page.set_input_files("input[name=photos]", files=[_photo()])
    key = page.locator("input[name=idempotency_key]").input_value()
    page.get_by_role("button", name="上报", exact=True).click()
    page.get_by_text("已保存在手机上").wait_for()
    outbox = page.locator("#outbox")
    assert outbox.is_visible() and page.locator("#outbox-count").inner_text() == "1"
    assert "路灯不亮" in outbox.locator("li").first.inner_text()
    assert page.locator("nav.bottombar [data-outbox-count]").inner_text() == "1"
    assert page.evaluate("CCOutbox.list().then(items => items[0].files.length)") == 1
    page.screenshot(path=str(artifact("phone-outbox.png")), full_page=True)
    assert _events_with_key(demo, key) == []
    # back online: the online event sends it; a retry of the same report at the same time must not
    # make a second event
    ctx.set_offline(False)
    page.evaluate(f"Promise.all([CCOutbox.sendItem('{key}'), CCOutbox.sendItem('{key}')])")
    deadline = time.monotonic() + 30
    while page.evaluate("CCOutbox.list().then(items => items.length)") and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert page.evaluate("CCOutbox.list().then(items => items.length)") == 0
    page.locator("#outbox").wait_for(state="hidden")
    found = _events_with_key(demo, key)
    assert len(found) == 1 and found[0][1] == GRID
    assert watch.outside_requests == []
    ctx.close()


def test_the_workbench_installs_as_an_app_from_its_own_files(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = _phone(browser, watch)
    sign_in(ctx, demo, "web_grid")
    page = ctx.new_page()
    page.goto(demo.url + "/app")
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["start_url"] == "/app" and all(i["src"].startswith("/static/") for i in manifest["icons"])
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == demo.url + "/"
    assert watch.outside_requests == []
    ctx.close()
