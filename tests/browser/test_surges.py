"""Surges (未诉先办) in a real Chromium on the demo city: the card at the top of the dispatcher's queue
and the banner above the screen's alert list, both in Chinese only, each leading to exactly the events
behind the surge."""

from __future__ import annotations

import re

from tests.browser.conftest import Demo, Watch, artifact, sign_in

LATIN = re.compile(r"[A-Za-z]{2,}")
PANELS_READY = "() => [...document.querySelectorAll('section.panel')].every(p => p.dataset.state)"


def test_the_dispatchers_queue_opens_with_the_surge_card_and_drills_down_to_its_calls(
    context, demo: Demo, watch: Watch
) -> None:  # type: ignore[no-untyped-def]
    sign_in(context, demo, "web_dispatcher")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(demo.url + "/app/events")
    card = page.locator("section[data-surges]")
    card.wait_for()
    text = card.inner_text()
    assert "诉求激增预警" in text and "城厢镇 · 停水停电" in text and "近2小时" in text
    assert LATIN.findall(text) == []
    assert card.bounding_box()["y"] < page.locator("nav.tabs").bounding_box()["y"]  # above the queues
    page.screenshot(path=str(artifact("surge-queue-zh.png")))
    wanted = int(re.search(r"查看 (\d+) 件诉求", text).group(1))
    card.locator("a.button").first.click()
    page.wait_for_url(lambda url: "surge=" in url)
    assert "激增预警：城厢镇 · 停水停电" in page.locator("[data-filters]").inner_text()
    assert f"共 {wanted} 条" in page.locator(".table-tools .count").inner_text()
    assert watch.outside_requests == [] and watch.console_errors == []


def test_the_screen_shows_the_surge_as_a_banner_above_its_alerts(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(demo.url + demo.kiosk_path)
    page.wait_for_function(PANELS_READY, timeout=20_000)
    panel = page.locator('section[data-panel="alerts"]')
    banner = panel.locator(".surges .surge").first
    banner.wait_for()
    text = banner.inner_text()
    assert "激增" in text and "城厢镇" in text and "停水停电" in text and "常态" in text
    assert LATIN.findall(text) == []
    assert (banner.get_attribute("href") or "").startswith("/app/events?surge=")
    page.screenshot(path=str(artifact("surge-screen-zh.png")))
    panel.screenshot(path=str(artifact("surge-screen-panel-zh.png")))
    assert watch.outside_requests == []
