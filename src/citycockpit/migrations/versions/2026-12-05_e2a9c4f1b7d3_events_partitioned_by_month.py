"""events partitioned by month (PostgreSQL), event archives

On PostgreSQL `events` becomes a table partitioned by RANGE on `reported_day`, one partition a month
for every month holding events plus the current one and the next three, and a DEFAULT partition for
any other day (the worker splits months out of it ahead of time: events/storage/partitions.py). A
partitioned table's primary key and unique indexes must contain the partition key, so:

- the primary key is (id, reported_day); ids still come from the one sequence, so stay unique;
- the globally unique keys (public_id, intake_token, channel + external_id, idempotency_key) and the
  id move to `event_keys`, an unpartitioned table kept by triggers on `events` (insert, update of a
  key, delete), whose unique indexes keep their names, so a duplicate still fails the same way;
- every foreign key that referenced events(id) (the children tables and the events' own
  merged_into_id and repeat_of_id) references event_keys(id) instead, with its ON DELETE rule, so
  deleting an event still cascades to its timeline, photos, parts… (docs/deployment.md says why).

Existing rows are copied into the new table (counts checked), indexes, outgoing foreign keys and the
id sequence carried over by reading them from the catalogue, so indexes added or dropped by other
migrations are kept as they are. SQLite: only the `event_archives` table.

Revision ID: e2a9c4f1b7d3
Revises: d5b8e2f14a67
Create Date: 2026-12-05 03:45:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

import citycockpit.db

revision: str = "e2a9c4f1b7d3"
down_revision: str | Sequence[str] | None = "d5b8e2f14a67"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AHEAD_MONTHS = 3


def upgrade() -> None:
    op.create_table(
        "event_archives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("counted_until", sa.Date(), nullable=False),
        sa.Column("counts_json", sa.Text(), nullable=False),
        sa.Column("archived_at", citycockpit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_by", sa.String(length=100), nullable=False),
        sa.Column("restored_at", citycockpit.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_archives")),
    )
    with op.batch_alter_table("event_archives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_archives_month"), ["month"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _partition(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _unpartition(bind)
    with op.batch_alter_table("event_archives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_archives_month"))
    op.drop_table("event_archives")


def _rows(conn: sa.Connection, sql: str, **params: object) -> list[Any]:
    return list(conn.execute(sa.text(sql), params).all())


def _incoming_fks(conn: sa.Connection, table: str) -> list[tuple[str, str, str]]:
    """(referencing table, name, definition) of every foreign key that references `table`."""
    return [
        (str(r[0]), str(r[1]), str(r[2]))
        for r in _rows(
            conn,
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = CAST(:t AS regclass) AND conparentid = 0 ORDER BY 1, 2",
            t=table,
        )
    ]


def _outgoing_fks(conn: sa.Connection, table: str, *, skip: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (str(r[0]), str(r[1]))
        for r in _rows(
            conn,
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid = CAST(:t AS regclass) AND confrelid::regclass::text <> ALL(CAST(:skip AS text[])) "
            "ORDER BY 1",
            t=table,
            skip=list(skip),
        )
    ]


def _indexes(conn: sa.Connection, table: str) -> list[tuple[str, str, bool, bool]]:
    """(name, CREATE INDEX statement, unique, backs a UNIQUE constraint) of `table`'s indexes, except
    the primary key's."""
    return [
        (str(r[0]), str(r[1]), bool(r[2]), bool(r[3]))
        for r in _rows(
            conn,
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, "
            "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u') "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = CAST(:t AS regclass) AND NOT i.indisprimary ORDER BY 1",
            t=table,
        )
    ]


def _retarget(definition: str, old: str, new: str) -> str:
    return definition.replace(f"REFERENCES {old}(", f"REFERENCES {new}(")


def _on(statement: str, old: str, new: str) -> str:
    """An index statement of table `old` made for table `new` (pg_get_indexdef names it
    schema-qualified or not, depending on the search path; `ON ONLY` for a partitioned table's)."""
    statement = statement.replace(" ON ONLY ", " ON ")
    for prefix in ("public.", ""):
        marker = f" ON {prefix}{old} USING "
        if marker in statement:
            return statement.replace(marker, f" ON {prefix}{new} USING ")
    raise RuntimeError(f"cannot retarget index statement: {statement}")


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return months


def _next(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _key_columns(conn: sa.Connection) -> list[tuple[str, str]]:
    """The columns (name, SQL type) the unique indexes of events cover, besides id, in table order."""
    rows = _rows(
        conn,
        "SELECT DISTINCT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = 'events'::regclass AND i.indisunique AND NOT i.indisprimary "
        "AND a.attname NOT IN ('id', 'reported_day') ORDER BY a.attnum",
    )
    return [(str(r[1]), str(r[2])) for r in rows]


def _sync_function(columns: list[str]) -> str:
    cols = ["id", "reported_day", *columns]
    names = ", ".join(cols)
    new_values = ", ".join(f"NEW.{c}" for c in cols)
    old_values = ", ".join(f"OLD.{c}" for c in cols)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols[1:])
    sets = ", ".join(f"{c} = NEW.{c}" for c in cols)
    # The delete branch keeps the key while the row still exists under its id (an UPDATE that moved
    # it to another partition runs as delete + insert) or while the storage code moves rows between
    # partitions itself (`citycockpit.keep_event_keys`, set for its transaction only).
    return f"""
CREATE FUNCTION event_keys_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO event_keys ({names}) VALUES ({new_values})
      ON CONFLICT (id) DO UPDATE SET {updates};
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    IF ({new_values}) IS DISTINCT FROM ({old_values}) THEN
      UPDATE event_keys SET {sets} WHERE id = OLD.id;
    END IF;
    RETURN NEW;
  END IF;
  IF coalesce(current_setting('citycockpit.keep_event_keys', true), '') <> 'on'
     AND NOT EXISTS (SELECT 1 FROM events WHERE id = OLD.id) THEN
    DELETE FROM event_keys WHERE id = OLD.id;
  END IF;
  RETURN OLD;
END
$$"""


def _partition(conn: sa.Connection) -> None:
    x = conn.exec_driver_sql
    incoming = _incoming_fks(conn, "events")
    outgoing = _outgoing_fks(conn, "events", skip=("events",))
    indexes = _indexes(conn, "events")
    uniques = [(n, s, c) for n, s, u, c in indexes if u]
    plain = [s for _, s, u, _ in indexes if not u]
    key_columns = _key_columns(conn)
    span = conn.execute(sa.text("SELECT min(reported_day), max(reported_day) FROM events")).one()
    today = conn.execute(sa.text("SELECT CAST(now() AT TIME ZONE 'Asia/Shanghai' AS date)")).scalar_one()
    first = min(span[0] or today, today)
    last = max(span[1] or today, today)
    for _ in range(AHEAD_MONTHS):
        last = _next(last.replace(day=1))
    rows_before = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()

    for table, name, _ in incoming:
        x(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    x("ALTER TABLE events RENAME TO events_unpartitioned")
    x(
        "CREATE TABLE events (LIKE events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY RANGE (reported_day)"
    )
    for month in _months(first, last):
        x(
            f"CREATE TABLE events_p{month:%Y%m} PARTITION OF events "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{_next(month).isoformat()}')"
        )
    x("CREATE TABLE events_pdefault PARTITION OF events DEFAULT")
    x("INSERT INTO events SELECT * FROM events_unpartitioned")
    rows_after = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    if rows_after != rows_before:
        raise RuntimeError(f"events: {rows_before} rows before partitioning, {rows_after} after")
    x("ALTER SEQUENCE events_id_seq OWNED BY events.id")
    x("DROP TABLE events_unpartitioned")
    x("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (id, reported_day)")
    for statement in plain:
        x(statement)
    for name, definition in outgoing:
        x(f'ALTER TABLE events ADD CONSTRAINT "{name}" {definition}')

    columns = ", ".join(f"{n} {t}" for n, t in key_columns)
    x(
        f"CREATE TABLE event_keys (id integer NOT NULL, reported_day date NOT NULL, {columns}, "
        "CONSTRAINT pk_event_keys PRIMARY KEY (id))"
    )
    names = ", ".join(["id", "reported_day", *(n for n, _ in key_columns)])
    x(f"INSERT INTO event_keys ({names}) SELECT {names} FROM events")
    for _, statement, _ in uniques:
        x(_on(statement, "events", "event_keys"))
    x(_sync_function([n for n, _ in key_columns]))
    key_list = ", ".join(["id", "reported_day", *(n for n, _ in key_columns)])
    x(
        "CREATE TRIGGER events_keys_insert BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION event_keys_sync()"
    )
    x(
        f"CREATE TRIGGER events_keys_update BEFORE UPDATE OF {key_list} ON events "
        "FOR EACH ROW EXECUTE FUNCTION event_keys_sync()"
    )
    x(
        "CREATE TRIGGER events_keys_delete AFTER DELETE ON events FOR EACH ROW EXECUTE FUNCTION event_keys_sync()"
    )
    for table, name, definition in incoming:
        x(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {_retarget(definition, "events", "event_keys")}')


def _unpartition(conn: sa.Connection) -> None:
    x = conn.exec_driver_sql
    is_partitioned = conn.execute(
        sa.text("SELECT relkind = 'p' FROM pg_class WHERE oid = 'events'::regclass")
    ).scalar_one()
    if not is_partitioned:
        return
    incoming = _incoming_fks(conn, "event_keys")
    outgoing = _outgoing_fks(conn, "events", skip=("events", "event_keys"))
    plain = [s.replace(" ON ONLY ", " ON ") for _, s, u, _ in _indexes(conn, "events") if not u]
    uniques = [(n, s) for n, s, u, _ in _indexes(conn, "event_keys") if u]
    was_constraint = {n for n, _, _, c in _indexes(conn, "event_keys") if n.startswith("uq_")}
    rows_before = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()

    for table, name, _ in incoming:
        x(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    x("DROP TRIGGER events_keys_insert ON events")
    x("DROP TRIGGER events_keys_update ON events")
    x("DROP TRIGGER events_keys_delete ON events")
    x("DROP FUNCTION event_keys_sync()")
    x("ALTER TABLE events RENAME TO events_partitioned")
    x("CREATE TABLE events (LIKE events_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    x("INSERT INTO events SELECT * FROM events_partitioned")
    rows_after = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    if rows_after != rows_before:
        raise RuntimeError(f"events: {rows_before} rows before, {rows_after} after")
    x("ALTER SEQUENCE events_id_seq OWNED BY events.id")
    x("DROP TABLE events_partitioned")  # and its partitions
    x("DROP TABLE event_keys")
    x("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (id)")
    for statement in plain:
        x(statement)
    for name, statement in uniques:
        x(_on(statement, "event_keys", "events"))
        if name in was_constraint:
            x(f'ALTER TABLE events ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"')
    for name, definition in outgoing:
        x(f'ALTER TABLE events ADD CONSTRAINT "{name}" {definition}')
    for table, name, definition in incoming:
        x(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {_retarget(definition, "event_keys", "events")}')
