"""A read's audit entry (`pii.read`) on a committed database, as in production: the GET's own session
stays read-only, the entry is committed in a write transaction of its own, and concurrent reads and
writes keep one unforked chain."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from citycockpit.app import create_app
from citycockpit.audit import service as audit
from citycockpit.audit.models import AuditEntry
from citycockpit.auth.tokens import create_token
from citycockpit.core.actors import SystemActor
from citycockpit.db import session_scope
from citycockpit.events.intake import service as intake
from tests.builders import make_persona

TESTER = SystemActor("test")


def test_concurrent_unmasked_reads_are_each_audited_and_the_chain_stays_intact(
    fresh_db, settings, clock
) -> None:  # type: ignore[no-untyped-def]
    _, engine = fresh_db
    with session_scope(engine) as s:
        event = intake.create_event(
            s,
            intake.EventInput(description="楼道堆放杂物", reporter_name="李娜", reporter_phone="13812345678"),
            actor=TESTER,
            now=clock.now(),
        )
        made = [
            create_token(s, name=name, scopes=scopes, actor=TESTER, now=clock.now())
            for name, scopes in (
                ("回访", ["events:read", "pii:read"]),
                ("看板", ["events:read"]),
                ("上报", ["events:create"]),
            )
        ]
        for m in made:  # used just now: the requests below do not race to touch last_used_at
            m.token.last_used_at = clock.now()
        reader, masked_reader, writer = (m.secret for m in made)
    app = create_app(settings, engine=engine, clock=clock)
    reads, writes = 12, 6

    with TestClient(app) as client:

        def read(i: int) -> int:
            secret = reader if i % 2 == 0 else masked_reader
            r = client.get(f"/api/v1/events/{event.public_id}", headers={"Authorization": f"Bearer {secret}"})
            assert r.status_code == 200, r.text
            return int(r.json()["reporter_phone"] == "13812345678")

        def write(i: int) -> int:
            r = client.post(
                "/api/v1/events",
                json={"description": f"路灯不亮 {i}"},
                headers={"Authorization": f"Bearer {writer}"},
            )
            assert r.status_code == 201, r.text
            return 0

        with ThreadPoolExecutor(max_workers=6) as pool:
            jobs = [pool.submit(read, i) for i in range(reads)] + [
                pool.submit(write, i) for i in range(writes)
            ]
            unmasked = sum(job.result() for job in jobs)

    assert unmasked == reads // 2
    with session_scope(engine, read_only=True) as s:
        logged = s.scalar(select(func.count()).where(AuditEntry.action == "pii.read"))
        check = audit.verify_chain(s)
    assert logged == unmasked
    assert check.ok, check


def test_an_event_post_answered_with_the_reporter_audits_the_read_in_its_own_transaction(
    fresh_db, settings, clock
) -> None:  # type: ignore[no-untyped-def]
    # A POST's session writes: the pii.read entry joins its transaction (a second writer connection
    # would wait on its lock: SQLite's one writer) and the route commits it.
    _, engine = fresh_db
    with session_scope(engine) as s:
        dispatcher = make_persona(s, "dispatcher", "dispatcher", now=clock.now())
    app = create_app(settings, engine=engine, clock=clock)
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/events",
            json={"description": "井盖破损", "reporter_name": "王强", "reporter_phone": "13912345678"},
            headers=dispatcher.headers,
        )
    assert r.status_code == 201, r.text
    assert r.json()["reporter_phone"] == "13912345678"
    with session_scope(engine, read_only=True) as s:
        logged = s.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "pii.read")).all()
        assert audit.verify_chain(s).ok
    assert logged == [r.json()["public_id"]]
