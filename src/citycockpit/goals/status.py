"""Status, forecast and roll-up rules (pure functions; docs/domains/goals.md has the formulas).

Nothing here touches the database: `service`/`progress` gather the facts of one goal for one period into
`TaskFacts` or `IndicatorFacts`, and these functions turn them into an `Evaluation`. Rules are named,
ordered and evaluated top to bottom; the first one that matches decides (ClearPoint's model)."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from citycockpit.goals.enums import INDICATOR_RULES, TASK_RULES, Color, GoalStatus, RollupRule
from citycockpit.report.enums import value_text


@dataclass(frozen=True)
class Thresholds:
    """The configurable numbers of the rules (Settings `goals_*` fields)."""

    ahead_margin: float = 0.05  # 超进度 when progress ≥ time progress + this
    behind_margin: float = 0.05  # 达进度 when progress ≥ time progress − this
    tolerance_pp: float = 0.5  # 左右 band for growth/share targets, percentage points
    tolerance_ratio: float = 0.02  # 左右 band for level targets, share of the target
    amber_pp: float = 1.0  # 预警 (not red) when a growth/share forecast misses by at most this
    amber_ratio: float = 0.05  # 预警 (not red) when a level forecast misses by at most this share
    band_overshoot_met: bool = True  # 左右 X: a forecast above the band counts as met
    task_rules: tuple[str, ...] = TASK_RULES
    indicator_rules: tuple[str, ...] = INDICATOR_RULES

    @classmethod
    def from_settings(cls, settings: object) -> Thresholds:
        get = settings.__getattribute__
        return cls(
            ahead_margin=get("goals_ahead_margin"),
            behind_margin=get("goals_behind_margin"),
            tolerance_pp=get("goals_tolerance_pp"),
            tolerance_ratio=get("goals_tolerance_ratio"),
            amber_pp=get("goals_amber_pp"),
            amber_ratio=get("goals_amber_ratio"),
            band_overshoot_met=get("goals_band_overshoot_met"),
            task_rules=tuple(get("goals_task_rules")),
            indicator_rules=tuple(get("goals_indicator_rules")),
        )


@dataclass(frozen=True)
class Milestone:
    due_on: date
    completed_on: date | None = None


@dataclass(frozen=True)
class Evaluation:
    status: GoalStatus
    rule: str
    reason: str
    progress: float | None = None  # share of the target reached (0..1+), or the reported percent / 100
    time_progress: float | None = None  # 时序进度 (or the planned/seasonal share) at the as-of date
    forecast: float | None = None  # year-end forecast in the target's measure (growth %, level, share %)
    expected_end: float | None = None  # expected year-end value of the series
    gap: float | None = None  # how far the forecast misses (pp, or share of the target for levels)
    to_date: float | None = None  # the year-to-date figure judged, in the target's measure (indicators)
    data_month: int | None = None  # the latest month with data that `to_date` covers

    @property
    def color(self) -> Color:
        return self.status.color


# ---------------------------------------------------------------- time progress


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def time_progress(as_of: date, start: date, end: date) -> float:
    """时序进度: the share of the goal's period elapsed at the end of `as_of` (0..1, inclusive days)."""
    if as_of < start:
        return 0.0
    if as_of >= end:
        return 1.0
    return ((as_of - start).days + 1) / ((end - start).days + 1)


def year_progress(as_of: date) -> float:
    """时序进度 of the calendar year at the end of `as_of`: the bar the big screen shows, and the time
    progress of every goal that runs the whole year (day of year ÷ days in the year)."""
    return time_progress(as_of, date(as_of.year, 1, 1), date(as_of.year, 12, 31))


def planned_share(
    as_of: date,
    start: date,
    end: date,
    *,
    trajectory: Mapping[int, float] | None = None,
    seasonal: Mapping[int, float] | None = None,
) -> tuple[float, str]:
    """The share of the goal due by `as_of`: the goal's monthly plan (trajectory) if it has one for the
    month, else last year's seasonal profile for the month, else linear time progress."""
    month = as_of.month
    if trajectory and month in trajectory:
        return float(trajectory[month]), "trajectory"
    if seasonal and month in seasonal and as_of.year == start.year:
        return float(seasonal[month]), "seasonal"
    return time_progress(as_of, start, end), "linear"


# ---------------------------------------------------------------- tasks


@dataclass(frozen=True)
class TaskFacts:
    """What is known about a task goal for one period."""

    as_of: date
    start: date
    end: date
    percent: float | None = None  # this period's report (submitted or accepted), 0..100; None: none
    latest_percent: float | None = None  # the latest report up to this period
    milestones: Sequence[Milestone] = ()
    trajectory: Mapping[int, float] | None = None
    marked_done: bool = False


def _open_overdue(milestones: Sequence[Milestone], as_of: date) -> list[Milestone]:
    return [m for m in milestones if m.due_on < as_of and (m.completed_on is None or m.completed_on > as_of)]


TaskRule = Callable[[TaskFacts, float, Thresholds], str | None]


def _task_done(f: TaskFacts, t: float, th: Thresholds) -> str | None:
    open_ms = [m for m in f.milestones if m.completed_on is None or m.completed_on > f.as_of]
    if f.marked_done or (f.latest_percent is not None and f.latest_percent >= 100 and not open_ms):
        return "已报进度100%且节点全部完成" if not f.marked_done else "已标记完成"
    return None


def _task_overdue(f: TaskFacts, t: float, th: Thresholds) -> str | None:
    late = _open_overdue(f.milestones, f.as_of)
    if late:
        return f"{len(late)}个节点到期未完成（最早{min(m.due_on for m in late)}）"
    return None


def _task_not_reported(f: TaskFacts, t: float, th: Thresholds) -> str | None:
    return "本期未报送进展" if f.percent is None else None


def _task_ahead(f: TaskFacts, t: float, th: Thresholds) -> str | None:
    if f.percent is not None and f.percent / 100 >= t + th.ahead_margin:
        return f"进度{f.percent:.0f}% ≥ 时序进度{t:.0%}+{th.ahead_margin:.0%}"
    return None


def _task_on_track(f: TaskFacts, t: float, th: Thresholds) -> str | None:
    if f.percent is not None and f.percent / 100 >= t - th.behind_margin:
        return f"进度{f.percent:.0f}% ≥ 时序进度{t:.0%}−{th.behind_margin:.0%}"
    return None


def _task_behind(f: TaskFacts, t: float, th: Thresholds) -> str | None:
    p = "无" if f.percent is None else f"{f.percent:.0f}%"
    return f"进度{p} 低于时序进度{t:.0%}−{th.behind_margin:.0%}"


TASK_RULE_FUNCS: dict[str, tuple[GoalStatus, TaskRule]] = {
    "done": (GoalStatus.DONE, _task_done),
    "overdue": (GoalStatus.OVERDUE, _task_overdue),
    "not_reported": (GoalStatus.NOT_REPORTED, _task_not_reported),
    "ahead": (GoalStatus.AHEAD, _task_ahead),
    "on_track": (GoalStatus.ON_TRACK, _task_on_track),
    "behind": (GoalStatus.BEHIND, _task_behind),
}


def evaluate_task(facts: TaskFacts, th: Thresholds = Thresholds()) -> Evaluation:
    """Task status: the first rule of `th.task_rules` that matches."""
    t, _source = planned_share(facts.as_of, facts.start, facts.end, trajectory=facts.trajectory)
    progress = None if facts.percent is None else facts.percent / 100
    for name in th.task_rules:
        status, rule = TASK_RULE_FUNCS[name]
        reason = rule(facts, t, th)
        if reason is not None:
            if status is GoalStatus.DONE:
                progress = 1.0 if progress is None else max(progress, 1.0)
            return Evaluation(status, name, reason, progress=progress, time_progress=t)
    return Evaluation(GoalStatus.BEHIND, "fallback", "no rule matched", progress=progress, time_progress=t)


# ---------------------------------------------------------------- indicators


@dataclass(frozen=True)
class IndicatorFacts:
    """An indicator goal's target and its series' monthly actuals (current and last year).

    For a cumulative series each month's value is the year-to-date total (1–N月累计, as statistics bureaus
    publish it); for other series it is the month's own level (e.g. PM2.5 monthly mean)."""

    as_of: date
    measure: str  # level | growth | share
    qualifier: str  # = >= > <= ~
    target: float
    cumulative: bool
    values: Mapping[int, float] = field(default_factory=dict)  # month -> value, this year
    yoy: Mapping[int, float] = field(default_factory=dict)  # month -> YTD YoY growth %, this year
    history: Mapping[int, float] = field(default_factory=dict)  # month -> value, last year
    trajectory: Mapping[int, float] | None = None  # month -> planned cumulative share of the target
    milestones: Sequence[Milestone] = ()
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Forecast:
    month: int  # latest month with data
    to_date: float  # year-to-date value (cumulative total, or mean of the monthly levels)
    value: float  # forecast in the target's measure
    expected_end: float | None  # expected year-end value of the series
    share: float | None  # share of the year's total expected by `month` (cumulative levels)
    method: str


def latest_month(facts: IndicatorFacts) -> int | None:
    months = [m for m in facts.values if m <= facts.as_of.month] if facts.as_of else list(facts.values)
    return max(months) if months else None


def forecast(facts: IndicatorFacts) -> Forecast | None:
    """Year-end forecast, or None when there is no actual yet this year.

    growth targets: the latest YTD YoY growth (given, or computed from last year's same month);
    cumulative levels: YTD ÷ expected share (trajectory, else last year's same-period share, else m/12);
    non-cumulative levels and shares: mean to date, scaled by last year's full-year/same-period mean."""
    m = latest_month(facts)
    if m is None:
        return None
    h = facts.history
    if facts.cumulative:
        ytd = facts.values[m]
    else:
        ytd = sum(facts.values[k] for k in facts.values if k <= m) / len([k for k in facts.values if k <= m])
    if facts.measure == "growth":
        if m in facts.yoy:
            g, method = facts.yoy[m], "latest YTD YoY"
        elif m in h and h[m]:
            last = h[m] if facts.cumulative else _mean_to(h, m)
            g, method = (ytd / last - 1) * 100, "YTD vs last year's same period"
        else:
            return None
        end_last = h.get(12) if facts.cumulative else (_mean_to(h, 12) if len(h) == 12 else None)
        expected = end_last * (1 + g / 100) if end_last else None
        return Forecast(m, ytd, g, expected, None, method)
    if facts.cumulative:
        share: float | None = None
        if facts.trajectory and m in facts.trajectory:
            share, method = facts.trajectory[m], "trajectory"
        elif 12 in h and m in h and h[12]:
            share, method = h[m] / h[12], "last year's same-period share"
        else:
            share, method = m / 12, "run rate"
        value = ytd / share if share else ytd
        return Forecast(m, ytd, value, value, share, method)
    if len(h) == 12 and _mean_to(h, m):
        factor = _mean_to(h, 12) / _mean_to(h, m)
        value = ytd * factor
        return Forecast(m, ytd, value, value, None, "mean to date × last year's seasonal factor")
    return Forecast(m, ytd, ytd, ytd, None, "mean to date")


def measured_to_date(measure: str, fc: Forecast | None) -> float | None:
    """The year-to-date figure in the target's own measure: the YTD YoY growth % for growth targets
    (what 增长5%以上 is held against), else the cumulative total or the mean of the monthly levels."""
    if fc is None:
        return None
    return fc.value if measure == "growth" else fc.to_date


def attainment(measure: str | None, target: float | None, to_date: float | None) -> float | None:
    """The year-to-date figure as a share of the target (1.0 = at the target), for every kind of
    target: growth rates (4.6% of 5% → 0.92), levels and shares, and ceilings (以下: at most 1.0 is
    within the ceiling). None without a figure, or when the target is not a positive number (a share
    of zero or of a fall says nothing)."""
    if to_date is None or target is None or measure is None or target <= 0:
        return None
    return round(to_date / target, 4)


def _mean_to(series: Mapping[int, float], month: int) -> float:
    vals = [v for k, v in series.items() if k <= month]
    return sum(vals) / len(vals) if vals else 0.0


# A target of decline bounds the fall: its words bound the figure the other way.
_DECLINE_BOUND = {">=": "<=", "=": "<=", ">": "<", "<=": ">="}


def bound(qualifier: str, target: float, measure: str) -> str:
    """The bound a qualified target sets on the figure: >=, =, >, <=, < or ~ (a band).

    A growth target below zero is a decline the report writes by its size (下降3%以上 is stored as −3 with
    以上), so its words bound the figure the other way: 下降3%以上 and a bare 下降3% are met at or below −3,
    下降超3% below it, 下降3%以内 at or above it; 左右 is a band either way."""
    if measure == "growth" and target < 0:
        return _DECLINE_BOUND.get(qualifier, qualifier)
    return qualifier


def judge(value: float, target: float, qualifier: str, measure: str, th: Thresholds) -> tuple[str, float]:
    """Compare a forecast with the qualified target → ("met" | "amber" | "red", miss).

    The miss is in percentage points for growth/share targets and a share of the target for levels;
    0 when met. Read through `bound`: 以上 (>=) and a bare number (=) are met at or above X; 超 (>)
    strictly above; 以下 (<=) at or below (< strictly); 左右 (~) within the tolerance band (above the band
    counts as met unless configured); a decline's words the other way."""
    pct = measure in ("growth", "share")
    tol = th.tolerance_pp if pct else th.tolerance_ratio * abs(target)
    qualifier = bound(qualifier, target, measure)
    if qualifier in ("<=", "<"):
        shortfall = value - target
    elif qualifier == "~":
        if abs(value - target) <= tol:
            return "met", 0.0
        if value > target:
            if th.band_overshoot_met:
                return "met", 0.0
            shortfall = value - (target + tol)
        else:
            shortfall = (target - tol) - value
    else:
        shortfall = target - value
    met = shortfall < 0 or (shortfall == 0 and qualifier not in (">", "<"))
    if met:
        return "met", 0.0
    miss = shortfall if pct else (shortfall / abs(target) if target else float("inf"))
    return ("amber" if miss <= (th.amber_pp if pct else th.amber_ratio) else "red"), miss


METHOD_TEXT = {
    "latest YTD YoY": "按最新累计同比",
    "YTD vs last year's same period": "按累计值与上年同期比较",
    "trajectory": "按月度计划进度",
    "last year's same-period share": "按上年同期占全年比重",
    "run rate": "按当前进度线性推算",
    "mean to date × last year's seasonal factor": "按累计均值及上年季节系数",
    "mean to date": "按累计均值",
    # goals/airforecast.py: the air targets followed from the daily air quality
    "daily monitoring × past years' months": "按日监测数据及往年同月规律推算",
    "daily monitoring to date": "按日监测数据累计值（无往年数据）",
    "daily monitoring × past years' months, too few valid days": "按日监测数据及往年同月规律推算，有效天数不足",
    "daily monitoring to date, too few valid days": "按日监测数据累计值（无往年数据），有效天数不足",
}


def target_text(facts: IndicatorFacts) -> str:
    """The target as a report writes it (增长5%以上, 下降3%以上, 超5%, 24以下), in the words of report.enums."""
    unit = "%" if facts.measure in ("growth", "share") else ""
    return value_text(facts.measure, facts.target, unit, facts.qualifier)


def miss_text(facts: IndicatorFacts, miss: float | None) -> str:
    if miss is None:
        return ""
    return f"{miss:.1f}个百分点" if facts.measure in ("growth", "share") else f"{miss:.1%}"


def evaluate_indicator(
    facts: IndicatorFacts,
    th: Thresholds = Thresholds(),
    forecast_of: Callable[[IndicatorFacts], Forecast | None] = forecast,
) -> Evaluation:
    """Indicator status from the forecast against the qualified target; first rule of
    `th.indicator_rules` that matches. `forecast_of` makes the forecast: from the monthly actuals by
    default, or another source's (the air targets' daily figures, goals/airforecast.py)."""
    fc = forecast_of(facts)
    progress = time_share = None
    verdict, miss = "none", None
    if fc is not None:
        verdict, miss = judge(fc.value, facts.target, facts.qualifier, facts.measure, th)
        if facts.measure == "level" and facts.cumulative and facts.target:
            progress = fc.to_date / facts.target
            time_share = fc.share
        else:
            time_share = fc.month / 12
    as_of = facts.as_of
    overdue = _open_overdue(facts.milestones, as_of)
    for name in th.indicator_rules:
        status: GoalStatus | None = None
        reason = ""
        if name == "no_data" and fc is None:
            status, reason = GoalStatus.NO_DATA, "本年尚无统计数据"
        elif (
            name == "reached"
            and fc is not None
            and facts.measure == "level"
            and facts.cumulative
            and facts.qualifier in ("=", ">=", ">", "~")
            and (fc.to_date > facts.target if facts.qualifier == ">" else fc.to_date >= facts.target)
        ):
            status, reason = GoalStatus.DONE, f"已提前完成（累计{fc.to_date:g}，目标{facts.target:g}）"
        elif name == "overdue" and overdue:
            status = GoalStatus.OVERDUE
            reason = f"{len(overdue)}个节点到期未完成"
        elif fc is not None and name == "met" and verdict == "met":
            status, reason = GoalStatus.MET, f"预计{fc.value:.4g}，可达目标{target_text(facts)}"
        elif fc is not None and name == "at_risk" and verdict == "amber":
            status, reason = (
                GoalStatus.AT_RISK,
                f"预计{fc.value:.4g}，略低于目标{target_text(facts)}（差{miss_text(facts, miss)}）",
            )
        elif fc is not None and name == "off_track" and verdict in ("red", "amber"):
            status, reason = (
                GoalStatus.OFF_TRACK,
                f"预计{fc.value:.4g}，未达目标{target_text(facts)}（差{miss_text(facts, miss)}）",
            )
        if status is not None:
            return Evaluation(
                status,
                name,
                reason + (f"［{METHOD_TEXT.get(fc.method, fc.method)}］" if fc else ""),
                progress=progress,
                time_progress=time_share,
                forecast=fc.value if fc else None,
                expected_end=fc.expected_end if fc else None,
                gap=miss,
                to_date=measured_to_date(facts.measure, fc),
                data_month=fc.month if fc else None,
            )
    return Evaluation(GoalStatus.NO_DATA, "fallback", "no rule matched")


# ---------------------------------------------------------------- roll-up

STATUS_SCORE: dict[GoalStatus, float | None] = {
    GoalStatus.DONE: 1.0,
    GoalStatus.AHEAD: 1.0,
    GoalStatus.ON_TRACK: 1.0,
    GoalStatus.MET: 1.0,
    GoalStatus.BEHIND: 0.5,
    GoalStatus.AT_RISK: 0.5,
    GoalStatus.OVERDUE: 0.0,
    GoalStatus.OFF_TRACK: 0.0,
    GoalStatus.NOT_REPORTED: None,  # not scored: never counted as 0
    GoalStatus.NO_DATA: None,
}


@dataclass(frozen=True)
class NodeScore:
    """A goal's or a node's contribution to its parent: health score (0..1) and progress, each None
    when unknown, plus the weight the parent's `weighted` rule uses."""

    score: float | None
    progress: float | None = None
    weight: float = 1.0
    unscored: int = 0  # children left out because they have no status figure yet

    @property
    def color(self) -> Color:
        return score_color(self.score)


def goal_score(ev: Evaluation, weight: float = 1.0) -> NodeScore:
    score = STATUS_SCORE[ev.status]
    return NodeScore(score, ev.progress, weight, 1 if score is None else 0)


def score_color(score: float | None, green: float = 0.85, amber: float = 0.5) -> Color:
    if score is None:
        return Color.GREY
    return Color.GREEN if score >= green else Color.AMBER if score >= amber else Color.RED


def _combine(values: list[tuple[float, float]], rule: RollupRule) -> float | None:
    if not values:
        return None
    if rule is RollupRule.WORST:
        return min(v for v, _ in values)
    if rule is RollupRule.WEIGHTED:
        total = sum(w for _, w in values)
        return sum(v * w for v, w in values) / total if total > 0 else None
    return sum(v for v, _ in values) / len(values)


def roll_up(children: Sequence[NodeScore], rule: RollupRule | str, *, weight: float = 1.0) -> NodeScore:
    """Combine children by the node's explicit rule. average: Σs/n; weighted: Σw·s/Σw; worst: min s.
    Children without a score (未报送, 暂无数据) are left out and counted in `unscored`, never taken as 0."""
    rule = RollupRule(rule)
    scores = [(c.score, c.weight) for c in children if c.score is not None]
    progress = [(c.progress, c.weight) for c in children if c.progress is not None]
    return NodeScore(
        _combine(scores, rule),
        _combine([(min(p, 1.0), w) for p, w in progress], rule),
        weight,
        sum(c.unscored for c in children),
    )
