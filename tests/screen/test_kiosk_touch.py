"""Opening a kiosk link notes its last use, the documented exception to "a GET never writes": in a short
write transaction of its own, at most once per TOUCH_EVERY, and never at the cost of the request (a busy
database skips the note). The app's own per-request sessions on a committed database, as in production."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.app import create_app
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, reader, session_scope
from citycockpit.screen import service
from citycockpit.screen.models import KioskLink
from tests.conftest import with_audit_keys

ACTOR = SystemActor("test")
T0 = fixed_clock("2024-09-30T10:00:00").now()


def _last_used(engine, link_id: int):  # type: ignore[no-untyped-def]
    with session_scope(engine, read_only=True) as s:
        return s.get(KioskLink, link_id).last_used_at  # type: ignore[union-attr]


def test_opening_a_kiosk_link_notes_its_use_at_most_every_few_minutes(fresh_db, settings) -> None:  # type: ignore[no-untyped-def]
    _, engine = fresh_db
    with session_scope(engine) as s:
        created = service.create_kiosk_link(
            s, name="指挥中心大屏", secret_key=settings.secret_key, actor=ACTOR, now=T0
        )
    assert _last_used(engine, created.link.id) is None
    later = T0 + service.TOUCH_EVERY + timedelta(seconds=1)
    for at, expected in ((T0, T0), (T0 + timedelta(minutes=1), T0), (later, later)):
        with TestClient(create_app(settings, engine=engine, clock=fixed_clock(at))) as client:
            r = client.get(created.path, follow_redirects=False)
            assert (r.status_code, r.headers["location"]) == (303, "/screen")
        assert _last_used(engine, created.link.id) == expected, at


def test_a_busy_database_skips_the_note_instead_of_failing_the_read(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    from citycockpit import migrate

    path = tmp_path / "busy.db"
    engine = with_audit_keys(make_engine(f"sqlite:///{path}", busy_timeout_ms=100))
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        created = service.create_kiosk_link(
            s, name="wall", secret_key=settings.secret_key, actor=ACTOR, now=T0
        )
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with Session(bind=reader(engine)) as s:
            link = s.get(KioskLink, created.link.id)
            assert link is not None
            service.note_kiosk_use(s, link, now=T0)  # returns: the note is skipped, nothing raised
            assert s.get(KioskLink, created.link.id) is link
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _last_used(engine, created.link.id) is None
    with Session(bind=reader(engine)) as s:
        service.note_kiosk_use(s, s.get(KioskLink, created.link.id), now=T0)  # type: ignore[arg-type]
    assert _last_used(engine, created.link.id) == T0
    engine.dispose()
