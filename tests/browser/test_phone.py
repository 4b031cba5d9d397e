"""The workbench on a phone (390×844, touch, granted geolocation) in a real Chromium: a grid worker
reports with a photo and the phone's position without typing a coordinate; the bottom bar replaces
the sidebar and tables become cards; a report made offline waits in the outbox and is sent exactly
once when the connection returns, even when the send is retried; the event page's map is drawn for
the grid worker (no 404). Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import io
import time
from urllib.parse import urlparse

from sqlalchemy import select

from tests.browser.conftest import LOCAL_HOSTS, Demo, Watch, artifact, sign_in

GRID = "320585001001001"  # 娄东社区第1网格
HERE = {"latitude": 31.45055, "longitude": 121.16391, "accuracy": 12}


def _phone(browser, watch: Watch):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=HERE,
        permissions=["geolocation"],
    )

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            watch.outside_requests.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)

    def on_page(page) -> None:  # type: ignore[no-untyped-def]
        page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watch.console_errors.append(str(e)))
        page.on(
            "response",
            lambda r: watch.console_errors.append(f"{r.status} {r.url}") if r.status == 404 else None,
        )

    ctx.on("page", on_page)
    return ctx


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(out, "JPEG")
    return out.getvalue()


def _photo() -> dict[str, object]:
    return {"name": "street.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}


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


def test_a_grid_worker_reports_with_a_photo_and_its_position_without_typing_a_coordinate(
    browser, demo: Demo
) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = _phone(browser, watch)
    sign_in(ctx, demo, "web_grid")
    page = ctx.new_page()
    page.goto(demo.url + "/app/events/new")
    _located(page)
    assert "精度约 12 米" in page.locator("#position-status").inner_text()
    page.locator("#pick-map canvas").first.wait_for()
    page.set_input_files("input[name=photos]", files=[_photo()])
    page.locator("#thumbs img").wait_for()
    page.fill("textarea[name=description]", "娄东社区门口有一堆暴露垃圾，气味很大")
    page.locator("#category-search").fill("垃圾")
    assert page.locator("select[name=category_code]").input_value() != ""
    assert page.locator("details.manual").get_attribute("open") is None  # coordinates stay folded away
    page.screenshot(path=str(artifact("phone-report.png")), full_page=True)
    key = page.locator("input[name=idempotency_key]").input_value()
    page.get_by_role("button", name="上报", exact=True).click()
    page.wait_for_url("**/app/events/E*")
    [(public_id, grid, lat)] = _events_with_key(demo, key)
    assert grid == GRID and lat is not None and abs(lat - HERE["latitude"]) < 1e-4
    assert public_id in page.url
    # the event page draws its map for the grid worker (the outlines it may see: no 404)
    page.locator("#event-map canvas").first.wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifact("phone-event.png")), full_page=True)
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
