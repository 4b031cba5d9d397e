"""HJ 633-2012: the breakpoint table, IAQI and daily AQI; the O3 8-h and 24-h validity rules."""

from __future__ import annotations

import pytest

from citycockpit.indicators import aqi

# HJ 633-2012 Table 1, as printed (IAQI 0 50 100 150 200 300 400 500).
STANDARD_TABLE = {
    "so2_24h": [0, 50, 150, 475, 800, 1600, 2100, 2620],
    "so2_1h": [0, 150, 500, 650, 800],
    "no2_24h": [0, 40, 80, 180, 280, 565, 750, 940],
    "no2_1h": [0, 100, 200, 700, 1200, 2340, 3090, 3840],
    "pm10_24h": [0, 50, 150, 250, 350, 420, 500, 600],
    "co_24h": [0, 2, 4, 14, 24, 36, 48, 60],
    "co_1h": [0, 5, 10, 35, 60, 90, 120, 150],
    "o3_1h": [0, 160, 200, 300, 400, 800, 1000, 1200],
    "o3_8h": [0, 100, 160, 215, 265, 800],
    "pm25_24h": [0, 35, 75, 115, 150, 250, 350, 500],
}


def test_the_breakpoint_table_is_the_standards() -> None:
    assert {k: list(v) for k, v in aqi.BREAKPOINTS.items()} == STANDARD_TABLE
    assert aqi.IAQI_LEVELS == (0, 50, 100, 150, 200, 300, 400, 500)


@pytest.mark.parametrize("row", sorted(STANDARD_TABLE))
def test_every_breakpoint_maps_to_its_iaqi_level(row: str) -> None:
    assert [aqi.iaqi(row, c) for c in STANDARD_TABLE[row]] == list(
        aqi.IAQI_LEVELS[: len(STANDARD_TABLE[row])]
    )


def test_iaqi_interpolates_and_rounds_up() -> None:
    # PM2.5 80 μg/m³: (150-100)/(115-75)*(80-75)+100 = 106.25 → 107
    assert aqi.iaqi("pm25_24h", 80) == 107
    assert aqi.iaqi("pm25_24h", 35.1) == 51
    assert aqi.iaqi("pm25_24h", 501) is None


def test_the_daily_aqi_is_the_largest_iaqi_and_names_the_primary_pollutant() -> None:
    day = aqi.daily_aqi({"pm25": 80, "pm10": 100, "so2": 10, "no2": 30, "co": 0.8, "o3_8h": 120})
    assert (day.aqi, day.primary) == (107, ("pm25",))
    assert aqi.grade(day.aqi) == 3


def test_a_good_day_has_no_primary_pollutant() -> None:
    day = aqi.daily_aqi({"pm25": 20, "pm10": 40, "so2": 5, "no2": 20, "co": 0.5, "o3_8h": 80})
    assert day.aqi == 40 and day.primary == ()  # PM10 40 and O3 80 both give 40: no primary at ≤ 50


def test_ozone_above_800_on_the_8h_row_is_read_on_the_1h_row() -> None:
    day = aqi.daily_aqi({"o3_8h": 850, "o3_1h": 900})
    assert day.iaqis == {"o3_1h": 350}


def test_a_24h_mean_needs_twenty_hours() -> None:
    assert aqi.daily_mean([10.0] * 19) is None
    assert aqi.daily_mean([10.0] * 20) == 10.0


def test_the_o3_daily_max_8h_needs_fourteen_valid_windows() -> None:
    full = dict.fromkeys(range(1, 25), 100.0)
    full[15] = 180.0
    assert aqi.o3_max_8h(full) == pytest.approx(110.0)
    # hours 1…12 only: windows ending 8…18 have ≥ 6 hours → 11 windows, below 14: not valid
    morning = dict.fromkeys(range(1, 13), 100.0)
    assert aqi.o3_max_8h(morning) is None
    # …unless the maximum is already over the standard (160)
    assert aqi.o3_max_8h(dict.fromkeys(range(1, 13), 200.0)) == pytest.approx(200.0)
