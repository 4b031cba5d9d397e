"""The triage card in a real browser on the demo city: a hotline request the model is unsure of waits
in 待分拣 with the model's suggestions; the dispatcher finds a category by keyword (htmx fills
in its rule department) or takes a suggestion, and 立案 + 派遣 happen in one click. Screenshots of the
card go to test-artifacts/."""

from __future__ import annotations

from datetime import date

from tests.browser.conftest import Demo, Watch, artifact, open_context, sign_in

UNSURE = "路口井盖不见了，晚上走路很危险，请尽快处理"


class _Unsure:
    """The demo's trained model, ranking as intake asks it to, but sure of nothing: whatever the demo's
    (very separable) history let it learn, this report waits in triage with the model's suggestions."""

    name = "model"

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        from citycockpit.events.intake.classifier import TrainedClassifier

        self.model = TrainedClassifier(engine)

    def suggest(self, text: str) -> None:
        return None

    def rank(self, text: str):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        ranked = self.model.rank(text)
        return replace(ranked, threshold=1.0) if ranked else None


def _report_unsure(demo: Demo) -> str:
    from citycockpit.core.actors import SystemActor
    from citycockpit.core.clock import Clock
    from citycockpit.db import session_scope
    from citycockpit.events import routing
    from citycockpit.events.intake import service as intake

    engine = demo.engine()
    routing.set_classifier(_Unsure(engine))
    try:
        with session_scope(engine) as session:
            event = intake.create_event(
                session,
                intake.EventInput(description=UNSURE, channel="hotline", address="城厢镇朝阳路与县府街路口"),
                actor=SystemActor("12345 热线"),
                now=Clock(today=date(2024, 9, 30)).now(),  # the demo server's day
            )
            public_id = event.public_id
    finally:
        routing.set_classifier(None)
        engine.dispose()
    return public_id


def test_a_dispatcher_finishes_triage_with_a_search_and_one_click(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    public_id = _report_unsure(demo)
    watch = Watch()
    ctx = open_context(browser, watch, width=1440, height=1000)
    try:
        sign_in(ctx, demo, "web_dispatcher")
        page = ctx.new_page()
        page.goto(demo.url + "/app/events?queue=triage")
        page.screenshot(path=str(artifact("triage-queue.png")), full_page=True)
        page.click(f"a[href='/app/events/{public_id}']", timeout=5000)
        card = page.locator("#triage")
        card.locator(".suggestion-button").first.wait_for(timeout=10000)  # the event page renders them
        assert card.locator(".suggestion-button").count() == 3
        assert "井盖" in card.locator(".suggestion-button").first.inner_text()
        page.screenshot(path=str(artifact("triage-card.png")), full_page=True)

        # htmx binds the search box on DOMContentLoaded, which waits for the scripts at the end of the
        # body (ECharts among them): typed before that, the input fires no search. "load" is after it.
        page.wait_for_load_state("load")
        page.fill("#triage input[name=q]", "路灯")
        found = page.locator("#category-choices label.choice", has_text="路灯").first
        found.wait_for()  # the htmx search answered
        found.locator("input[type=radio]").check()
        page.wait_for_selector("#triage-department option[selected]:not([value=''])", state="attached")
        page.screenshot(path=str(artifact("triage-search.png")), full_page=True)

        card.locator(".suggestion-button").first.click()
        page.wait_for_url(lambda url: "done=register_dispatch" in url)
        assert "已完成：立案并派遣" in page.locator("main").inner_text()
        assert page.locator("#triage").count() == 0
        page.screenshot(path=str(artifact("triage-done.png")), full_page=True)
    finally:
        ctx.close()
    assert watch.console_errors == [] and watch.outside_requests == []
