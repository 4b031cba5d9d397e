"""Screen map: payload size and time of /api/v1/screen/map for a village of N generated grids (default
3,000, each with a surveyed-looking boundary of ~120 points), at every detail level, against the
unsimplified baseline (detail 3: the stored geometry as it is) in the same run. The first call at a
level computes the display shapes (cold); later calls find them kept per change stamp (warm).

All the grids hang under one area (a stress case: no real village has 3,000 grids, a city-wide layer
of grids does), so one call draws them all.

Usage: PYTHONPATH=src python bench/screen_map.py [--grids 3000] [--runs 5] [--db URL]
(without --db: a fresh SQLite file in a temporary folder)"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from citycockpit import migrate
from citycockpit.app import create_app
from citycockpit.config import Settings
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.db import make_engine, session_scope
from citycockpit.org.models import Area
from citycockpit.screen import service

SECRET = "bench-secret-" + "b" * 40
VILLAGE = "320585100001"


def grid_ring(x0: float, y0: float, size: float, rng: random.Random, per_side: int = 30) -> list[list[float]]:
    """A square cell whose sides bend and wander, as a surveyed boundary does (4 × per_side points); the
    bends are the same on both cells of a shared side only by chance, so cells overlap a little: the
    bench measures drawing, not topology."""
    corners = [(x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size)]
    ring = []
    for i in range(4):
        (ax, ay), (bx, by) = corners[i], corners[(i + 1) % 4]
        for k in range(per_side):
            t = k / per_side
            # a street's or a river's bends (≈ 15 m) and the survey's jitter (≈ 1 m)
            wobble = 0 if k == 0 else 1.5e-4 * math.sin(3 * math.pi * t) + rng.uniform(-1e-5, 1e-5)
            ring.append([round(ax + (bx - ax) * t + wobble, 7), round(ay + (by - ay) * t + wobble, 7)])
    return [*ring, ring[0]]


def build(url: str, grids: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime(2024, 9, 30, tzinfo=UTC)
    rng = random.Random(7)
    side = math.ceil(math.sqrt(grids))
    size = 0.002  # ≈ 200 m
    with session_scope(engine) as s:
        ids = {}
        for code, name, level, parent in (
            ("320585", "太仓市", "city", None),
            ("320585100", "城厢镇", "town", "320585"),
            (VILLAGE, "东门社区", "village", "320585100"),
        ):
            area = Area(code=code, name=name, level=level, parent_id=ids.get(parent), updated_at=now)
            s.add(area)
            s.flush()
            ids[code] = area.id
        rows = []
        for n in range(grids):
            x0, y0 = 121.0 + (n % side) * size, 31.4 + (n // side) * size
            geometry = {"type": "Polygon", "coordinates": [grid_ring(x0, y0, size, rng)]}
            rows.append(
                {
                    # 15-digit grid codes; more than a village's 999 spill into the next village's codes
                    "code": f"{VILLAGE[:9]}{n // 999 + 1:03d}{n % 999 + 1:03d}",
                    "name": f"第{n + 1}网格",
                    "level": "grid",
                    "parent_id": ids[VILLAGE],
                    "centroid_lat": y0 + size / 2,
                    "centroid_lon": x0 + size / 2,
                    "geometry_geojson": json.dumps(geometry, separators=(",", ":")),
                    "updated_at": now,
                }
            )
        s.execute(insert(Area), rows)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grids", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        t0 = time.perf_counter()
        build(url, args.grids)
        print(f"built {args.grids} grids in {time.perf_counter() - t0:.1f} s")
        engine = make_engine(url)
        clock = Clock(today=date(2024, 9, 30))
        with session_scope(engine) as session:
            link = service.create_kiosk_link(
                session, name="bench", secret_key=SECRET, actor=SystemActor("bench"), now=clock.now()
            )
        settings = Settings(database_url=url, secret_key=SECRET, today=clock.today)
        client = TestClient(create_app(settings, engine=engine, clock=clock))
        client.get(link.path, follow_redirects=False)
        client.get("/api/v1/screen/overview")  # the app's first request is not the map's cost
        print(
            f"{'detail':>8} {'features':>9} {'points':>9} {'payload KB':>11} {'cold ms':>9} {'warm p50 ms':>12}"
        )
        for detail in (3, 0, 1, 2):
            url_map = f"/api/v1/screen/map?area={VILLAGE}&detail={detail}"
            t = time.perf_counter()
            r = client.get(url_map)
            cold = (time.perf_counter() - t) * 1000
            assert r.status_code == 200, r.text
            warm = []
            for _ in range(args.runs):
                t = time.perf_counter()
                client.get(url_map)
                warm.append((time.perf_counter() - t) * 1000)
            features = r.json()["geojson"]["features"]
            points = sum(len(ring) for f in features for ring in f["geometry"]["coordinates"])
            label = f"{detail} (exact)" if detail == 3 else str(detail)
            print(
                f"{label:>8} {len(features):>9} {points:>9} {len(r.content) / 1024:>11.0f} {cold:>9.0f} "
                f"{statistics.median(warm):>12.0f}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
