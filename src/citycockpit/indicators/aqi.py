"""Air quality per HJ 633-2012 (环境空气质量指数(AQI)技术规定(试行)) and the data-validity rules of
GB 3095-2012 Table 4 / HJ 663-2013: pure functions of one day's figures, like goals/status.py.

The IAQI breakpoint table lives here and nowhere else (`BREAKPOINTS`, HJ 633-2012 Table 1). No maintained
library implements the 2012 table: aqi-hub follows the 2026 revision since 0.3.0 (PM2.5 良 ends at 60),
python-aqi's last release predates 2020. tests/indicators/test_aqi.py checks every row against the
standard's table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# HJ 633-2012 Table 1: IAQI levels and the concentration limits (μg/m³; CO in mg/m³) at each level.
IAQI_LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "so2_1h": (0, 150, 500, 650, 800),  # note 1: above 800 the 24-h figure is used
    "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "pm10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 160, 215, 265, 800),  # note 2: above 800 the 1-h figure is used
    "pm25_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}

# The daily AQI's pollutants (HJ 633-2012 §5.1 日报) and the breakpoint row each is read against.
DAILY_POLLUTANTS: dict[str, str] = {
    "so2": "so2_24h",
    "no2": "no2_24h",
    "pm10": "pm10_24h",
    "co": "co_24h",
    "o3_8h": "o3_8h",
    "pm25": "pm25_24h",
    "o3_1h": "o3_1h",  # the day's maximum 1-h mean, when the feed has hourly ozone
}
POLLUTANT_NAMES = {
    "so2": "SO2",
    "no2": "NO2",
    "pm10": "PM10",
    "co": "CO",
    "o3_8h": "O3_8h",
    "pm25": "PM2.5",
    "o3_1h": "O3_1h",
}

# HJ 633-2012 Table 2: each grade's top AQI, its category (类别) and its colour (表示颜色, as RGB).
GRADES: tuple[tuple[int, str, str], ...] = (
    (50, "优", "#00e400"),
    (100, "良", "#ffff00"),
    (150, "轻度污染", "#ff7e00"),
    (200, "中度污染", "#ff0000"),
    (300, "重度污染", "#99004c"),
    (500, "严重污染", "#7e0023"),
)
# The pollutants as Chinese pages name them (HJ 633-2012 Table 1's 污染物项目), by POLLUTANT_NAMES' names.
POLLUTANT_WORDS = {
    "SO2": "二氧化硫",
    "NO2": "二氧化氮",
    "PM10": "可吸入颗粒物",
    "CO": "一氧化碳",
    "O3_8h": "臭氧(8小时)",
    "PM2.5": "细颗粒物",
    "O3_1h": "臭氧(1小时)",
}

# Data validity, GB 3095-2012 Table 4 (HJ 663-2013 §4 refers to it):
MIN_HOURS_PER_DAY = 20  # a 24-h mean needs at least 20 hourly values that day
MIN_HOURS_PER_8H = 6  # an 8-h moving mean needs at least 6 hourly values in its 8 hours
MIN_8H_MEANS_PER_DAY = 14  # O3 daily maximum 8-h mean: at least 14 valid 8-h means (HJ 663-2013 §4.1)
MIN_DAYS_PER_YEAR = 324  # an annual mean needs at least 324 daily means
GOOD_AQI = 100  # 优良天: AQI at most 100 (grades 一级 and 二级)
O3_8H_STANDARD = 160.0  # GB 3095-2012 grade-2 limit for the O3 daily max 8-h mean, μg/m³


def iaqi(row: str, concentration: float) -> int | None:
    """The IAQI of a concentration on a breakpoint row (HJ 633-2012 formula (1)), rounded up to an
    integer as §4.2 asks. None beyond the row's last breakpoint (the notes' cases: the caller uses the
    other averaging time) and for a negative concentration."""
    limits = BREAKPOINTS[row]
    if concentration < 0 or math.isnan(concentration):
        return None
    if concentration > limits[-1]:
        return None
    for i in range(1, len(limits)):
        if concentration <= limits[i]:
            lo, hi = limits[i - 1], limits[i]
            value = (IAQI_LEVELS[i] - IAQI_LEVELS[i - 1]) / (hi - lo) * (concentration - lo) + IAQI_LEVELS[
                i - 1
            ]
            return math.ceil(round(value, 9))
    return None  # pragma: no cover - the loop covers every concentration up to the last limit


@dataclass(frozen=True)
class DailyAqi:
    aqi: int | None
    primary: tuple[str, ...]  # empty when AQI ≤ 50 (HJ 633-2012 §5.2: no primary pollutant)
    iaqis: dict[str, int]


def daily_aqi(figures: Mapping[str, float | None]) -> DailyAqi:
    """The day's AQI (the largest IAQI of the daily figures: 24-h means of SO2, NO2, PM10, PM2.5 and CO,
    the O3 daily maximum 8-h mean and, when given, the O3 daily maximum 1-h mean) and its primary
    pollutants (those at the maximum, when AQI > 50). An O3 8-h mean above 800 μg/m³ has no IAQI of its
    own (note 2: the 1-h maximum speaks for ozone); any other figure beyond its row's top counts 500;
    a missing figure is left out."""
    iaqis: dict[str, int] = {}
    for pollutant, row in DAILY_POLLUTANTS.items():
        value = figures.get(pollutant)
        if value is None:
            continue
        index = iaqi(row, value)
        if index is None and pollutant != "o3_8h" and value > BREAKPOINTS[row][-1]:
            index = 500
        if index is not None:
            iaqis[pollutant] = index
    if not iaqis:
        return DailyAqi(None, (), {})
    aqi = max(iaqis.values())
    primary = tuple(p for p, v in iaqis.items() if v == aqi) if aqi > 50 else ()
    return DailyAqi(aqi, primary, iaqis)


def grade(aqi: int) -> int:
    """The AQI grade (1 优 … 6 严重污染), HJ 633-2012 Table 2."""
    for level, top in enumerate((50, 100, 150, 200, 300), start=1):
        if aqi <= top:
            return level
    return 6


def daily_mean(values: Sequence[float]) -> float | None:
    """A 24-h mean, or None when fewer than MIN_HOURS_PER_DAY hourly values exist."""
    return sum(values) / len(values) if len(values) >= MIN_HOURS_PER_DAY else None


def o3_max_8h(hourly: Mapping[int, float]) -> float | None:
    """The day's maximum 8-h moving mean of ozone from its hourly means keyed by hour ending 1…24
    (hour 1 = 00:00–01:00, local time; the 8-h mean at hour X averages hours X-7 … X, HJ 663-2013
    Table A.1). The 8-h means are those ending at 8…24 (HJ 663-2013 §4.1: the
    8-h windows within the day); each needs MIN_HOURS_PER_8H hours. The maximum is valid with at least
    MIN_8H_MEANS_PER_DAY valid means, or with fewer when it already exceeds the standard (a day that is
    over the limit stays over it whatever the missing hours held)."""
    means = []
    for end in range(8, 25):
        window = [hourly[h] for h in range(end - 7, end + 1) if h in hourly]
        if len(window) >= MIN_HOURS_PER_8H:
            means.append(sum(window) / len(window))
    if not means:
        return None
    best = max(means)
    if len(means) >= MIN_8H_MEANS_PER_DAY or best > O3_8H_STANDARD:
        return best
    return None
