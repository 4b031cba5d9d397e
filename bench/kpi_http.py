"""Every KPI call through HTTP: p50/p95 of each `/api/v1/events/kpis` and `/api/v1/events/kpis/ranking`
call (city and one town; a day, a month and a year; a department, a major and minor categories, a
department with its largest minor category), and of
every big-screen panel (`/api/v1/screen/...`, city and one town), next to bare SQL baselines on the
same database in the same run (5 runs each: a naive GROUP BY over the year takes seconds).

Usage: PYTHONPATH=src python bench/kpi_http.py --db URL [--year 2023] [--runs 20] [--town 320585100]
       [--today 2023-12-31] [--only SUBSTRING]

The database holds generated events (`citycockpit events generate --events N --year 2023`, then `citycockpit
events rollup` over the year: see docs/performance.md). The app runs in process (TestClient: routing,
authentication, scope, JSON encoding, all of it) on the simulated day `--today` (the time of day running on), so "day"
is today (live from the events), "month" the month so far and "year" the year so far: whole past days
from the rollups, today from the events. The KPI calls present an API token holding `events:kpi`; the
screen panels a kiosk link, as a wall display does. Each call runs once to warm up, then `--runs` times.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from _stats import pct
from fastapi.testclient import TestClient
from screen_api import ENDPOINTS as SCREEN_PANELS  # the screen's panels: one list, bench/screen_api.py's
from sqlalchemy import func, select, text

from citycockpit.app import create_app
from citycockpit.auth.enums import Perm
from citycockpit.auth.tokens import create_token
from citycockpit.config import Settings
from citycockpit.core import keyring
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events.models import Event, EventCategory
from citycockpit.screen import service as screen_service

SECRET = "bench-secret-" + "b" * 40


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--town", default="320585100")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="default: the year's 31 Dec")
    parser.add_argument("--only", default="", help="run only the calls whose name holds this text")
    args = parser.parse_args()
    today = args.today or date(args.year, 12, 31)
    settings = Settings(database_url=args.db, secret_key=SECRET, today=today)
    engine = keyring.attach(make_engine(args.db), keyring.RingSource(settings))
    clock = Clock(today=today)
    now = clock.now()
    actor = SystemActor("bench")
    with session_scope(engine) as s:
        link = screen_service.create_kiosk_link(s, name="bench", secret_key=SECRET, actor=actor, now=now)
        kiosk_path = link.path
        token = create_token(s, name="bench kpi", scopes=[Perm.EVENTS_KPI.value], actor=actor, now=now).secret
        n_events = s.scalar(select(func.count()).select_from(Event))
        year_first = date(args.year, 1, 1)
        volume = (
            select(Event.category_code, func.count().label("n"))
            .where(Event.reported_day >= year_first, Event.reported_day <= today)
            .group_by(Event.category_code)
            .subquery()
        )
        minors = s.execute(
            select(volume.c.category_code, volume.c.n, EventCategory.parent_code)
            .join(EventCategory, EventCategory.code == volume.c.category_code)
            .order_by(volume.c.n.desc())
        ).all()
        major = s.execute(
            select(Event.major_code, func.count())
            .where(Event.reported_day >= year_first)
            .group_by(Event.major_code)
            .order_by(func.count().desc())
            .limit(1)
        ).one()[0]
        dept = s.scalar(
            select(Event.department_id).group_by(Event.department_id).order_by(func.count().desc()).limit(1)
        )
        dept_minor = s.scalar(
            select(Event.category_code)
            .where(Event.department_id == dept, Event.reported_day >= year_first)
            .group_by(Event.category_code)
            .order_by(func.count().desc())
            .limit(1)
        )
    big_minor, big_n, _ = minors[0]
    rare_minor, rare_n, _ = minors[-1]

    app = create_app(settings, engine=engine, clock=clock)
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    wall = TestClient(app)
    wall.get(kiosk_path, follow_redirects=False)

    month_first = today.replace(day=1)
    periods = {
        "day": (today, today),
        "month": (month_first, today),
        "year": (year_first, today),
    }
    calls: dict[str, tuple[TestClient, str]] = {}
    for period, (first, last) in periods.items():
        q = f"from={first}&to={last}"
        calls[f"kpis {period}, city"] = (api, f"/api/v1/events/kpis?{q}")
        calls[f"kpis {period}, town"] = (api, f"/api/v1/events/kpis?{q}&area={args.town}")
    q_year = f"from={year_first}&to={today}"
    q_month = f"from={month_first}&to={today}"
    calls["kpis year, department"] = (api, f"/api/v1/events/kpis?{q_year}&department_id={dept}")
    calls[f"kpis year, major category {major}"] = (api, f"/api/v1/events/kpis?{q_year}&category={major}")
    calls[f"kpis year, minor {big_minor} ({big_n:,} ev)"] = (
        api,
        f"/api/v1/events/kpis?{q_year}&category={big_minor}",
    )
    calls[f"kpis year, minor {rare_minor} ({rare_n:,} ev)"] = (
        api,
        f"/api/v1/events/kpis?{q_year}&category={rare_minor}",
    )
    calls[f"kpis month, minor {big_minor}"] = (api, f"/api/v1/events/kpis?{q_month}&category={big_minor}")
    calls[f"kpis year, town + minor {big_minor}"] = (
        api,
        f"/api/v1/events/kpis?{q_year}&area={args.town}&category={big_minor}",
    )
    calls[f"kpis year, department + minor {dept_minor}"] = (
        api,
        f"/api/v1/events/kpis?{q_year}&department_id={dept}&category={dept_minor}",
    )
    calls[f"kpis month, department + minor {dept_minor}"] = (
        api,
        f"/api/v1/events/kpis?{q_month}&department_id={dept}&category={dept_minor}",
    )
    calls["kpis month, village"] = (api, f"/api/v1/events/kpis?{q_month}&area={args.town}001")
    calls["kpis month, grid"] = (api, f"/api/v1/events/kpis?{q_month}&area={args.town}001001")
    calls["ranking departments, year"] = (api, f"/api/v1/events/kpis/ranking?by=department&{q_year}")
    calls["ranking towns, month"] = (api, f"/api/v1/events/kpis/ranking?by=town&{q_month}")
    for panel in SCREEN_PANELS:
        sep = "&" if "?" in panel else "?"
        calls[f"screen {panel}, city"] = (wall, f"/api/v1/screen/{panel}")
        calls[f"screen {panel}, town"] = (wall, f"/api/v1/screen/{panel}{sep}area={args.town}")

    bare = {
        "bare SQL: count(*) of the year": (
            "SELECT count(*) FROM events WHERE reported_day BETWEEN :a AND :b",
            {"a": year_first, "b": today},
        ),
        "bare SQL: the year GROUP BY category": (
            "SELECT category_code, count(*) FROM events WHERE reported_day BETWEEN :a AND :b "
            "GROUP BY category_code",
            {"a": year_first, "b": today},
        ),
        f"bare SQL: count(*) of {big_minor}'s year": (
            "SELECT count(*) FROM events WHERE category_code = :c AND reported_day BETWEEN :a AND :b",
            {"c": big_minor, "a": year_first, "b": today},
        ),
        "bare SQL: count(*) closed in the year": (
            "SELECT count(*) FROM events WHERE closed_day BETWEEN :a AND :b",
            {"a": year_first, "b": today},
        ),
    }

    print(
        f"{engine.dialect.name}, {n_events:,} events, today {today}, {args.runs} runs each after a warm-up; "
        f"department {dept}, town {args.town}"
    )
    print(f"{'call':46} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, (client, url) in calls.items():
        if args.only not in name:
            continue

        def call(client: TestClient = client, url: str = url) -> None:
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])

        times = timed(call, args.runs)
        print(f"{name:46} {statistics.median(times):8.1f} {pct(times, 0.95):8.1f} {max(times):8.1f}")
    for name, (sql, params) in bare.items():
        if args.only not in name:
            continue
        with engine.connect() as conn:

            def query(conn: Any = conn, sql: str = sql, params: dict[str, Any] = params) -> None:
                conn.execute(text(sql), params).all()

            times = timed(query, min(args.runs, 5))  # a naive GROUP BY of the year takes seconds
        print(f"{name:46} {statistics.median(times):8.1f} {pct(times, 0.95):8.1f} {max(times):8.1f}")


if __name__ == "__main__":
    main()
