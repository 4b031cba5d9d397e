"""Theme board API: latency of `GET /api/v1/screen/boards/ecology` (the whole ecology board in one answer)
with a year of hourly air data for 20 stations, at the city level and for one town, through the real app
(TestClient) as a kiosk link; next to a bare SQL query of the same database (the calendar's day rows of
the city, read with the driver alone), so the figure can be read against what the database itself costs.

Usage: PYTHONPATH=src python bench/theme_board.py [--db URL] [--stations 20] [--days 366] [--runs 50]

Without --db a fresh SQLite file is built in a temporary folder; --db must name an empty database (it is
migrated to head). The data goes in through the real paths: the demo city's areas by the org import, the
ecology theme by load-theme, one CSV of hourly values per station by the file import, then the daily
air-quality job."""

from __future__ import annotations

import argparse
import io
import math
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from citycockpit import migrate
from citycockpit.app import create_app
from citycockpit.config import Settings
from citycockpit.core import keyring
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.indicators import service
from citycockpit.indicators.air import air_quality_job
from citycockpit.indicators.models import Station
from citycockpit.org import service as org
from citycockpit.org.models import Area
from citycockpit.screen import service as screen

ZONE = ZoneInfo("Asia/Shanghai")
ACTOR = SystemActor("bench")
SECRET = "bench-secret-" + "b" * 40
LEVELS = {"pm25": 35.0, "pm10": 60.0, "so2": 8.0, "no2": 30.0, "co": 0.7, "o3": 90.0}
TODAY = date(2024, 12, 31)


def station_csv(code: str, days: int, rng: random.Random) -> bytes:
    out = io.StringIO()
    out.write("series,time,station,value\n")
    start = datetime(TODAY.year, 1, 1, tzinfo=ZONE)
    for hour in range(1, days * 24 + 1):
        at = start + timedelta(hours=hour)
        season = 1.0 + 0.5 * math.cos(2 * math.pi * at.timetuple().tm_yday / 365)  # winter is worse
        stamp = at.isoformat(timespec="minutes")
        for series, level in LEVELS.items():
            value = round(level * season * rng.uniform(0.5, 1.6), 1 if series != "co" else 2)
            out.write(f"{series},{stamp},{code},{value}\n")
    return out.getvalue().encode()


def build(engine, *, stations: int, days: int) -> str:  # type: ignore[no-untyped-def]
    """The city, the theme, the stations and their year; returns a town that has stations."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    with session_scope(engine) as session:
        data = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
        org.import_org(session, data, "taicang-org.yaml", actor=ACTOR, now=now)
        theme = resources.files("citycockpit.indicators").joinpath("data/themes/ecology.yaml").read_bytes()
        service.load_theme(session, theme, "ecology.yaml", actor=ACTOR, now=now)
        towns = session.execute(
            select(Area.code, Area.centroid_lon, Area.centroid_lat)
            .where(Area.level == "town")
            .order_by(Area.code)
        ).all()
        for i in range(stations):
            town = towns[i % len(towns)]
            session.add(
                Station(
                    code=f"TC{i + 1:02d}",
                    name=f"监测站{i + 1}",
                    level="national",
                    lon=(town.centroid_lon or 121.1) + 0.01 * (i // len(towns)),
                    lat=town.centroid_lat or 31.5,
                    area_code=town.code,
                    updated_at=now,
                )
            )
    rng = random.Random(23)
    for i in range(stations):
        code = f"TC{i + 1:02d}"
        with session_scope(engine) as session:
            service.import_values_file(
                session, station_csv(code, days, rng), f"{code}.csv", principal=ACTOR, now=now, zone=ZONE
            )
    with session_scope(engine) as session:
        air_quality_job(session, now=now, calendar=DEFAULT_CALENDAR)
    print(
        f"built {stations} stations × {days} days × 24 h × {len(LEVELS)} series in {time.perf_counter() - started:.0f} s"
    )  # noqa: T201
    return str(towns[0].code)


def timed(call, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None)
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--days", type=int, default=366)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='cc-bench-board-')) / 'board.db'}"
    keys = Path(tempfile.mkdtemp(prefix="cc-bench-keys-")) / "audit.keys"
    keys.write_text(keyring.new_key_line() + "\n")
    engine = keyring.attach(make_engine(url), keyring.parse_key_file(keys))
    migrate.upgrade(engine)
    town = build(engine, stations=args.stations, days=args.days)
    clock = Clock(today=TODAY)
    with session_scope(engine) as session:
        city_link = screen.create_kiosk_link(
            session, name="bench", secret_key=SECRET, actor=ACTOR, now=clock.now()
        )
        town_link = screen.create_kiosk_link(
            session, name="bench-town", area_code=town, secret_key=SECRET, actor=ACTOR, now=clock.now()
        )
    settings = Settings(database_url=url, secret_key=SECRET, today=TODAY)
    app = create_app(settings, engine=engine, clock=clock)
    print(f"{'what':52} {'p50 ms':>8} {'p95 ms':>8}")  # noqa: T201
    for name, link in (("city", city_link), (f"town {town}", town_link)):
        client = TestClient(app)
        client.get(link.path, follow_redirects=False)

        def board(client: TestClient = client) -> None:
            r = client.get("/api/v1/screen/boards/ecology")
            assert r.status_code == 200, r.text[:300]
            assert all(p["data"] is not None for p in r.json()["panels"] if p["type"] != "alerts")

        board()  # warm: the map's shapes are computed once per change of the areas
        p50, p95 = timed(board, args.runs)
        print(f"{'GET /api/v1/screen/boards/ecology, ' + name:52} {p50:8.1f} {p95:8.1f}")  # noqa: T201
    bare = text("SELECT day, aqi FROM air_quality_days WHERE place_code = '' AND day >= :a AND day <= :b")
    with engine.connect() as conn:

        def query() -> None:
            conn.execute(bare, {"a": date(TODAY.year, 1, 1), "b": TODAY}).all()

        p50, p95 = timed(query, args.runs)
    print(f"{'bare SQL: the city year of air_quality_days':52} {p50:8.1f} {p95:8.1f}")  # noqa: T201


if __name__ == "__main__":
    main()
