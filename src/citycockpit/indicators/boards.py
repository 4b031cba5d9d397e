"""A theme's board as data: the `board:` section of a theme's YAML, checked before anything is stored.

A board is a list of panels on a grid of GRID_COLUMNS × GRID_ROWS cells of the 1920×1080 screen, each
with a type (one of PANEL_TYPES, drawn by the screen: screen/boards.py reads its data, static/js/board.js
draws it), a title, the series it reads (codes of the theme's own series) and its parameters. A new
theme needs no code: only a new panel *type* does."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from citycockpit.indicators.errors import InvalidTheme

GRID_COLUMNS = 12
GRID_ROWS = 8
AGGREGATES = ("sum", "mean", "last")
PERIODS = ("day", "month", "year")
AIR_MEASURES = ("pm25_mean", "good_ratio")


@dataclass(frozen=True)
class PanelType:
    """What a panel type accepts: its parameters, which of them are required, which name series."""

    params: frozenset[str]
    required: frozenset[str] = frozenset()
    series_params: tuple[str, ...] = ()
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _type(
    params: str = "",
    required: str = "",
    series: str = "",
    **choices: tuple[str, ...],
) -> PanelType:
    return PanelType(
        params=frozenset(params.split()),
        required=frozenset(required.split()),
        series_params=tuple(series.split()),
        choices=choices,
    )


PANEL_TYPES: dict[str, PanelType] = {
    # each station's figure on the area map: the latest day's AQI, or the series' latest value today
    "station_map": _type("series", series="series"),
    # the year's days, one cell per day coloured by its AQI grade
    "aqi_calendar": _type(""),
    # a goal's year-to-date figure against its target, with the goals domain's forecast; without a
    # matching goal, the year's air figure (`measure`) against `target`
    "goal_gauge": _type("goal measure target unit", "target", measure=AIR_MEASURES),
    # 优良天数比例 (or the PM2.5 mean) of the year so far against a target
    "ratio": _type("measure target", "measure target", measure=AIR_MEASURES),
    # the worst days of the year so far, with their AQI and primary pollutant
    "worst_days": _type("limit"),
    # numbers with their change on the period before
    "kpi": _type("items period", "items", period=PERIODS),
    # one series over the last `days` days, a point a day, or the last `months` months, a point a month
    # (the month so far included); 30 days when neither is given
    "trend": _type("series agg days months target", "series", "series", agg=("sum", "mean")),
    # one series by area (the viewed area's towns or villages)
    "by_area": _type("series agg period target", "series", "series", agg=AGGREGATES, period=PERIODS),
    # the theme's open indicator alerts
    "alerts": _type("limit"),
}


@dataclass(frozen=True)
class Kind:
    """What a parameter's value is: `accepts` reads it, `says` is how the refusal names it."""

    accepts: Callable[[Any], bool]
    says: str


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # YAML's true is an int to Python


def _number(value: Any) -> bool:
    return (_whole_number(value) or isinstance(value, float)) and math.isfinite(value)


def _whole(low: int, high: int) -> Kind:
    return Kind(lambda v: _whole_number(v) and low <= v <= high, f"a whole number from {low} to {high}")


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


NUMBER = Kind(_number, "a number")
TEXT = Kind(_text, "a text")
# Every parameter's kind, read before anything is stored: a board that would fail on the screen is
# refused when it is loaded. (`items` and the choices have their own checks; `series` names a series.)
PARAM_KINDS: dict[str, Kind] = {
    "series": TEXT,
    "goal": TEXT,
    "unit": TEXT,
    "target": NUMBER,
    "limit": _whole(1, 100),
    "days": _whole(1, 366),
    "months": _whole(1, 36),
}
KPI_ITEM_KINDS: dict[str, Kind] = {
    "series": TEXT,
    "label": TEXT,
    "target": NUMBER,
    "lower_is_better": Kind(lambda v: isinstance(v, bool), "true or false"),
}
KPI_ITEM_KEYS = frozenset({"series", "agg", *KPI_ITEM_KINDS})
PANEL_KEYS = frozenset({"type", "title", "at", "params"})


def check_board(raw: Any, *, name: str, series: set[str]) -> dict[str, Any]:
    """The board of a theme file, normalised (`{"panels": [{id, type, title, at, params}]}`), or
    InvalidTheme naming the panel and what is wrong with it: an unknown type or parameter, a series the
    theme does not have, a place off the grid or over another panel."""
    if not isinstance(raw, dict) or not isinstance(raw.get("panels"), list) or not raw["panels"]:
        raise InvalidTheme(f"{name}: `board` has a list of `panels`")
    unknown = set(raw) - {"panels"}
    if unknown:
        raise InvalidTheme(f"{name}: `board` has unknown key(s) {', '.join(sorted(unknown))}")
    panels = []
    taken: dict[tuple[int, int], str] = {}
    for n, item in enumerate(raw["panels"], start=1):
        panel = _check_panel(item, n, name=name, series=series)
        x, y, w, h = panel["at"]
        for cell in ((cx, cy) for cx in range(x, x + w) for cy in range(y, y + h)):
            if cell in taken:
                raise InvalidTheme(f"{name}: panel {n} ({panel['title']}) lies over {taken[cell]}")
            taken[cell] = f"panel {n} ({panel['title']})"
        panels.append(panel)
    return {"grid": [GRID_COLUMNS, GRID_ROWS], "panels": panels}


def _check_panel(item: Any, n: int, *, name: str, series: set[str]) -> dict[str, Any]:
    where = f"{name}: panel {n}"
    if not isinstance(item, dict):
        raise InvalidTheme(f"{where} is not a mapping of type, title, at and params")
    kind = item.get("type")
    if kind not in PANEL_TYPES:
        raise InvalidTheme(
            f"{where} has unknown type {kind!r} (known: {', '.join(PANEL_TYPES)})", panel=n, type=str(kind)
        )
    unknown = set(item) - PANEL_KEYS
    if unknown:
        raise InvalidTheme(f"{where} ({kind}) has unknown key(s) {', '.join(sorted(unknown))}")
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InvalidTheme(f"{where} ({kind}) needs a title")
    at = item.get("at")
    if not isinstance(at, list) or len(at) != 4 or not all(_whole_number(v) for v in at):
        raise InvalidTheme(f"{where} ({kind}): `at` is [column, row, width, height] in grid cells")
    x, y, w, h = at
    if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS or y + h > GRID_ROWS:
        raise InvalidTheme(f"{where} ({kind}): `at` {at} is off the {GRID_COLUMNS}×{GRID_ROWS} grid", panel=n)
    params = item.get("params") or {}
    if not isinstance(params, dict):
        raise InvalidTheme(f"{where} ({kind}): `params` is a mapping")
    spec = PANEL_TYPES[kind]
    unknown = set(params) - spec.params
    if unknown:
        raise InvalidTheme(f"{where} ({kind}) has unknown parameter(s) {', '.join(sorted(unknown))}")
    missing = spec.required - set(params)
    if missing:
        raise InvalidTheme(f"{where} ({kind}) needs parameter(s) {', '.join(sorted(missing))}")
    for key, allowed in spec.choices.items():
        if key in params and params[key] not in allowed:
            raise InvalidTheme(f"{where} ({kind}): {key} is one of {', '.join(allowed)}, not {params[key]!r}")
    for key, value in params.items():
        rule = PARAM_KINDS.get(key)
        if rule is not None and not rule.accepts(value):
            raise InvalidTheme(f"{where} ({kind}): {key} is {rule.says}, not {value!r}", panel=n)
    if {"days", "months"} <= set(params):
        raise InvalidTheme(f"{where} ({kind}) has both days and months: a trend is one or the other", panel=n)
    named = [params[key] for key in spec.series_params if key in params]
    if kind == "kpi":
        named += _check_kpi_items(params["items"], where)
    for code in named:
        if code not in series:
            raise InvalidTheme(
                f"{where} ({kind}) reads series {code!r}, which is not a series of this theme",
                panel=n,
                series=str(code),
            )
    return {"id": n, "type": kind, "title": title.strip(), "at": at, "params": params}


def _check_kpi_items(items: Any, where: str) -> list[str]:
    if not isinstance(items, list) or not items:
        raise InvalidTheme(f"{where} (kpi): `items` is a list of {{series, agg, label}}")
    codes = []
    for item in items:
        if not isinstance(item, dict) or "series" not in item:
            raise InvalidTheme(f"{where} (kpi): every item names its series")
        unknown = set(item) - KPI_ITEM_KEYS
        if unknown:
            raise InvalidTheme(
                f"{where} (kpi) item {item['series']} has unknown key(s) {', '.join(sorted(unknown))}"
            )
        if item.get("agg", "sum") not in AGGREGATES:
            raise InvalidTheme(f"{where} (kpi) item {item['series']}: agg is one of {', '.join(AGGREGATES)}")
        for key, rule in KPI_ITEM_KINDS.items():
            if key in item and not rule.accepts(item[key]):
                raise InvalidTheme(
                    f"{where} (kpi) item {item['series']}: {key} is {rule.says}, not {item[key]!r}"
                )
        codes.append(item["series"])
    return codes
