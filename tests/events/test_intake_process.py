"""The intake writer in a process of its own (`intake_writer=process`, the served default): the same
answers as the writer thread, across the process boundary; a writer process that dies is replaced and
the requests it held are answered 503; closing writes what was sent; an in-memory database is refused
with a clear error."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from citycockpit import migrate
from citycockpit.app import create_app
from citycockpit.audit import service as audit
from citycockpit.config import Settings
from citycockpit.core.clock import Clock
from citycockpit.db import make_engine
from citycockpit.events.intake.process import ProcessWriter
from citycockpit.events.intake.process_main import Frames, frame
from citycockpit.events.intake.writer import writer_of
from citycockpit.events.models import Event, EventTransition
from tests.conftest import with_audit_keys
from tests.events.conftest import LiveIntake, open311_form, run_in_fresh_loop, serving_intake

pytestmark = pytest.mark.slow  # each test starts a writer process (it imports the app: seconds)

URL = "/open311/v2/requests.json"


def _post_all(live: LiveIntake, forms: list[dict[str, str]]) -> list[httpx.Response]:
    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=live.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await asyncio.gather(*(http.post(URL, data=f) for f in forms))

    return run_in_fresh_loop(send_all)  # type: ignore[no-any-return]


def _count(live: LiveIntake, stmt: Any) -> int:
    with live.session() as s:
        return int(s.scalar(stmt) or 0)


def _child_pid(live: LiveIntake) -> int:
    writer = writer_of(live.app)
    assert isinstance(writer, ProcessWriter)
    child = writer._child
    assert child is not None
    return child.process.pid


@pytest.fixture
def process_intake(fresh_db: tuple[str, Engine], settings: Settings, clock: Clock) -> Iterator[LiveIntake]:
    with serving_intake(fresh_db, settings, clock, intake_writer="process") as live:
        yield live


def test_a_writer_process_answers_each_request_of_a_batch_as_the_thread_does(process_intake):
    live = process_intake
    assert _child_pid(live) != os.getpid()  # started with the app, before the first request
    forms = [open311_form(live.api_key, description=f"路口有垃圾 第{i}处") for i in range(40)]
    forms += [
        open311_form(live.api_key, service_code="X9999"),
        open311_form(live.api_key, service_code="E01"),
    ]
    forms += [open311_form("cc_wrong"), open311_form("")]
    responses = _post_all(live, forms)
    assert Counter(r.status_code for r in responses) == {201: 40, 404: 2, 403: 2}
    refused = [r.json()[0]["description"] for r in responses if r.status_code == 404]
    assert any("X9999" in d for d in refused)  # the error's own text came back across
    ids = [r.json()[0]["service_request_id"] for r in responses if r.status_code == 201]
    assert "暴露垃圾时限" in responses[0].json()[0]["service_notice"]
    assert _count(live, select(func.count()).select_from(Event).where(Event.public_id.in_(ids))) == 40
    assert _count(live, select(func.count()).select_from(EventTransition)) == 40
    with live.session() as s:
        assert audit.verify_chain(s).ok
    writer = writer_of(live.app)
    assert writer.requests == len(forms) and 1 <= writer.batches < writer.requests


def test_a_writer_process_keeps_each_keys_limit_with_retry_after(
    fresh_db: tuple[str, Engine], settings: Settings, clock: Clock
) -> None:
    # the settings are the server's at start: the writer process takes them then
    with serving_intake(
        fresh_db, settings, clock, intake_writer="process", rate_limit_api_key_per_minute=5
    ) as live:
        forms = [open311_form(live.api_key, description=f"路口有垃圾 第{i}处") for i in range(8)]
        responses = _post_all(live, forms)
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 5, 429: 3}
        over = next(r for r in responses if r.status_code == 429)
        assert int(over.headers["retry-after"]) > 0 and "limit of 5" in over.json()[0]["description"]
        assert _count(live, select(func.count()).select_from(Event)) == 5


def test_a_writer_process_that_dies_is_replaced_by_the_next_request(process_intake, caplog):
    live = process_intake
    first = _child_pid(live)
    with caplog.at_level(logging.ERROR, logger="citycockpit.events.intake"):
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while writer_of(live.app)._child is not None and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
    assert "intake writer process ended" in caplog.text
    r = live.client.post(URL, data=open311_form(live.api_key))
    assert r.status_code == 201
    assert _child_pid(live) != first
    assert _count(live, select(func.count()).select_from(Event)) == 1


def test_requests_held_by_a_writer_process_that_dies_are_answered_503(
    tmp_path: Path, settings: Settings, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'held.db'}"
    engine = with_audit_keys(make_engine(url))
    migrate.upgrade(engine)
    with serving_intake((url, engine), settings, clock, intake_writer="process") as live:
        blocker = sqlite3.connect(tmp_path / "held.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the writer's transaction waits for SQLite's lock
        answers: list[httpx.Response] = []
        sender = threading.Thread(
            target=lambda: answers.extend(_post_all(live, [open311_form(live.api_key)]))
        )
        with caplog.at_level(logging.ERROR, logger="citycockpit.events.intake"):
            sender.start()
            time.sleep(1.0)  # the writer process took the request and waits for the lock
            os.kill(_child_pid(live), signal.SIGKILL)
            sender.join(20)
        blocker.execute("ROLLBACK")
        blocker.close()
        assert [r.status_code for r in answers] == [503]
        assert answers[0].headers["retry-after"]
        assert "ended" in caplog.text and "1 requests it held" in caplog.text
        assert _count(live, select(func.count()).select_from(Event)) == 0
        assert live.client.post(URL, data=open311_form(live.api_key)).status_code == 201  # a new one writes
    engine.dispose()


def test_closing_writes_what_was_sent_and_ends_the_process(process_intake):
    live = process_intake
    writer = writer_of(live.app)
    assert isinstance(writer, ProcessWriter) and writer._child is not None
    process = writer._child.process
    responses = _post_all(live, [open311_form(live.api_key, description=f"第{i}处垃圾") for i in range(5)])
    assert {r.status_code for r in responses} == {201}
    writer.close()
    assert process.returncode == 0
    assert _count(live, select(func.count()).select_from(Event)) == 5


def test_an_in_memory_database_cannot_have_a_writer_process(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"database_url": "sqlite://", "intake_writer": "process"}))
    with pytest.raises(RuntimeError, match="in-memory"), TestClient(app):
        pass


def test_frames_are_read_whole_however_the_bytes_arrive() -> None:
    ours, theirs = socket.socketpair()
    try:
        payloads = [{"n": i, "text": "路口" * i} for i in range(50)]
        data = b"".join(frame(p) for p in payloads)
        ours.sendall(data[:7])  # a header cut in two
        frames = Frames(theirs)
        sender = threading.Thread(
            target=lambda: [ours.sendall(data[i : i + 3]) for i in range(7, len(data), 3)]
        )
        sender.start()
        read = [pickle.loads(frames.read() or b"") for _ in payloads]
        sender.join()
        assert read == payloads
        ours.close()
        assert frames.read() is None  # the end
    finally:
        theirs.close()


def test_a_writer_process_that_cannot_start_fails_the_start_with_a_clear_error(
    fresh_db: tuple[str, Engine], settings: Settings, clock: Clock
) -> None:
    _, engine = fresh_db
    app = create_app(settings.model_copy(update={"intake_writer": "process"}), engine=engine, clock=clock)
    app.state.app_factory = "citycockpit.no_such_module:create_app"  # the child cannot build the app
    writer = writer_of(app)
    try:
        with pytest.raises(RuntimeError, match="could not start"):
            writer.start(wait=True)
    finally:
        writer.close()
