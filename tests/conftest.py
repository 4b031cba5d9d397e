"""Shared fixtures: the same tests on a real SQLite file and a real PostgreSQL database.

PostgreSQL comes from CITYCOCKPIT_TEST_POSTGRES_URL; each test run (and each xdist worker) gets a fresh
database created from it and dropped afterwards. In CI (CI set) a missing server fails; locally it skips."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from citycockpit import migrate
from citycockpit.app import create_app
from citycockpit.config import Settings
from citycockpit.core import keyring
from citycockpit.core.clock import Clock, fixed_clock
from citycockpit.db import get_session, make_engine

POSTGRES_ENV = "CITYCOCKPIT_TEST_POSTGRES_URL"

# One audit key file for the run (each xdist worker makes its own or inherits the controller's): every
# Settings() of the run (apps, in-process commands, served apps, which inherit the environment) reads
# it, and the engines the fixtures build carry it, so entries written one way verify the other. Tests
# of the key file itself pass `audit_key_file` explicitly.
AUDIT_KEY_ENV = "CITYCOCKPIT_AUDIT_KEY_FILE"
if not os.environ.get(AUDIT_KEY_ENV):
    _key_dir = Path(tempfile.mkdtemp(prefix="citycockpit-test-audit-key-"))
    (_key_dir / "audit.key").write_text(keyring.new_key_line(), encoding="utf-8")
    os.environ[AUDIT_KEY_ENV] = str(_key_dir / "audit.key")
    atexit.register(shutil.rmtree, _key_dir, True)
# The worker's anchor job stays off unless a test turns it on: a command run with the default data folder
# would otherwise append anchors to ./var, which later runs (with other keys and databases) would read.
os.environ.setdefault("CITYCOCKPIT_AUDIT_ANCHOR_MINUTES", "0")
# In-process apps write Open311 intake on a thread (their clocks and engines are the test's, and a writer
# process per app would cost seconds each); served apps (tests/ops/servers.py) run the default, a writer
# process, and tests/events/test_intake_writer.py runs both.
os.environ.setdefault("CITYCOCKPIT_INTAKE_WRITER", "thread")


def with_audit_keys(engine: Engine) -> Engine:
    """`engine` carrying the run's audit key ring (as the app's and the commands' engines carry theirs)."""
    return keyring.attach(engine, keyring.parse_key_file(Path(os.environ[AUDIT_KEY_ENV])))


def _postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def create_postgres_database(tag: str) -> str:
    """Create an empty database next to the configured one and return its URL."""
    base = _postgres_admin_url()
    if not base:
        _unavailable(f"set {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    name = f"cc_{tag}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server down, no permission …
        _unavailable(
            f"cannot create a database at {make_url(base).render_as_string(hide_password=True)}: {exc}"
        )
    finally:
        admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    base = _postgres_admin_url()
    if not base:
        return
    name = make_url(url).database
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database per backend, shared by the run; tests isolate with rolled-back transactions."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        eng = make_engine(f"sqlite:///{path}")
        migrate.upgrade(eng)
        yield with_audit_keys(eng)
        eng.dispose()
        return
    url = create_postgres_database(f"t{_worker()}")
    eng = make_engine(url)
    migrate.upgrade(eng)
    yield with_audit_keys(eng)
    eng.dispose()
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[str, Engine]]:  # type: ignore[no-untyped-def]
    """A fresh, committed database per backend, for tests that need real separate connections (the
    CLI, concurrent writers, the app's own per-request sessions). Dropped afterwards."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = create_postgres_database("fresh")
    engine = make_engine(url)
    migrate.upgrade(engine)
    try:
        yield url, with_audit_keys(engine)
    finally:
        engine.dispose()
        if request.param == "postgresql":
            drop_postgres_database(url)


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
            yield session
        outer.rollback()


@pytest.fixture
def clock() -> Clock:
    return fixed_clock("2024-09-30T10:00:00")


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        data_dir=tmp_path / "var", secret_key="test-secret-key-" + "x" * 32, today=date(2024, 9, 30)
    )


@pytest.fixture
def app(engine: Engine, db: Session, settings: Settings, clock: Clock):  # type: ignore[no-untyped-def]
    application = create_app(settings, engine=engine, clock=clock)

    def _session() -> Iterator[Session]:
        # Like production's one-session-per-request: each request runs in its own savepoint, and a
        # request that failed (even one whose error a handler turned into a response) is rolled back,
        # so the test's session stays usable and the test's own rows stay.
        if db.in_transaction():
            try:
                db.commit()
            except Exception:
                db.rollback()
        try:
            yield db
        except Exception:
            db.rollback()
            raise

    application.dependency_overrides[get_session] = _session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# Personas (healthchecks' alice/bob/charlie idea): one signed-in user per role, in a small city.
@pytest.fixture
def city(db: Session, clock: Clock) -> dict[str, object]:
    from tests.builders import make_small_city

    return make_small_city(db, now=clock.now())


def _persona(db, clock, city, username, role, **scope):  # type: ignore[no-untyped-def]
    from tests.builders import make_persona

    return make_persona(db, username, role, now=clock.now(), **scope)


@pytest.fixture
def admin(db, clock, city):  # type: ignore[no-untyped-def]
    return _persona(db, clock, city, "admin", "admin")


@pytest.fixture
def leader(db, clock, city):  # type: ignore[no-untyped-def]
    return _persona(db, clock, city, "leader", "leader")


@pytest.fixture
def supervisor(db, clock, city):  # type: ignore[no-untyped-def]
    return _persona(db, clock, city, "supervisor", "supervisor")


@pytest.fixture
def dispatcher(db, clock, city):  # type: ignore[no-untyped-def]
    return _persona(db, clock, city, "dispatcher", "dispatcher")


@pytest.fixture
def dept_staff(db, clock, city):  # type: ignore[no-untyped-def]
    """A 城管局 department user."""
    return _persona(db, clock, city, "cgj_staff", "department", department_id=city["cgj"].id)


@pytest.fixture
def other_dept_staff(db, clock, city):  # type: ignore[no-untyped-def]
    """A 发改委 department user: must not see 城管局's objects."""
    return _persona(db, clock, city, "fgw_staff", "department", department_id=city["fgw"].id)


@pytest.fixture
def town_staff(db, clock, city):  # type: ignore[no-untyped-def]
    """城厢镇 town user (area subtree 320585100)."""
    return _persona(db, clock, city, "town_a", "town", area_code="320585100")


@pytest.fixture
def grid_worker(db, clock, city):  # type: ignore[no-untyped-def]
    """Grid worker of 东门社区第1网格 in 城厢镇."""
    return _persona(db, clock, city, "grid_a", "grid_worker", area_code="320585100001001")
