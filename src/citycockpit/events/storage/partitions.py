"""Monthly partitions of `events` on PostgreSQL (the migration e2a9c4f1b7d3 made the table partitioned
by RANGE on `reported_day`; docs/deployment.md explains the design). SQLite keeps one plain table, and
every function here is a no-op there.

A month's partition is `events_pYYYYMM`; days without one go to `events_pdefault`. The worker creates
the coming months ahead (`partition_job`), so live intake never lands in the default; a month whose
rows already sit in the default (history imported for an old year) is split out of it by moving them
into the new partition before attaching it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.core.dialect import advisory_lock
from citycockpit.ops.jobs import JobResult

PARENT = "events"
KEYS = "event_keys"
DEFAULT = "events_pdefault"
KEYS_INSERT_TRIGGER = "events_keys_insert"  # the row trigger that writes an inserted event's keys
LOCK_NAMESPACE = "events.partitions"
PARTITION_NAME = re.compile(r"^events_p(\d{6}|default)$")
WORKER = SystemActor("worker")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"events_p{month:%Y%m}"


def _conn(bind: Session | Connection) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


def is_partitioned(bind: Session | Connection) -> bool:
    """True on PostgreSQL once `events` is partitioned (always False on SQLite)."""
    conn = _conn(bind)
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        text("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(:t)"), {"t": PARENT}
    ).scalar()
    return kind == "p"


def key_columns(bind: Session | Connection) -> list[str]:
    """The columns of `event_keys` in table order (id, reported_day, then the unique keys), for a bulk
    load that writes them itself instead of through the insert trigger."""
    rows = _conn(bind).execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
            "AND table_schema = current_schema() ORDER BY ordinal_position"
        ),
        {"t": KEYS},
    )
    return [str(r[0]) for r in rows]


@dataclass
class Partition:
    name: str
    month: date | None  # None: the default partition
    rows: int | None = None


def list_partitions(bind: Session | Connection) -> list[Partition]:
    """The month partitions in month order, then the default (empty on SQLite)."""
    if not is_partitioned(bind):
        return []
    rows = _conn(bind).execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:t AS regclass) ORDER BY c.relname"
        ),
        {"t": PARENT},
    )
    parts = []
    for (name,) in rows:
        match = PARTITION_NAME.match(name)
        if not match:
            continue
        key = match.group(1)
        month = None if key == "default" else date(int(key[:4]), int(key[4:]), 1)
        parts.append(Partition(name, month))
    return sorted(parts, key=lambda p: (p.month is None, p.month or date.min))


@dataclass
class EnsureResult:
    created: list[date] = field(default_factory=list)
    moved_rows: int = 0


def ensure_month(bind: Session | Connection, month: date) -> tuple[bool, int]:
    """Make the partition of `month` exist: (created, rows moved out of the default partition).

    Rows of that month already in the default are moved into the new table before it is attached
    (PostgreSQL refuses to attach a range the default holds rows of); their `event_keys` rows stay,
    as they are only moving (`citycockpit.keep_event_keys`, for this transaction only)."""
    conn = _conn(bind)
    month = month_start(month)
    name = partition_name(month)
    exists = conn.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}).scalar_one()
    if exists:
        return False, 0
    following = next_month(month)
    bounds = f"FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
    in_default = conn.execute(
        text(f"SELECT count(*) FROM {DEFAULT} WHERE reported_day >= :a AND reported_day < :b"),
        {"a": month, "b": following},
    ).scalar_one()
    if not in_default:
        conn.exec_driver_sql(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES {bounds}")
        return True, 0
    conn.exec_driver_sql(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    conn.exec_driver_sql("SET LOCAL citycockpit.keep_event_keys = 'on'")
    moved = conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE reported_day >= :a AND reported_day < :b "
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        ),
        {"a": month, "b": following},
    ).rowcount
    conn.exec_driver_sql("SET LOCAL citycockpit.keep_event_keys = 'off'")
    if moved != in_default:
        raise RuntimeError(f"{name}: {in_default} rows in the default partition, {moved} moved")
    conn.exec_driver_sql(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES {bounds}")
    return True, int(moved)


def ensure_months(session: Session, months: list[date]) -> EnsureResult:
    """`ensure_month` for each month, under one lock (several workers may run at once)."""
    result = EnsureResult()
    if not months or not is_partitioned(session):
        return result
    advisory_lock(session, LOCK_NAMESPACE, 0)
    for month in sorted({month_start(m) for m in months}):
        created, moved = ensure_month(session, month)
        if created:
            result.created.append(month)
        result.moved_rows += moved
    return result


def months_ahead(today: date, count: int) -> list[date]:
    """The current month and the `count` months after it."""
    months = [month_start(today)]
    for _ in range(count):
        months.append(next_month(months[-1]))
    return months


def partition_job(session: Session, *, now: datetime, calendar: Any) -> JobResult:
    """Worker job: create the partitions of this month and the next `events_partition_months_ahead`
    ones (idempotent: existing months are left alone); audited when it created any."""
    from citycockpit.audit import service as audit
    from citycockpit.config import get_settings

    if not is_partitioned(session):
        return JobResult("partitions", 0)
    today = now.astimezone(calendar.zone).date()
    result = ensure_months(session, months_ahead(today, get_settings().events_partition_months_ahead))
    if result.created:
        audit.record(
            session,
            WORKER,
            "event.partitions.create",
            "event_partition",
            None,
            diff={"months": [m.strftime("%Y-%m") for m in result.created], "moved_rows": result.moved_rows},
            at=now,
        )
    return JobResult("partitions", len(result.created))


def include_in_comparison(dialect: str) -> Any:
    """Alembic's `include_object` for comparing the models with a database: on PostgreSQL the
    partitioned layout differs from the models on purpose (the partitions and `event_keys` are not
    models; the unique keys of events live on event_keys; foreign keys to events reference
    event_keys), so those objects are left out of the comparison. SQLite compares everything."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if dialect != "postgresql":
            return True
        if type_ == "table":
            return not (name == KEYS or (name is not None and PARTITION_NAME.match(name)))
        table = getattr(getattr(obj, "table", None), "name", None)
        if type_ == "foreign_key_constraint":
            return getattr(getattr(obj, "referred_table", None), "name", None) not in (PARENT, KEYS)
        if table == PARENT and type_ == "unique_constraint":
            return False
        return not (table == PARENT and type_ == "index" and getattr(obj, "unique", False))

    return include
