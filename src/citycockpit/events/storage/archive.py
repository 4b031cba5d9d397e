"""Retention: `citycockpit events archive --before YYYY[-MM]` takes whole months of events out of
PostgreSQL into a file, and `citycockpit events restore-archive FILE` loads them back.

The file is gzip'd text: per table a header line (`#table {json}`: table, columns, rows) and the
rows in PostgreSQL's COPY text format; beside it `FILE.manifest.json` holds the months, counts per
table and the file's SHA-256. Order of work, in one transaction: the month partitions are detached
(no one writes to them any more), the event keys of their events locked (no new child row can point
at them), every row written to the file, the file read back and checked (rows per table, checksum),
and only then are the detached tables dropped and the children rows deleted, in bulk. The events'
rows in `event_keys` stay (one narrow row each): ids, public ids and external ids stay unique for
good, and later events' links to archived ones stay valid. The rollups of those months stay, so the KPIs of past years stay
readable; the rollup job leaves archived months alone (`archived_months`).

SQLite: refused. SQLite is the embedded default for one county's few years; its file is backed up
whole with `citycockpit db backup`."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import Actor
from citycockpit.core.errors import Conflict, Unprocessable
from citycockpit.events.analytics.models import EventRollupDay
from citycockpit.events.enums import FINAL_STATES
from citycockpit.events.storage import partitions
from citycockpit.events.storage.models import EventArchive

FORMAT = "citycockpit-events-archive/1"
HEADER = b"#table "


class ArchiveRefused(Conflict):
    code = "event_archive_refused"


class ArchiveInvalid(Unprocessable):
    code = "event_archive_invalid"


def parse_before(value: str) -> date:
    """`YYYY` (the 1st of January) or `YYYY-MM` (the 1st of that month): the first day kept."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", value.strip())
    if not match or not (1 <= int(match.group(2) or 1) <= 12):
        raise ArchiveInvalid(
            f"--before takes a year or a month, YYYY or YYYY-MM, not {value!r}", field="before"
        )
    return date(int(match.group(1)), int(match.group(2) or 1), 1)


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def p90_estimated_from(session: Session) -> date | None:
    """The last day archived events count on (None: nothing archived): a handling P90 of a period
    starting on or before it cannot read those events' minutes any more."""
    return session.scalar(
        select(func.max(EventArchive.counted_until)).where(EventArchive.restored_at.is_(None))
    )


def archived_months(session: Session) -> set[date]:
    """Months whose events are archived and not restored: the rollup job keeps their rollups as they
    are (their events are no longer there to recompute them from)."""
    return set(session.scalars(select(EventArchive.month).where(EventArchive.restored_at.is_(None))))


@dataclass
class ArchiveResult:
    file: Path
    months: list[date]
    counts: dict[str, int]
    sha256: str
    events: int = 0
    per_month: dict[str, int] = field(default_factory=dict)


def _refuse_unless_partitioned(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise ArchiveRefused(
            "Archiving takes whole monthly partitions out of PostgreSQL; on SQLite the events stay "
            "(back the database file up with `citycockpit db backup`)"
        )
    if not partitions.is_partitioned(conn):
        raise ArchiveRefused("The events table is not partitioned: run `citycockpit db upgrade` first")


def _children(conn: Connection) -> list[tuple[str, list[str]]]:
    """(table, its columns that reference an event) for every table but events itself."""
    rows = conn.execute(
        text(
            "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.confrelid = 'event_keys'::regclass AND c.conparentid = 0 "
            "ORDER BY 1, 2"
        )
    ).all()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        if not partitions.PARTITION_NAME.match(str(table)):  # a detached month keeps its own copy
            out.setdefault(str(table), []).append(str(column))
    return list(out.items())


def _columns(conn: Connection, table: str) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            text(
                "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 "
                "AND NOT attisdropped ORDER BY attnum"
            ),
            {"t": table},
        )
    ]


def _copy_out(conn: Connection, query: str, out: Any) -> int:
    """Stream `COPY (query) TO STDOUT` into `out`; the number of rows (lines) written."""
    raw: Any = conn.connection.dbapi_connection
    lines = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
        for block in copy:
            data = bytes(block)
            lines += data.count(b"\n")
            out.write(data)
    return lines


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_sections(path: Path) -> Iterator[tuple[dict[str, Any], list[bytes]]]:
    """(header, row lines) per table of an archive file; a truncated or altered file raises."""
    try:
        with gzip.open(path, "rb") as fh:
            header: dict[str, Any] | None = None
            rows: list[bytes] = []
            for line in fh:
                if line.startswith(HEADER) and (header is None or len(rows) == header["rows"]):
                    if header is not None:
                        yield header, rows
                    header, rows = json.loads(line[len(HEADER) :]), []
                elif header is None:
                    raise ArchiveInvalid(f"{path.name} is not an events archive (no table header)")
                else:
                    rows.append(line)
            if header is not None:
                yield header, rows
    except (OSError, EOFError, ValueError) as exc:
        raise ArchiveInvalid(f"{path.name} cannot be read as an events archive: {exc}") from exc


def verify_file(path: Path, manifest: dict[str, Any]) -> None:
    """The file's checksum and rows per table agree with its manifest (else ArchiveInvalid)."""
    if manifest.get("format") != FORMAT:
        raise ArchiveInvalid(f"{path.name}: unknown archive format {manifest.get('format')!r}")
    if _sha256(path) != manifest["sha256"]:
        raise ArchiveInvalid(f"{path.name} does not match its manifest's SHA-256: the file was altered")
    counts: dict[str, int] = {}
    for header, rows in read_sections(path):
        if len(rows) != header["rows"]:
            raise ArchiveInvalid(
                f"{path.name}: {header['table']} holds {len(rows)} rows, its header says {header['rows']}"
            )
        counts[header["table"]] = counts.get(header["table"], 0) + len(rows)
    if counts != manifest["counts"]:
        raise ArchiveInvalid(
            f"{path.name}: rows per table {counts} differ from the manifest's {manifest['counts']}"
        )


def _check_archivable(
    conn: Connection, session: Session, before: date, *, zone: ZoneInfo, now: datetime, recent_days: int
) -> date:
    """The last day the events before `before` count on, once they may be archived (else refused)."""
    final = [s.value for s in FINAL_STATES]
    open_count = conn.execute(
        text("SELECT count(*) FROM events WHERE reported_day < :b AND state <> ALL(:final)"),
        {"b": before, "final": final},
    ).scalar_one()
    if open_count:
        raise ArchiveRefused(
            f"{open_count} events reported before {before} are not finished (closed, rated, rejected or "
            "merged); finish them before archiving"
        )
    first = conn.execute(
        text("SELECT min(reported_day) FROM events WHERE reported_day < :b"), {"b": before}
    ).scalar()
    if first is None:
        return before - timedelta(days=1)
    days = (before - first).days
    covered = session.scalar(
        select(func.count())
        .select_from(EventRollupDay)
        .where(EventRollupDay.day.between(first, before - timedelta(days=1)))
    )
    if covered != days:
        raise ArchiveRefused(
            f"The rollups of {days - (covered or 0)} days from {first} to {before - timedelta(days=1)} are "
            "missing, so their KPIs could not be read after archiving; run `citycockpit events rollup "
            f"--from {first}` (or let the worker finish) first"
        )
    latest = conn.execute(
        text(
            "SELECT max(closed_day), max(sign_due_at), max(handle_due_at), max(close_due_at) "
            "FROM events WHERE reported_day < :b"
        ),
        {"b": before},
    ).one()
    days_counted = [latest[0], *(v.astimezone(zone).date() for v in latest[1:] if v is not None)]
    last_day = max(d for d in days_counted if d is not None) if any(days_counted) else first
    window = now.astimezone(zone).date() - timedelta(days=recent_days)
    if last_day >= window:
        raise ArchiveRefused(
            f"Events reported before {before} still count on {last_day} (closed or due then), a day the "
            f"rollup job recomputes until {last_day + timedelta(days=recent_days + 1)}; archive after that"
        )
    return max(last_day, before - timedelta(days=1))


def archive_before(
    engine: Engine,
    before: date,
    out: Path,
    *,
    actor: Actor,
    now: datetime,
    zone: ZoneInfo,
    recent_days: int,
) -> ArchiveResult:
    """Archive every month of events before `before` into `out` (see the module's docstring). Refused,
    with nothing changed, on SQLite, when an event is unfinished, when the rollups of those days are
    incomplete, or when the rollup job could still recompute a day those events count on."""
    if out.exists():
        raise ArchiveRefused(f"{out} exists already; name a new file")
    with engine.connect() as conn:
        _refuse_unless_partitioned(conn)
    # 1. rows of those months still in the default partition get their own month first
    with Session(bind=engine) as session:
        strays = (
            session.execute(
                text(
                    "SELECT DISTINCT date_trunc('month', reported_day)::date FROM events_pdefault WHERE reported_day < :b"
                ),
                {"b": before},
            )
            .scalars()
            .all()
        )
        partitions.ensure_months(session, list(strays))
        session.commit()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        return _archive(
            engine, before, out, partial, actor=actor, now=now, zone=zone, recent_days=recent_days
        )
    except BaseException:
        # the transaction rolled back: nothing was removed, so a file written meanwhile is not an archive
        for path in (partial, out, manifest_path(out)):
            path.unlink(missing_ok=True)
        raise


def _archive(
    engine: Engine,
    before: date,
    out: Path,
    partial: Path,
    *,
    actor: Actor,
    now: datetime,
    zone: ZoneInfo,
    recent_days: int,
) -> ArchiveResult:
    with engine.connect() as conn, conn.begin():
        session = Session(bind=conn)
        counted_until = _check_archivable(conn, session, before, zone=zone, now=now, recent_days=recent_days)
        months = [
            p.month
            for p in partitions.list_partitions(conn)
            if p.month is not None and partitions.next_month(p.month) <= before
        ]
        if not months:
            raise ArchiveRefused(f"No month of events before {before} is stored: nothing to archive")
        children = _children(conn)
        # 2. no one writes to those months any more, nor adds a child row to one of their events
        for month in months:
            conn.exec_driver_sql(f"ALTER TABLE events DETACH PARTITION {partitions.partition_name(month)}")
        union = " UNION ALL ".join(f"SELECT id FROM {partitions.partition_name(m)}" for m in months)
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE archived_ids ON COMMIT DROP AS {union}")
        conn.exec_driver_sql("ALTER TABLE archived_ids ADD PRIMARY KEY (id)")
        conn.exec_driver_sql("SELECT 1 FROM event_keys WHERE id IN (SELECT id FROM archived_ids) FOR UPDATE")
        # 3. the file
        counts: dict[str, int] = {}
        per_month: dict[str, int] = {}
        columns = _columns(conn, "events")
        sections: list[tuple[str, list[str], str]] = []
        for month in months:
            name = partitions.partition_name(month)
            sections.append(("events", columns, f"SELECT * FROM {name} ORDER BY id"))
        for table, refs in children:
            if table == "events":  # later events' links to archived ones stay valid: the keys stay
                continue
            where = " OR ".join(f"{ref} IN (SELECT id FROM archived_ids)" for ref in refs)
            sections.append((table, _columns(conn, table), f"SELECT * FROM {table} WHERE {where}"))
        with gzip.open(partial, "wb") as fh:
            for table, cols, query in sections:
                n = conn.execute(text(f"SELECT count(*) FROM ({query}) q")).scalar_one()
                fh.write(HEADER + json.dumps({"table": table, "columns": cols, "rows": n}).encode() + b"\n")
                written = _copy_out(conn, query, fh)
                if written != n:
                    raise ArchiveRefused(f"{table}: counted {n} rows, wrote {written}; nothing was removed")
                counts[table] = counts.get(table, 0) + n
        for month in months:
            per_month[month.strftime("%Y-%m")] = int(
                conn.execute(text(f"SELECT count(*) FROM {partitions.partition_name(month)}")).scalar_one()
            )
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": now.isoformat(timespec="seconds"),
            "revision": conn.execute(text("SELECT version_num FROM alembic_version")).scalar(),
            "before": before.isoformat(),
            "months": list(per_month),
            "events_per_month": per_month,
            "counts": counts,
            "sha256": _sha256(partial),
        }
        # 4. read the file back before anything is removed
        verify_file(partial, manifest)
        partial.replace(out)
        manifest_path(out).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        # 5. remove, in bulk: the detached months and the children rows (as many as were written); the
        # events' keys stay, so ids, public ids and external ids stay unique for good and later events'
        # links to archived ones (merged_into_id, repeat_of_id) stay valid
        for month in months:
            conn.exec_driver_sql(f"DROP TABLE {partitions.partition_name(month)}")
        for table, refs in children:
            if table == "events":
                continue
            where = " OR ".join(f"{ref} IN (SELECT id FROM archived_ids)" for ref in refs)
            removed = conn.execute(text(f"DELETE FROM {table} WHERE {where}")).rowcount
            if removed != counts.get(table, 0):
                raise ArchiveRefused(f"{table}: {removed} rows to remove, {counts.get(table, 0)} written")
        for month in months:
            session.add(
                EventArchive(
                    month=month,
                    file_name=out.name,
                    sha256=manifest["sha256"],
                    events=per_month[month.strftime("%Y-%m")],
                    counted_until=counted_until,
                    counts_json=json.dumps(counts),
                    archived_at=now,
                    archived_by=actor.display_name[:100],
                )
            )
        audit.record(
            session,
            actor,
            "event.archive",
            "event_archive",
            None,
            diff={
                "file": out.name,
                "sha256": manifest["sha256"],
                "before": before.isoformat(),
                "counts": counts,
            },
            at=now,
        )
        session.flush()
        session.close()
    return ArchiveResult(out, months, counts, manifest["sha256"], counts.get("events", 0), per_month)


@dataclass
class RestoreResult:
    months: list[str]
    counts: dict[str, int]


def restore_archive(engine: Engine, source: Path, *, actor: Actor, now: datetime) -> RestoreResult:
    """Load an archive file back (after checking it against its manifest): its months get their
    partitions again, its events and their children rows come back. Refused,
    with nothing changed, when one of its events is stored already."""
    if not source.exists():
        raise ArchiveInvalid(f"{source} does not exist")
    manifest_file = manifest_path(source)
    if not manifest_file.exists():
        raise ArchiveInvalid(f"{source.name} has no manifest beside it ({manifest_file.name})")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    verify_file(source, manifest)
    loaded: dict[str, int] = {}
    with engine.connect() as conn, conn.begin():
        _refuse_unless_partitioned(conn)
        session = Session(bind=conn)
        partitions.ensure_months(session, [date.fromisoformat(m + "-01") for m in manifest["months"]])
        conn.exec_driver_sql("CREATE TEMPORARY TABLE staged_events (LIKE events) ON COMMIT DROP")
        raw: Any = conn.connection.dbapi_connection
        for header, rows in read_sections(source):
            table, cols = header["table"], header["columns"]
            target_table = "staged_events" if table == "events" else table
            names = ", ".join(f'"{c}"' for c in cols)
            with raw.cursor() as cursor, cursor.copy(f"COPY {target_table} ({names}) FROM STDIN") as copy:
                for line in rows:
                    copy.write(line)
            if table == "events":
                clash = conn.execute(
                    text("SELECT count(*) FROM staged_events s JOIN events e ON e.id = s.id")
                ).scalar_one()
                if clash:
                    raise ArchiveRefused(
                        f"{clash} events of {source.name} are stored already: it was restored before"
                    )
                conn.exec_driver_sql("INSERT INTO events SELECT * FROM staged_events")
                conn.exec_driver_sql("TRUNCATE staged_events")
            loaded[table] = loaded.get(table, 0) + len(rows)
        expected = dict(manifest["counts"])
        if {t: loaded.get(t, 0) for t in expected} != expected:
            raise ArchiveInvalid(f"{source.name}: loaded {loaded}, the manifest counts {expected}")
        months = [date.fromisoformat(m + "-01") for m in manifest["months"]]
        for row in session.scalars(
            select(EventArchive).where(
                EventArchive.month.in_(months),
                EventArchive.sha256 == manifest["sha256"],
                EventArchive.restored_at.is_(None),
            )
        ):
            row.restored_at = now
        audit.record(
            session,
            actor,
            "event.archive.restore",
            "event_archive",
            None,
            diff={"file": source.name, "sha256": manifest["sha256"], "counts": expected},
            at=now,
        )
        session.flush()
        session.close()
    return RestoreResult(manifest["months"], expected)
