"""The grid worker's report journey on a phone, step by step, shared by the browser test (which checks
what it made) and bench/phone_report.py (which times it over several runs)."""

from __future__ import annotations

import io
import time
from urllib.parse import unquote, urlparse

from tests.browser.conftest import LOCAL_HOSTS, Watch

HERE = {"latitude": 31.45055, "longitude": 121.16391, "accuracy": 12}  # in 娄东社区第1网格
WORDS = "娄东社区门口有一堆暴露垃圾，气味很大"


def phone_context(browser, watch: Watch, width: int = 390, height: int = 844):  # type: ignore[no-untyped-def]
    """A touch phone with its position granted (HERE); requests leaving localhost are aborted and
    recorded, console errors and 404s recorded."""
    ctx = browser.new_context(
        viewport={"width": width, "height": height},
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


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(out, "JPEG")
    return out.getvalue()


class Steps:
    """Steps with the wall time each took (figures to read, never asserted: the machine may be busy)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float]] = []
        self.start = self.last = time.monotonic()

    def done(self, step: str) -> None:
        now = time.monotonic()
        self.rows.append((step, now - self.last))
        self.last = now

    @property
    def total(self) -> float:
        return self.last - self.start

    def text(self) -> str:
        lines = [f"{i + 1}. {step}: {secs:.1f} s" for i, (step, secs) in enumerate(self.rows)]
        lines.append(f"total: {self.total:.1f} s in {len(self.rows)} steps")
        return "\n".join(lines) + "\n"


def report_in_a_few_taps(
    page, base_url: str, steps: Steps, *, category: str = "暴露垃圾", before_send=None
) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """From the workbench home: 上报 in the bottom bar, the phone's position (no tap), a photo, a few
    words, the suggested `category` tapped, 上报. No coordinate is typed. `before_send(page)` may look
    at the filled form (its time is not counted). Returns the report's idempotency key and the chosen
    category's code; the page is left on the new event."""
    page.goto(base_url + "/app")
    steps.start = steps.last = time.monotonic()
    page.locator("nav.bottombar a[href='/app/events/new']").tap()
    page.wait_for_url("**/app/events/new")
    steps.done("tap 上报 in the bottom bar")
    page.locator("#position-status.ok").wait_for()
    page.locator("#grid-name", has_text="网格").wait_for()
    page.locator("#pick-map canvas").first.wait_for()
    steps.done("the phone's position, its grid and the map (no tap)")
    page.set_input_files(
        "input[name=photos]", files=[{"name": "street.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.locator("#thumbs img").wait_for()
    steps.done("take a photo")
    page.locator("textarea[name=description]").tap()
    with page.expect_response(lambda r: "categories/suggestions" in r.url and WORDS in unquote(r.url)):
        page.keyboard.type(WORDS)
    steps.done("type what is wrong (suggestions follow)")
    page.locator("#suggestions button.chip", has_text=category).tap()
    code = page.locator("#suggestions button.chip.chosen").get_attribute("data-code")
    steps.done("tap the suggested category")
    if before_send is not None:
        before_send(page)
        steps.last = time.monotonic()
    key = page.locator("input[name=idempotency_key]").input_value()
    page.get_by_role("button", name="上报", exact=True).tap()
    page.wait_for_url("**/app/events/E*")
    steps.done("tap 上报 (sent, the event opens)")
    return key, code or ""
