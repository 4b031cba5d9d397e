"""CPU per Open311 request in-process, without the network: the intake writer's path (keys, preparation,
inserts, duplicate proposals, audit entries, commit) and the request side (form parsing, checks,
answer), timed apart and optionally profiled with cProfile.

Usage: PYTHONPATH=src python bench/intake_profile.py --db sqlite:///PATH --data-dir DIR
       [--case spread|burst] [--batches 200] [--batch-size 20] [--profile N]

Batches are written by the app's own `IntakeWriter._write`, in this thread, with the bodies the load
bench sends (`bench/events_intake.py`); every request must be accepted. "writer CPU" is this process's
CPU time over the batches divided by the requests (the server's work behind the writer thread); the
request side is timed over the same bodies through `open311._request_input` and the answer's render."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from events_intake import _bodies, prepare  # noqa: E402

from citycockpit.app import create_app  # noqa: E402
from citycockpit.config import Settings  # noqa: E402
from citycockpit.events.intake import open311  # noqa: E402
from citycockpit.events.intake.writer import Accepted, Job, writer_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--data-dir", default="var/bench-intake")
    parser.add_argument("--case", choices=["spread", "burst"], default="spread")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=20, help="batches written before timing")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cProfile)")
    args = parser.parse_args()
    key = prepare(args.db, args.data_dir)
    settings = Settings(
        database_url=args.db,
        data_dir=Path(args.data_dir),
        today="2024-09-30",
        rate_limit_public_per_minute=100_000_000,
        rate_limit_api_key_per_minute=100_000_000,
    )
    app = create_app(settings)
    writer = writer_of(app)
    bodies = _bodies(key, n=(args.batches + args.warmup) * args.batch_size, case=args.case)
    forms = [dict(reversed(parse_qsl(b.decode(), keep_blank_values=True))) for b in bodies]
    loop = asyncio.new_event_loop()

    def write(start: int) -> None:
        jobs = []
        for form in forms[start : start + args.batch_size]:
            api_key, data = open311._request_input(form)
            jobs.append(Job(api_key, data, "127.0.0.1", loop, loop.create_future()))
        writer._write(jobs)
        loop.run_until_complete(asyncio.sleep(0))  # deliver the outcomes
        bad = [j.future.result() for j in jobs if not isinstance(j.future.result(), Accepted)]
        if bad:
            raise SystemExit(f"refused: {bad[0]!r}")

    position = 0
    for _ in range(args.warmup):
        write(position)
        position += args.batch_size
    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for _ in range(args.batches):
        write(position)
        position += args.batch_size
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = args.batches * args.batch_size
    # the request side alone: parse, check, build the answer (what the event loop does per request)
    side = time.process_time()
    for body in bodies[:n]:
        form = dict(reversed(parse_qsl(body.decode(), keep_blank_values=True)))
        open311._request_input(form)
        open311.render(
            "json", "service_requests", [{"service_request_id": "E2409300000000000", "account_id": None}], 201
        )
    side = time.process_time() - side
    print(
        f"{args.case}: {n} requests in batches of {args.batch_size}: writer (incl. parse) CPU "
        f"{cpu / n * 1000:.3f} ms/request, wall {wall / n * 1000:.3f} ms/request; request side "
        f"{side / n * 1000:.3f} ms/request; load average {os.getloadavg()[0]:.2f}"
    )
    app.state.engine.dispose()
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
