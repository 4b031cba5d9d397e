"""Year-to-date figures and year-end forecasts of the two air targets from the daily air quality
(pure functions, like goals/status.py; docs/domains/goals.md has the formulas).

The facts are monthly totals of the valid days (`MonthTotals`: valid days, good days, Σ PM2.5), this
year's and past years', as `indicators.queries.air_months` reads them in one GROUP BY. Winter is worse
than summer, so a forecast that simply carried the running mean to December would be wrong in both
directions: the remaining days are expected to follow the past years' months, scaled by how this year
compares with the past years over the same days.

PM2.5 年均浓度 (a ceiling, 以下), with S, n this year's PM2.5 sum and valid days so far, P_k the past
years' mean of month k, n_k this year's valid days in month k, R_k the days left in month k and v the
share of days valid so far:

    r = S / Σ_k n_k·P_k                      (this year against the past years on the same days)
    forecast = (S + Σ_k v·R_k·r·P_k) / (n + Σ_k v·R_k)

优良天数比例 (a floor, 以上), with G, N this year's good and valid days, q_k the past years' good share of
month k; the bad-day rate is the rarer event, so it is the one scaled:

    b = (N − G + K) / (Σ_k N_k·(1 − q_k) + K)     (K = PRIOR_BAD_DAYS: holds b near 1 early in the year)
    p_k = 1 − min(1, b·(1 − q_k))           (expected good probability of a remaining day of month k)
    forecast = 100 · (G + Σ_k v·R_k·p_k) / (N + Σ_k v·R_k)

Without a past year the forecast is the running figure itself, and says so in its method."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from citycockpit.goals.status import Forecast
from citycockpit.indicators import aqi

PM25_ANNUAL_MEAN = "air:pm25_annual_mean"
GOOD_DAYS_RATIO = "air:good_days_ratio"
LINKS = (PM25_ANNUAL_MEAN, GOOD_DAYS_RATIO)
PAST_YEARS = 3  # the seasonal pattern is the mean of at most this many past years
# Bad days are few (a few dozen a year), so their rate so far is a noisy measure early in the year: three
# bad days in January against one expected would triple every later month's. The rate is taken as
# (bad so far + K) / (expected so far + K), a prior of K bad days at the past years' rate, which lets
# this year's own rate count once it has been seen over enough days.
PRIOR_BAD_DAYS = 10.0

METHOD_SEASONAL = "daily monitoring × past years' months"
METHOD_RUNNING = "daily monitoring to date"
METHOD_INCOMPLETE = ", too few valid days"


@dataclass(frozen=True)
class MonthTotals:
    """A month's valid days, good days (AQI ≤ 100) and the sum of their PM2.5 24-h means."""

    valid_days: int
    good_days: int = 0
    pm25_sum: float = 0.0


YearTotals = Mapping[int, MonthTotals]  # month -> totals


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def remaining_days(through: date) -> dict[int, int]:
    """{month: days of the year after `through`} (the current month's rest, then whole months)."""
    year = through.year
    out = {through.month: days_in_month(year, through.month) - through.day}
    for month in range(through.month + 1, 13):
        out[month] = days_in_month(year, month)
    return {m: d for m, d in out.items() if d > 0}


def valid_share(valid_days: int, through: date) -> float:
    """The share of the days of the year up to `through` that were valid (at most 1)."""
    elapsed = (through - date(through.year, 1, 1)).days + 1
    return min(1.0, valid_days / elapsed) if elapsed > 0 else 0.0


def is_complete(valid_days: int, through: date) -> bool:
    """Enough valid days for an annual figure, pro rata: GB 3095-2012 Table 4 asks at least 324 daily
    means in a year for an annual mean (aqi.MIN_DAYS_PER_YEAR); so far this year, the same share of the
    days elapsed."""
    elapsed = (through - date(through.year, 1, 1)).days + 1
    days_in_year = 366 if calendar.isleap(through.year) else 365
    return valid_days >= elapsed * aqi.MIN_DAYS_PER_YEAR / days_in_year


def past_monthly(past: Sequence[YearTotals]) -> dict[int, MonthTotals]:
    """The past years' totals pooled by month (their seasonal pattern)."""
    pooled: dict[int, MonthTotals] = {}
    for year in past:
        for month, t in year.items():
            p = pooled.get(month, MonthTotals(0))
            pooled[month] = MonthTotals(
                p.valid_days + t.valid_days, p.good_days + t.good_days, p.pm25_sum + t.pm25_sum
            )
    return {m: t for m, t in pooled.items() if t.valid_days > 0}


@dataclass(frozen=True)
class _Basis:
    """What both forecasts start from: this year's months to `through` and their totals, the past
    years' monthly pattern (None when it does not cover every month needed: the running figure is then
    the forecast) and the days left in each remaining month."""

    months: dict[int, MonthTotals]
    ytd: MonthTotals
    pattern: dict[int, MonthTotals] | None
    rest: dict[int, int]


def _basis(this_year: YearTotals, past: Sequence[YearTotals], through: date) -> _Basis | None:
    """None without a valid day this year."""
    months = {m: t for m, t in this_year.items() if m <= through.month}
    ytd = MonthTotals(
        sum(t.valid_days for t in months.values()),
        sum(t.good_days for t in months.values()),
        sum(t.pm25_sum for t in months.values()),
    )
    if ytd.valid_days == 0:
        return None
    pattern: dict[int, MonthTotals] | None = past_monthly(past)
    rest = remaining_days(through)
    if not pattern or any(m not in pattern for m in rest) or any(m not in pattern for m in months):
        pattern = None
    return _Basis(months, ytd, pattern, rest)


def _method(base: str, valid_days: int, through: date) -> str:
    return base if is_complete(valid_days, through) else base + METHOD_INCOMPLETE


def forecast_pm25_mean(
    this_year: YearTotals, past: Sequence[YearTotals], *, through: date
) -> Forecast | None:
    """PM2.5 年均浓度: the mean of the valid days to `through` and its year-end forecast (module
    docstring); None without a valid day this year."""
    basis = _basis(this_year, past, through)
    if basis is None:
        return None
    months, ytd, pattern, rest = basis.months, basis.ytd, basis.pattern, basis.rest
    mean = ytd.pm25_sum / ytd.valid_days
    if pattern is None:
        return Forecast(
            through.month, mean, mean, mean, None, _method(METHOD_RUNNING, ytd.valid_days, through)
        )
    level = {m: t.pm25_sum / t.valid_days for m, t in pattern.items()}
    expected_so_far = sum(t.valid_days * level[m] for m, t in months.items())
    ratio = ytd.pm25_sum / expected_so_far if expected_so_far else 1.0
    v = valid_share(ytd.valid_days, through)
    days_left = sum(v * r for r in rest.values())
    total = ytd.pm25_sum + sum(v * r * ratio * level[m] for m, r in rest.items())
    value = total / (ytd.valid_days + days_left)
    return Forecast(
        through.month, mean, value, value, None, _method(METHOD_SEASONAL, ytd.valid_days, through)
    )


def forecast_good_days_ratio(
    this_year: YearTotals, past: Sequence[YearTotals], *, through: date
) -> Forecast | None:
    """优良天数比例 (%): good days over valid days to `through` and its year-end forecast (module
    docstring); None without a valid day this year."""
    basis = _basis(this_year, past, through)
    if basis is None:
        return None
    months, ytd, pattern, rest = basis.months, basis.ytd, basis.pattern, basis.rest
    ratio_now = 100.0 * ytd.good_days / ytd.valid_days
    if pattern is None:
        return Forecast(
            through.month,
            ratio_now,
            ratio_now,
            ratio_now,
            None,
            _method(METHOD_RUNNING, ytd.valid_days, through),
        )
    bad_share = {m: 1 - t.good_days / t.valid_days for m, t in pattern.items()}
    expected_bad = sum(t.valid_days * bad_share[m] for m, t in months.items())
    scale = (ytd.valid_days - ytd.good_days + PRIOR_BAD_DAYS) / (expected_bad + PRIOR_BAD_DAYS)
    v = valid_share(ytd.valid_days, through)
    days_left = sum(v * r for r in rest.values())
    good = ytd.good_days + sum(v * r * (1 - min(1.0, scale * bad_share[m])) for m, r in rest.items())
    value = 100.0 * good / (ytd.valid_days + days_left)
    return Forecast(
        through.month, ratio_now, value, value, None, _method(METHOD_SEASONAL, ytd.valid_days, through)
    )


def air_forecast(
    link: str, this_year: YearTotals, past: Sequence[YearTotals], *, through: date
) -> Forecast | None:
    """The forecast of a series linked to the air quality by `link` (one of LINKS)."""
    if link == PM25_ANNUAL_MEAN:
        return forecast_pm25_mean(this_year, past, through=through)
    if link == GOOD_DAYS_RATIO:
        return forecast_good_days_ratio(this_year, past, through=through)
    raise ValueError(f"unknown air link {link}")


def data_through(this_year: YearTotals, last_days: Mapping[int, date], as_of: date) -> date | None:
    """The last day with a valid figure at or before `as_of` (whose month's totals are counted)."""
    days = [d for m, d in last_days.items() if m <= as_of.month and d <= as_of and m in this_year]
    return max(days) if days else None
