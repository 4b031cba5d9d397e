"""SQLite's WAL checkpoints on a thread of their own (`db.WalCheckpointer`, run by the intake writer
process): the engine's own connections no longer checkpoint when they commit, the thread copies the
log back into the database file, and data written either way reads back the same."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from citycockpit.db import checkpoint_in_background, is_sqlite_file, make_engine


def _wal_pages(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size // 4096 if wal.exists() else 0


def _write(engine, rows: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO t (id, body) VALUES (:id, :body)"),
            [{"id": start + i, "body": "路口垃圾" * 200} for i in range(rows)],
        )


def test_commits_leave_checkpoints_to_the_thread_which_backfills_the_log(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
    checkpointer = checkpoint_in_background(engine)
    assert checkpointer is not None
    try:
        checkpointer.stop()  # first: the engine's connections alone, without the thread
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        for batch in range(6):  # ~2,000 pages: SQLite's default would have checkpointed twice
            _write(engine, 500, start=batch * 500)
        assert _wal_pages(path) > 1500  # the writers' commits left the log whole
    finally:
        engine.dispose()
    # then the thread: it copies the whole log back while a writer goes on
    engine = make_engine(f"sqlite:///{path}")
    checkpointer = checkpoint_in_background(engine)
    assert checkpointer is not None
    checkpointer.every_s = 0.05
    try:
        _write(engine, 10, start=10_000)
        deadline = time.monotonic() + 10
        while (checkpointer.last is None or checkpointer.last[2] < checkpointer.last[1]) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert checkpointer.runs >= 1 and checkpointer.last is not None
        busy, logged, copied = checkpointer.last
        assert busy == 0 and logged > 0 and copied == logged  # all of it is in the database file
    finally:
        checkpointer.stop()
        engine.dispose()
    with sqlite3.connect(path) as db:  # nothing lost on the way
        assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 3010


def test_only_a_sqlite_file_gets_a_checkpointer(tmp_path: Path) -> None:
    # the one rule of "a SQLite file", whichever form the database is named in
    for name in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://postgres@127.0.0.1:5432/test"):
        assert not is_sqlite_file(name) and not is_sqlite_file(make_url(name))
    assert is_sqlite_file(f"sqlite:///{tmp_path / 'f.db'}") and is_sqlite_file(make_url("sqlite:///f.db"))
    memory = make_engine("sqlite://")
    assert checkpoint_in_background(memory) is None
    memory.dispose()
    server = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")  # it checkpoints itself
    assert checkpoint_in_background(server) is None
    server.dispose()
