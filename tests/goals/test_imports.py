"""Task sheet round trip and errors; actuals import by name or alias, replacement audited."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.core.clock import Clock
from citycockpit.core.tabular import ImportFailed
from citycockpit.goals import periods, series, tasks_io
from citycockpit.goals.models import Goal, GoalCoDepartment, IndicatorActual, Milestone
from tests.goals.builders import ACTOR, add_milestone, make_goal, make_series


def _sheet(rows: list[list[object]], headers: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers or tasks_io.HEADERS)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _count(db: Session, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_new_sheet_creates_goals_with_departments_and_milestones(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    data = _sheet(
        [
            [
                "",
                1,
                "新建新能源充电站40座",
                "发改委",
                "城管局、CGJ",
                "李强",
                "2024年12月底",
                "2024-03-31 完成选址\n6月底 开工建设",
            ],
            ["", 2, "改造老旧小区6个", "太仓市城市管理局", "", "", "2024-11-30", ""],
        ]
    )
    result = tasks_io.import_tasks(db, data, "tasks.xlsx", year=2024, actor=ACTOR, now=clock.now())
    assert (result.created, result.updated, result.milestones_added) == (2, 0, 2)
    goal = db.scalars(select(Goal).where(Goal.key == result.keys[0])).one()
    assert (goal.lead_department_id, goal.due_on, goal.responsible_person) == (
        city["fgw"].id,
        date(2024, 12, 31),
        "李强",
    )
    co = set(db.scalars(select(GoalCoDepartment.department_id).where(GoalCoDepartment.goal_id == goal.id)))
    assert co == {city["cgj"].id}
    dues = sorted(db.scalars(select(Milestone.due_on).where(Milestone.goal_id == goal.id)))
    assert dues == [date(2024, 3, 31), date(2024, 6, 30)]


def test_an_edited_export_reimports_as_updates_without_duplicates(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    goal = make_goal(
        db, now=clock.now(), lead_department_id=city["cgj"].id, co_department_ids=[city["fgw"].id]
    )
    ms = add_milestone(db, goal, date(2024, 4, 30), now=clock.now(), title="完成立项")
    ms.completed_on, ms.evidence = date(2024, 4, 20), "立项批复"
    make_goal(db, now=clock.now(), title="改造农贸市场20家", lead_department_id=city["fgw"].id)
    exported = tasks_io.export_tasks(db, year=2024)
    wb = load_workbook(io.BytesIO(exported))
    ws = wb.active
    assert [c.value for c in ws[1]] == tasks_io.HEADERS
    ws.cell(2, 4).value = "发改委"  # new lead for the first goal
    ws.cell(2, 8).value = ws.cell(2, 8).value + "\n2024-10-31 建成投用"
    out = io.BytesIO()
    wb.save(out)
    before = _count(db, Goal)
    result = tasks_io.import_tasks(db, out.getvalue(), "tasks.xlsx", year=2024, actor=ACTOR, now=clock.now())
    assert (result.created, result.updated, _count(db, Goal)) == (0, 2, before)
    db.refresh(goal)
    assert goal.lead_department_id == city["fgw"].id
    kept = db.scalars(select(Milestone).where(Milestone.goal_id == goal.id).order_by(Milestone.due_on)).all()
    assert [(m.title, m.completed_on) for m in kept] == [("完成立项", date(2024, 4, 20)), ("建成投用", None)]
    assert tasks_io.export_tasks(db, year=2024) != exported


def test_unknown_departments_dates_and_keys_are_reported_by_row_and_nothing_is_imported(
    db: Session, clock: Clock, city
) -> None:  # type: ignore[no-untyped-def]
    make_goal(db, now=clock.now(), lead_department_id=city["cgj"].id)
    before = _count(db, Goal)
    data = _sheet(
        [
            ["", 1, "新建充电站40座", "发改委", "", "", "2024-12-31", ""],
            ["", 2, "改造老旧小区", "房管局", "", "", "2024-12-31", ""],
            ["", 3, "新建学校8所", "城管局", "不存在局", "", "年底前", ""],
            ["2099-001", 4, "学位5625个", "城管局", "", "", "", "开工"],
        ]
    )
    with pytest.raises(ImportFailed) as caught:
        tasks_io.import_tasks(db, data, "tasks.xlsx", year=2024, actor=ACTOR, now=clock.now())
    reasons = {(e.row, e.reason.split(" ")[0]) for e in caught.value.row_errors}
    assert {r for r, _ in reasons} == {3, 4, 5}
    text = " ".join(e.reason for e in caught.value.row_errors)
    assert (
        "房管局" in text
        and "不存在局" in text
        and "年底前" in text
        and "2099-001" in text
        and "节点安排" in text
    )
    assert _count(db, Goal) == before


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"not a zip at all", "tasks.xlsx", "not a readable XLSX"),
        (b"a,b\n1,2\n", "tasks.csv", ".xlsx"),
        (None, "tasks.xlsx", "missing column"),
    ],
)
def test_a_bad_task_file_is_refused_with_a_reason(
    db: Session, clock: Clock, data: bytes | None, name: str, reason: str
) -> None:
    payload = data if data is not None else _sheet([["x"]], headers=["名称"])
    with pytest.raises(ImportFailed) as caught:
        tasks_io.import_tasks(db, payload, name, year=2024, actor=ACTOR, now=clock.now())
    assert reason in caught.value.detail


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_actuals_match_series_by_alias_and_reimport_replaces_with_an_audit(db: Session, clock: Clock) -> None:
    s = make_series(db, "规模以上工业产值", now=clock.now(), aliases=["规上工业总产值"])
    first = series.import_actuals(
        db,
        _csv("指标,期间,数值,同比\n规上工业总产值,2024年5月,1420.5,4.1\n规模以上工业产值,2024-06,1710,4.6\n"),
        "stat.csv",
        actor=ACTOR,
        now=clock.now(),
    )
    assert (first.created, first.periods) == (2, ["2024-05", "2024-06"])
    again = series.import_actuals(
        db,
        _csv("指标,期间,数值,同比\n规模以上工业产值,2024-06,1712.3,4.7\n"),
        "stat-rev.csv",
        actor=ACTOR,
        now=clock.now(),
    )
    assert (again.created, again.replaced[0]["from"], again.replaced[0]["to"]) == (
        0,
        [1710.0, 4.6],
        [1712.3, 4.7],
    )
    stored = db.scalars(
        select(IndicatorActual).where(IndicatorActual.series_id == s.id, IndicatorActual.period == "2024-06")
    ).one()
    assert (stored.value, stored.source) == (1712.3, "stat-rev.csv")
    audits = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "actuals.import").order_by(AuditEntry.id)
    ).all()
    assert len(audits) == 2 and "1712.3" in audits[-1].diff_json


def test_an_actuals_file_with_unknown_indicators_or_locked_periods_imports_nothing(
    db: Session, clock: Clock
) -> None:
    make_series(db, "工业投资", now=clock.now())
    periods.lock_period(db, "2024-05", actor=ACTOR, now=clock.now())
    data = _csv(
        "指标,期间,数值,同比\n工业投资,2024-06,120,6\n工业增加值,2024-06,50,3\n工业投资,2024-05,100,5\n工业投资,2024-13,1,1\n工业投资,2024-06,121,6\n"
    )
    with pytest.raises(ImportFailed) as caught:
        series.import_actuals(db, data, "bad.csv", actor=ACTOR, now=clock.now())
    rows = sorted(e.row for e in caught.value.row_errors)
    assert rows == [3, 4, 5, 6]
    assert _count(db, IndicatorActual) == 0
