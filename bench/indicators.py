"""Import time of a year of hourly air-quality data for 20 stations (six pollutants: ~1.05 M values) on
SQLite through the indicators' file import, one CSV per station as a monitoring platform exports them,
next to a bare `sqlite3.executemany` of the same rows into a table of the same shape (unique index
included) in the same run; then the time of the daily air-quality recomputation over the year.

Usage: PYTHONPATH=src python bench/indicators.py [--stations 20] [--days 365] [--dir DIR]

Each run builds a fresh SQLite file in DIR (a temporary folder by default), migrated to head."""

from __future__ import annotations

import argparse
import io
import math
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from citycockpit import migrate
from citycockpit.core.actors import SystemActor
from citycockpit.db import make_engine, session_scope
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.indicators import service
from citycockpit.indicators.air import air_quality_job
from citycockpit.indicators.models import Station

ZONE = ZoneInfo("Asia/Shanghai")
ACTOR = SystemActor("bench")
LEVELS = {"pm25": 35.0, "pm10": 60.0, "so2": 8.0, "no2": 30.0, "co": 0.7, "o3": 90.0}
START = datetime(2024, 1, 1, tzinfo=ZONE)


def station_csv(code: str, days: int, rng: random.Random) -> tuple[bytes, list[tuple[str, str, float]]]:
    """One station's year as CSV (series, time, station, value) and the same rows as tuples."""
    out = io.StringIO()
    out.write("series,time,station,value\n")
    rows = []
    for hour in range(days * 24):
        at = START + timedelta(hours=hour)
        season = 1.0 + 0.5 * math.cos(2 * math.pi * at.timetuple().tm_yday / 365)  # winter is worse
        stamp = at.isoformat(timespec="minutes")
        for series, level in LEVELS.items():
            value = round(level * season * rng.uniform(0.5, 1.5), 1 if series != "co" else 2)
            out.write(f"{series},{stamp},{code},{value}\n")
            rows.append((series, stamp, value))
    return out.getvalue().encode(), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="cc-bench-indicators-"))
    rng = random.Random(23)
    files = [(f"TC{i:02d}", *station_csv(f"TC{i:02d}", args.days, rng)) for i in range(1, args.stations + 1)]
    total = sum(len(rows) for _, _, rows in files)

    engine = make_engine(f"sqlite:///{folder / 'indicators.db'}")
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for code, _, _ in files:
            session.add(Station(code=code, name=f"{code}站", level="national", updated_at=now))
        for series in LEVELS:
            service.create_feed(
                session,
                code=series,
                name=series,
                pollutant=series,
                min_value=0,
                max_value=3000,
                actor=ACTOR,
                now=now,
            )
    started = time.perf_counter()
    for code, data, _ in files:
        with session_scope(engine) as session:
            service.import_values_file(session, data, f"{code}.csv", principal=ACTOR, now=now, zone=ZONE)
    ours = time.perf_counter() - started

    baseline_db = sqlite3.connect(folder / "baseline.db")
    baseline_db.execute("PRAGMA journal_mode=WAL")
    baseline_db.execute(
        "CREATE TABLE v (id INTEGER PRIMARY KEY, feed_id INTEGER, place_code TEXT, observed_at TEXT, "
        "value REAL, batch_id INTEGER, UNIQUE (feed_id, place_code, observed_at))"
    )
    feed_ids = {s: i for i, s in enumerate(LEVELS, start=1)}
    started = time.perf_counter()
    for batch, (code, _, rows) in enumerate(files, start=1):
        baseline_db.executemany(
            "INSERT INTO v (feed_id, place_code, observed_at, value, batch_id) VALUES (?, ?, ?, ?, ?)",
            ((feed_ids[s], code, t, v, batch) for s, t, v in rows),
        )
        baseline_db.commit()
    bare = time.perf_counter() - started

    started = time.perf_counter()
    with session_scope(engine) as session:
        result = air_quality_job(session, now=now, calendar=DEFAULT_CALENDAR)
    daily = time.perf_counter() - started

    print(f"values: {total:,} ({args.stations} stations × {args.days} days × 24 h × {len(LEVELS)} series)")  # noqa: T201
    print(
        f"indicators file import (checked, idempotent, provenance): {ours:.1f} s, {total / ours:,.0f} values/s"
    )  # noqa: T201
    print(
        f"bare sqlite3 executemany of the same rows:                 {bare:.1f} s, {total / bare:,.0f} values/s"
    )  # noqa: T201
    print(f"daily air quality for the year ({result.touched:,} station-days and city days): {daily:.1f} s")  # noqa: T201


if __name__ == "__main__":
    main()
