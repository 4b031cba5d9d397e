"""A server whose intake writer cannot keep up holds at most `intake_queue_limit` requests unanswered
(the one being written included): the next ones are answered 503 with Retry-After at once (and
counted), the held ones are still stored. The served default, a writer process, and the writer thread
keep the same limit."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.events.conftest import GRID_A
from tests.ops.servers import prepare_intake_database, start_server

pytestmark = pytest.mark.slow


def _metric(text: str, name: str) -> float:
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_a_full_intake_queue_refuses_at_once_and_stores_what_it_held(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "q.db"
    key = prepare_intake_database(f"sqlite:///{path}", scopes=("events:create", "metrics:read"))
    server = start_server(
        f"sqlite:///{path}",
        tmp_path,
        extra_env={"CITYCOCKPIT_INTAKE_QUEUE_LIMIT": "2", "CITYCOCKPIT_INTAKE_WRITER": writer},
    )
    form = {"api_key": key, "service_code": "E0102", "lat": str(GRID_A[0]), "long": str(GRID_A[1])}
    url = f"{server.url}/open311/v2/requests.json"
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        with httpx.Client(timeout=30) as http, ThreadPoolExecutor(2) as pool:
            blocker.execute("BEGIN IMMEDIATE")  # the writer's transaction now waits for SQLite's lock
            first = pool.submit(http.post, url, data={**form, "description": "路口垃圾 一"})
            time.sleep(1.5)  # the writer took the first request and waits to write it
            second = pool.submit(http.post, url, data={**form, "description": "路口垃圾 二"})
            time.sleep(1.0)  # the second waits behind it: two held, the limit
            started = time.monotonic()
            refused = http.post(url, data={**form, "description": "路口垃圾 三"})
            assert time.monotonic() - started < 1  # refused at once, not after the wait
            assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
            assert "overloaded" in refused.json()[0]["description"]
            assert not first.done() and not second.done()
            blocker.execute("ROLLBACK")
            assert first.result().status_code == 201 and second.result().status_code == 201
            text = http.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {key}"}).text
    finally:
        blocker.close()
        server.stop()
    assert _metric(text, "citycockpit_intake_overloaded_total") == 1
    assert _metric(text, "citycockpit_intake_batch_size_sum") == 2  # both held requests were written
    assert _metric(text, "citycockpit_intake_batch_seconds_count") == _metric(
        text, "citycockpit_intake_batch_size_count"
    )
    stored = sqlite3.connect(path).execute("SELECT count(*) FROM events").fetchone()[0]
    assert stored == 2
