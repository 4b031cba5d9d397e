"""Generated request traffic for the surge tests and the browser screenshots: events written straight
into the events table (thousands of them, far faster than through intake), with a seeded generator."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from citycockpit.events import categories as cats
from citycockpit.events.models import Event
from tests.events.conftest import TESTER

TZ = ZoneInfo("Asia/Shanghai")
TOWN_A, GRID_A = "320585100", "320585100001001"
TOWN_B, GRID_B = "320585101", "320585101001001"
WATER, PARKING = "H0201", "H0501"  # 停水停电, 停车难

SURGE_CATEGORIES = """
categories:
- {code: H02, name: 公用事业, kind: hotline}
- {code: H0201, name: 停水停电, kind: hotline, parent_code: H02, department: CGJ, clock_kind: work_hours,
   sign_limit: 0.5, handle_limit: 8, verify_limit: 2, onsite_verification: false, keywords: "停水,停电"}
- {code: H05, name: 交通出行, kind: hotline}
- {code: H0501, name: 停车难, kind: hotline, parent_code: H05, department: CGJ, clock_kind: work_days,
   sign_limit: 1, handle_limit: 5, verify_limit: 1, onsite_verification: false, keywords: "停车"}
"""


def import_surge_categories(db: Session, now: datetime) -> None:
    cats.import_categories(db, SURGE_CATEGORIES.encode(), "surge.yaml", actor=TESTER, now=now)


_serial = iter(range(1, 10_000_000))


def add_requests(db: Session, times: list[datetime], *, category: str, town: str, grid: str) -> list[str]:
    """One hotline request per instant, about `category` in `town`; returns their public ids."""
    if not times:
        return []
    rows: list[dict[str, Any]] = []
    for at in times:
        n = next(_serial)
        rows.append(
            {
                "public_id": f"S{n:09d}",
                "version": 1,
                "channel": "hotline",
                "title": "小区停水" if category == WATER else "停车难",
                "description": "来电反映",
                "state": "reported",
                "reported_at": at,
                "reported_day": at.astimezone(TZ).date(),
                "updated_at": at,
                "category_code": category,
                "major_code": category[:3],
                "category_kind": "hotline",
                "town_code": town,
                "village_code": grid[:12],
                "grid_code": grid,
            }
        )
    db.execute(insert(Event), rows)
    db.flush()
    return [r["public_id"] for r in rows]


def steady(start: datetime, end: datetime, per_hour: float) -> list[datetime]:
    """Evenly spaced requests at `per_hour` from start (exclusive) to end."""
    step = timedelta(hours=1 / per_hour)
    out, at = [], start + step
    while at <= end:
        out.append(at)
        at += step
    return out


def normal_weeks(
    rng: np.random.Generator, end: datetime, weeks: int, base_per_hour: float, monday_peak: float = 1.0
) -> list[datetime]:
    """Poisson traffic hour by hour over `weeks` weeks up to `end`: a daily curve (quiet at night, busy
    by day) and, on Monday mornings 08:00-11:00, `monday_peak` times the usual (the weekly rhythm a
    same-weekday baseline expects and an everyday baseline would not)."""
    out: list[datetime] = []
    hour = (end - timedelta(weeks=weeks)).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        local = hour.astimezone(TZ)
        rate = base_per_hour * (1.0 if 7 <= local.hour < 21 else 0.2)
        if local.weekday() == 0 and 8 <= local.hour < 11:
            rate *= monday_peak
        for secs in sorted(rng.uniform(0, 3600, size=rng.poisson(rate))):
            at = hour + timedelta(seconds=float(secs))
            if at <= end:
                out.append(at)
        hour += timedelta(hours=1)
    return out
