"""A token's last-used time never fails the request that presents it (issue 21): on SQLite, concurrent
GETs with one token whose last-used time is stale used to answer `503 database is locked`, because the
touch upgraded each GET's read transaction to a writer. Real SQLite file, real app, real threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from citycockpit import migrate
from citycockpit.app import create_app
from citycockpit.auth.models import ApiToken
from citycockpit.auth.tokens import create_token
from citycockpit.config import Settings
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from tests.conftest import with_audit_keys

T0 = fixed_clock("2024-09-30T10:00:00").now()


@pytest.fixture
def sqlite_file(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'touch.db'}")
    migrate.upgrade(engine)
    yield with_audit_keys(engine)
    engine.dispose()


def _token(engine: Engine) -> tuple[int, dict[str, str]]:
    with session_scope(engine) as s:
        created = create_token(s, name="对接", scopes=["org:read"], actor=SystemActor("t"), now=T0)
    return created.token.id, {"Authorization": f"Bearer {created.secret}"}


def _last_used(engine: Engine, token_id: int):  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return s.get(ApiToken, token_id).last_used_at  # type: ignore[union-attr]


def _concurrent_gets(client: TestClient, bearer: dict[str, str], *, threads: int, each: int) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(threads)

    def get() -> None:
        barrier.wait()
        for _ in range(each):
            statuses.append(client.get("/api/v1/org/departments", headers=bearer).status_code)

    workers = [threading.Thread(target=get) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    return statuses


def test_concurrent_gets_with_a_stale_token_all_succeed_and_touch_it(
    sqlite_file: Engine, settings: Settings
) -> None:
    token_id, bearer = _token(sqlite_file)
    threads_per_round = 8
    for round_ in range(1, 4):  # each round a minute later: the token is stale again
        now = T0 + timedelta(minutes=2 * round_)
        app = create_app(settings, engine=sqlite_file, clock=fixed_clock(now))
        with TestClient(app, raise_server_exceptions=False) as client:
            statuses = _concurrent_gets(client, bearer, threads=threads_per_round, each=3)
        assert statuses == [200] * (3 * threads_per_round), round_
        assert _last_used(sqlite_file, token_id) == now  # one of them touched it


def test_a_get_while_another_writer_holds_the_lock_succeeds_and_skips_the_touch(
    sqlite_file: Engine, settings: Settings
) -> None:
    token_id, bearer = _token(sqlite_file)
    app = create_app(settings, engine=sqlite_file, clock=fixed_clock(T0 + timedelta(minutes=5)))
    other = make_engine(str(sqlite_file.url))  # another process's writer: its own gate and connection
    try:
        with TestClient(app, raise_server_exceptions=False) as client, other.connect() as conn:
            conn.execute(text("UPDATE departments SET name = name"))  # BEGIN IMMEDIATE: the write lock
            r = client.get("/api/v1/org/departments", headers=bearer)
            conn.rollback()
        assert r.status_code == 200
        assert _last_used(sqlite_file, token_id) is None  # skipped, not waited for; the next GET touches
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/api/v1/org/departments", headers=bearer).status_code == 200
        assert _last_used(sqlite_file, token_id) == T0 + timedelta(minutes=5)
    finally:
        other.dispose()
