"""Browser tests: Debian's /usr/bin/chromium driven by Playwright against a real server on the demo city.

The demo database is built once per session (`citycockpit demo --no-serve`), people are added to it,
and `citycockpit serve` runs on a free loopback port. Every page a test opens records console errors
and aborts (and records) any request that would leave localhost. Without chromium these tests skip
locally and fail in CI (CI set)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import with_audit_keys
from tests.ops.servers import Server, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "browser-test-secret-" + "k" * 32
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "Cockpit-2024!"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

# Demo people: username → (role, department code, area code)
PEOPLE = {
    "web_admin": ("admin", None, None),
    "web_leader": ("leader", None, None),
    "web_supervisor": ("supervisor", None, None),
    "web_dispatcher": ("dispatcher", None, None),
    "web_town": ("town", None, "320585100"),
    "web_swj": ("department", "SWJ", None),  # a second department, to co-operate on an event
    "web_grid": ("grid_worker", None, "320585001001001"),  # 娄东社区第1网格: the phone tests
    "web_cgj": ("department", "CGJ", None),  # 城管局's handler: the phone list
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Demo:
    server: Server
    db_url: str
    kiosk_path: str
    town_kiosk_path: str
    people: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def engine(self):  # type: ignore[no-untyped-def]
        from citycockpit.db import make_engine

        return with_audit_keys(make_engine(self.db_url))


def _prepare_demo(db_path: Path) -> tuple[str, dict[str, int], str, str]:
    from sqlalchemy import select

    from citycockpit.auth import service as users
    from citycockpit.core.actors import SystemActor
    from citycockpit.core.clock import utcnow
    from citycockpit.db import make_engine, session_scope
    from citycockpit.org.models import Department
    from citycockpit.screen import service as screen

    url = f"sqlite:///{db_path}"
    engine = with_audit_keys(make_engine(url))
    actor = SystemActor("browser-tests")
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        for username, (role, dept_code, area_code) in PEOPLE.items():
            dept_id = None
            if dept_code:
                dept_id = session.scalars(select(Department.id).where(Department.code == dept_code)).one()
            user = users.create_user(
                session,
                username=username,
                display_name=username,
                password=PASSWORD,
                role=role,
                department_id=dept_id,
                area_code=area_code,
                actor=actor,
                now=utcnow(),
                must_change_password=False,
            )
            ids[username] = user.id
        kiosk = screen.create_kiosk_link(session, name="wall", secret_key=SECRET, actor=actor, now=utcnow())
        town = screen.create_kiosk_link(
            session, name="城厢镇", area_code="320585100", secret_key=SECRET, actor=actor, now=utcnow()
        )
        paths = (kiosk.path, town.path)
    engine.dispose()
    return url, ids, *paths


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    _need_chromium()
    tmp = tmp_path_factory.mktemp("browser")
    db_path = tmp / "demo.db"
    built = subprocess.run(
        [sys.executable, "-m", "citycockpit", "demo", "--no-serve", "--db", str(db_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CITYCOCKPIT_DATA_DIR": str(tmp / "var")},
    )
    assert built.returncode == 0, built.stdout + built.stderr
    url, ids, kiosk_path, town_kiosk_path = _prepare_demo(db_path)
    # Every browser test signs in from 127.0.0.1, and successful log-ins count too: the per-address
    # limit (twice 10 a minute) suits a city's many addresses, not one test run's, and a fast run can
    # trip it (a log-in left at /login, seen twice). The limit itself is tested through the API.
    server = start_server(
        url,
        tmp,
        extra_env={"CITYCOCKPIT_SECRET_KEY": SECRET, "CITYCOCKPIT_RATE_LIMIT_LOGIN_PER_MINUTE": "1000"},
    )
    try:
        yield Demo(server, url, kiosk_path, town_kiosk_path, ids)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(demo: Demo) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class Watch:
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)


def open_context(browser, watch: Watch, *, width: int = 1920, height: int = 1080):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            watch.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)

    def on_page(page) -> None:  # type: ignore[no-untyped-def]
        page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
        # with its stack: an intermittent page error is then found from one failed run
        page.on("pageerror", lambda e: watch.console_errors.append(getattr(e, "stack", None) or str(e)))

    context.on("page", on_page)
    return context


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def context(browser, watch: Watch) -> Iterator[object]:  # type: ignore[no-untyped-def]
    ctx = open_context(browser, watch)
    yield ctx
    ctx.close()


def sign_in(context, demo: Demo, username: str) -> None:  # type: ignore[no-untyped-def]
    """Give the browser a live session for `username` (the login form belongs to the auth pages)."""
    from citycockpit.auth.models import User
    from citycockpit.auth.sessions import COOKIE_NAME, start_session
    from citycockpit.core.clock import Clock
    from citycockpit.db import session_scope

    engine = demo.engine()
    clock = Clock(today=__import__("datetime").date(2024, 9, 30))
    with session_scope(engine) as session:
        user = session.get(User, demo.people[username])
        new = start_session(session, user, now=clock.now())
        cookie = new.cookie
    engine.dispose()
    context.add_cookies([{"name": COOKIE_NAME, "value": cookie, "url": demo.url}])


def log_in(page, demo: Demo, username: str, path: str = "/app", password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the real login form, starting from a page that needs it."""
    page.goto(demo.url + path)
    page.wait_for_url(lambda url: "/login" in url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # auth's next= keeps only the first query parameter (an `&` in it is not encoded): match the path
    page.wait_for_url(lambda url: url.startswith(demo.url + path.split("?")[0]) and "/login" not in url)


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
