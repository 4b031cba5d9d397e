"""Whole flows in a real Chromium, each person signing in through the login form with the demo's
accounts: the closed loop of one event (the screen's counters move), and the supervisor's ledger →
goals → bulletin."""

from __future__ import annotations

from citycockpit.auth.demo import DEMO_PASSWORD
from tests.browser.conftest import Demo, Watch, log_in, open_context

COUNTERS = """() => Object.fromEntries([...document.querySelectorAll('[data-counter]')].map(
  b => [b.dataset.counter, Number(b.querySelector('.num').dataset.value || 'NaN')]))"""


def _screen_counters(browser, demo: Demo) -> dict[str, float]:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = open_context(browser, watch)
    try:
        page = ctx.new_page()
        page.goto(demo.url + demo.kiosk_path)
        page.wait_for_function(
            """() => document.querySelector('section[data-panel="events/counters"]').dataset.state"""
        )
        page.wait_for_timeout(1200)  # the numbers animate for 0.9 s
        return page.evaluate(COUNTERS)
    finally:
        ctx.close()


def _act(browser, demo: Demo, username: str, public_id: str, *actions: str) -> Watch:  # type: ignore[no-untyped-def]
    """Sign in as `username` and click each action on the event's page, with a note."""
    watch = Watch()
    ctx = open_context(browser, watch)
    try:
        page = ctx.new_page()
        log_in(page, demo, username, f"/app/events/{public_id}", password=DEMO_PASSWORD)
        for action in actions:
            page.fill("input[name=note]", f"{username}：{action} 已办理")
            page.locator(f'button[name=action][value="{action}"]').click()
            page.wait_for_url(lambda url, a=action: url.endswith(f"done={a}"))
    finally:
        ctx.close()
    return watch


def test_an_event_goes_round_the_closed_loop_and_the_screen_counts_it(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    before = _screen_counters(browser, demo)
    # the grid worker reports what they found on patrol
    watch = Watch()
    ctx = open_context(browser, watch)
    page = ctx.new_page()
    log_in(page, demo, "grid", "/app/events/new", password=DEMO_PASSWORD)
    page.fill("textarea[name=description]", "东门社区健身广场旁垃圾箱破损，垃圾外溢")
    page.select_option("select[name=category_code]", "C0302")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "created=1" in url)
    public_id = page.url.split("/app/events/")[1].split("?")[0]
    ctx.close()
    watches = [
        watch,
        _act(browser, demo, "dispatcher", public_id, "register", "dispatch"),
        _act(browser, demo, "cgj", public_id, "sign", "handle"),
        _act(browser, demo, "grid", public_id, "verify"),
        _act(browser, demo, "dispatcher", public_id, "close"),
    ]
    after = _screen_counters(browser, demo)
    assert after["today.intake"] == before["today.intake"] + 1
    assert after["today.closed"] == before["today.closed"] + 1
    assert after["month.intake"] == before["month.intake"] + 1
    for w in watches:
        assert w.console_errors == [] and w.outside_requests == []


def test_a_supervisor_reviews_an_item_creates_goals_and_downloads_the_bulletin(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = open_context(browser, watch)
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        log_in(
            page, demo, "supervisor", "/app/reports/1?list=actuals&state=extracted", password=DEMO_PASSWORD
        )
        first = page.locator("li.item").first
        item_id = first.get_attribute("data-item")
        first.get_by_role("button", name="确认").click()
        page.locator(f"#item-{item_id}.state-confirmed").wait_for()
        page.click("#make-goals")
        page.wait_for_url(lambda url: "goals_created=" in url)
        assert "已生成" in page.locator(".flash.ok").first.inner_text()
        page.goto(demo.url + "/app/goals/bulletin")
        assert "督查通报" in page.locator("h1").inner_text()
        with page.expect_download() as download:
            page.click("#bulletin-xlsx")
        path = download.value.path()
        with open(path, "rb") as fh:
            assert fh.read(2) == b"PK"  # an XLSX (zip) file
        assert download.value.suggested_filename.startswith("bulletin-")
    finally:
        ctx.close()
    assert watch.console_errors == [] and watch.outside_requests == []


def test_a_department_objects_to_a_dispatch_and_the_centre_refuses(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    watch = Watch()
    ctx = open_context(browser, watch)
    page = ctx.new_page()
    log_in(page, demo, "grid", "/app/events/new", password=DEMO_PASSWORD)
    page.fill("textarea[name=description]", "东门社区健身广场旁垃圾箱破损，垃圾外溢")
    page.select_option("select[name=category_code]", "C0302")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "created=1" in url)
    public_id = page.url.split("/app/events/")[1].split("?")[0]
    ctx.close()
    watches = [
        watch,
        _act(browser, demo, "dispatcher", public_id, "register", "dispatch"),
        _act(browser, demo, "cgj", public_id, "object"),
    ]
    check = Watch()
    ctx = open_context(browser, check)
    try:
        page = ctx.new_page()
        log_in(page, demo, "dispatcher", "/app/events?queue=objections", password=DEMO_PASSWORD)
        assert page.locator(f"text={public_id}").count() >= 1
        page.goto(f"{demo.url}/app/events/{public_id}")
        assert "cgj：object 已办理" in page.locator("#pending-objection").inner_text()
    finally:
        ctx.close()
    watches += [check, _act(browser, demo, "dispatcher", public_id, "refuse_objection")]
    watches.append(_act(browser, demo, "cgj", public_id, "sign"))
    for w in watches:
        assert w.console_errors == [] and w.outside_requests == []
