"""Builders for indicator tests: stations around Taicang, the six air pollutant series, deliveries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.core.tabular import Row
from citycockpit.indicators import service
from citycockpit.indicators.models import Feed, Station

ACTOR = SystemActor("test")
ZONE = ZoneInfo("Asia/Shanghai")
POLLUTANTS = {  # code: (name, unit, pollutant, physical range)
    "pm25": ("细颗粒物", "μg/m³", "pm25", (0, 1000)),
    "pm10": ("可吸入颗粒物", "μg/m³", "pm10", (0, 2000)),
    "so2": ("二氧化硫", "μg/m³", "so2", (0, 3000)),
    "no2": ("二氧化氮", "μg/m³", "no2", (0, 2000)),
    "co": ("一氧化碳", "mg/m³", "co", (0, 100)),
    "o3": ("臭氧", "μg/m³", "o3", (0, 1500)),
}


def make_station(
    db: Session, code: str = "TC01", *, now: datetime, area: str | None = "320585100"
) -> Station:
    station = Station(
        code=code,
        name=f"{code}监测站",
        level="national",
        lat=31.45,
        lon=121.1,
        area_code=area,
        updated_at=now,
    )
    db.add(station)
    db.flush()
    return station


def make_feed(db: Session, code: str = "pm25", *, now: datetime, **kw: Any) -> Feed:
    if code in POLLUTANTS and not kw:
        name, unit, pollutant, (low, high) = POLLUTANTS[code]
        kw = {
            "name": name,
            "unit": unit,
            "pollutant": pollutant,
            "min_value": low,
            "max_value": high,
            "theme": "ecology",
        }
    kw.setdefault("name", code)
    return service.create_feed(db, code=code, actor=ACTOR, now=now, **kw)


def deliver(
    db: Session,
    values: Iterable[tuple[str, str, str, Any]],
    *,
    now: datetime,
    source: str = "push",
    actor: Any = ACTOR,
) -> service.BatchResult:
    """Store (series, time, place, value) tuples as one delivery."""
    items = (
        service.RawValue(Row("test", n, {}), s, t, p, v) for n, (s, t, p, v) in enumerate(values, start=1)
    )
    return service.ingest_values(
        db, items, source=source, reference="test", principal=actor, now=now, zone=ZONE
    )
