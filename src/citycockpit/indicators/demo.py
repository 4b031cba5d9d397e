"""Demo monitoring data: six stations around Taicang and two years of synthetic air quality, delivered
through the real path (stations import, theme files, value deliveries, the worker's air-quality job).

The figures are made up but shaped like a Yangtze-delta county's: PM2.5 high in winter (45–70 μg/m³ in
January and December) and low in summer (15–20), an annual mean near 26 in 2023 and about 8% lower this
year; ozone's 8-h maximum peaking in May and June; a few pollution episodes in winter. Days up to a
week before today come as daily figures (series of `resolution` day: one value a station a day); the
last week comes hourly, so the hourly panels are alive. Deterministic (seeded).

The safety theme's board is fed with two months of the town safety offices' daily figures, delivered as
a values file (the file import any office would use)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.clock import Clock
from citycockpit.core.tabular import Row
from citycockpit.indicators import service
from citycockpit.indicators.air import air_quality_job
from citycockpit.org.models import Area

FIRST_DAY = date(2022, 10, 1)  # two years of days before the demo's today (2024-09-30)
HOURLY_DAYS = 7  # the last week comes hourly
# code, name, level, lat, lon, area: three national control points, one provincial, two town stations
STATIONS = [
    ("TC-GK01", "太仓监测站", "国控", 31.455, 121.105, "320585100"),
    ("TC-GK02", "科教新城", "国控", 31.432, 121.152, "320585001"),
    ("TC-GK03", "港区", "国控", 31.598, 121.205, "320585103"),
    ("TC-SK01", "陆渡", "省控", 31.521, 121.176, "320585002"),
    ("TC-ZK01", "沙溪镇", "镇控", 31.553, 121.058, "320585101"),
    ("TC-ZK02", "浏河镇", "镇控", 31.505, 121.268, "320585102"),
]
STATION_FACTOR = {
    "TC-GK01": 1.0,
    "TC-GK02": 0.94,
    "TC-GK03": 1.1,
    "TC-SK01": 1.04,
    "TC-ZK01": 0.97,
    "TC-ZK02": 1.02,
}
# Monthly PM2.5 relative to the annual mean (winter high, summer low), and the annual means.
PM25_SHAPE = (1.75, 1.45, 1.05, 0.85, 0.78, 0.64, 0.6, 0.62, 0.66, 0.8, 1.1, 1.65)
PM25_MEAN = {2022: 26.0, 2023: 25.0, 2024: 23.2}
# Ozone's daily maximum 8-h mean by month, μg/m³ (photochemistry peaks in early summer).
O3_MONTH = (62, 78, 102, 128, 150, 148, 126, 124, 120, 100, 76, 60)
DAILY_SERIES = {  # daily series' code → the pollutant it carries
    "pm25_24h": "pm25",
    "pm10_24h": "pm10",
    "so2_24h": "so2",
    "no2_24h": "no2",
    "co_24h": "co",
    "o3_8h": "o3",
}
HOURLY_SERIES = {"pm25": "pm25", "pm10": "pm10", "so2": "so2", "no2": "no2", "co": "co", "o3": "o3"}


def _stations_csv() -> bytes:
    lines = ["站点代码,站点名称,级别,纬度,经度,所属地区"]
    lines += [",".join(str(x) for x in s) for s in STATIONS]
    return ("\n".join(lines) + "\n").encode("utf-8")


def city_days(last: date, *, seed: int = 2039) -> Iterator[tuple[date, dict[str, float]]]:
    """The city's synthetic daily figures from FIRST_DAY to `last`: PM2.5 follows the month's shape with
    persistent (AR(1)) log-normal weather noise and a few winter episodes; the others follow PM2.5 or
    the season."""
    rng = random.Random(seed)
    noise = 0.0
    episode = 0
    day = FIRST_DAY
    while day <= last:
        m = day.month - 1
        noise = 0.5 * noise + rng.gauss(0, 0.22)
        if episode == 0 and day.month in (1, 2, 11, 12) and rng.random() < 0.045:
            episode = rng.randint(2, 4)  # a stagnant spell: a few days of haze
        boost = 1.9 + rng.random() * 0.9 if episode else 1.0
        episode = max(0, episode - 1)
        mean = PM25_MEAN.get(day.year, PM25_MEAN[2024])
        pm25 = mean * PM25_SHAPE[m] * math.exp(noise - 0.05) * boost
        o3 = O3_MONTH[m] * math.exp(rng.gauss(0, 0.21)) * (0.98 if day.year >= 2024 else 1.0)
        no2 = (24 + 14 * (PM25_SHAPE[m] - 0.55)) * math.exp(rng.gauss(0, 0.2))
        yield (
            day,
            {
                "pm25": pm25,
                "pm10": pm25 * 1.55 + 9 * math.exp(rng.gauss(0, 0.2)),
                "so2": 7 * math.exp(rng.gauss(0, 0.25)),
                "no2": no2,
                "co": 0.55 + 0.01 * pm25,
                "o3": o3,
            },
        )
        day += timedelta(days=1)


def _station_value(pollutant: str, city: float, factor: float, rng: random.Random) -> float:
    spread = factor if pollutant in ("pm25", "pm10", "no2") else 1 + (factor - 1) / 3
    value = city * spread * math.exp(rng.gauss(0, 0.06))
    return round(value, 2 if pollutant == "co" else 1)


def _daily_rows(last: date, rng: random.Random) -> Iterator[service.RawValue]:
    n = 0
    for day, figures in city_days(last):
        stamp = day.isoformat()
        for code, _name, *_rest in STATIONS:
            factor = STATION_FACTOR[code]
            for series, pollutant in DAILY_SERIES.items():
                n += 1
                value = _station_value(pollutant, figures[pollutant], factor, rng)
                yield service.RawValue(Row("空气质量日报", n, {}), series, stamp, code, value)


# Hour-of-day shapes (hour ending 1…24): PM2.5 and NO2 peak in the morning and evening rush, ozone in
# the afternoon.
def _hour_shape(pollutant: str, hour: int) -> float:
    if pollutant == "o3":
        return 0.45 + 0.75 * max(0.0, math.sin(math.pi * (hour - 7) / 13)) if 7 <= hour <= 20 else 0.4
    if pollutant in ("pm25", "pm10", "no2", "co"):
        return 1 + 0.18 * math.cos(2 * math.pi * (hour - 8) / 12)
    return 1.0


def _hourly_rows(first: date, until: datetime, rng: random.Random, zone: Any) -> Iterator[service.RawValue]:
    n = 0
    figures_by_day = dict(city_days(until.date()))
    day = first
    while day <= until.date():
        figures = figures_by_day[day]
        midnight = datetime.combine(day, time(0), zone)
        for hour in range(1, 25):
            stamp = midnight + timedelta(hours=hour)
            if stamp > until:
                break
            for code, _name, *_rest in STATIONS:
                factor = STATION_FACTOR[code]
                for series, pollutant in HOURLY_SERIES.items():
                    n += 1
                    base = figures[pollutant] * (1.35 if pollutant == "o3" else 1.0)  # 8-h max → hourly
                    value = _station_value(pollutant, base * _hour_shape(pollutant, hour), factor, rng)
                    yield service.RawValue(Row("小时数据", n, {}), series, stamp.isoformat(), code, value)
        day += timedelta(days=1)


def build_demo_air(session: Session, clock: Clock, actor: Actor) -> dict[str, int]:
    """Stations, the ecology themes (hourly and daily series), two years of values and the air quality
    of every day, through the services the CLI and API use."""
    now = clock.now()
    today = clock.local_today()
    for theme in ("ecology", "ecology-daily"):
        data = resources.files("citycockpit.indicators").joinpath(f"data/themes/{theme}.yaml").read_bytes()
        service.load_theme(session, data, f"{theme}.yaml", actor=actor, now=now)
    service.import_stations(session, _stations_csv(), "监测站点.csv", actor=actor, now=now)
    rng = random.Random(30)
    hourly_from = today - timedelta(days=HOURLY_DAYS - 1)
    daily = service.ingest_values(
        session,
        _daily_rows(hourly_from - timedelta(days=1), rng),
        source="file",
        reference="空气质量日报.csv",
        principal=actor,
        now=now,
        zone=clock.zone,
        what="daily air quality",
    )
    hourly = service.ingest_values(
        session,
        _hourly_rows(hourly_from, clock.local_now(), rng, clock.zone),
        source="push",
        reference=None,
        principal=actor,
        now=now,
        zone=clock.zone,
        what="hourly air quality",
    )
    days = air_quality_job(session, now=now, calendar=clock)  # the job reads the calendar's zone only
    return {
        "stations": len(STATIONS),
        "values": daily.created + hourly.created,
        "air quality days": days.touched,
    }


DEMO_THEMES = ("safety",)  # ecology (with its board) comes with the air data, build_demo_air
SAFETY_DAYS = 60


def load_demo_themes(session: Session, clock: Clock, actor: Actor) -> dict[str, object]:
    """Load the safety theme with its board, then feed its series per town."""
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
    return {"safety board panels": panels, "safety values": result.created}


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
