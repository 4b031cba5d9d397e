"""KPI and ranking queries on a large events table: p50/p95 of our function next to the bare SQL it runs.

Usage: PYTHONPATH=src python bench/events_kpi.py --db URL [--year 2023] [--runs 20]
(the database holds generated events: `citycockpit events generate --events N --year 2023`, which also
fills the rollups). "bare SQL" replays the exact statements our function sent, straight on the DB-API
cursor, so the difference is our Python overhead (planning, merging, shaping the answer)."""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from zoneinfo import ZoneInfo

from _stats import pct
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, reader
from citycockpit.events.analytics import kpis
from citycockpit.events.models import Event

TZ = ZoneInfo("Asia/Shanghai")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    engine = reader(make_engine(args.db))
    now = fixed_clock("2024-09-30T10:00:00").now()
    y = args.year
    with Session(engine) as s:
        n_events = s.scalar(select(func.count()).select_from(Event))
        dept = s.scalar(
            select(Event.department_id).group_by(Event.department_id).order_by(func.count().desc()).limit(1)
        )
    cases = {
        "kpis month (rollups)": lambda s: kpis.compute_kpis(
            s, kpis.KpiFilter(date(y, 9, 1), date(y, 9, 30)), principal=None, zone=TZ, now=now
        ),
        "kpis year (rollups)": lambda s: kpis.compute_kpis(
            s, kpis.KpiFilter(date(y, 1, 1), date(y, 12, 31)), principal=None, zone=TZ, now=now
        ),
        "kpis year, one town (rollups)": lambda s: kpis.compute_kpis(
            s,
            kpis.KpiFilter(date(y, 1, 1), date(y, 12, 31), area="320585100"),
            principal=None,
            zone=TZ,
            now=now,
        ),
        "kpis year, one department (rollups)": lambda s: kpis.compute_kpis(
            s,
            kpis.KpiFilter(date(y, 1, 1), date(y, 12, 31), department_id=dept),
            principal=None,
            zone=TZ,
            now=now,
        ),
        "kpis month, one minor category": lambda s: kpis.compute_kpis(
            s,
            kpis.KpiFilter(date(y, 7, 1), date(y, 7, 31), category="E0403"),
            principal=None,
            zone=TZ,
            now=now,
        ),
        "kpis year, one minor category": lambda s: kpis.compute_kpis(
            s,
            kpis.KpiFilter(date(y, 1, 1), date(y, 12, 31), category="E0403"),
            principal=None,
            zone=TZ,
            now=now,
        ),
        "kpis month, one village": lambda s: kpis.compute_kpis(
            s,
            kpis.KpiFilter(date(y, 7, 1), date(y, 7, 31), area="320585100001"),
            principal=None,
            zone=TZ,
            now=now,
        ),
        "kpis month, one grid": lambda s: kpis.compute_kpis(
            s,
            kpis.KpiFilter(date(y, 7, 1), date(y, 7, 31), area="320585100001001"),
            principal=None,
            zone=TZ,
            now=now,
        ),
        "kpis month, no rollups (raw)": lambda s: kpis.compute_kpis(
            s,
            kpis.KpiFilter(date(y, 9, 1), date(y, 9, 30)),
            principal=None,
            zone=TZ,
            now=now,
            use_rollups=False,
        ),
        "ranking departments, year": lambda s: kpis.rank_units(
            s,
            kpis.KpiFilter(date(y, 1, 1), date(y, 12, 31)),
            by="department",
            min_volume=30,
            principal=None,
            zone=TZ,
            now=now,
        ),
        "ranking towns, month": lambda s: kpis.rank_units(
            s,
            kpis.KpiFilter(date(y, 9, 1), date(y, 9, 30)),
            by="town",
            min_volume=30,
            principal=None,
            zone=TZ,
            now=now,
        ),
    }
    print(f"{engine.dialect.name}, {n_events:,} events, {args.runs} runs each")
    print(f"{'query':42} {'p50 ms':>8} {'p95 ms':>8} {'bare SQL p50':>13} {'p95':>8} {'stmts':>6}")
    for name, fn in cases.items():
        statements: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany, statements=statements):  # type: ignore[no-untyped-def]
            statements.append((statement, parameters))

        ours, bare = [], []
        for run in range(args.runs + 1):
            statements.clear()
            event.listen(engine.engine, "before_cursor_execute", capture)
            with Session(engine) as s:
                t = time.perf_counter()
                fn(s)
                elapsed = time.perf_counter() - t
            event.remove(engine.engine, "before_cursor_execute", capture)
            replay = list(statements)
            with engine.connect() as conn:
                cursor = conn.connection.dbapi_connection.cursor()
                t = time.perf_counter()
                for statement, parameters in replay:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                bare_elapsed = time.perf_counter() - t
                cursor.close()
            if run:  # the first run warms caches
                ours.append(elapsed * 1000)
                bare.append(bare_elapsed * 1000)
        print(
            f"{name:42} {statistics.median(ours):8.1f} {pct(ours, 0.95):8.1f} "
            f"{statistics.median(bare):13.1f} {pct(bare, 0.95):8.1f} {len(replay):6d}"
        )


if __name__ == "__main__":
    main()
