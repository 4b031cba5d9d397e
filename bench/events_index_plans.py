"""Which index of `events` each real statement uses, and what it would use without it (issue 24;
the table it produced: docs/domains/events-indexes.md).

1. Record the statements: run suites on SQLite with this module as a pytest plugin. Every statement
   reading `events` (SELECT, UPDATE, DELETE, INSERT … SELECT) is appended to OUT with its parameters
   and its last call sites in src/:

       IDXCAP_OUT=/tmp/statements.jsonl PYTHONPATH=src:bench python -m pytest tests/events tests/screen \\
           -p events_index_plans -k "not postgresql" -q -p no:cacheprovider

2. Plan them on a generated database (docs/domains/events-indexes.md gives the commands):

       python bench/events_index_plans.py --db PATH.db --statements /tmp/statements.jsonl [--without]

   prints, per index of `events`, the call sites whose statements use it, then the statements that
   read the whole table; with `--without`, for each index, the plan of its statements with the index
   dropped (in a transaction that is rolled back: the file is left as it was)."""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sqlite3
import traceback
from typing import Any

READS_EVENTS = re.compile(r"\b(FROM|JOIN|UPDATE)\s+events\b", re.I)
PLAN_EVENTS = re.compile(r"\b(SCAN|SEARCH) events\b")


# -- 1. the pytest plugin ------------------------------------------------------------------------


def _call_sites() -> list[str]:
    return [
        f"{f.filename.split('/src/')[-1]}:{f.lineno}:{f.name}"
        for f in traceback.extract_stack()
        if "/src/citycockpit/" in f.filename and not f.filename.endswith("/db.py")
    ][-3:]


def pytest_configure(config: Any) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    out = os.environ.get("IDXCAP_OUT", "statements.jsonl")
    seen: set[tuple[str, tuple[str, ...]]] = set()

    @event.listens_for(Engine, "before_cursor_execute")
    def _record(conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if conn.dialect.name != "sqlite" or not READS_EVENTS.search(statement):
            return
        head = statement.lstrip().upper()
        if head.startswith(("CREATE", "DROP", "ALTER", "PRAGMA")) or (
            head.startswith("INSERT") and "SELECT" not in head
        ):
            return
        sites = tuple(_call_sites())
        if (statement, sites) in seen:
            return
        seen.add((statement, sites))
        params = parameters[0] if many and parameters else parameters
        values = [p if isinstance(p, (int, float, str, type(None))) else str(p) for p in params or ()]
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"sql": statement, "params": values, "sites": list(sites)}) + "\n")


# -- 2. the planner ---------------------------------------------------------------------------------


def _events_plan(conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[str]:
    try:
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    except sqlite3.Error as exc:  # a statement on a temporary table of its test, say
        return [f"ERROR {exc}"]
    return [str(r[3]) for r in rows if PLAN_EVENTS.search(str(r[3]))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a generated SQLite database (a file path)")
    parser.add_argument("--statements", required=True)
    parser.add_argument("--without", action="store_true", help="re-plan each index's statements without it")
    args = parser.parse_args()
    conn = sqlite3.connect(args.db, isolation_level=None)
    statements: dict[str, dict[str, Any]] = collections.OrderedDict()
    with open(args.statements, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            entry = statements.setdefault(row["sql"], {"params": row["params"], "sites": set()})
            entry["sites"].add(row["sites"][-1] if row["sites"] else "(a test's own statement)")
    plans = {sql: _events_plan(conn, sql, s["params"]) for sql, s in statements.items()}
    names = [
        str(n)
        for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'"
        )
    ]
    print(f"{len(statements)} statements")  # noqa: T201
    users: dict[str, list[str]] = {}
    for name in names:
        users[name] = [sql for sql, plan in plans.items() if any(f"INDEX {name} " in f"{x} " for x in plan)]
        sites = sorted({site for sql in users[name] for site in statements[sql]["sites"]})
        print(f"\n{name}: {len(users[name])} statements from {', '.join(sites) or 'nowhere'}")  # noqa: T201
    scans = [sql for sql, plan in plans.items() if any(re.fullmatch(r"SCAN events", x) for x in plan)]
    print(f"\nwhole-table scans: {len(scans)}")  # noqa: T201
    for sql in scans:
        print(f"  {sorted(statements[sql]['sites'])[0]}: {' '.join(sql.split())[:160]}")  # noqa: T201
    if not args.without:
        return
    for name in names:
        if name.startswith("sqlite_autoindex"):
            continue
        conn.execute("BEGIN")
        conn.execute(f'DROP INDEX "{name}"')
        fallback: collections.Counter[tuple[str, str, str]] = collections.Counter()
        for sql in users[name]:
            after = _events_plan(conn, sql, statements[sql]["params"])
            site = sorted(statements[sql]["sites"])[0]
            fallback[(site, "; ".join(plans[sql]), "; ".join(after))] += 1
        conn.execute("ROLLBACK")
        print(f"\n=== without {name}")  # noqa: T201
        for (site, before, after), n in sorted(fallback.items()):
            print(f"  {n}× {site}\n     with:    {before[:200]}\n     without: {after[:200]}")  # noqa: T201


if __name__ == "__main__":
    main()
