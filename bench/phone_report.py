"""A grid worker's report on a phone, timed step by step: a real `citycockpit serve` on a demo city and
Debian's Chromium as a 390×844 touch phone with its position granted, going from the workbench home
through 上报, a photo, a few words, the suggested category and 上报 (no coordinate typed), N times.
Prints each step's median and worst time and the whole report's.

    PYTHONPATH=src python bench/phone_report.py [--db sqlite:///path/demo.db] [--runs 5]

Without --db it builds the demo city (`citycockpit demo --no-serve`, a few minutes) in a temporary
folder. A grid worker `bench_grid` (娄东社区第1网格) is added when missing."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SECRET, Demo, Watch, sign_in  # noqa: E402
from tests.browser.journeys import Steps, phone_context, report_in_a_few_taps  # noqa: E402
from tests.ops.servers import start_server  # noqa: E402

USER = "bench_grid"
GRID = "320585001001001"  # 娄东社区第1网格


def _grid_worker(url: str) -> int:
    from sqlalchemy import select

    from citycockpit.auth import service as users
    from citycockpit.auth.models import User
    from citycockpit.core.actors import SystemActor
    from citycockpit.core.clock import utcnow
    from citycockpit.db import make_engine, session_scope

    engine = make_engine(url)
    with session_scope(engine) as session:
        found = session.scalar(select(User.id).where(User.username == USER))
        if found is None:
            found = users.create_user(
                session,
                username=USER,
                display_name=USER,
                password="Bench-phone-2024!",
                role="grid_worker",
                area_code=GRID,
                actor=SystemActor("bench"),
                now=utcnow(),
                must_change_password=False,
            ).id
    engine.dispose()
    return int(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="a demo database URL; empty: build one")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="phone-bench-"))
    url = args.db
    if not url:
        db = tmp / "demo.db"
        subprocess.run(
            [sys.executable, "-m", "citycockpit", "demo", "--no-serve", "--db", str(db)],
            check=True,
            capture_output=True,
            env={**os.environ, "CITYCOCKPIT_DATA_DIR": str(tmp / "var")},
        )
        url = f"sqlite:///{db}"
    people = {USER: _grid_worker(url)}
    server = start_server(url, tmp, extra_env={"CITYCOCKPIT_SECRET_KEY": SECRET})
    demo = Demo(server, url, "", "", people)
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.runs):
                watch = Watch()
                ctx = phone_context(browser, watch)
                sign_in(ctx, demo, USER)
                steps = Steps()
                report_in_a_few_taps(ctx.new_page(), demo.url, steps)
                for step, secs in steps.rows:
                    times[step].append(secs)
                totals.append(steps.total)
                ctx.close()
                if watch.console_errors or watch.outside_requests:
                    raise SystemExit(f"page errors: {watch.console_errors} {watch.outside_requests}")
            browser.close()
    finally:
        server.stop()
    print(f"{args.runs} reports, seconds per step (median / worst):")
    for i, (step, secs) in enumerate(times.items()):
        print(f"  {i + 1}. {step}: {statistics.median(secs):.2f} / {max(secs):.2f}")
    print(
        f"  the whole report: {statistics.median(totals):.2f} / {max(totals):.2f} in {len(times)} steps "
        "(5 taps, one sentence typed, no coordinate)"
    )


if __name__ == "__main__":
    main()
