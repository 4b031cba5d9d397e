"""The air targets' year-to-date figures and seasonal year-end forecasts (goals/airforecast.py), on
hand-made monthly totals; and the status the indicator rules give them."""

from __future__ import annotations

from datetime import date

import pytest

from citycockpit.goals import airforecast as af
from citycockpit.goals.airforecast import MonthTotals
from citycockpit.goals.enums import GoalStatus
from citycockpit.goals.status import IndicatorFacts, evaluate_indicator

WINTER = (1, 2, 12)
DAYS_2024 = {m: af.days_in_month(2024, m) for m in range(1, 13)}


def _past_pm25() -> dict[int, MonthTotals]:
    """A past year: 50 μg/m³ in winter months, 20 in the others (30 valid days each)."""
    return {m: MonthTotals(30, 0, 30 * (50.0 if m in WINTER else 20.0)) for m in range(1, 13)}


def _this_year_pm25(factor: float) -> dict[int, MonthTotals]:
    """January to June 2024, every day valid, at `factor` × the past year's level."""
    return {
        m: MonthTotals(DAYS_2024[m], 0, DAYS_2024[m] * factor * (50.0 if m in WINTER else 20.0))
        for m in range(1, 7)
    }


def test_the_pm25_forecast_carries_the_ratio_to_past_years_over_the_remaining_months() -> None:
    fc = af.forecast_pm25_mean(_this_year_pm25(0.9), [_past_pm25()], through=date(2024, 6, 30))
    assert fc is not None
    # to date: (31·50 + 29·50 + 122·20)·0.9 / 182; forecast: 0.9 · (91·50 + 275·20) / 366
    assert fc.to_date == pytest.approx(4896 / 182)
    assert fc.value == pytest.approx(0.9 * 10050 / 366)
    assert fc.method == af.METHOD_SEASONAL


def test_the_pm25_forecast_without_a_past_year_is_the_running_mean_and_says_so() -> None:
    fc = af.forecast_pm25_mean(_this_year_pm25(0.9), [], through=date(2024, 6, 30))
    assert fc is not None
    assert (fc.value, fc.method) == (pytest.approx(4896 / 182), af.METHOD_RUNNING)


def test_a_month_the_past_years_lack_falls_back_to_the_running_mean() -> None:
    past = {m: t for m, t in _past_pm25().items() if m != 11}
    fc = af.forecast_pm25_mean(_this_year_pm25(0.9), [past], through=date(2024, 6, 30))
    assert fc is not None and fc.method == af.METHOD_RUNNING


def test_two_past_years_are_pooled_by_month() -> None:
    one, two = _past_pm25(), {m: MonthTotals(10, 0, 10 * 30.0) for m in range(1, 13)}
    pooled = af.past_monthly([one, two])
    assert pooled[1] == MonthTotals(40, 0, 30 * 50.0 + 300.0)
    assert pooled[1].pm25_sum / pooled[1].valid_days == pytest.approx(45.0)


def test_the_good_days_forecast_scales_the_past_years_bad_day_rate() -> None:
    past = {m: MonthTotals(30, 21 if m in WINTER else 27) for m in range(1, 13)}  # 30% / 10% bad days
    # 20 valid days a month this year, half the past bad-day rate: 3 bad in winter months, 1 otherwise
    this_year = {m: MonthTotals(20, 17 if m in WINTER else 19) for m in range(1, 7)}
    fc = af.forecast_good_days_ratio(this_year, [past], through=date(2024, 6, 30))
    assert fc is not None
    v = 120 / 182  # share of the days valid so far
    b = (10 + 10) / (20 + 10)  # 10 bad days against 20 expected, with the prior of 10 bad days
    # remaining: Jul–Nov 153 days at 1 − 0.1·b good, December 31 days at 1 − 0.3·b
    expected = 100 * (110 + v * (153 * (1 - 0.1 * b) + 31 * (1 - 0.3 * b))) / (120 + v * 184)
    assert fc.to_date == pytest.approx(100 * 110 / 120)
    assert fc.value == pytest.approx(expected)
    assert fc.method == af.METHOD_SEASONAL + af.METHOD_INCOMPLETE  # 120 of 182 days is too few


def test_a_few_bad_days_in_january_do_not_condemn_the_year() -> None:
    past = {m: MonthTotals(30, 29 if m in WINTER else 30) for m in range(1, 13)}  # 1 bad day in winter
    this_year = {1: MonthTotals(31, 28)}  # 3 bad days where 1 was usual
    fc = af.forecast_good_days_ratio(this_year, [past], through=date(2024, 1, 31))
    assert fc is not None
    b = (3 + 10) / (31 / 30 + 10)  # not 3 / (31/30) ≈ 2.9: the prior holds it near 1
    expected = 100 * (28 + (29 + 31) * (1 - b / 30) + 275) / 366  # Feb, Dec winter; 275 clean days
    assert fc.value == pytest.approx(expected)


def test_the_expected_good_probability_is_never_below_zero() -> None:
    past = {m: MonthTotals(30, 0) for m in range(1, 13)}  # every past day bad
    this_year = {m: MonthTotals(DAYS_2024[m], 0) for m in range(1, 7)}
    fc = af.forecast_good_days_ratio(this_year, [past], through=date(2024, 6, 30))
    assert fc is not None and fc.value == pytest.approx(0.0)


def test_the_completeness_rule_is_gb3095s_324_days_pro_rata() -> None:
    # 31 · 324 / 366 = 27.4 valid days needed by the end of January 2024
    assert af.is_complete(28, date(2024, 1, 31)) is True
    assert af.is_complete(27, date(2024, 1, 31)) is False


def test_no_valid_day_this_year_gives_no_forecast() -> None:
    assert af.forecast_pm25_mean({}, [_past_pm25()], through=date(2024, 1, 31)) is None


def test_the_remaining_days_count_the_rest_of_the_month_then_whole_months() -> None:
    assert af.remaining_days(date(2024, 11, 20)) == {11: 10, 12: 31}
    assert af.remaining_days(date(2024, 12, 31)) == {}


def _facts(qualifier: str, measure: str, target: float) -> IndicatorFacts:
    return IndicatorFacts(
        as_of=date(2024, 6, 30), measure=measure, qualifier=qualifier, target=target, cumulative=False
    )


def test_a_ceiling_target_forecast_a_little_above_is_a_warning() -> None:
    fc = af.forecast_pm25_mean(_this_year_pm25(0.9), [_past_pm25()], through=date(2024, 6, 30))
    ev = evaluate_indicator(_facts("<=", "level", 24.0), forecast_of=lambda _f: fc)
    assert ev.status is GoalStatus.AT_RISK  # 24.7 misses 24 by 3%: within the 5% amber band
    assert "按日监测数据及往年同月规律推算" in ev.reason


def test_a_ceiling_target_forecast_below_is_met_though_the_running_mean_is_above() -> None:
    fc = af.forecast_pm25_mean(_this_year_pm25(0.85), [_past_pm25()], through=date(2024, 6, 30))
    assert fc is not None and fc.to_date > 24.0 > fc.value
    ev = evaluate_indicator(_facts("<=", "level", 24.0), forecast_of=lambda _f: fc)
    assert (ev.status, ev.to_date) == (GoalStatus.MET, pytest.approx(fc.to_date))


def test_a_floor_target_forecast_below_by_more_than_a_point_is_off_track() -> None:
    past = {m: MonthTotals(30, 21 if m in WINTER else 27) for m in range(1, 13)}
    this_year = {m: MonthTotals(DAYS_2024[m], DAYS_2024[m] - 6) for m in range(1, 7)}
    fc = af.forecast_good_days_ratio(this_year, [past], through=date(2024, 6, 30))
    assert fc is not None and fc.value < 85.0
    ev = evaluate_indicator(_facts(">=", "share", 86.0), forecast_of=lambda _f: fc)
    assert ev.status is GoalStatus.OFF_TRACK
