"""Every page of every role, in a real Chromium on the demo city: no console error, no failed request,
nothing fetched from another host, and on Chinese pages no English debris, raw code, repr or None.

Pages come from the app's routes and menu (tests/browser/walk.py), detail pages through their links.
Every page is checked at 1366×768 and photographed into test-artifacts/walk/ (git-ignored) for a person
to look at: at 1366×768 and 1920×1080 for the city-wide leader, the grid worker (whose pages are also
the phone's) and the wall, and at 1366×768 for the other roles, whose pages share those templates and
differ only in their data (so the walk stays within about two minutes on two cores)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from citycockpit.app import create_app
from citycockpit.auth.models import User
from citycockpit.config import Settings
from citycockpit.org.models import Department
from citycockpit.report.models import Report
from citycockpit.screen.models import KioskLink
from tests.browser.conftest import LOCAL_HOSTS, Demo, artifact, sign_in
from tests.browser.walk import Findings, chrome_problems, page_routes, route_of, text_problems

# role → the demo account that works it (docs/user-guide/README.md)
ROLES = {
    "admin": "admin",
    "leader": "leader",
    "supervisor": "supervisor",
    "dispatcher": "dispatcher",
    "department": "cgj",
    "town": "chengxiang",
    "grid_worker": "grid",
}
SIZES = ((1366, 768), (1920, 1080))
# Who is photographed at every size in SIZES; the others at the first size only (the one every page
# is checked at).
EVERY_SIZE = {"leader", "grid_worker", "kiosk"}

# Known defects excused for one role and one request each, as ("role", "404 /path"): none today (the
# grid worker's event map, once a 404, now reads /api/v1/org/areas/outlines within the grid's scope).
KNOWN: set[tuple[str, str]] = set()

# What a page may show in Latin letters because people typed or were given it: user names, codes.
_allowed_cache: dict[str, set[str]] = {}


def _allowed(demo: Demo) -> set[str]:
    if "words" not in _allowed_cache:
        engine = demo.engine()
        with engine.connect() as conn:
            names = set(conn.scalars(select(User.username)))
            codes = set(conn.scalars(select(Department.code)))
            kiosks = set(conn.scalars(select(KioskLink.name)))
            report_titles = set(conn.scalars(select(Report.title)))
        engine.dispose()
        # the city's name (settings) and the report's title are data, in Chinese on English pages too
        _allowed_cache["words"] = names | codes | kiosks | report_titles | {"太仓市"}
    return _allowed_cache["words"]


def _user_id(demo: Demo, username: str) -> int:
    if username not in demo.people:
        engine = demo.engine()
        with engine.connect() as conn:
            demo.people[username] = conn.scalars(select(User.id).where(User.username == username)).one()
        engine.dispose()
    return demo.people[username]


class Walker:
    """One browser context, one tab, every page in turn; findings per page."""

    def __init__(self, browser, demo: Demo, role: str, lang: str = "zh") -> None:  # type: ignore[no-untyped-def]
        self.demo, self.role, self.lang = demo, role, lang
        self.context = browser.new_context(
            viewport={"width": SIZES[0][0], "height": SIZES[0][1]}, locale="zh-CN"
        )
        self.context.route("**/*", self._guard)
        if lang != "zh":
            self.context.add_cookies([{"name": "cc_lang", "value": lang, "url": demo.url}])
        self.page = self.context.new_page()
        self.current: Findings | None = None
        self.findings: list[Findings] = []
        self.excused: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self._note("page error", str(e)))
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)

    def _note(self, kind: str, what: str) -> None:
        if self.current is not None:
            self.current.add(kind, what)

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        # A failed load is also logged to the console, without its address: the response check
        # records it with the address (and may excuse it), so the console copy is left out.
        if message.type == "error" and not message.text.startswith("Failed to load resource: the server"):
            self._note("console", message.text)

    def _guard(self, route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith(("data:", "blob:")) or (urlparse(url).hostname or "") in LOCAL_HOSTS:
            route.continue_()
        else:
            self._note("outside request", url)
            route.abort()

    def _response(self, response) -> None:  # type: ignore[no-untyped-def]
        if response.status < 400:
            return
        what = f"{response.status} {urlparse(response.url).path}"
        if (self.role, what) in KNOWN:
            self.excused.append(what)
        else:
            self._note("failed request", f"{what}?{urlparse(response.url).query}")

    def _failed(self, request) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(request.url).hostname or ""
        if host in LOCAL_HOSTS and request.failure not in ("net::ERR_ABORTED",):
            self._note("request failed", f"{request.url} {request.failure}")

    def visit(self, url: str, name: str, allowed: set[str]) -> tuple[list[str], list[str]]:
        """Open `url`, check it, photograph it at both sizes; returns the links in its main part and its
        tabs."""
        self.current = Findings(url)
        self.findings.append(self.current)
        self.page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
        response = self.page.goto(url, wait_until="load")
        if self.page.locator("[data-panel], [data-chart], .chart-box").count():
            try:  # a page that fetches its data after loading: let the fetches finish (and be checked)
                self.page.wait_for_load_state("networkidle", timeout=5000)
            except Exception:  # noqa: BLE001 - a page that polls never idles; its requests are still checked
                pass
        if response is None or response.status >= 400:
            self.current.add("page status", str(response.status if response else "none"))
        text = self.page.evaluate(_TEXT_JS)
        for problem in text_problems(text, lang=self.lang, allowed=allowed):
            self.current.add("text", problem)
        if self.lang == "en":
            for problem in chrome_problems(self.page.evaluate(_CHROME_JS), names=allowed):
                self.current.add("text", problem)
        slug = name
        for width, height in SIZES if self.role in EVERY_SIZE and self.lang == "zh" else SIZES[:1]:
            if (width, height) != SIZES[0]:
                self.page.set_viewport_size({"width": width, "height": height})
                self.page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
                )
            self.page.screenshot(  # JPEG: several times faster to encode than PNG at these sizes
                path=str(artifact(f"walk/{self.lang}-{self.role}/{slug}-{width}x{height}.jpg")),
                full_page=True,
                type="jpeg",
                quality=80,
            )
        links: list[str] = self.page.eval_on_selector_all("main a[href]", "els => els.map(a => a.href)")
        tabs: list[str] = self.page.eval_on_selector_all("nav.tabs a[href]", "els => els.map(a => a.href)")
        self.current = None
        return links, tabs

    def problems(self) -> list[str]:
        return [f"{f.url}\n    " + "\n    ".join(f.items) for f in self.findings if f.items]

    def close(self) -> None:
        self.context.close()


# The text a person reads: visible text, plus titles, placeholders, labels, options and the document
# title. Left out: what the page marks as not to be translated (`translate="no"`: the report's own text,
# what people typed) and `code` (commands, codes and addresses to type).
_TEXT_JS = """() => {
  const skip = (el) => el.closest('[translate=no], code, kbd, samp');
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || skip(el) || el.closest('script, style, template')) continue;
    if (el.closest('option, select') === null && el.offsetParent === null && getComputedStyle(el).position !== 'fixed') continue;
    parts.push(n.textContent);
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], img[alt]')) {
    if (skip(el)) continue;
    for (const a of ['title', 'placeholder', 'aria-label', 'alt']) {
      const v = el.getAttribute(a); if (v) parts.push(v);
    }
  }
  return parts.join('\\n');
}"""


# An English page's own words (chrome_problems): not the data in tables and lists.
_CHROME_JS = """() => Array.from(document.querySelectorAll(
    'h1, h2, h3, th, label, button, nav a, .navgroup, .flash, .empty, .badge, dt, summary, .button'
  )).filter(el => !el.closest('[translate=no], code')).map(el => {
    const clone = el.cloneNode(true);
    clone.querySelectorAll('input, select, textarea, option, [translate=no]').forEach(x => x.remove());
    return clone.textContent.trim();
  }).filter(Boolean)"""


@pytest.fixture(scope="module")
def routes_app(demo: Demo):  # type: ignore[no-untyped-def]
    return create_app(Settings(database_url=demo.db_url, secret_key="walk-" + "w" * 40))


def _walk(walker: Walker, routes, start: list[str], allowed: set[str]) -> None:  # type: ignore[no-untyped-def]
    base = walker.demo.url
    queue = list(dict.fromkeys(start))
    seen_urls: set[str] = set()
    seen_templates: set[str] = set()
    while queue:
        path = queue.pop(0)
        if path in seen_urls:
            continue
        seen_urls.add(path)
        route = route_of(routes, base + path)
        if route is not None:
            seen_templates.add(route.path)
        links, tabs = walker.visit(base + path, _slug(path), allowed)
        for link in links:
            parsed = urlparse(link)
            if (parsed.hostname or "") not in LOCAL_HOSTS:
                continue
            target = route_of(routes, link)
            if target is None or not target.has_parameter or target.path in seen_templates:
                continue
            seen_templates.add(target.path)
            queue.append(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
        for tab in tabs:  # a page's tabs are views of their own (another queue, another table)
            parsed = urlparse(tab)
            if (parsed.hostname or "") in LOCAL_HOSTS and route_of(routes, tab) is not None:
                queue.append(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    walker.page.goto(base + "/app")
    menu = walker.page.eval_on_selector_all("nav.sidenav a", "els => els.map(a => a.getAttribute('href'))")
    unwalked = [href for href in menu if href not in seen_urls]
    assert unwalked == [], f"menu entries the routes did not give the walk: {unwalked}"


def _slug(path: str) -> str:
    parsed = urlparse(path)
    name = parsed.path.strip("/").replace("/", "-") or "root"
    if parsed.query:
        name += "_" + re.sub(r"[^A-Za-z0-9=]+", "_", parsed.query)
    return name[:120]


def _finish(walker: Walker) -> None:
    problems = walker.problems()
    excused = sorted(set(walker.excused))
    walker.close()
    assert problems == [], "\n".join(problems)
    if excused:
        pytest.xfail(f"known defect fixed on another branch: {excused}")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_a_role_reads_in_chinese_without_errors(
    browser, demo: Demo, routes_app, role: str
) -> None:  # type: ignore[no-untyped-def]
    routes = page_routes(routes_app, role)
    walker = Walker(browser, demo, role)
    _user_id(demo, ROLES[role])
    sign_in(walker.context, demo, ROLES[role])
    start = [r.path for r in routes if not r.has_parameter]
    _walk(walker, routes, start, _allowed(demo))
    _finish(walker)


def test_a_wall_and_the_sign_in_page_read_in_chinese_without_errors(browser, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    walker = Walker(browser, demo, "kiosk")
    for path in ("/login", demo.kiosk_path, demo.town_kiosk_path):
        walker.visit(
            demo.url + path,
            "kiosk-" + path.split("/")[-1][:6] if "kiosk" in path else _slug(path),
            _allowed(demo),
        )
    _finish(walker)


@pytest.mark.parametrize("role", ["admin", "department"])
def test_every_page_of_a_role_reads_in_english_when_asked(browser, demo: Demo, routes_app, role: str) -> None:  # type: ignore[no-untyped-def]
    routes = page_routes(routes_app, role)
    walker = Walker(browser, demo, role, lang="en")
    _user_id(demo, ROLES[role])
    sign_in(walker.context, demo, ROLES[role])
    _walk(walker, routes, [r.path for r in routes if not r.has_parameter], _allowed(demo))
    _finish(walker)
