"""Stopping PostgreSQL under load: requests fail with a clear 503 while it is down, and the service
recovers by itself when it is back, without a restart."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from citycockpit import migrate
from citycockpit.auth import tokens
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from tests.conftest import with_audit_keys
from tests.ops.pgcluster import PrivatePostgres, private_postgres
from tests.ops.servers import Server, start_server

pytestmark = pytest.mark.slow


@pytest.fixture
def served_on_private_postgres(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, Server, str]]:
    pg = private_postgres()
    engine = with_audit_keys(make_engine(pg.url))
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        secret = tokens.create_token(
            session,
            name="load",
            scopes=["org:read", "org:write"],
            actor=SystemActor("t"),
            now=fixed_clock("2024-09-30T10:00:00").now(),
        ).secret
    engine.dispose()
    server = start_server(pg.url, tmp_path)
    yield pg, server, secret
    server.stop()
    try:
        pg.stop()
    finally:
        shutil.rmtree(pg.root, ignore_errors=True)


def test_a_database_outage_gives_503s_and_the_service_recovers_without_restart(
    served_on_private_postgres,
) -> None:  # type: ignore[no-untyped-def]
    pg, server, secret = served_on_private_postgres
    headers = {"Authorization": f"Bearer {secret}"}
    seen: Counter[tuple[int, str]] = Counter()
    stop = threading.Event()

    def load() -> None:
        # No keep-alive reuse: a client racing the server's idle-connection close is not what we test.
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=server.url, headers=headers, timeout=15, limits=limits) as client:
            while not stop.is_set():
                try:
                    r = client.get("/api/v1/org/departments")
                    seen[(r.status_code, r.json().get("code", "") if r.status_code != 200 else "")] += 1
                except httpx.HTTPError:
                    seen[(0, "transport")] += 1
                time.sleep(0.02)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    pg.stop()
    time.sleep(3.0)
    down = Counter(seen)
    pg.start()
    deadline = time.monotonic() + 20
    recovered = False
    while time.monotonic() < deadline:
        if httpx.get(f"{server.url}/api/v1/org/departments", headers=headers, timeout=5).status_code == 200:
            recovered = True
            break
        time.sleep(0.3)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()
    assert server.process.poll() is None, "the server process died"
    assert recovered, f"no 200 after PostgreSQL came back: {seen}"
    errors = {key for key in down if key[0] != 200}
    assert errors and errors <= {(503, "database_unavailable")}, f"unexpected answers while down: {down}"
    assert seen[(0, "transport")] == 0
    assert httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200
