"""A town's readers of `events` with and without an index (issue 24): the KPIs of a town (today, a
month, a quarter, a town's category for a month; read from the events, no rollups) and the surge
link's select as it was (town and category compared bare) and as it is (through coalesce()).

Usage: PYTHONPATH=src python bench/events_index_readers.py --db sqlite:///PATH.db [--index ix_events_town_day]

PATH is a generated database (docs/domains/events-indexes.md) with `CITYCOCKPIT_TODAY=2024-12-31`;
"now" is 2024-12-31 12:00 in Shanghai. With `--index` (an index the database has), every reader is
timed (best of 3, ms) as the database is, then with the index dropped inside a transaction that is
rolled back at the end, so the file is left as it was."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from citycockpit.db import make_engine
from citycockpit.events.analytics.kpis import KpiFilter, compute_kpis

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 12, 31, 12, 0, tzinfo=ZONE)
TOWN, OTHER_TOWN, CATEGORY = "320585100", "320585001", "H0202"
KPIS = [
    ("kpis, a town, today", KpiFilter(date(2024, 12, 31), date(2024, 12, 31), area=TOWN)),
    ("kpis, a town, December", KpiFilter(date(2024, 12, 1), date(2024, 12, 31), area=TOWN)),
    ("kpis, a town, Q4", KpiFilter(date(2024, 10, 1), date(2024, 12, 31), area=OTHER_TOWN)),
    (
        "kpis, a town's category, December",
        KpiFilter(date(2024, 12, 1), date(2024, 12, 31), area=OTHER_TOWN, category=CATEGORY),
    ),
]
# The surge link's select (events/surges/service.py `_link_events`) for a 4-hour window, both ways.
LINK = (
    "SELECT id FROM events WHERE reported_at > '2024-12-31 00:00:00.000000' "
    "AND reported_at <= '2024-12-31 04:00:00.000000' AND is_test = 0 AND category_code IS NOT NULL "
    "AND town_code IS NOT NULL AND {category} = '" + CATEGORY + "' AND {town} = '" + OTHER_TOWN + "'"
)
LINKS = [
    ("surge link, town and category bare", LINK.format(category="category_code", town="town_code")),
    (
        "surge link, through coalesce()",
        LINK.format(category="coalesce(category_code, '')", town="coalesce(town_code, '')"),
    ),
]


def best_ms(fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def time_all(conn: Connection) -> dict[str, float]:
    out = {}
    with Session(conn) as session:
        for name, f in KPIS:
            out[name] = best_ms(
                lambda f=f: compute_kpis(session, f, principal=None, zone=ZONE, now=NOW, use_rollups=False)
            )
    for name, sql in LINKS:
        out[name] = best_ms(lambda sql=sql: conn.exec_driver_sql(sql).all())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--index", default=None, help="an index to time the readers without")
    args = parser.parse_args()
    engine = make_engine(args.db)
    with engine.connect() as conn:
        before = time_all(conn)
        after = None
        if args.index:
            conn.execute(text(f'DROP INDEX "{args.index}"'))
            after = time_all(conn)
        conn.rollback()
    for name, ms in before.items():
        tail = f" → {after[name]:8.2f} ms without {args.index}" if after else ""
        print(f"{name:36} {ms:8.2f} ms{tail}")  # noqa: T201


if __name__ == "__main__":
    main()
