"""What one index of `events` costs each insert on SQLite: the same rows written with and without it.

Usage: python bench/events_index_cost.py --source PATH.db --index ix_events_town_day
       [--index …] [--prefill 100000] [--rows 30000] [--batch 30] [--runs 3]

`--source` is a generated database (`citycockpit events generate`, docs/domains/events-indexes.md)
whose `events` schema has the indexes named. Each run builds two fresh files in a temporary folder
with that schema (the table and all its indexes; the second without the named ones), filled with the
first `--prefill` events of the source (untimed, once); each run copies them and inserts the next
`--rows` in transactions of `--batch` rows (the intake writer's batches), and prints the process's
user and system CPU time per row of those inserts and commits, and the index bytes per event
(`dbstat`). The two variants alternate within each run, so a change of the machine's load touches both. Plain sqlite3, no SQLAlchemy: the figure is
SQLite's own cost of the B-tree entries, the part of the writer's CPU an index decides."""

from __future__ import annotations

import argparse
import resource
import shutil
import sqlite3
import tempfile
from pathlib import Path


def build(path: Path, source: str, drop: list[str], prefill: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
    schema = [
        (name, sql)
        for name, sql in conn.execute(
            "SELECT name, sql FROM src.sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL "
            "AND type IN ('table', 'index') ORDER BY type = 'index', name"
        )
    ]
    for name, sql in schema:
        if name not in drop:
            conn.execute(sql)
    conn.execute("BEGIN")
    conn.execute(f"INSERT INTO main.events SELECT * FROM src.events WHERE id <= {prefill}")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return conn


def timed_inserts(conn: sqlite3.Connection, first: int, rows: int, batch: int) -> tuple[float, float]:
    """(user, system) CPU seconds per row for inserting events first+1 … first+rows, `batch` rows a
    transaction."""
    columns = [r[1] for r in conn.execute("PRAGMA src.table_info(events)")]
    data = conn.execute(
        f"SELECT * FROM src.events WHERE id > {first} AND id <= {first + rows} ORDER BY id"
    ).fetchall()
    sql = f"INSERT INTO main.events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    before = resource.getrusage(resource.RUSAGE_SELF)
    for i in range(0, len(data), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, data[i : i + batch])
        conn.execute("COMMIT")
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime - before.ru_utime) / len(data), (after.ru_stime - before.ru_stime) / len(data)


def index_bytes(conn: sqlite3.Connection) -> int:
    return int(
        conn.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN "
            "(SELECT name FROM main.sqlite_master WHERE type = 'index' AND tbl_name = 'events')"
        ).fetchone()[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True, help="a generated SQLite database")
    parser.add_argument("--index", action="append", required=True, help="an index to leave out")
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--batch", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    variants: dict[str, list[str]] = {"with": [], "without": args.index}
    with tempfile.TemporaryDirectory() as tmp:
        bases = {}
        for label, drop in variants.items():
            bases[label] = Path(tmp) / f"{label}.db"
            build(bases[label], args.source, drop, args.prefill).close()
        for run in range(1, args.runs + 1):
            for label in ("with", "without") if run % 2 else ("without", "with"):
                path = Path(tmp) / "run.db"
                shutil.copyfile(bases[label], path)
                conn = sqlite3.connect(path, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("ATTACH DATABASE ? AS src", (f"file:{args.source}?mode=ro",))
                n_index = conn.execute(
                    "SELECT count(*) FROM main.sqlite_master WHERE type = 'index' AND tbl_name = 'events'"
                ).fetchone()[0]
                user, system = timed_inserts(conn, args.prefill, args.rows, args.batch)
                total = args.prefill + args.rows
                load = Path("/proc/loadavg").read_text().split()[0]
                print(  # noqa: T201
                    f"run {run} {label:7} {n_index} indexes: {user * 1e6:5.1f} µs user + {system * 1e6:5.1f} µs "
                    f"system CPU a row, index bytes {index_bytes(conn) / total:4.0f} an event (load {load})"
                )
                conn.close()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
