"""Photo evidence in a real Chromium: the grid worker reports with a photo through the workbench form,
城管局 handles with an after-photo taken 3 km away, and the verify page shows both side by side, in
Chinese only, the far one flagged, each opening full screen on a tap."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from citycockpit.auth.demo import DEMO_PASSWORD
from tests.browser.conftest import Demo, Watch, artifact, log_in, open_context
from tests.events.photo_files import camera_jpeg

GRID = "320585100001001"  # the demo grid worker's grid (东门社区第1网格)


def _grid_point(demo: Demo) -> tuple[float, float]:
    from citycockpit.org.models import Area

    engine = demo.engine()
    try:
        with engine.connect() as conn:
            lat, lon = conn.execute(
                select(Area.centroid_lat, Area.centroid_lon).where(Area.code == GRID)
            ).one()
    finally:
        engine.dispose()
    return float(lat), float(lon)


def _file(name: str, data: bytes) -> dict[str, object]:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def _act(
    browser, demo: Demo, username: str, public_id: str, *actions: str, photo: bytes | None = None
) -> Watch:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = open_context(browser, watch)
    try:
        page = ctx.new_page()
        log_in(page, demo, username, f"/app/events/{public_id}", password=DEMO_PASSWORD)
        for action in actions:
            page.fill("input[name=note]", "已按要求办理")
            if photo is not None and action == "handle":
                page.set_input_files("form.actions-form input[name=photos]", [_file("after.jpg", photo)])
            page.locator(f'button[name=action][value="{action}"]').click()
            page.wait_for_url(lambda url, a=action: url.endswith(f"done={a}"))
    finally:
        ctx.close()
    return watch


def test_report_with_a_photo_handle_with_an_after_photo_and_verify_side_by_side(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    lat, lon = _grid_point(demo)
    watch = Watch()
    ctx = open_context(browser, watch)
    page = ctx.new_page()
    log_in(page, demo, "grid", "/app/events/new", password=DEMO_PASSWORD)
    page.fill("textarea[name=description]", "东门社区健身广场旁垃圾箱破损，垃圾外溢（附照片）")
    page.select_option("select[name=category_code]", "C0302")
    page.evaluate(
        "([lat, lon]) => { document.querySelector('[name=lat]').value = lat;"
        " document.querySelector('[name=lon]').value = lon; }",
        [str(lat), str(lon)],
    )
    before = camera_jpeg(
        800, 600, orientation=6, gps=(lat, lon), taken=datetime(2024, 9, 30, 9, 0), color=(90, 140, 60)
    )
    page.set_input_files("input[name=photos]", [_file("IMG_0001.jpg", before)])
    page.wait_for_selector("#thumbs img")  # the report form shows what was chosen as thumbnails
    assert page.locator("#thumbs img").count() == 1
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "created=1" in url)
    public_id = page.url.split("/app/events/")[1].split("?")[0]
    ctx.close()

    far = camera_jpeg(
        800, 600, gps=(lat + 0.03, lon), taken=datetime(2024, 9, 30, 16, 0), color=(200, 200, 210)
    )
    watches = [
        watch,
        _act(browser, demo, "dispatcher", public_id, "register", "dispatch"),
        _act(browser, demo, "cgj", public_id, "sign", "handle", photo=far),
    ]

    verify_watch = Watch()
    ctx = open_context(browser, verify_watch, width=1280, height=900)
    page = ctx.new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    log_in(page, demo, "grid", f"/app/events/{public_id}", password=DEMO_PASSWORD)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#photos img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    before_box = page.locator("#photos-before figure.photo img").bounding_box()
    after_box = page.locator("#photos-after figure.photo img").bounding_box()
    assert before_box and after_box
    assert (
        abs(before_box["y"] - after_box["y"]) < 40 and after_box["x"] > before_box["x"] + before_box["width"]
    )
    # the report photo was stored sideways with orientation 6: it is shown upright (portrait)
    natural = page.evaluate(
        "() => document.querySelector('#photos-before img').naturalWidth < "
        "document.querySelector('#photos-before img').naturalHeight"
    )
    assert natural is True
    section = page.locator("#photos").inner_text()
    assert "处置前" in section and "处置后" in section and "距事件位置 0 米" in section
    assert "拍摄地点距事件超过 500 米" in section
    assert re.search(r"[A-Za-z]", section) is None, section
    page.locator("#photos").screenshot(path=str(artifact("photos-verify.png")))
    page.screenshot(path=str(artifact("photos-verify-page.png")), full_page=True)

    page.locator("#photos-after a.photo-open").click()
    lightbox = page.locator("#photo-lightbox")
    lightbox.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#photo-lightbox img').naturalWidth > 0")
    box = lightbox.bounding_box()
    assert box and box["width"] == 1280 and box["height"] == 900
    page.screenshot(path=str(artifact("photos-lightbox.png")))
    page.keyboard.press("Escape")
    lightbox.wait_for(state="hidden")
    assert 'name="photos"' in page.content()  # the verifier may add photos of their own
    # …and passes the check without one: the browser's empty file part is no photo
    page.fill("input[name=note]", "现场核查已清理干净")
    page.locator('button[name=action][value="verify"]').click()
    page.wait_for_url(lambda url: url.endswith("done=verify"))
    ctx.close()
    # Outside photos: the event page's map asks /api/v1/screen/map for the event's town, which a grid
    # worker (scoped to one grid) is refused with 404; reported to the lead, left out of this check.
    map_refusals = [u for u in missing if "/api/v1/screen/map?area=" in u]
    assert [u for u in missing if u not in map_refusals] == []
    for w in [*watches, verify_watch]:
        errors = [e for e in w.console_errors if not (map_refusals and "404" in e)]
        assert errors == [] and w.outside_requests == []
