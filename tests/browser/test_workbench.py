"""Workbench pages in a real Chromium: the supervisor's ledger review (quote highlight, one-click
confirm through htmx, bulk confirm), navigation by role, and no console errors or outside requests."""

from __future__ import annotations

from tests.browser.conftest import Demo, Watch, log_in, sign_in


def test_a_supervisor_reviews_ledger_items_beside_the_report_text(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    log_in(page, demo, "web_supervisor", "/app/reports")
    page.get_by_role("link", name="审核", exact=True).first.click()
    page.wait_for_url("**/app/reports/*")
    # the demo's goals step confirmed the targets and commitments: review last year's results
    page.select_option("select[name=list]", "actuals")
    page.select_option("select[name=state]", "extracted")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**state=extracted*")
    cards = page.locator("li.item")
    assert cards.count() >= 5
    # clicking an item's name shows its sentence in the text
    third = cards.nth(2)
    third.locator(".item-name").click()
    focused = page.locator("#report-text mark.focus").first
    focused.wait_for()
    quote = third.locator("blockquote.quote").inner_text()
    assert focused.inner_text() in quote or quote in page.locator("#report-text").inner_text()
    assert focused.is_visible()
    # one-click confirm swaps just that card (htmx), without a page load
    page.evaluate("window.__stay = 1")
    first_id = cards.first.get_attribute("data-item")
    cards.first.get_by_role("button", name="确认").click()
    page.locator(f"#item-{first_id}.state-confirmed").wait_for()
    assert page.evaluate("window.__stay") == 1
    # bulk confirm of two ticked items
    boxes = page.locator("input.pick:not([disabled])")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="批量确认所选").click()
    page.locator(".flash.ok").wait_for()
    assert "已确认 2 条" in page.locator(".flash.ok").inner_text()
    assert watch.console_errors == [] and watch.outside_requests == []


def test_an_edit_with_a_bad_value_is_explained_in_chinese(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    sign_in(context, demo, "web_supervisor")
    page = context.new_page()
    page.goto(demo.url + "/app/reports/1?list=actuals&state=extracted")
    card = page.locator("li.item").first
    card.locator("summary").click()
    card.locator("input[name=value]").fill("五")
    card.get_by_role("button", name="保存").click()
    page.get_by_text("请输入数字").wait_for()
    assert watch.console_errors == []


def test_navigation_follows_the_role(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    from tests.browser.conftest import open_context

    seen = {}
    for username in ("web_admin", "web_leader"):
        watch = Watch()
        ctx = open_context(browser, watch)
        sign_in(ctx, demo, username)
        page = ctx.new_page()
        page.goto(demo.url + "/app")
        seen[username] = page.locator("nav.sidenav a").all_inner_texts()
        ctx.close()
    assert "用户与令牌" in seen["web_admin"] and "大屏展示链接" in seen["web_admin"]
    assert "用户与令牌" not in seen["web_leader"] and "城市大屏" in seen["web_leader"]


def test_a_project_page_draws_its_plan_chart(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    sign_in(context, demo, "web_leader")
    page = context.new_page()
    page.goto(demo.url + "/app/projects?level=provincial")
    page.locator("table.data tbody a").first.click()
    page.wait_for_url("**/app/projects/*")
    page.locator("#plan-chart canvas").wait_for()
    inked = page.locator("#plan-chart").evaluate(
        """(el) => { const c = el.querySelector('canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             for (let i = 3; i < d.length; i += 4 * 53) { if (d[i] > 0) return true; } return false; }"""
    )
    assert inked
    assert watch.console_errors == [] and watch.outside_requests == []


def test_what_a_citizen_typed_does_nothing_on_the_event_page_or_the_screen(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    from tests.browser.conftest import open_context

    watch = Watch()
    ctx = open_context(browser, watch)
    try:
        page = ctx.new_page()
        log_in(page, demo, "grid", "/app/events/new", password=_demo_password())
        evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>东门垃圾箱破损'
        page.fill("textarea[name=description]", evil)
        page.select_option("select[name=category_code]", "C0302")
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "created=1" in url)
        assert evil in page.locator("p.description").inner_text()
        assert page.evaluate("window.__xss") is None
        assert page.locator("main img").count() == 0
    finally:
        ctx.close()
    assert watch.outside_requests == []


def _demo_password() -> str:
    from citycockpit.auth.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
