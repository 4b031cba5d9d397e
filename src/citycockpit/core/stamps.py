"""Change stamps: one row per watched table holding a random token that database triggers replace on
every insert, update or delete of that table (migration 5a2e9c4b7d10). A process keeps what it built
from such a table (`cached`: the grid index from `areas`, the minor categories, the departments by
code) under the token it read, and asks only for the token (one primary-key read) to know whether to
rebuild.

A token, not a counter: a counter goes back to an old value when a transaction that moved it rolls
back, or when a database is re-created under the same address, and a cache keyed by it would then hand
out what another history built. Triggers, not application code, so that every write (ORM, Core, bulk
import, a hand-run UPDATE) moves the stamp.

On PostgreSQL a write to a watched table locks that table's stamp row until its transaction ends, so
writers of one watched table take turns (readers never wait). A transaction that writes several watched
tables should write them in the order of `WATCHED`, as the organisation import does (areas, then
departments), so two such transactions cannot deadlock.

A migration that rebuilds a watched table (SQLite's batch mode copies it into a new table) drops its
triggers and must create them again, as migration 5a2e9c4b7d10 does; tests/core/test_stamps.py fails
when a watched table's writes stop renewing its stamp."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from citycockpit.db import Base, DriverStatement

WATCHED = ("areas", "event_categories", "departments")  # the tables with a stamp
T = TypeVar("T")
_cache: dict[tuple[str, str, str], tuple[str, Any]] = {}
_lock = threading.Lock()


class ChangeStamp(Base):
    __tablename__ = "change_stamps"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


_STAMPS = ChangeStamp.__table__
# Built once, Core columns (not the ORM's): a stamp read is a primary-key read, and the ORM's
# statement handling cost twenty times the read itself (issue 24: three of them per intake batch).
_READ_ONE = select(_STAMPS.c.token).where(_STAMPS.c.name == bindparam("name"))
# Run through the driver, compiled once: the intake writer reads them on every batch.
_READ_ALL = DriverStatement(select(_STAMPS.c.name, _STAMPS.c.token).where(_STAMPS.c.name.in_(WATCHED)))
_SNAPSHOT = "citycockpit.stamps"  # Session.info key of the tokens read by `read_all`


def current(session: Session, table: str) -> str | None:
    """The table's stamp as this session sees it (None when the table is not watched): the token
    `read_all` kept for the session, if it did, else read now."""
    kept = session.info.get(_SNAPSHOT)
    if kept is not None:
        return kept.get(table)
    return session.execute(_READ_ONE, {"name": table}).scalar()


def read_all(session: Session) -> None:
    """Read every watched table's stamp in one statement and keep them for the rest of the session,
    for a session that reads several cached values and writes none of the watched tables (its own
    write would move a stamp it no longer reads): the intake writer's read-only session."""
    session.info[_SNAPSHOT] = dict(_READ_ALL.execute(session))  # type: ignore[arg-type]


def cached(session: Session, table: str, what: str, build: Callable[[], T]) -> T:
    """`build()`'s value, kept per database, table and `what` until the table's stamp moves. The
    value is shared by every session and thread of the process: it must not be changed, nor hold
    objects attached to a session."""
    token = current(session, table)
    if token is None:
        return build()
    bind = session.get_bind()
    key = (str(getattr(bind, "url", None) or bind.engine.url), table, what)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == token:
        return hit[1]  # type: ignore[no-any-return]
    value = build()
    with _lock:
        _cache[key] = (token, value)
    return value
