"""The status, forecast and roll-up rules as pure functions: every qualifier and measure, and the edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from citycockpit.goals.enums import Color, GoalStatus, RollupRule
from citycockpit.goals.status import (
    IndicatorFacts,
    Milestone,
    NodeScore,
    TaskFacts,
    Thresholds,
    evaluate_indicator,
    evaluate_task,
    forecast,
    judge,
    planned_share,
    roll_up,
    target_text,
    time_progress,
)

TH = Thresholds()
JAN1, DEC31 = date(2024, 1, 1), date(2024, 12, 31)
JUNE30 = date(2024, 6, 30)
# A cumulative series whose last year ran 40% of the total by June (a slow first half).
LAST_YEAR_CUM = dict(zip(range(1, 13), [5, 11, 18, 25, 32, 40, 48, 57, 66, 76, 87, 100], strict=True))


def task(**kw) -> TaskFacts:  # type: ignore[no-untyped-def]
    base = {"as_of": JUNE30, "start": JAN1, "end": DEC31}
    return TaskFacts(**{**base, **kw})


def indicator(**kw) -> IndicatorFacts:  # type: ignore[no-untyped-def]
    base = {"as_of": JUNE30, "measure": "level", "qualifier": ">=", "target": 100.0, "cumulative": True}
    return IndicatorFacts(**{**base, **kw})


# --- time progress -----------------------------------------------------------------------------------


def test_time_progress_is_the_share_of_days_elapsed_in_the_goals_period() -> None:
    assert time_progress(JUNE30, JAN1, DEC31) == pytest.approx(182 / 366)
    assert time_progress(date(2023, 12, 1), JAN1, DEC31) == 0.0
    assert time_progress(date(2025, 1, 5), JAN1, DEC31) == 1.0
    assert time_progress(date(2024, 3, 31), date(2024, 3, 1), date(2024, 4, 30)) == pytest.approx(31 / 61)


def test_a_monthly_trajectory_overrides_the_linear_time_progress() -> None:
    share, source = planned_share(JUNE30, JAN1, DEC31, trajectory={6: 0.3})
    assert (share, source) == (0.3, "trajectory")
    share, source = planned_share(JUNE30, JAN1, DEC31, trajectory={7: 0.6})
    assert source == "linear" and share == pytest.approx(182 / 366)


# --- task status -------------------------------------------------------------------------------------


def test_a_task_well_above_time_progress_is_ahead() -> None:
    assert evaluate_task(task(percent=60)).status is GoalStatus.AHEAD


def test_a_task_near_time_progress_is_on_track() -> None:
    ev = evaluate_task(task(percent=46))
    assert ev.status is GoalStatus.ON_TRACK and ev.time_progress == pytest.approx(0.497, abs=0.001)


def test_a_task_below_time_progress_minus_the_margin_is_behind() -> None:
    ev = evaluate_task(task(percent=40))
    assert (ev.status, ev.color) == (GoalStatus.BEHIND, Color.AMBER)


def test_a_task_without_a_report_is_not_reported_and_not_zero_percent() -> None:
    ev = evaluate_task(task(percent=None, latest_percent=50))
    assert (ev.status, ev.progress, ev.color) == (GoalStatus.NOT_REPORTED, None, Color.GREY)


def test_a_past_due_unfinished_milestone_makes_the_task_overdue_even_when_ahead() -> None:
    ms = [Milestone(date(2024, 5, 31)), Milestone(date(2024, 3, 31), date(2024, 3, 20))]
    ev = evaluate_task(task(percent=90, milestones=ms))
    assert (ev.status, ev.color) == (GoalStatus.OVERDUE, Color.RED)


def test_a_milestone_completed_after_the_period_still_counts_as_overdue_in_that_period() -> None:
    ms = [Milestone(date(2024, 5, 31), completed_on=date(2024, 7, 10))]
    assert evaluate_task(task(percent=50, milestones=ms)).status is GoalStatus.OVERDUE


def test_a_task_reported_at_100_percent_with_all_milestones_done_is_done() -> None:
    ms = [Milestone(date(2024, 5, 31), date(2024, 5, 30))]
    ev = evaluate_task(task(percent=None, latest_percent=100, milestones=ms))
    assert (ev.status, ev.progress) == (GoalStatus.DONE, 1.0)


def test_the_task_trajectory_replaces_time_progress_in_the_comparison() -> None:
    # Linear time progress is ~50%, so 30% is behind; the plan says 28% by June, so 30% is on track.
    assert evaluate_task(task(percent=30)).status is GoalStatus.BEHIND
    assert evaluate_task(task(percent=30, trajectory={6: 0.28})).status is GoalStatus.ON_TRACK


def test_task_rules_are_applied_in_the_configured_order() -> None:
    ms = [Milestone(date(2024, 5, 31))]
    facts = task(percent=None, milestones=ms)
    assert evaluate_task(facts).status is GoalStatus.OVERDUE
    reordered = replace(TH, task_rules=("done", "not_reported", "overdue", "ahead", "on_track", "behind"))
    ev = evaluate_task(facts, reordered)
    assert (ev.status, ev.rule) == (GoalStatus.NOT_REPORTED, "not_reported")


def test_the_margins_come_from_the_thresholds() -> None:
    assert evaluate_task(task(percent=42)).status is GoalStatus.BEHIND
    assert evaluate_task(task(percent=42), replace(TH, behind_margin=0.1)).status is GoalStatus.ON_TRACK


# --- judging a forecast against a qualified target ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "qualifier", "measure", "expected"),
    [
        (5.2, 5, ">=", "growth", "met"),
        (5.0, 5, ">=", "growth", "met"),
        (4.3, 5, ">=", "growth", "amber"),
        (3.5, 5, ">=", "growth", "red"),
        (5.0, 5, ">", "growth", "amber"),
        (5.1, 5, ">", "growth", "met"),
        (10.0, 10, "=", "growth", "met"),
        (9.5, 10, "=", "growth", "amber"),
        (23.0, 24, "<=", "level", "met"),
        (24.0, 24, "<=", "level", "met"),
        (24.9, 24, "<=", "level", "amber"),
        (27.0, 24, "<=", "level", "red"),
        (4.6, 5, "~", "growth", "met"),
        (5.4, 5, "~", "growth", "met"),
        (4.2, 5, "~", "growth", "amber"),
        (3.0, 5, "~", "growth", "red"),
        (7.0, 5, "~", "growth", "met"),
        (98.5, 100, "~", "level", "met"),
        (96.0, 100, "~", "level", "amber"),
        (86.5, 86, ">=", "share", "met"),
        (85.2, 86, ">=", "share", "amber"),
        # a decline bounds the fall: 下降3%以上 (−3, 以上) and a bare 下降3% are met at or below −3
        (-3.5, -3, ">=", "growth", "met"),
        (-3.0, -3, ">=", "growth", "met"),
        (-2.2, -3, ">=", "growth", "amber"),
        (-1.0, -3, ">=", "growth", "red"),
        (-3.0, -3, "=", "growth", "met"),
        (-1.5, -3, "=", "growth", "red"),
        (-3.0, -3, ">", "growth", "amber"),  # 下降超3%: strictly more than 3
        (-3.1, -3, ">", "growth", "met"),
        (-2.5, -3, "<=", "growth", "met"),  # 下降3%以内: a fall of at most 3
        (-4.5, -3, "<=", "growth", "red"),
        (-2.7, -3, "~", "growth", "met"),  # 左右 is a band either way
        (-20.0, -20, ">=", "share", "met"),  # only growth is written as a decline
    ],
)
def test_judging_a_forecast_against_each_qualifier(
    value: float, target: float, qualifier: str, measure: str, expected: str
) -> None:
    assert judge(value, target, qualifier, measure, TH)[0] == expected


@pytest.mark.parametrize(
    ("qualifier", "written"),
    [(">=", "下降3%以上"), ("=", "下降3%"), (">", "下降超3%"), ("<=", "下降3%以下"), ("~", "下降3%左右")],
)
def test_a_decline_target_is_written_as_the_report_writes_it(qualifier: str, written: str) -> None:
    facts = IndicatorFacts(
        as_of=date(2024, 6, 30), measure="growth", qualifier=qualifier, target=-3, cumulative=True
    )
    assert target_text(facts) == written


def test_above_a_band_can_be_configured_as_a_warning() -> None:
    strict = replace(TH, band_overshoot_met=False)
    assert judge(7.0, 5, "~", "growth", strict) == ("red", pytest.approx(1.5))
    assert judge(5.8, 5, "~", "growth", strict)[0] == "amber"


# --- forecasts ---------------------------------------------------------------------------------------


def test_a_cumulative_level_uses_last_years_same_period_share() -> None:
    history = {m: v * 10 for m, v in LAST_YEAR_CUM.items()}  # last year's total 1000, June 400 (40%)
    fc = forecast(indicator(target=1000, values={5: 300, 6: 380}, history=history))
    assert fc is not None
    assert (fc.method, fc.month, fc.share) == ("last year's same-period share", 6, 0.4)
    assert fc.value == pytest.approx(950) and fc.expected_end == pytest.approx(950)


def test_without_history_a_cumulative_level_uses_the_run_rate() -> None:
    fc = forecast(indicator(target=1000, values={6: 380}))
    assert fc is not None and fc.method == "run rate" and fc.value == pytest.approx(760)


def test_the_goals_trajectory_beats_the_seasonal_share_in_the_forecast() -> None:
    history = {m: v * 10 for m, v in LAST_YEAR_CUM.items()}
    fc = forecast(indicator(target=1000, values={6: 380}, history=history, trajectory={6: 0.38}))
    assert fc is not None and fc.method == "trajectory" and fc.value == pytest.approx(1000)


def test_a_growth_target_uses_the_latest_ytd_yoy_growth_and_last_years_total() -> None:
    history = {m: v * 10 for m, v in LAST_YEAR_CUM.items()}
    fc = forecast(
        indicator(measure="growth", target=5, values={5: 330, 6: 420}, yoy={5: 4.1, 6: 5.3}, history=history)
    )
    assert fc is not None
    assert (fc.value, fc.method) == (5.3, "latest YTD YoY")
    assert fc.expected_end == pytest.approx(1053)


def test_a_growth_target_without_a_published_yoy_computes_it_from_last_year() -> None:
    history = {m: v * 10 for m, v in LAST_YEAR_CUM.items()}
    fc = forecast(indicator(measure="growth", target=5, values={6: 420}, history=history))
    assert fc is not None and fc.value == pytest.approx(5.0)


def test_a_non_cumulative_level_is_the_mean_to_date_adjusted_by_last_years_season() -> None:
    # PM2.5: winter months are high. Last year: first-half mean 30, full-year mean 320/12.
    history = {1: 40, 2: 36, 3: 30, 4: 26, 5: 25, 6: 23, 7: 20, 8: 18, 9: 20, 10: 22, 11: 28, 12: 32}
    fc = forecast(
        indicator(
            measure="level",
            qualifier="<=",
            target=24,
            cumulative=False,
            values={1: 38, 2: 34, 3: 28, 4: 25, 5: 23, 6: 21},
            history=history,
        )
    )
    assert fc is not None
    assert fc.to_date == pytest.approx(28.1667, abs=1e-3)
    assert fc.value == pytest.approx(28.1667 * (320 / 12) / 30, abs=1e-3)


# --- indicator status --------------------------------------------------------------------------------


def test_an_indicator_without_any_actual_is_no_data_not_red() -> None:
    ev = evaluate_indicator(indicator(values={}))
    assert (ev.status, ev.color, ev.forecast) == (GoalStatus.NO_DATA, Color.GREY, None)


def test_actuals_after_the_as_of_month_are_ignored() -> None:
    ev = evaluate_indicator(indicator(as_of=date(2024, 3, 31), values={6: 500}))
    assert ev.status is GoalStatus.NO_DATA


def test_a_cumulative_level_that_already_reached_its_target_is_done_early() -> None:
    ev = evaluate_indicator(indicator(target=465, values={6: 470}))
    assert (ev.status, ev.rule) == (GoalStatus.DONE, "reached")
    assert ev.progress == pytest.approx(470 / 465)


def test_a_cumulative_level_on_its_seasonal_path_is_met() -> None:
    history = {m: v * 10 for m, v in LAST_YEAR_CUM.items()}
    ev = evaluate_indicator(indicator(target=1000, values={6: 410}, history=history))
    assert ev.status is GoalStatus.MET
    assert (ev.progress, ev.time_progress) == (pytest.approx(0.41), pytest.approx(0.4))


def test_a_cumulative_level_far_below_its_path_is_off_track() -> None:
    ev = evaluate_indicator(indicator(target=1000, values={6: 300}))
    assert (ev.status, ev.color) == (GoalStatus.OFF_TRACK, Color.RED)
    assert ev.forecast == pytest.approx(600) and ev.gap == pytest.approx(0.4)


def test_negative_growth_against_a_growth_target_is_off_track() -> None:
    ev = evaluate_indicator(indicator(measure="growth", target=5, values={6: 90}, yoy={6: -2.3}))
    assert (ev.status, ev.forecast, ev.gap) == (GoalStatus.OFF_TRACK, -2.3, pytest.approx(7.3))


def test_growth_slightly_below_an_at_least_target_is_at_risk() -> None:
    ev = evaluate_indicator(indicator(measure="growth", target=5, values={6: 90}, yoy={6: 4.4}))
    assert (ev.status, ev.color) == (GoalStatus.AT_RISK, Color.AMBER)


def test_growth_inside_an_about_band_is_met_where_an_at_least_target_would_not_be() -> None:
    about = evaluate_indicator(
        indicator(measure="growth", qualifier="~", target=5, values={6: 1}, yoy={6: 4.6})
    )
    at_least = evaluate_indicator(indicator(measure="growth", target=5, values={6: 1}, yoy={6: 4.6}))
    assert (about.status, at_least.status) == (GoalStatus.MET, GoalStatus.AT_RISK)


def test_an_at_most_target_exceeded_by_the_forecast_is_red() -> None:
    ev = evaluate_indicator(
        indicator(
            measure="level",
            qualifier="<=",
            target=24,
            cumulative=False,
            values={1: 35, 2: 30, 3: 28, 4: 27, 5: 26, 6: 25},
        )
    )
    assert (ev.status, ev.color) == (GoalStatus.OFF_TRACK, Color.RED)
    assert ev.forecast == pytest.approx(28.5)


def test_an_at_most_target_under_its_limit_is_met() -> None:
    ev = evaluate_indicator(
        indicator(measure="level", qualifier="<=", target=24, cumulative=False, values={1: 25, 2: 23, 3: 22})
    )
    assert ev.status is GoalStatus.MET and ev.forecast == pytest.approx(23.3333, abs=1e-3)


def test_an_at_most_cumulative_level_is_never_done_early() -> None:
    ev = evaluate_indicator(indicator(qualifier="<=", target=100, values={6: 120}))
    assert ev.status is GoalStatus.OFF_TRACK


def test_a_share_target_is_judged_in_percentage_points() -> None:
    ev = evaluate_indicator(indicator(measure="share", target=86, cumulative=False, values={1: 80, 2: 90}))
    assert ev.status is GoalStatus.AT_RISK and ev.gap == pytest.approx(1.0)


def test_a_strictly_greater_target_reached_exactly_is_not_done() -> None:
    ev = evaluate_indicator(indicator(qualifier=">", target=92, values={12: 92}, as_of=date(2024, 12, 31)))
    assert ev.status is GoalStatus.AT_RISK


def test_an_overdue_milestone_marks_an_indicator_overdue_before_its_forecast() -> None:
    ev = evaluate_indicator(
        indicator(target=1000, values={6: 600}, milestones=[Milestone(date(2024, 4, 30))])
    )
    assert ev.status is GoalStatus.OVERDUE


# --- roll-up -----------------------------------------------------------------------------------------

CHILDREN = [
    NodeScore(1.0, 0.6, 3.0),
    NodeScore(0.5, 0.4, 1.0),
    NodeScore(0.0, 0.2, 1.0),
    NodeScore(None, None, 5.0, 1),
]


def test_average_roll_up_is_the_plain_mean_of_scored_children() -> None:
    node = roll_up(CHILDREN, RollupRule.AVERAGE)
    assert (node.score, node.progress, node.unscored) == (pytest.approx(0.5), pytest.approx(0.4), 1)
    assert node.color is Color.AMBER


def test_weighted_roll_up_weighs_by_the_childrens_weights() -> None:
    node = roll_up(CHILDREN, "weighted")
    assert node.score == pytest.approx((3 * 1.0 + 0.5 + 0) / 5)
    assert node.progress == pytest.approx((3 * 0.6 + 0.4 + 0.2) / 5)


def test_worst_roll_up_takes_the_worst_child() -> None:
    node = roll_up(CHILDREN, "worst")
    assert (node.score, node.progress, node.color) == (0.0, 0.2, Color.RED)


def test_a_node_whose_children_are_all_unreported_has_no_score() -> None:
    node = roll_up([NodeScore(None, None, 1, 1), NodeScore(None, None, 1, 1)], "average")
    assert (node.score, node.color, node.unscored) == (None, Color.GREY, 2)
