"""Surge detection's count (events/surges/service.py `count_windows`) on a large events table: p50/p95
of one detection's SQL, the rows it reads, and the query plan (it should range-scan
ix_events_surge_count once per window, so its cost follows the windows' traffic, not the table's size).

Usage: PYTHONPATH=src python bench/surges.py --db URL [--generate N] [--runs 20]
With --generate, the database is migrated and given the demo organisation, the shipped categories and
N events of 2024 from the demo generator first (an empty SQLite file or PostgreSQL database)."""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from _stats import pct
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from citycockpit import migrate
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events import categories
from citycockpit.events.models import Event
from citycockpit.events.surges import service
from citycockpit.events.surges.rule import SurgeRule

TZ = ZoneInfo("Asia/Shanghai")
ACTOR = SystemActor("bench")


def generate(engine, n: int, now) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.demo.generate import generate_events
    from citycockpit.org import service as org

    migrate.upgrade(engine)
    org_file = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
    with session_scope(engine) as s:
        org.import_org(s, org_file, "taicang-org.yaml", actor=ACTOR, now=now)
        categories.import_categories(
            s, categories.shipped_categories_file(), "categories.yaml", actor=ACTOR, now=now
        )
    started = time.perf_counter()
    generate_events(engine, n=n, year=2024, now=now, zone=TZ, actor=ACTOR, seed=7)
    print(f"generated {n:,} events in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--generate", type=int, default=0)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    engine = make_engine(args.db)
    now = fixed_clock("2024-09-30T10:00:00").now()
    if args.generate:
        generate(engine, args.generate, now)
    rule = SurgeRule()
    with Session(engine) as s:
        total = s.scalar(select(func.count()).select_from(Event))
        in_windows = sum(
            s.scalar(
                select(func.count()).where(
                    Event.reported_at > now - timedelta(weeks=k, hours=rule.window_hours),
                    Event.reported_at <= now - timedelta(weeks=k),
                )
            )
            or 0
            for k in range(rule.baseline_weeks + 1)
        )
        # a detection at each of `runs` instants through the day, so no run repeats the last's pages
        seconds = []
        for i in range(args.runs):
            at = now - timedelta(minutes=37 * i)
            t0 = time.perf_counter()
            service.find_surges(s, now=at, rule=rule)
            seconds.append(time.perf_counter() - t0)
        captured: list[str] = []
        from sqlalchemy import event as sa_event

        def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            captured.append(statement)

        sa_event.listen(engine, "before_cursor_execute", grab)
        service.count_windows(s, now=now, rule=rule)
        sa_event.remove(engine, "before_cursor_execute", grab)
        stmt = captured[-1]
        dialect = engine.dialect.name
        plan_rows = []
        if dialect == "sqlite":
            q = select(Event.id).where(Event.reported_at > now - timedelta(hours=2), Event.reported_at <= now)
            plan_rows = [
                str(r[-1])
                for r in s.execute(
                    text("EXPLAIN QUERY PLAN " + str(q.compile(compile_kwargs={"literal_binds": True})))
                )
            ]
        else:
            q = select(func.count()).where(
                Event.reported_at > now - timedelta(hours=2),
                Event.reported_at <= now,
                Event.is_test.is_(False),
            )
            plan_rows = [
                str(r[0])
                for r in s.execute(
                    text(
                        "EXPLAIN "
                        + str(q.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
                    )
                )
            ]
    print(
        f"backend: {dialect}; events: {total:,}; events in the {rule.baseline_weeks + 1} windows: {in_windows:,}"
    )
    print(
        f"find_surges (count_windows SQL + rule), {args.runs} runs: "
        f"p50 {statistics.median(seconds) * 1000:.1f} ms, p95 {pct(seconds, 0.95) * 1000:.1f} ms"
    )
    print("one window's plan:", " | ".join(plan_rows))
    print(f"statement: {len(stmt)} characters, {stmt.count('UNION ALL') + 1} range scans")


if __name__ == "__main__":
    main()
