"""The rules applied to stored goals (both backends): statuses, SQL counts, alerts, locking."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.core.clock import Clock
from citycockpit.goals import evaluation, periods, progress, queries
from citycockpit.goals.errors import PeriodLocked
from citycockpit.goals.models import GoalAlert, GoalEvaluation
from citycockpit.goals.status import Thresholds
from tests.goals.builders import ACTOR, add_actuals, add_milestone, lead_of, make_goal, make_series

TH = Thresholds()
TODAY = date(2024, 9, 30)


def _evaluate(db: Session, clock: Clock, period: str = "2024-06") -> dict[str, str]:
    evaluation.evaluate_goals(db, period, today=TODAY, thresholds=TH, now=clock.now())
    rows = db.execute(
        select(GoalEvaluation.goal_id, GoalEvaluation.status).where(GoalEvaluation.period == period)
    ).all()
    return {int(gid): str(status) for gid, status in rows}


def _report(db, goal, city, clock, percent, period="2024-06"):  # type: ignore[no-untyped-def]
    return progress.submit_report(
        db,
        goal.id,
        period=period,
        percent=percent,
        narrative="按计划推进",
        principal=lead_of(goal),
        now=clock.now(),
    )


def test_growth_targets_are_judged_on_the_stored_ytd_yoy(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    gdp = make_series(db, "地区生产总值", now=clock.now())
    add_actuals(db, gdp, 2024, {3: (420.0, 4.9), 6: (860.0, 5.2)}, now=clock.now())
    met = make_goal(
        db,
        now=clock.now(),
        title="地区生产总值增长5%以上",
        measure="growth",
        qualifier=">=",
        target_value=5,
        series_id=gdp.id,
    )
    inv = make_series(db, "工业投资", now=clock.now())
    add_actuals(db, inv, 2024, {6: (120.0, -2.3)}, now=clock.now())
    red = make_goal(
        db,
        now=clock.now(),
        title="工业投资增长10%",
        measure="growth",
        qualifier="=",
        target_value=10,
        series_id=inv.id,
    )
    statuses = _evaluate(db, clock)
    assert (statuses[met.id], statuses[red.id]) == ("met", "off_track")
    stored = db.scalars(select(GoalEvaluation).where(GoalEvaluation.goal_id == red.id)).one()
    assert stored.forecast == pytest.approx(-2.3) and stored.color == "red"


def test_an_indicator_without_actuals_is_no_data_and_raises_no_red_alert(
    db: Session, clock: Clock, city
) -> None:  # type: ignore[no-untyped-def]
    s = make_series(db, "社会消费品零售总额", now=clock.now())
    goal = make_goal(
        db,
        now=clock.now(),
        title="社零增长5.5%左右",
        measure="growth",
        qualifier="~",
        target_value=5.5,
        series_id=s.id,
        lead_department_id=city["fgw"].id,
    )
    assert _evaluate(db, clock)[goal.id] == "no_data"
    kinds = set(db.scalars(select(GoalAlert.kind).where(GoalAlert.goal_id == goal.id)))
    assert "turned_red" not in kinds


def test_an_at_most_target_exceeded_turns_red_with_an_alert_for_the_lead(
    db: Session, clock: Clock, city
) -> None:  # type: ignore[no-untyped-def]
    pm = make_series(db, "PM2.5年均浓度", now=clock.now(), cumulative=False, unit="微克/立方米")
    add_actuals(db, pm, 2024, {1: 38.0, 2: 33.0, 3: 29.0, 4: 26.0, 5: 25.0, 6: 23.0}, now=clock.now())
    goal = make_goal(
        db,
        now=clock.now(),
        title="PM2.5年均浓度24以下",
        measure="level",
        qualifier="<=",
        target_value=24,
        series_id=pm.id,
        lead_department_id=city["cgj"].id,
    )
    assert _evaluate(db, clock)[goal.id] == "off_track"
    alert = db.scalars(
        select(GoalAlert).where(GoalAlert.goal_id == goal.id, GoalAlert.kind == "turned_red")
    ).one()
    assert (alert.department_id, alert.period) == (city["cgj"].id, "2024-06")


def test_a_cumulative_level_reached_before_year_end_is_done(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    s = make_series(db, "新能源充电站", now=clock.now(), unit="座")
    add_actuals(db, s, 2024, {5: 36.0, 6: 41.0}, now=clock.now())
    goal = make_goal(db, now=clock.now(), measure="level", qualifier="=", target_value=40, series_id=s.id)
    assert _evaluate(db, clock)[goal.id] == "done"


def test_task_statuses_come_from_reports_and_milestones(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    lead = city["cgj"].id
    ahead = make_goal(db, now=clock.now(), title="老旧小区改造6个", lead_department_id=lead)
    behind = make_goal(db, now=clock.now(), title="农贸市场改造20家", lead_department_id=lead)
    silent = make_goal(db, now=clock.now(), title="公交线路优化10条", lead_department_id=lead)
    late = make_goal(db, now=clock.now(), title="学校新建8所", lead_department_id=lead)
    _report(db, ahead, city, clock, 70)
    _report(db, behind, city, clock, 30)
    _report(db, late, city, clock, 60)
    add_milestone(db, late, date(2024, 5, 31), now=clock.now())
    statuses = _evaluate(db, clock)
    assert [statuses[g.id] for g in (ahead, behind, silent, late)] == [
        "ahead",
        "behind",
        "not_reported",
        "overdue",
    ]
    kinds = dict(
        db.execute(select(GoalAlert.goal_id, GoalAlert.kind).where(GoalAlert.kind != "turned_red")).all()
    )
    assert (kinds[silent.id], kinds[late.id]) == ("report_missing", "milestone_overdue")


def test_a_returned_report_counts_as_not_reported(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    report = _report(db, goal, city, clock, 60)
    progress.review_report(
        db, report.id, accept=False, comment="请补充佐证材料", actor=ACTOR, now=clock.now()
    )
    assert _evaluate(db, clock)[goal.id] == "not_reported"
    assert [g.id for g in progress.missing_reports(db, None, period="2024-06")] == [goal.id]


def test_counts_per_status_department_and_area_are_sql_aggregates(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    for percent in (70, 30, 35):
        _report(db, make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id), city, clock, percent)
    make_goal(db, now=clock.now(), lead_department_id=city["fgw"].id)
    _evaluate(db, clock)
    assert queries.status_counts(db, None, "2024-06") == {"ahead": 1, "behind": 2, "not_reported": 1}
    by_dept = {(name, s): n for _d, name, s, n in queries.counts_by_department(db, None, "2024-06")}
    assert by_dept == {("城管局", "ahead"): 1, ("城管局", "behind"): 2, ("发改委", "not_reported"): 1}


def test_a_locked_period_keeps_its_statuses_until_unlocked(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    assert _evaluate(db, clock)[goal.id] == "not_reported"
    periods.lock_period(db, "2024-06", actor=ACTOR, now=clock.now())
    with pytest.raises(PeriodLocked):
        _report(db, goal, city, clock, 60)
    run = evaluation.refresh(db, "2024-06", today=TODAY, thresholds=TH, now=clock.now())
    assert run.frozen
    periods.unlock_period(db, "2024-06", actor=ACTOR, now=clock.now(), reason="补报")
    _report(db, goal, city, clock, 50)
    assert _evaluate(db, clock)[goal.id] == "on_track"
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "goal_period")))
    assert actions == {"goal_period.lock", "goal_period.unlock"}


def test_roll_up_uses_each_nodes_rule(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.goals import service
    from citycockpit.goals.models import GoalNode

    area = GoalNode(year=2024, title="聚力惠民生", number="六", position=1, rollup_rule="average", weight=1.0)
    db.add(area)
    db.flush()
    ok = make_goal(db, now=clock.now(), node_id=area.id, lead_department_id=city["cgj"].id, weight=3)
    bad = make_goal(db, now=clock.now(), node_id=area.id, lead_department_id=city["cgj"].id, weight=1)
    make_goal(db, now=clock.now(), node_id=area.id, lead_department_id=city["cgj"].id)  # 未报送: left out
    _report(db, ok, city, clock, 50)
    _report(db, bad, city, clock, 10)
    _evaluate(db, clock)
    tree = queries.rollup_tree(db, None, year=2024, period="2024-06")
    assert (tree[0].score.score, tree[0].score.unscored) == (pytest.approx(0.75), 1)
    service.set_rollup_rule(db, area.id, "weighted", actor=ACTOR, now=clock.now())
    assert queries.rollup_tree(db, None, year=2024, period="2024-06")[0].score.score == pytest.approx(3.5 / 4)
    service.set_rollup_rule(db, area.id, "worst", actor=ACTOR, now=clock.now())
    assert queries.rollup_tree(db, None, year=2024, period="2024-06")[0].score.color.value == "amber"
    assert (
        db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "goal_node.rollup"))
        == 2
    )


def test_a_missing_report_alert_waits_for_the_end_of_the_month(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    evaluation.evaluate_goals(db, "2024-09", today=TODAY.replace(day=20), thresholds=TH, now=clock.now())
    assert db.scalar(select(func.count()).select_from(GoalAlert).where(GoalAlert.goal_id == goal.id)) == 0
    evaluation.evaluate_goals(db, "2024-09", today=TODAY, thresholds=TH, now=clock.now())
    kinds = list(db.scalars(select(GoalAlert.kind).where(GoalAlert.goal_id == goal.id)))
    assert kinds == ["report_missing"]
