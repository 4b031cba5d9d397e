"""/readyz, /metrics and request ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.auth import tokens
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.ops.logs import configure_logging


def test_readyz_is_ready_when_the_schema_is_at_head(client: TestClient) -> None:
    r = client.get("/readyz")
    assert (r.status_code, r.json()) == (200, {"status": "ready"})


def test_metrics_need_a_token_with_metrics_read(
    client: TestClient, db: Session, clock: Clock, leader
) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=leader.headers).status_code == 403
    secret = tokens.create_token(
        db, name="prometheus", scopes=["metrics:read"], actor=SystemActor("t"), now=clock.now()
    ).secret
    client.get("/healthz")
    r = client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200
    assert 'citycockpit_http_requests_total{method="GET",route="/healthz",status="200"}' in r.text
    assert "citycockpit_database_up 1.0" in r.text
    assert 'citycockpit_event_queue_depth{queue="triage"} 0.0' in r.text


def test_metrics_count_events_by_state_in_sql(client: TestClient, db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.events.models import Event

    now = clock.now()
    for public_id, state in (("M1", "reported"), ("M2", "reported"), ("M3", "closed")):
        db.add(
            Event(
                public_id=public_id,
                version=1,
                channel="hotline",
                title="路灯不亮",
                description="",
                state=state,
                reported_at=now,
                reported_day=now.date(),
                updated_at=now,
                needs_triage=state == "reported",
            )
        )
    db.flush()
    secret = tokens.create_token(
        db, name="prometheus", scopes=["metrics:read"], actor=SystemActor("t"), now=now
    ).secret
    text = client.get("/metrics", headers={"Authorization": f"Bearer {secret}"}).text
    assert 'citycockpit_events{state="reported"} 2.0' in text
    assert 'citycockpit_events{state="closed"} 1.0' in text
    assert 'citycockpit_event_queue_depth{queue="triage"} 2.0' in text


def test_every_response_carries_a_request_id_and_keeps_a_sane_incoming_one(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"


def test_new_request_ids_are_32_hex_digits_unique_and_differ_in_their_first_eight(
    client: TestClient,
) -> None:
    answers = [
        client.get("/healthz"),  # success
        client.get("/api/v1/no-such-route"),  # an error
        client.get("/sw.js"),  # a file, streamed
        client.post(
            "/open311/v2/requests.json", data={"service_code": "C0101"}
        ),  # the intake fast path (no place: 400)
    ]
    ids = [r.headers["x-request-id"] for r in answers]
    assert [r.status_code for r in answers] == [200, 404, 200, 400]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    # the text log shows a request id's first 8 digits: those must tell requests apart
    assert len({i[:8] for i in ids}) == len(ids)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The server's logging (`configure_logging`, JSON) for one test, its lines kept, then as it was."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging._srcfile, logging.logThreads, logging.logProcesses)
    configure_logging("json", "INFO")
    lines = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(lines)
    try:
        yield lines
    finally:
        root.handlers[:], level, logging._srcfile, logging.logThreads, logging.logProcesses = saved
        root.setLevel(level)


def test_each_request_writes_one_json_access_line_with_its_request_id(
    client: TestClient, json_logs: io.StringIO
) -> None:
    answers = [
        client.get("/healthz", headers={"X-Request-ID": "probe-1"}),
        client.post("/open311/v2/requests.json", data={"service_code": "C0101"}),  # the fast path: 400
    ]
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "citycockpit.access"]
    assert [(a["method"], a["path"], a["status"], a["request_id"]) for a in access] == [
        ("GET", "/healthz", 200, "probe-1"),
        ("POST", "/open311/v2/requests.json", 400, answers[1].headers["x-request-id"]),
    ]
    assert all(a["level"] == "info" and a["duration_ms"] >= 0 for a in access)
    # nothing the formatter adds names the source line, thread or process (their lookups are off)
    assert not {"pathname", "lineno", "threadName", "process"} & set().union(*access)
