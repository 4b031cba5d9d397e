"""Screen API: latency of every big-screen endpoint (median and worst of N calls), city level and one
town, through the real app (TestClient) as a kiosk link, and of a whole refresh (the ten panels one
after another, as one wall's poll asks for them), after one warm-up round.

Usage: PYTHONPATH=src python bench/screen_api.py --db URL [--runs 20] [--town 320585100] [--today 2024-09-30]
(`--today`: the day the screen shows; e.g. 2023-09-30 for a database generated with `--year 2023`)"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from _stats import pct
from fastapi.testclient import TestClient

from citycockpit.app import create_app
from citycockpit.config import Settings
from citycockpit.core import keyring
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
    settings = Settings(database_url=args.db, secret_key=SECRET, today=args.today)
    engine = keyring.attach(make_engine(args.db), keyring.RingSource(settings))  # the kiosk link is audited
    clock = Clock(today=args.today)
    with session_scope(engine) as session:
        link = service.create_kiosk_link(
            session, name="bench", secret_key=SECRET, actor=SystemActor("bench"), now=clock.now()
        )
        path = link.path
    client = TestClient(create_app(settings, engine=engine, clock=clock))
    client.get(path, follow_redirects=False)
    times: dict[tuple[str, str | None], list[float]] = {
        (e, a): [] for e in ENDPOINTS for a in (None, args.town)
    }
    refresh: dict[str | None, list[float]] = {None: [], args.town: []}
    for run in range(args.runs + 1):  # run 0 warms up
        for area in (None, args.town):
            total = 0.0
            for endpoint in ENDPOINTS:
                sep = "&" if "?" in endpoint else "?"
                url = f"/api/v1/screen/{endpoint}" + (f"{sep}area={area}" if area else "")
                t0 = time.perf_counter()
                r = client.get(url)
                ms = (time.perf_counter() - t0) * 1000
                assert r.status_code == 200, (url, r.text[:200])
                total += ms
                if run:
                    times[endpoint, area].append(ms)
            if run:
                refresh[area].append(total)
    print(f"{'endpoint':28} {'city p50':>9} {'p95':>7} {'max':>7} {'town p50':>9} {'p95':>7} {'max':>7}")
    for endpoint in [*ENDPOINTS, "whole refresh (10 panels)"]:
        cells = []
        for area in (None, args.town):
            values = refresh[area] if endpoint.startswith("whole") else times[endpoint, area]
            cells += [statistics.median(values), pct(values, 0.95), max(values)]
        print(
            f"{endpoint:28} {cells[0]:9.1f} {cells[1]:7.1f} {cells[2]:7.1f} {cells[3]:9.1f} {cells[4]:7.1f} {cells[5]:7.1f}"
        )


if __name__ == "__main__":
    main()
