"""The few SQL expressions that differ between SQLite and PostgreSQL, each behind one function.

Everything else in the code base is portable SQL; when a query needs something dialect-specific it
comes from here, and tests run both branches (tests/core/test_dialect.py)."""

from __future__ import annotations

import math
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Interval, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


def upsert_insert(session: Session, table: Any) -> Any:
    """An INSERT into `table` that takes `.on_conflict_do_update(...)`: PostgreSQL's and SQLite's
    constructs share that API (both engines run INSERT … ON CONFLICT … DO UPDATE)."""
    if dialect_name(session) == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def local_date(
    column: Any, zone: ZoneInfo, dialect: str, *, shift: timedelta = timedelta(0)
) -> ColumnElement[Any]:
    """The local calendar date of a UTC instant column (moved by `shift` first: an hourly value stamped
    at the end of its hour belongs to the day of `instant − 1 h`).

    PostgreSQL converts with the zone's rules (`AT TIME ZONE`). SQLite has no zone database: it shifts
    by the zone's current UTC offset, which is exact for zones without daylight saving time, such as
    Asia/Shanghai (fixed +08:00 since 1991). The result is an ISO `YYYY-MM-DD` string on SQLite."""
    if dialect == "postgresql":
        local = func.timezone(zone.key, column)
        return cast(local + literal(shift, Interval()) if shift else local, Date)
    offset = datetime.now(UTC).astimezone(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    minutes += int(shift.total_seconds() // 60)
    return func.date(column, f"{minutes:+d} minutes")


def local_month(column: Any, zone: ZoneInfo, dialect: str) -> ColumnElement[Any]:
    """The local calendar month of a UTC instant column, as a `YYYY-MM` string on both engines (the
    zone rule of `local_date`)."""
    day = local_date(column, zone, dialect)
    if dialect == "postgresql":
        return func.to_char(day, "YYYY-MM")
    return func.substr(day, 1, 7)


def percentile_cont(session: Session, value: Any, fraction: float, *where: Any) -> float | None:
    """The continuous percentile (`percentile_cont`, linear interpolation) of `value` over the rows
    matching `where`; None when no row has a value.

    PostgreSQL computes it natively. SQLite has no ordered-set aggregates, so we count the rows, then read
    the one or two values around the position `fraction × (n − 1)` with ORDER BY … LIMIT 2 OFFSET k and
    interpolate: the same definition, two indexed-friendly queries, no rows loaded beyond two."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("a percentile fraction lies between 0 and 1")
    conditions = [*where, value.is_not(None)]
    if dialect_name(session) == "postgresql":
        result = session.execute(
            select(func.percentile_cont(literal(fraction)).within_group(value)).where(*conditions)
        ).scalar()
        return None if result is None else float(result)
    n = session.execute(select(func.count()).where(*conditions)).scalar() or 0
    if n == 0:
        return None
    position = fraction * (n - 1)
    low = math.floor(position)
    rows = session.execute(select(value).where(*conditions).order_by(value).limit(2).offset(low)).all()
    lower = float(rows[0][0])
    upper = float(rows[1][0]) if len(rows) > 1 else lower
    return lower + (upper - lower) * (position - low)


def try_advisory_lock(session: Session, namespace: str, key: int) -> bool:
    """Take a transaction-scoped lock on (namespace, key) without waiting; False if another session
    holds it. PostgreSQL uses `pg_try_advisory_xact_lock`; SQLite serialises writers with
    `BEGIN IMMEDIATE` already, so the lock is always granted there."""
    if dialect_name(session) != "postgresql":
        return True
    ns = zlib.crc32(namespace.encode("utf-8")) & 0x7FFFFFFF
    return bool(
        session.execute(text("SELECT pg_try_advisory_xact_lock(:ns, :key)"), {"ns": ns, "key": key}).scalar()
    )


def advisory_lock(session: Session, namespace: str, key: int) -> None:
    """Take a transaction-scoped lock on (namespace, key), waiting for it (PostgreSQL
    `pg_advisory_xact_lock`; a no-op on SQLite, whose writers are serialised already)."""
    if dialect_name(session) != "postgresql":
        return
    ns = zlib.crc32(namespace.encode("utf-8")) & 0x7FFFFFFF
    session.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": ns, "key": key})


def as_date(value: Any) -> date:
    """A date read back from a `local_date` expression (SQLite returns ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def code_within(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with the numeric area code `prefix` (an area subtree), as a range that a B-tree
    index serves on every backend: `code >= '320585100' AND code < '320585101'`. (`LIKE 'p%'` only
    uses an index on PostgreSQL under the "C" collation, so at scale it read the whole table.) Digit
    strings order the same under every collation. A prefix of nines (no next code of its length) or
    one with other characters falls back to an escaped LIKE."""
    if not prefix.isdigit() or set(prefix) == {"9"}:
        return column.startswith(prefix, autoescape=True)  # type: ignore[no-any-return]
    upper = str(int(prefix) + 1).zfill(len(prefix))
    # The length test keeps out shorter codes that sort inside the range ('320585101' lies between
    # '3205851009' and '3205851010'); the index serves the range, the length is checked on its rows.
    return (column >= prefix) & (column < upper) & (func.length(column) >= len(prefix))  # type: ignore[no-any-return]
