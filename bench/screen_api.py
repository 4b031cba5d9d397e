"""Screen API: latency of every big-screen endpoint (median and worst of N calls), city level and one
town, through the real app (TestClient) as a kiosk link.

Usage: PYTHONPATH=src python bench/screen_api.py --db URL [--runs 20] [--town 320585100] [--today 2024-09-30]
(`--today`: the day the screen shows; e.g. 2023-09-30 for a database generated with `--year 2023`)"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from fastapi.testclient import TestClient

from citycockpit.app import create_app
from citycockpit.config import Settings
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.db import make_engine, session_scope
from citycockpit.screen import service

ENDPOINTS = [
    "overview",
    "targets",
    "economy",
    "events/counters",
    "events/breakdown",
    "map",
    "map?metric=overdue",
    "alerts",
    "projects",
    "goals",
]
SECRET = "bench-secret-" + "b" * 40


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--town", default="320585100")
    parser.add_argument("--today", type=date.fromisoformat, default=date(2024, 9, 30))
    args = parser.parse_args()
    engine = make_engine(args.db)
    clock = Clock(today=args.today)
    with session_scope(engine) as session:
        link = service.create_kiosk_link(
            session, name="bench", secret_key=SECRET, actor=SystemActor("bench"), now=clock.now()
        )
        path = link.path
    settings = Settings(database_url=args.db, secret_key=SECRET, today=args.today)
    client = TestClient(create_app(settings, engine=engine, clock=clock))
    client.get(path, follow_redirects=False)
    print(f"{'endpoint':28} {'city p50 ms':>12} {'city max':>9} {'town p50 ms':>12} {'town max':>9}")
    for endpoint in ENDPOINTS:
        row = []
        for area in (None, args.town):
            sep = "&" if "?" in endpoint else "?"
            url = f"/api/v1/screen/{endpoint}" + (f"{sep}area={area}" if area else "")
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                r = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (url, r.text[:200])
            row += [statistics.median(times), max(times)]
        print(f"{endpoint:28} {row[0]:12.1f} {row[1]:9.1f} {row[2]:12.1f} {row[3]:9.1f}")


if __name__ == "__main__":
    main()
