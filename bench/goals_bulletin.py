"""Time the goals rules on the demo city: evaluating a month and producing its bulletin.

Usage: PYTHONPATH=src python bench/goals_bulletin.py [--db demo.db] [--period 2024-06] [--runs 5]
Without --db a fresh demo database (today 2024-09-30) is built in a temporary folder first."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from citycockpit import migrate
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.demo.build import DemoContext, build_demo
from citycockpit.goals import bulletin, evaluation
from citycockpit.goals.status import Thresholds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--period", default="2024-06")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    clock = fixed_clock("2024-09-30T10:00:00")
    if args.db is None:
        path = Path(tempfile.mkdtemp()) / "demo.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        started = time.perf_counter()
        build_demo(engine, DemoContext(clock=clock))
        print(f"demo built in {time.perf_counter() - started:.1f} s")
    else:
        engine = make_engine(f"sqlite:///{args.db}")
    evaluate_ms, bulletin_ms = [], []
    for _ in range(args.runs):
        with session_scope(engine) as session:
            t0 = time.perf_counter()
            run = evaluation.refresh(
                session, args.period, today=date(2024, 9, 30), thresholds=Thresholds(), now=clock.now()
            )
            t1 = time.perf_counter()
            b = bulletin.build_bulletin(
                session, None, period=args.period, today=date(2024, 9, 30), city="太仓市"
            )
            bulletin.to_xlsx(b)
            bulletin.to_html(b)
            t2 = time.perf_counter()
        evaluate_ms.append((t1 - t0) * 1000)
        bulletin_ms.append((t2 - t1) * 1000)
    print(f"period {args.period}: {b.total} goals, frozen={run.frozen}")
    print(f"evaluate: median {statistics.median(evaluate_ms):.0f} ms over {args.runs} runs")
    print(f"bulletin (gather + XLSX + HTML): median {statistics.median(bulletin_ms):.0f} ms")


if __name__ == "__main__":
    main()
