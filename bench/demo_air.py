"""Time the demo's air-quality step (six stations, two years of daily figures, the last week hourly,
every day's air quality) and the air goals' figures it feeds (the monthly totals in SQL and the forecast).

Usage: PYTHONPATH=src python bench/demo_air.py [--runs 5]
Builds the demo's first steps (organisation, report, boundaries, projects, accounts) into a temporary
SQLite file, then times the air step (wall and CPU: on a busy machine the CPU figure is the steadier)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from citycockpit import migrate
from citycockpit import models as _all_models  # noqa: F401  (every table mapped)
from citycockpit.core.cliutil import engine_for, load_settings
from citycockpit.core.clock import fixed_clock
from citycockpit.db import session_scope
from citycockpit.demo.build import STEPS, DemoContext
from citycockpit.goals import airforecast, airgoals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    clock = fixed_clock("2024-09-30T10:00:00")
    settings = load_settings(f"sqlite:///{Path(tempfile.mkdtemp()) / 'demo.db'}")
    engine = engine_for(settings, schema="create")  # as `citycockpit demo` builds it (audit key ring)
    migrate.upgrade(engine)
    ctx = DemoContext(clock=clock)
    steps = dict(STEPS)
    for _title, step in STEPS:
        if step is steps["monitoring stations and two years of daily air quality"]:
            break
        with session_scope(engine) as session:
            step(session, ctx)
    wall, cpu = time.perf_counter(), time.process_time()
    with session_scope(engine) as session:
        steps["monitoring stations and two years of daily air quality"](session, ctx)
    print(
        f"air step: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU "
        f"({ctx.summary['monitoring values']} values, {ctx.summary['monitoring air quality days']} days)"
    )
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        with session_scope(engine, read_only=True) as session:
            facts = airgoals.read_air_facts(session, 2024, today=date(2024, 9, 30))
            fc = airforecast.forecast_pm25_mean(facts.this_year, facts.past, through=date(2024, 9, 29))
        timings.append((time.perf_counter() - started) * 1000)
    assert fc is not None
    print(
        f"monthly totals + PM2.5 forecast: median {statistics.median(timings):.1f} ms over {args.runs} runs "
        f"(to date {fc.to_date:.1f}, forecast {fc.value:.1f}, {fc.method})"
    )


if __name__ == "__main__":
    main()
