"""The synthetic city's make-up: its profile (what its people report and how often: text pools, category
and calendar weights, the departments that keep their cases), read from data/synthetic-city.yaml; its
categories, departments and grids, read from the database; and the weights and text pools that
generate.py draws every event from. Another city edits the data file, not the code."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import numpy as np
import yaml
from sqlalchemy import select

from citycockpit.core.errors import Unprocessable
from citycockpit.events.models import EventCategory
from citycockpit.org.models import Area, Department


@dataclass(frozen=True)
class BuiltinCategory:
    """A minor category to generate when none has been imported yet."""

    code: str
    name: str
    kind: str
    department: str | None
    clock_kind: str
    handle_limit: float
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class CityProfile:
    address_prefix: str
    builtin_categories: tuple[BuiltinCategory, ...]
    name_weights: dict[str, float]
    kind_weights: dict[str, float]
    specialised_departments: frozenset[str]
    hour_weights: np.ndarray  # 24 local hours
    weekday_factors: np.ndarray  # Monday first
    roads: tuple[str, ...]
    landmarks: tuple[str, ...]
    durations: tuple[str, ...]
    asks: tuple[str, ...]
    channel_prefixes: dict[str, tuple[str, ...]]
    templates: tuple[str, ...]
    hotline_templates: tuple[str, ...]
    surnames: str


@functools.cache
def city_profile() -> CityProfile:
    """The profile in data/synthetic-city.yaml, read once per process."""
    text = (
        resources.files("citycockpit.demo").joinpath("data/synthetic-city.yaml").read_text(encoding="utf-8")
    )
    raw = yaml.safe_load(text)
    return CityProfile(
        address_prefix=raw["address_prefix"],
        builtin_categories=tuple(
            BuiltinCategory(
                c["code"],
                c["name"],
                c["kind"],
                c["department"],
                c["clock_kind"],
                c["handle_limit"],
                tuple(c["keywords"]),
            )
            for c in raw["builtin_categories"]
        ),
        name_weights=dict(raw["name_weights"]),
        kind_weights=dict(raw["kind_weights"]),
        specialised_departments=frozenset(raw["specialised_departments"]),
        hour_weights=np.array(raw["hour_weights"], dtype=float),
        weekday_factors=np.array(raw["weekday_factors"], dtype=float),
        roads=tuple(raw["roads"]),
        landmarks=tuple(raw["landmarks"]),
        durations=tuple(raw["durations"]),
        asks=tuple(raw["asks"]),
        channel_prefixes={channel: tuple(p) for channel, p in raw["channel_prefixes"].items()},
        templates=tuple(raw["templates"]),
        hotline_templates=tuple(raw["hotline_templates"]),
        surnames=raw["surnames"],
    )


@dataclass(frozen=True)
class GenCategory:
    """A minor category as the generator uses it: limits in its clock's unit, keywords for the texts."""

    code: str
    name: str
    major: str
    kind: str
    department: str | None
    clock_kind: str
    sign_limit: float
    handle_limit: float
    verify_limit: float
    keywords: tuple[str, ...]


@dataclass
class Reference:
    """What the generator needs from the database: categories, departments by code and by town, grids."""

    cats: list[GenCategory]
    dept_ids: dict[str, int]
    town_depts: dict[str, int]
    grids: list[tuple[str, float, float]]  # code, lat, lon
    grid_weights: np.ndarray


def load_reference(session: Any, county_code: str, profile: CityProfile) -> Reference:
    """The active minor categories (else the profile's built-in ones), the departments and the county's
    grids, weighted so that the urban streets are denser than the rural towns."""
    rows = session.scalars(
        select(EventCategory).where(EventCategory.level != "major", EventCategory.is_active.is_(True))
    ).all()
    if rows:
        cats = [
            GenCategory(
                code=c.code,
                name=c.name,
                major=c.parent_code or c.code[:3],
                kind=c.kind,
                department=c.default_department_code,
                clock_kind=c.clock_kind or "work_hours",
                sign_limit=float(
                    c.sign_limit or (1 if c.clock_kind in ("work_hours", "urgent_hours") else 0.5)
                ),
                handle_limit=float(c.handle_limit or 8),
                verify_limit=float(c.verify_limit or 2),
                keywords=tuple(k for k in (c.keywords or c.name).replace("，", ",").split(",") if k)
                or (c.name,),
            )
            for c in rows
        ]
    else:
        cats = [
            GenCategory(
                c.code,
                c.name,
                c.code[:3],
                c.kind,
                c.department,
                c.clock_kind,
                1.0 if "hours" in c.clock_kind else 0.5,
                c.handle_limit,
                2.0 if "hours" in c.clock_kind else 1.0,
                c.keywords,
            )
            for c in profile.builtin_categories
        ]
    depts = session.execute(select(Department.code, Department.id, Department.area_code)).all()
    dept_ids = {code: did for code, did, _ in depts}
    town_depts = {area: did for _, did, area in depts if area and len(area) == 9}
    grids_rows = session.execute(
        select(Area.code, Area.centroid_lat, Area.centroid_lon)
        .where(Area.level == "grid", Area.code.startswith(county_code))
        .order_by(Area.code)
    ).all()
    if not grids_rows:
        raise Unprocessable(
            "The area tree has no grids: import the organisation first (citycockpit org import)"
        )
    grids = [(code, lat or 31.45, lon or 121.13) for code, lat, lon in grids_rows]
    # Towns weighted: the two urban streets (codes 00x) are denser than the rural towns.
    per_town: dict[str, int] = {}
    for code, _, _ in grids:
        per_town[code[:9]] = per_town.get(code[:9], 0) + 1
    weights = np.array(
        [(2.2 if code[6:9].startswith("00") else 1.0) / math.sqrt(per_town[code[:9]]) for code, _, _ in grids]
    )
    return Reference(cats, dept_ids, town_depts, grids, weights / weights.sum())


def day_weights(days: list[date], rng: np.random.Generator, profile: CityProfile) -> np.ndarray:
    import chinese_calendar

    w = np.empty(len(days))
    for i, d in enumerate(days):
        f = profile.weekday_factors[d.weekday()]
        f *= 1.15 if d.month in (6, 7, 8) else (0.95 if d.month in (12, 1, 2) else 1.0)
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
        except NotImplementedError:
            on_holiday, name = d.weekday() >= 5, None
        if name == chinese_calendar.Holiday.spring_festival.value:
            f *= 0.45
        elif on_holiday and name:
            f *= 0.7
        w[i] = f
    return w * rng.lognormal(0.0, 0.08, size=len(days))


def category_weights(
    cats: list[GenCategory], days: list[date], rng: np.random.Generator, profile: CityProfile
) -> np.ndarray:
    """Per day × category weights, with seasonal peaks."""
    base = np.array(
        [profile.kind_weights.get(c.kind, 1.0) * profile.name_weights.get(c.name, 1.0) for c in cats]
    )
    months = np.array([d.month for d in days])
    w = np.tile(base, (len(days), 1))
    summer = np.isin(months, (6, 7, 8, 9))
    winter = np.isin(months, (12, 1, 2))
    storm_days = (
        set(
            rng.choice(
                np.flatnonzero(np.isin(months, (6, 7, 8))), size=min(9, int(summer.sum())), replace=False
            ).tolist()
        )
        if summer.any()
        else set()
    )
    for j, c in enumerate(cats):
        n = c.name
        if "积水" in n or "雨水" in n or "倒伏" in n or "井盖缺失" in n:
            w[summer, j] *= 2.5
            for s in storm_days:
                w[s, j] *= 30 if "积水" in n else 8
        if "噪声" in n or "扰民" in n or "烧烤" in n or "油烟" in n:
            w[summer, j] *= 1.7
        if "管道破裂" in n or "停水" in n:
            w[winter, j] *= 2.0
        if "工资" in n:
            w[np.isin(months, (12, 1)), j] *= 3.0
        if "焚烧" in n:
            w[np.isin(months, (10, 11)), j] *= 3.0
    return w / w.sum(axis=1, keepdims=True)


POOL = 256


def text_pools(
    cats: list[GenCategory], rng: np.random.Generator, profile: CityProfile
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per category POOL varied (title, description body, address) triples; events draw from them."""
    titles, bodies, addresses = [], [], []
    for c in cats:
        kws = c.keywords
        tmpls = profile.hotline_templates if c.kind == "hotline" else profile.templates
        for _ in range(POOL):
            road = profile.roads[rng.integers(len(profile.roads))]
            place = road + profile.landmarks[rng.integers(len(profile.landmarks))]
            k0 = kws[rng.integers(len(kws))]
            k1 = kws[rng.integers(len(kws))]
            bodies.append(
                tmpls[rng.integers(len(tmpls))].format(
                    place=place,
                    road=road,
                    name=c.name,
                    k0=k0,
                    k1=k1,
                    dur=profile.durations[rng.integers(len(profile.durations))],
                    ask=profile.asks[rng.integers(len(profile.asks))],
                )
            )
            # Half the titles name the category (as a grid worker would), half just open the text.
            named = rng.random() < 0.5
            titles.append(
                (f"{road}{c.name}" if c.kind != "hotline" else f"{c.name}：{k0}")
                if named
                else bodies[-1][:16]
            )
            addresses.append(f"{profile.address_prefix}{place}")
    return np.array(titles, dtype=object), np.array(bodies, dtype=object), np.array(addresses, dtype=object)
