"""A report's idempotency key (made by the phone's outbox, or an API client's Idempotency-Key header):
a repeated send with one key creates one event and answers with it, on both engines, even when two
sends race; another reporter cannot use the key."""

from __future__ import annotations

import threading
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.events.errors import IdempotencyKeyReused
from citycockpit.events.intake import service as intake
from citycockpit.events.models import Event
from tests.events.conftest import GRID_A, LiveIntake


def _count(db: Session, key: str) -> int:
    return db.scalar(select(func.count()).select_from(Event).where(Event.idempotency_key == key)) or 0


def _form(persona, **data):  # type: ignore[no-untyped-def]
    return {
        "data": {"csrf_token": persona.csrf_token, **data},
        "headers": {"Cookie": persona.headers["Cookie"]},
    }


def test_two_workbench_posts_with_one_key_make_one_event(
    client: TestClient, db: Session, categories, grid_worker
) -> None:
    key = str(uuid.uuid4())
    body = {
        "description": "东门街口有一堆暴露垃圾，气味很大",
        "category_code": "E0102",
        "lat": str(GRID_A[0]),
        "lon": str(GRID_A[1]),
        "idempotency_key": key,
    }
    first = client.post("/app/events/new", follow_redirects=False, **_form(grid_worker, **body))
    second = client.post("/app/events/new", follow_redirects=False, **_form(grid_worker, **body))
    assert (first.status_code, second.status_code) == (303, 303), second.text
    assert first.headers["location"] == second.headers["location"]
    assert _count(db, key) == 1


def test_the_api_answers_a_repeated_key_with_the_event_it_created(
    client: TestClient, db: Session, categories, dispatcher
) -> None:
    key = uuid.uuid4().hex
    body = {"description": "东门街口有一堆暴露垃圾，气味很大", "lat": GRID_A[0], "lon": GRID_A[1]}
    headers = {**dispatcher.headers, "Idempotency-Key": key}
    first = client.post("/api/v1/events", json=body, headers=headers)
    second = client.post("/api/v1/events", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200), second.text
    assert first.json()["public_id"] == second.json()["public_id"]
    assert _count(db, key) == 1


def test_a_malformed_key_is_refused_with_a_clear_message(client: TestClient, categories, dispatcher) -> None:
    r = client.post(
        "/api/v1/events",
        json={"description": "东门街口有一堆暴露垃圾，气味很大"},
        headers={**dispatcher.headers, "Idempotency-Key": "a b"},
    )
    assert r.status_code == 422 and "idempotency key" in r.json()["detail"]


def test_another_reporters_key_is_a_conflict_that_shows_nothing(
    client: TestClient, db: Session, categories, dispatcher, grid_worker
) -> None:
    key = str(uuid.uuid4())
    body = {"description": "东门街口有一堆暴露垃圾，气味很大", "lat": GRID_A[0], "lon": GRID_A[1]}
    mine = client.post("/api/v1/events", json=body, headers={**grid_worker.headers, "Idempotency-Key": key})
    theirs = client.post("/api/v1/events", json=body, headers={**dispatcher.headers, "Idempotency-Key": key})
    assert mine.status_code == 201
    assert (theirs.status_code, theirs.json()["code"]) == (409, IdempotencyKeyReused.code)
    assert mine.json()["public_id"] not in theirs.text
    assert _count(db, key) == 1


def test_two_sends_racing_with_one_key_make_one_event(live_intake: LiveIntake) -> None:
    """Two threads, two sessions, one key, both committing at once: the unique index lets one in and
    the other answers with the winner's event."""
    from citycockpit.core.actors import SystemActor

    key = str(uuid.uuid4())
    actor = SystemActor("phone")
    barrier = threading.Barrier(2)
    answers: list[str] = []
    failures: list[BaseException] = []

    def send() -> None:
        try:
            with live_intake.session() as s:
                barrier.wait(timeout=10)
                event, _ = intake.report_event_once(
                    s,
                    intake.EventInput(
                        description="东门街口有一堆暴露垃圾，气味很大",
                        channel="patrol",
                        lat=GRID_A[0],
                        lon=GRID_A[1],
                        idempotency_key=key,
                    ),
                    actor=actor,
                    now=live_intake.clock.now(),
                )
                answers.append(event.public_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    assert len(answers) == 2 and answers[0] == answers[1]
    with live_intake.session() as s:
        assert _count(s, key) == 1
