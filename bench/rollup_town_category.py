"""What the per town × category rollup rows cost the rollup job: one month recomputed with the intake's
and the handling histogram's per town × category branches and without them (the units before), twice
each, alternating, so that the shared machine's load falls on both alike. Ends with them, so the
database is left as the rollup job leaves it.

Usage: PYTHONPATH=src python bench/rollup_town_category.py --db URL [--month 2023-06]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from citycockpit.db import make_engine, session_scope
from citycockpit.events.analytics import rollup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--month", default="2023-06")
    args = parser.parse_args()
    engine = make_engine(args.db)
    first = date.fromisoformat(f"{args.month}-01")
    last = rollup.next_month(first) - timedelta(days=1)
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.now(UTC)
    full = (rollup.INTAKE_UNITS, rollup.HANDLING_UNITS)
    without = (
        tuple(u for u in full[0] if not ("town_code" in u and "category_code" in u)),
        tuple(u for u in full[1] if not ("town_code" in u and "category_code" in u)),
    )
    for label, (intake_units, handling_units) in [("without", without), ("with", full)] * 2:
        rollup.INTAKE_UNITS, rollup.HANDLING_UNITS = intake_units, handling_units
        wall, cpu = time.perf_counter(), time.process_time()
        result = rollup.recompute_range(lambda: session_scope(engine), first, last, zone=zone, now=now)
        print(
            f"{label:8} {time.perf_counter() - wall:6.1f} s wall {time.process_time() - cpu:5.1f} s CPU, "
            f"{result.days} days",
            flush=True,
        )


if __name__ == "__main__":
    main()
