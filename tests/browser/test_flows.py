"""Whole flows in a real Chromium, each person signing in through the login form with the demo's
accounts: the closed loop of one event (the screen's counters move), and the supervisor's ledger →
goals → bulletin."""

from __future__ import annotations

from citycockpit.auth.demo import DEMO_PASSWORD
from tests.browser.conftest import Demo, Watch, log_in, open_context
from tests.conftest import with_audit_keys

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
            # a note in Chinese as staff write it (the page walk sharing this demo reads every word)
            page.fill("input[name=note]", f"{username}：第{actions.index(action) + 1}步已办理")
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
        assert "cgj：第1步已办理" in page.locator("#pending-objection").inner_text()
    finally:
        ctx.close()
    watches += [check, _act(browser, demo, "dispatcher", public_id, "refuse_objection")]
    watches.append(_act(browser, demo, "cgj", public_id, "sign"))
    for w in watches:
        assert w.console_errors == [] and w.outside_requests == []


def _report(browser, demo: Demo, description: str, phone: str = "") -> str:  # type: ignore[no-untyped-def]
    """The grid worker reports an event in the browser; its public id."""
    ctx = open_context(browser, Watch())
    try:
        page = ctx.new_page()
        log_in(page, demo, "grid", "/app/events/new", password=DEMO_PASSWORD)
        page.fill("textarea[name=description]", description)
        page.select_option("select[name=category_code]", "C0302")
        if phone and page.locator("input[name=reporter_phone]").count():
            page.fill("input[name=reporter_phone]", phone)
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "created=1" in url)
        return page.url.split("/app/events/")[1].split("?")[0]
    finally:
        ctx.close()


def test_a_lead_and_a_co_operating_department_handle_an_event_together(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    public_id = _report(browser, demo, "东门社区垃圾箱破损，旁边商铺占道堆放杂物")
    watches = [_act(browser, demo, "dispatcher", public_id, "register")]
    watch = Watch()
    ctx = open_context(browser, watch)
    try:  # the dispatcher sends it to 城管局 with 商务局 co-operating (牵头/配合)
        page = ctx.new_page()
        log_in(page, demo, "dispatcher", f"/app/events/{public_id}", password=DEMO_PASSWORD)
        page.fill("input[name=note]", "城管局牵头，商务局配合")
        page.select_option("select[name=department_id]", label="城管局")
        page.select_option("select[name=assist_department_ids]", label="商务局")
        page.locator('button[name=action][value="dispatch"]').click()
        page.wait_for_url(lambda url: url.endswith("done=dispatch"))
    finally:
        ctx.close()
    watches += [watch, _act(browser, demo, "cgj", public_id, "sign")]

    watch = Watch()
    ctx = open_context(browser, watch)
    try:  # the co-operating department finds it in its queue, signs for its part and reports it
        page = ctx.new_page()
        log_in(page, demo, "web_swj", "/app/events?queue=department")
        assert page.locator(f"text={public_id}").count() >= 1
        page.goto(f"{demo.url}/app/events/{public_id}")
        page.locator('button[name=action][value="assist_sign"]').click()
        page.wait_for_url(lambda url: "done=assist_sign" in url)
        page.fill("input[name=note]", "已督促商铺清理占道杂物")
        page.locator('button[name=action][value="assist_handle"]').click()
        page.wait_for_url(lambda url: "done=assist_handle" in url)
        assert "商务局" in page.locator("ul.assists").inner_text()
        assert "已督促商铺清理占道杂物" in page.locator("ul.assists").inner_text()
    finally:
        ctx.close()
    watches += [
        watch,
        _act(browser, demo, "cgj", public_id, "handle"),
    ]  # the lead's result, once every part is in
    for w in watches:
        assert w.console_errors == [] and w.outside_requests == []


def test_a_repeated_request_is_linked_both_ways_on_the_event_pages(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from citycockpit.core.actors import SystemActor
    from citycockpit.db import make_engine, session_scope
    from citycockpit.events.enums import Channel
    from citycockpit.events.intake.service import EventInput, create_event

    # two 12345 calls from one phone about the same minor category, two days apart (the hotline's intake)
    engine = with_audit_keys(make_engine(demo.db_url))
    now = datetime.now(UTC)
    ids = []
    with session_scope(engine) as session:
        for days_ago, text in ((2, "南园路垃圾箱又满了没人清"), (0, "南园路垃圾箱还是没人清理")):
            event = create_event(
                session,
                EventInput(
                    description=text,
                    channel=Channel.HOTLINE,
                    category_code="C0302",
                    reporter_name="周女士",
                    reporter_phone="13912345678",
                    reported_at=now - timedelta(days=days_ago),
                ),
                actor=SystemActor("browser-tests"),
                now=now - timedelta(days=days_ago),
            )
            ids.append(event.public_id)
    engine.dispose()
    earlier, later = ids
    watch = Watch()
    ctx = open_context(browser, watch)
    try:
        page = ctx.new_page()
        log_in(page, demo, "dispatcher", f"/app/events/{later}", password=DEMO_PASSWORD)
        repeat = page.locator("p.repeat").first.inner_text()
        assert "第2次" in repeat and earlier in repeat
        page.locator(f"p.repeat a[href='/app/events/{earlier}']").click()
        page.wait_for_url(lambda url: url.endswith(f"/app/events/{earlier}"))
        assert later in page.locator("p.repeat").first.inner_text()
    finally:
        ctx.close()
    assert watch.console_errors == [] and watch.outside_requests == []
