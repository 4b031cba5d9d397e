"""Anonymous public GETs and their rate-limit counts (issue 21). The count is the documented exception
to "a GET never writes" (docs/development.md): it is written, to `rate_limit_counters` only, in a write
transaction of its own; the GET's reading session never writes and never commits. Real databases, the
app's own per-request sessions."""

from __future__ import annotations

import re
import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select

from citycockpit.app import create_app
from citycockpit.auth.models import RateLimitCounter
from citycockpit.config import Settings
from citycockpit.core.clock import fixed_clock

CLOCK = fixed_clock("2024-09-30T10:00:00")
PUBLIC_GETS = [
    "/open311/v2/services.json",
    "/open311/v2/discovery.json",
    "/open311/v2/requests.json",
    "/login",
]
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\s+(?:INTO\s+|FROM\s+)?\"?(\w+)", re.IGNORECASE)


def _watch_writes(engine: Engine) -> tuple[list[tuple[str, str]], list[str], Any]:
    """Every write statement (table, the connection's begin mode) and every COMMIT's begin mode."""
    writes: list[tuple[str, str]] = []
    commits: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = _WRITE.match(statement)
        if found:
            writes.append((found.group(2), conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")))

    def on_commit(conn: Any) -> None:
        commits.append(conn.get_execution_options().get("sqlite_begin", "IMMEDIATE"))

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)

    def stop() -> None:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)

    return writes, commits, stop


def test_an_anonymous_public_get_counts_in_its_own_transaction_and_its_read_never_commits(
    fresh_db, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    _, engine = fresh_db
    app = create_app(settings, engine=engine, clock=CLOCK)
    with TestClient(app, raise_server_exceptions=False) as client:
        writes, commits, stop = _watch_writes(engine)
        try:
            statuses = [client.get(path).status_code for path in PUBLIC_GETS]
        finally:
            stop()
    assert statuses == [200] * len(PUBLIC_GETS)
    assert {table for table, _ in writes} == {"rate_limit_counters"}
    assert {mode for _, mode in writes} == {"IMMEDIATE"}  # never on a GET's DEFERRED reader
    assert "DEFERRED" not in commits and commits.count("IMMEDIATE") == len(PUBLIC_GETS)
    with engine.connect() as conn:
        assert conn.scalar(select(func.sum(RateLimitCounter.count))) == len(PUBLIC_GETS)


def test_the_public_limit_still_refuses_the_request_over_it(fresh_db, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    _, engine = fresh_db
    app = create_app(
        settings.model_copy(update={"rate_limit_public_per_minute": 2}), engine=engine, clock=CLOCK
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        codes = [client.get("/open311/v2/services.json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_concurrent_anonymous_public_gets_all_succeed_on_sqlite(tmp_path, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    from citycockpit import migrate
    from citycockpit.db import make_engine
    from tests.conftest import with_audit_keys

    engine = make_engine(f"sqlite:///{tmp_path / 'public.db'}")
    migrate.upgrade(engine)
    app = create_app(settings, engine=with_audit_keys(engine), clock=CLOCK)
    statuses: list[int] = []
    barrier = threading.Barrier(8)
    with TestClient(app, raise_server_exceptions=False) as client:

        def get() -> None:
            barrier.wait()
            statuses.extend(client.get("/open311/v2/services.json").status_code for _ in range(4))

        workers = [threading.Thread(target=get) for _ in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
    engine.dispose()
    assert statuses == [200] * 32
