"""The read replica, against a real one: a PostgreSQL primary and a streaming replica of it started for this
module (`tests.pgcluster`). Stale-tolerant reads (screen, KPIs, lists, exports, Open311 lists) go to the
replica while it keeps up; a writer's own reads, and every read while the replica lags or is down, go to
the primary; nothing is ever written to the replica (a standby refuses writes: any would be a 500)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import InternalError, OperationalError

from citycockpit import migrate
from citycockpit.app import create_app
from citycockpit.auth.sessions import COOKIE_NAME
from citycockpit.config import Settings
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events import categories as cats
from citycockpit.replica import WROTE_COOKIE
from tests.builders import Persona, make_persona, make_small_city
from tests.conftest import with_audit_keys
from tests.events.conftest import CATEGORY_YAML, TESTER, report
from tests.pgcluster import ReplicaPair, start_replica_pair

CLOCK = fixed_clock("2024-09-30T10:00:00")
# One pair of servers for the module: under `scripts/test` (xdist, --dist loadgroup) one worker runs it all.
pytestmark = pytest.mark.xdist_group("replica")


@dataclass
class World:
    pair: ReplicaPair
    primary: Engine
    city: dict[str, Any]
    personas: dict[str, Persona]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    try:
        pair = start_replica_pair()
    except Exception as exc:  # no server binaries, no postgres user …
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to start a PostgreSQL primary and replica: {exc}")
        pytest.skip(f"cannot start a PostgreSQL primary and replica here: {exc}")
    primary = with_audit_keys(make_engine(pair.primary_url))
    try:
        migrate.upgrade(primary)
        now = CLOCK.now()
        with session_scope(primary) as s:
            city = make_small_city(s, now=now)
            cats.import_categories(s, CATEGORY_YAML.encode(), "test.yaml", actor=TESTER, now=now)
            personas = {
                "leader": make_persona(s, "leader", "leader", now=now),
                "supervisor": make_persona(s, "supervisor", "supervisor", now=now),
                "grid": make_persona(s, "grid_a", "grid_worker", now=now, area_code="320585100001001"),
            }
            report(
                s, personas["grid"].principal, now - timedelta(hours=1)
            )  # the screen counts from the first
        pair.wait_replayed()
        yield World(pair, primary, city, personas)
    finally:
        primary.dispose()
        pair.stop()


@pytest.fixture
def replica(world: World) -> Iterator[ReplicaPair]:
    """The pair, with the replica running and replaying again after each test."""
    yield world.pair
    if not (world.pair.root / "replica" / "postmaster.pid").exists():
        world.pair.start_replica()
    world.pair.resume_replay()
    world.pair.wait_replayed()


@contextmanager
def _app(world: World, tmp_path: Any, **overrides: Any) -> Iterator[Any]:
    """The app as `citycockpit serve` builds it from its settings: its own engines on both servers."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "secret_key": "test-secret-key-" + "x" * 32,
        "today": date(2024, 9, 30),
        "database_url": world.pair.primary_url,
        "database_replica_url": world.pair.replica_url,
        "replica_max_lag_seconds": 600,
        "replica_check_seconds": 0.1,
    }
    values.update(overrides)
    app = create_app(Settings(**values), clock=CLOCK)
    try:
        yield app
    finally:
        app.state.replica.dispose()
        app.state.engine.dispose()


def _client(app: Any, persona: Persona) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies.set(COOKIE_NAME, persona.cookie)
    client.headers["X-CSRF-Token"] = persona.csrf_token
    return client


def _intake_today(client: TestClient) -> int:
    r = client.get("/api/v1/screen/events/counters")
    assert r.status_code == 200, r.text
    return int(r.json()["today"]["intake"])


def _kpi_received(client: TestClient) -> int:
    r = client.get("/api/v1/events/kpis", params={"from": "2024-09-30", "to": "2024-09-30"})
    assert r.status_code == 200, r.text
    return int(r.json()["counts"]["received"]["value"])


def _write_event(world: World, minutes_ago: int = 5) -> None:
    with session_scope(world.primary) as s:
        report(s, world.personas["grid"].principal, CLOCK.now() - timedelta(minutes=minutes_ago))


def _project_codes(client: TestClient) -> set[str]:
    r = client.get("/api/v1/projects", params={"limit": 500})
    assert r.status_code == 200, r.text
    return {p["code"] for p in r.json()["items"]}


def _new_project(world: World, code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": "舍弗勒智能装备扩产项目",
        "level": "suzhou",
        "industry": "高端装备",
        "area_code": world.city["town_a"].code,
        "department_id": world.city["fgw"].id,
        "total_investment_wan_cny": 120000,
        "stage": "approved",
    }


def _wait_for(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_the_screen_and_kpis_read_the_replica_and_see_a_write_once_it_is_replayed(
    world: World, replica: ReplicaPair, tmp_path: Any
) -> None:
    with _app(world, tmp_path) as app, _client(app, world.personas["leader"]) as leader:
        before, kpi_before = _intake_today(leader), _kpi_received(leader)
        replica.pause_replay()
        _write_event(world)
        # served by the paused replica (within the 600 s lag limit): the write is not there yet
        assert (_intake_today(leader), _kpi_received(leader)) == (before, kpi_before)
        replica.resume_replay()
        replica.wait_replayed()
        # replayed up to the write's WAL position; a standby's readers may see the commit a moment
        # later (measured: under half a second), so wait for it rather than read once
        _wait_for(lambda: (_intake_today(leader), _kpi_received(leader)) == (before + 1, kpi_before + 1))


def test_a_writer_reads_their_own_write_while_the_replica_is_paused(
    world: World, replica: ReplicaPair, tmp_path: Any
) -> None:
    with (
        _app(world, tmp_path) as app,
        _client(app, world.personas["supervisor"]) as writer,
        _client(app, world.personas["leader"]) as other,
    ):
        replica.pause_replay()
        r = writer.post("/api/v1/projects", json=_new_project(world, "RYW-1"))
        assert r.status_code == 201, r.text
        assert writer.cookies.get(WROTE_COOKIE) == "1"
        assert "RYW-1" in _project_codes(writer)  # the writer: on the primary
        assert "RYW-1" not in _project_codes(other)  # anyone else: on the (paused) replica


def test_a_replica_paused_beyond_the_lag_limit_is_not_read(
    world: World, replica: ReplicaPair, tmp_path: Any
) -> None:
    with (
        _app(world, tmp_path, replica_max_lag_seconds=1) as app,
        _client(app, world.personas["leader"]) as leader,
    ):
        before = _intake_today(leader)
        replica.pause_replay()
        _write_event(world)
        _wait_for(lambda: _intake_today(leader) == before + 1)  # the primary, once the lag passed 1 s
        health = leader.get("/healthz").json()["replica"]
        assert health["state"] == "paused" and health["lag_seconds"] > 1


def test_a_replica_stopped_between_checks_sends_reads_to_the_primary_without_errors(
    world: World, replica: ReplicaPair, tmp_path: Any
) -> None:
    # the last check (ok) is trusted for 5 minutes: the read itself finds the replica gone
    with (
        _app(world, tmp_path, replica_check_seconds=300) as app,
        _client(app, world.personas["leader"]) as leader,
    ):
        before = _intake_today(leader)  # the replica's pool now holds a connection
        replica.stop_replica()
        _write_event(world)
        assert _intake_today(leader) == before + 1
        assert _kpi_received(leader) >= 1
        health = leader.get("/healthz")
        assert health.status_code == 200 and health.json()["replica"] == {
            "state": "down",
            "lag_seconds": None,
        }


def test_a_replica_back_up_is_read_again(world: World, replica: ReplicaPair, tmp_path: Any) -> None:
    with _app(world, tmp_path) as app, _client(app, world.personas["leader"]) as leader:
        replica.stop_replica()
        assert leader.get("/healthz").json()["replica"]["state"] == "down"
        replica.start_replica()
        replica.wait_replayed()
        _wait_for(lambda: leader.get("/healthz").json()["replica"]["state"] == "ok")
        replica.pause_replay()
        _write_event(world)
        before = _intake_today(leader)
        replica.resume_replay()
        replica.wait_replayed()
        # the replica again: the write was missing while paused, and shows once replayed (a loaded machine
        # may take a moment between the replay reaching the primary's position and a new snapshot seeing it)
        _wait_for(lambda: _intake_today(leader) == before + 1)


def test_the_replica_refuses_writes(world: World, replica: ReplicaPair) -> None:
    engine = make_engine(replica.replica_url)
    try:
        with pytest.raises((InternalError, OperationalError), match="read-only"), engine.begin() as conn:
            conn.execute(text("UPDATE users SET display_name = display_name"))
    finally:
        engine.dispose()


STALE_TOLERANT_READS = [
    "/api/v1/screen/overview",
    "/api/v1/screen/targets",
    "/api/v1/screen/economy",
    "/api/v1/screen/events/counters",
    "/api/v1/screen/events/breakdown",
    "/api/v1/screen/map",
    "/api/v1/screen/alerts",
    "/api/v1/screen/projects",
    "/api/v1/screen/goals",
    "/api/v1/events/kpis",
    "/api/v1/events/kpis/ranking",
    "/api/v1/events",
    "/api/v1/projects",
    "/api/v1/projects/completion",
    "/api/v1/projects/completion/projects",
    "/api/v1/projects/lagging",
    "/api/v1/projects/attraction",
    "/api/v1/projects/signings",
    "/api/v1/projects/export",
    "/api/v1/goals",
    "/open311/v2/requests.json",
    "/open311/v2/services.json",
    "/app/events?queue=",
    "/app/events?queue=&export=xlsx",
]


def test_every_stale_tolerant_read_is_answered_from_the_read_only_replica(
    world: World, replica: ReplicaPair, tmp_path: Any
) -> None:
    """A standby refuses any write, so a read that tried to write there would be a 500; and the
    replica-reads counter shows where they went."""
    from citycockpit.replica import READS

    def served_by_replica() -> float:
        return READS.labels("replica", "ok")._value.get()

    with _app(world, tmp_path) as app, _client(app, world.personas["supervisor"]) as supervisor:
        _write_event(world)
        replica.wait_replayed()
        start = served_by_replica()
        statuses = {path: supervisor.get(path).status_code for path in STALE_TOLERANT_READS}
        assert statuses == dict.fromkeys(STALE_TOLERANT_READS, 200)
        assert served_by_replica() - start == len(STALE_TOLERANT_READS)


def test_a_replica_needs_a_postgresql_primary(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="database_url must be a PostgreSQL URL"):
        Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'x.db'}",
            database_replica_url="postgresql+psycopg://postgres@127.0.0.1:5433/postgres",
        )
