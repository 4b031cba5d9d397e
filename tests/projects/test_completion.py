"""Completion rate (计划投资完成率) and the lag rule on a small hand-computed ledger (see conftest)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from citycockpit.auth.principal import Principal
from citycockpit.projects import queries
from citycockpit.projects.errors import InvalidPeriod

JUNE = queries.Period(2024, 6)


def _rows(db: Session, principal: Principal, **kw: object) -> dict[str, dict[str, object]]:
    items, _ = queries.project_completion(db, principal, JUNE, 10.0, **kw)  # type: ignore[arg-type]
    return {r["code"]: r for r in items}


def test_each_projects_rate_is_the_latest_cumulative_actual_over_the_plan(db, ledger, leader) -> None:
    rows = _rows(db, leader.principal)
    assert rows["P1"]["actual"] == 700  # July's 900 is after the period
    assert rows["P1"]["completion_pct"] == pytest.approx(58.333, abs=1e-3)
    assert rows["P2"]["completion_pct"] == pytest.approx(30.0)
    assert rows["P6"]["completion_pct"] == pytest.approx(0.0)


def test_a_project_starting_mid_year_is_held_against_time_since_its_start_month(db, ledger, leader) -> None:
    rows = _rows(db, leader.principal)
    assert rows["P3"]["time_progress_pct"] == pytest.approx(25.0)  # (6-5+1)/(12-5+1)
    assert rows["P3"]["is_lagging"] == 0
    assert rows["P5"]["time_progress_pct"] == pytest.approx(0.0)  # starts in September
    assert rows["P5"]["is_lagging"] == 0


def test_the_lagging_list_holds_projects_behind_time_progress_by_more_than_the_margin(
    db, ledger, leader
) -> None:
    lagging = _rows(db, leader.principal, lagging_only=True)
    assert list(lagging) == ["P6", "P2"]  # 50 points behind first, then 20
    assert lagging["P2"]["department_name"] == "发改委"
    assert lagging["P6"]["gap_pct"] == pytest.approx(50.0)


def test_a_project_exactly_on_the_margin_does_not_lag(db, ledger, leader) -> None:
    assert _rows(db, leader.principal)["P7"]["is_lagging"] == 0


def test_a_wider_margin_shortens_the_lagging_list(db, ledger, leader) -> None:
    items, total = queries.project_completion(db, leader.principal, JUNE, 25.0, lagging_only=True)
    assert (total, [r["code"] for r in items]) == (1, ["P6"])


def test_a_project_without_a_plan_is_listed_as_no_plan_and_not_counted(db, ledger, leader) -> None:
    no_plan = _rows(db, leader.principal, no_plan_only=True)
    assert list(no_plan) == ["P4"]
    assert no_plan["P4"]["completion_pct"] is None
    totals = queries.completion_totals(db, leader.principal, JUNE, 10.0)
    assert (totals["projects"], totals["planned_projects"]) == (7, 6)
    assert totals["actual_wan_cny"] == pytest.approx(1600)  # P4's 50 is left out


def test_the_overall_rate_is_total_actual_over_total_plan(db, ledger, leader) -> None:
    totals = queries.completion_totals(db, leader.principal, JUNE, 10.0)
    assert totals["planned_wan_cny"] == pytest.approx(5100)
    assert totals["completion_pct"] == pytest.approx(1600 / 5100 * 100)
    # 600 + 500 + 200 + 0 + 250 + 500
    assert totals["time_adjusted_plan_wan_cny"] == pytest.approx(2050)
    assert totals["lagging"] == 2


def test_rates_aggregate_by_level(db, ledger, leader) -> None:
    groups = {g["key"]: g for g in queries.completion_by(db, leader.principal, JUNE, 10.0, by="level")}
    assert groups["provincial"]["completion_pct"] == pytest.approx(700 / 1200 * 100)
    assert groups["suzhou"]["completion_pct"] == pytest.approx(300 / 1500 * 100)
    assert groups["suzhou"]["lagging"] == 2
    assert groups["city"]["planned_wan_cny"] == pytest.approx(2400)
    assert groups["city"]["completion_pct"] == pytest.approx(600 / 2400 * 100)
    assert groups["suzhou"]["label"] == "苏州重点"


def test_rates_aggregate_by_industry_area_and_department(db, ledger, leader, city) -> None:
    by_industry = {
        g["key"]: g for g in queries.completion_by(db, leader.principal, JUNE, 10.0, by="industry")
    }
    assert by_industry["生物医药"]["completion_pct"] == pytest.approx(500 / 1800 * 100)
    by_area = {g["label"]: g for g in queries.completion_by(db, leader.principal, JUNE, 10.0, by="area")}
    assert by_area["沙溪镇"]["completion_pct"] == pytest.approx(400 / 1500 * 100)
    by_dept = {
        g["label"]: g for g in queries.completion_by(db, leader.principal, JUNE, 10.0, by="department")
    }
    assert by_dept["城管局"]["projects"] == 3
    assert by_dept["城管局"]["planned_projects"] == 2
    assert by_dept["城管局"]["completion_pct"] == pytest.approx(200 / 1400 * 100)
    assert by_dept["发改委"]["lagging"] == 2


def test_a_department_sees_only_its_own_projects_in_the_aggregates(db, ledger, dept_staff) -> None:
    totals = queries.completion_totals(db, dept_staff.principal, JUNE, 10.0)
    assert (totals["projects"], totals["planned_wan_cny"]) == (3, pytest.approx(1400))


def test_a_bad_period_is_refused() -> None:
    with pytest.raises(InvalidPeriod):
        queries.parse_period("2024-13")


def test_the_default_period_is_the_last_month_whose_reports_are_due() -> None:
    assert str(queries.default_period(date(2024, 9, 30))) == "2024-09"
    assert str(queries.default_period(date(2024, 10, 15))) == "2024-09"
    assert str(queries.default_period(date(2024, 1, 5))) == "2023-12"
