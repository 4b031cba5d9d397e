"""Writing generated rows fast: column values as the drivers take them (UTC instants as text, local
days, NULLs), one executemany per batch on SQLite and COPY on PostgreSQL, secondary indexes dropped
during a large load and rebuilt after it, and PostgreSQL's statistics refreshed at the end."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from citycockpit.events.models import Event, EventTransition
from citycockpit.events.storage import partitions


def fmt_times(secs: np.ndarray, pg: bool = False) -> list[str | None]:
    """Epoch seconds (NaN: missing) → naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`, as SQLAlchemy stores
    it on SQLite (PostgreSQL reads it as UTC: the load sets the session time zone to UTC)."""
    mask = np.isnan(secs)
    safe = np.where(mask, 0, secs).astype("int64").astype("datetime64[s]")
    strs = np.datetime_as_string(safe.astype("datetime64[us]"), unit="us")
    strs.view(np.uint32).reshape(len(strs), -1)[:, 10] = ord(" ")  # 'T' → ' ', in place
    out = strs.astype(object)
    out[mask] = None
    return out.tolist()


def fmt_days(secs: np.ndarray, offset_s: int) -> list[str | None]:
    mask = np.isnan(secs)
    safe = (
        (np.where(mask, 0, secs) + offset_s).astype("int64").astype("datetime64[s]").astype("datetime64[D]")
    )
    out = np.datetime_as_string(safe).astype(object)
    out[mask] = None
    return out.tolist()


def nullable(values: np.ndarray, mask: np.ndarray) -> list[Any]:
    out = values.astype(object)
    out[~mask] = None
    return out.tolist()


REBUILD_INDEXES_FROM = 200_000


def _secondary_indexes(with_timeline: bool) -> list[Any]:
    tables = [Event.__table__] + ([EventTransition.__table__] if with_timeline else [])
    return [
        idx for table in tables for idx in sorted(table.indexes, key=lambda i: i.name or "") if not idx.unique
    ]


def drop_indexes(engine: Engine, with_timeline: bool) -> None:
    """A bulk load is several times faster without index upkeep; the indexes are rebuilt at the end."""
    with engine.begin() as conn:
        for idx in _secondary_indexes(with_timeline):
            idx.drop(conn, checkfirst=True)


def create_indexes(engine: Engine, with_timeline: bool) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # sorts in memory: tens of millions of rows, not 64 MB runs
            conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        for idx in _secondary_indexes(with_timeline):
            idx.create(conn, checkfirst=True)


def vacuum_analyze(engine: Engine, with_timeline: bool) -> None:
    """Leave PostgreSQL's planner the new rows' statistics and visibility map at once (10 s at 20 M
    events). Until autovacuum gets round to a freshly loaded table, the planner takes it for tiny and
    no index-only scan can skip the heap: the KPI P90's walk of ix_events_handle_minutes became a 4 s
    sequential scan at 20 M events."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM: no transaction
        for table in ["events"] + (["event_transitions"] if with_timeline else []):
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


def bulk_insert(
    session: Any,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    pg: bool,
    keys: list[str] | None = None,
) -> None:
    """executemany on SQLite; COPY on PostgreSQL (both inside the session's transaction).

    `keys` (partitioned PostgreSQL, `events` only: the columns of `event_keys`): the rows' keys are
    copied into `event_keys` first and the insert trigger that would write them one row at a time (about
    a quarter of an insert's time) is off for this transaction's COPY; the keys come first because the
    events' references to other events check `event_keys`."""
    dbapi = session.connection().connection.dbapi_connection
    cursor = dbapi.cursor()
    try:
        if pg:
            cursor.execute("SET LOCAL timezone = 'UTC'")
            if keys:
                where = [columns.index(k) if k in columns else None for k in keys]
                with cursor.copy(f"COPY {partitions.KEYS} ({', '.join(keys)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([None if i is None else row[i] for i in where])
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {partitions.KEYS_INSERT_TRIGGER}")
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if keys:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {partitions.KEYS_INSERT_TRIGGER}")
        else:
            cursor.execute("PRAGMA cache_size=-131072")
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    finally:
        cursor.close()
