"""The demo's themes: the shipped ecology and safety themes loaded with their boards, and two months of
the town safety offices' daily figures delivered as a values file (the file import any office would use)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.clock import Clock
from citycockpit.indicators import service
from citycockpit.org.models import Area

DEMO_THEMES = ("ecology", "safety")
SAFETY_DAYS = 60


def load_demo_themes(session: Session, clock: Clock, actor: Actor) -> dict[str, object]:
    """Load the shipped themes, then feed the safety series per town."""
    now = clock.now()
    panels = 0
    for code in DEMO_THEMES:
        data = resources.files("citycockpit.indicators").joinpath(f"data/themes/{code}.yaml").read_bytes()
        panels += service.load_theme(session, data, f"{code}.yaml", actor=actor, now=now)["panels"]
    towns = list(session.scalars(select(Area.code).where(Area.level == "town").order_by(Area.code)))
    rows = safety_rows(towns, clock.local_today(), clock)
    result = service.import_values_file(
        session,
        tabular.write_csv(["指标", "时间", "地区", "数值"], rows),
        "安全生产日报.csv",
        principal=actor,
        now=now,
        zone=clock.zone,
    )
    return {"theme boards": f"{len(DEMO_THEMES)} themes, {panels} panels", "safety values": result.created}


def safety_rows(towns: list[str], today: date, clock: Clock) -> list[list[object]]:
    """Daily figures of each town's safety office over the last SAFETY_DAYS days, reported at 17:00:
    inspections on working days, the hazards they found, the on-time rectification rate and the major
    hazards still open. One town lags (its rate below 90 %, a major hazard past its deadline), so the
    demo's boards show alarms as a real month would."""
    rng = random.Random(20240930)
    rows: list[list[object]] = []
    for n, town in enumerate(towns):
        lagging = n == 1
        open_major = rng.randint(0, 2)
        for back in range(SAFETY_DAYS, 0, -1):
            day = today - timedelta(days=back)
            at = datetime.combine(day, time(17), clock.zone).strftime("%Y-%m-%d %H:%M")
            working = day.weekday() < 5
            inspections = rng.randint(4, 14) if working else rng.randint(0, 2)
            hazards = sum(rng.random() < 0.35 for _ in range(inspections))
            rate = rng.uniform(84, 91) if lagging else rng.uniform(92, 100)
            if rng.random() < 0.05:
                open_major += 1
            elif open_major and rng.random() < 0.08:
                open_major -= 1
            rows += [
                ["safety_inspections", at, town, inspections],
                ["safety_hazards", at, town, hazards],
                ["safety_rectified_pct", at, town, round(rate, 1)],
                ["safety_major_open", at, town, open_major],
                ["safety_major_overdue", at, town, 1 if lagging and back <= 12 else 0],
            ]
    return rows
