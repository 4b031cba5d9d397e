"""kill -9 the server during a sustained Open311 intake load: every event that got a 201 is in the
database afterwards, and none is stored twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from citycockpit.audit.service import verify_chain
from citycockpit.db import make_engine, session_scope
from citycockpit.events.models import Event
from tests.conftest import create_postgres_database, drop_postgres_database, with_audit_keys
from tests.ops.servers import prepare_intake_database, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'k.db'}" if request.param == "sqlite" else create_postgres_database("k9")
    yield url
    if request.param == "postgresql":
        drop_postgres_database(url)


def test_no_acknowledged_event_is_lost_or_doubled_when_the_server_is_killed(
    database_url: str, tmp_path: Path
) -> None:
    key = prepare_intake_database(database_url)
    server = start_server(
        database_url, tmp_path, extra_env={"CITYCOCKPIT_RATE_LIMIT_PUBLIC_PER_MINUTE": "1000000"}
    )
    acknowledged: list[tuple[str, str]] = []  # (service_request_id, marker)
    lock = threading.Lock()
    stop = threading.Event()

    def load(n: int) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=server.url, timeout=10, limits=limits) as http:
            i = 0
            while not stop.is_set():
                i += 1
                marker = f"kill9-{n}-{i}"
                form = {
                    "api_key": key,
                    "service_code": "E0102",
                    "lat": "31.4601",
                    "long": "121.1052",
                    "description": f"暴露垃圾 {marker}",
                }
                try:
                    r = http.post("/open311/v2/requests.json", data=form)
                except httpx.HTTPError:
                    continue  # the server died mid-request: no acknowledgement, no promise
                if r.status_code == 201:
                    with lock:
                        acknowledged.append((str(r.json()[0]["service_request_id"]), marker))

    threads = [threading.Thread(target=load, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 30 and time.monotonic() < deadline:
        time.sleep(0.1)
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=15)
    assert len(acknowledged) >= 30, "the load never got going"

    engine = with_audit_keys(make_engine(database_url))
    with session_scope(engine, read_only=True) as s:
        stored = dict(
            s.execute(
                select(Event.public_id, Event.description).where(Event.description.like("暴露垃圾 kill9-%"))
            ).all()
        )
        doubled = s.execute(
            select(Event.description, func.count())
            .where(Event.description.like("暴露垃圾 kill9-%"))
            .group_by(Event.description)
            .having(func.count() > 1)
        ).all()
        chain = verify_chain(s)
    engine.dispose()
    missing = [(pid, m) for pid, m in acknowledged if stored.get(pid) != f"暴露垃圾 {m}"]
    assert missing == []
    assert doubled == []
    assert chain.ok, chain.reason
