"""The reported-day bound of the reads by due instant and closing day (issue 24; docs/domains/events-kpis.md,
"Which months a read … can skip"): each KPI call of `compute_kpis` (a day, the month so far, the year
so far) with the bound and without it, alternating call by call in the same run, the reading of the
months alone, and the time of each statement of a day call (through the driver: planning, locks and
execution, with the app's prepared statements); optionally the rollup of one month both ways.

Usage: PYTHONPATH=src python bench/kpi_prune.py --db URL --today 2024-04-03 [--runs 20]
       [--rollup-month 2024-02]

The database is a partitioned PostgreSQL one with generated events and rollups up to the day before
`--today` (docs/performance.md). `--rollup-month` recomputes that month's rollups twice each way
(idempotent: the rows end as they were).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from _stats import pct  # the bench scripts' one percentile
from sqlalchemy import event
from sqlalchemy.orm import Session

from citycockpit.db import make_engine, session_scope
from citycockpit.events.analytics import kpis
from citycockpit.events.analytics.definitions import reported_months
from citycockpit.events.analytics.rollup import recompute_days
from citycockpit.events.storage.partitions import next_month

ZONE = ZoneInfo("Asia/Shanghai")


def alternate(calls: dict[str, Callable[[], Any]], runs: int) -> dict[str, list[float]]:
    """Each call `runs` times after six warm-ups (the driver prepares a statement from its fifth
    execution on), one of each in turn, so that the machine's load falls on all alike."""
    for fn in calls.values():
        for _ in range(6):
            fn()
    out: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, fn in calls.items():
            t = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--today", type=date.fromisoformat, required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--rollup-month", type=lambda v: date.fromisoformat(f"{v}-01"), default=None, help="YYYY-MM"
    )
    args = parser.parse_args()
    engine = make_engine(args.db)
    today = args.today
    now = datetime.combine(today, clock_time(15), ZONE).astimezone(UTC)
    periods = {
        "day": (today, today),
        "month": (today.replace(day=1), today),
        "year": (today.replace(month=1, day=1), today),
    }
    print(f"today {today}, {args.runs} runs each after a warm-up, bounded and unbounded alternating")
    print(f"{'call':<28}{'unbounded p50':>14}{'p95':>8}{'bounded p50':>13}{'p95':>8}")
    with Session(engine) as session:
        for name, (first, last) in periods.items():
            f = kpis.KpiFilter(first, last)
            times = alternate(
                {
                    prune: (
                        lambda prune=prune, f=f: kpis.compute_kpis(
                            session, f, principal=None, zone=ZONE, now=now, prune=prune
                        )
                    )
                    for prune in (False, True)
                },
                args.runs,
            )
            off, on = times[False], times[True]
            print(
                f"{'kpis ' + name + ', city':<28}{statistics.median(off):>14.1f}{pct(off, 0.95):>8.1f}"
                f"{statistics.median(on):>13.1f}{pct(on, 0.95):>8.1f}"
            )
        probe = alternate({"probe": lambda: reported_months(session, today, today, prune=True)}, args.runs)[
            "probe"
        ]
        print(
            f"{'reading the months (day)':<28}{'':>14}{'':>8}{statistics.median(probe):>13.1f}{pct(probe, 0.95):>8.1f}"
        )

        # each statement of a day call, through the driver
        spent: dict[tuple[bool, str], list[float]] = defaultdict(list)
        started: dict[str, float] = {}
        mode = {"prune": False}

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            started["t"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            key = " ".join(statement.split())[:70]
            spent[(mode["prune"], key)].append((time.perf_counter() - started["t"]) * 1000)

        f = kpis.KpiFilter(today, today)
        for _ in range(args.runs):
            for prune in (False, True):
                mode["prune"] = prune
                kpis.compute_kpis(session, f, principal=None, zone=ZONE, now=now, prune=prune)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        print("\nstatements of one day call, median ms over the runs (unbounded | bounded):")
        keys = sorted(
            {k for _, k in spent},
            key=lambda k: -statistics.median(spent.get((False, k), spent.get((True, k), [0]))),
        )
        total = {False: 0.0, True: 0.0}
        for key in keys:
            cells = []
            for prune in (False, True):
                values = spent.get((prune, key))
                if values:
                    per_call = sum(values) / args.runs
                    total[prune] += per_call
                    cells.append(f"{statistics.median(values):7.2f}")
                else:
                    cells.append(f"{'-':>7}")
            print(f"  {cells[0]} | {cells[1]}  {key}")
        print(f"  {total[False]:7.1f} | {total[True]:7.1f}  all statements of a call")

    if args.rollup_month:
        first = args.rollup_month.replace(day=1)
        last = next_month(first) - timedelta(days=1)
        print(f"\nrollup of {first:%Y-%m} ({(last - first).days + 1} days), one transaction each:")
        for prune in (False, True, False, True):
            t = time.perf_counter()
            with session_scope(engine) as session:
                recompute_days(session, first, last, zone=ZONE, now=now + timedelta(days=400), prune=prune)
            print(f"  {'bounded' if prune else 'unbounded':<10} {time.perf_counter() - t:6.1f} s")


if __name__ == "__main__":
    main()
