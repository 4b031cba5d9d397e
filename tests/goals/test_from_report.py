"""Goals come only from reviewed ledger items, plus the sub-tasks without a number; the CLI goes from the
seed report to a June bulletin."""

from __future__ import annotations

import io
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit import migrate
from citycockpit.cli import app as cli_app
from citycockpit.core.clock import Clock
from citycockpit.db import make_engine
from citycockpit.goals import bulletin, evaluation, service
from citycockpit.goals.enums import GoalSource
from citycockpit.goals.models import Goal, GoalNode
from citycockpit.goals.status import Thresholds
from citycockpit.report import service as reports
from citycockpit.report.models import ReportItem, ReportSubtask
from tests.goals.builders import ACTOR, make_series

SEED_NAME = "taicang-2024-government-work-report.txt"
SEED = resources.files("citycockpit.report").joinpath(f"samples/{SEED_NAME}").read_bytes()


def _item(db: Session, report_id: int, name: str) -> ReportItem:
    """The target (or else the commitment) item of that name; the review part repeats some names."""
    item = db.scalars(
        select(ReportItem)
        .where(
            ReportItem.report_id == report_id,
            ReportItem.name == name,
            ReportItem.list_name.in_(["targets", "commitments"]),
        )
        .order_by(ReportItem.list_name.desc(), ReportItem.position)
    ).first()
    assert item is not None
    return item


def test_only_confirmed_or_edited_items_become_goals(db: Session, clock: Clock) -> None:
    report, _ = reports.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    gdp_series = make_series(db, "地区生产总值", now=clock.now())
    gdp, inv, pm = (_item(db, report.id, n) for n in ("地区生产总值", "全社会固定资产投资", "PM2.5年均浓度"))
    reports.confirm_items(db, report.id, [gdp.id], actor=ACTOR, now=clock.now())
    reports.review_item(db, pm.id, action="edit", changes={"value": 25}, actor=ACTOR, now=clock.now())
    reports.review_item(db, inv.id, action="reject", actor=ACTOR, now=clock.now())
    result = service.goals_from_report(db, report.id, actor=ACTOR, now=clock.now())
    goals = {g.report_item_id: g for g in db.scalars(select(Goal).where(Goal.report_item_id.is_not(None)))}
    assert set(goals) == {gdp.id, pm.id}
    g = goals[gdp.id]
    assert (g.title, g.measure, g.qualifier, g.target_value, g.series_id, g.kind) == (
        "地区生产总值增长5%以上",
        "growth",
        ">=",
        5,
        gdp_series.id,
        "indicator",
    )
    assert (goals[pm.id].target_value, goals[pm.id].qualifier, goals[pm.id].stretch) == (25, "<=", True)
    with_numbers = db.scalar(
        select(func.count(func.distinct(ReportItem.subtask_id))).where(
            ReportItem.report_id == report.id, ReportItem.subtask_id.is_not(None)
        )
    )
    subtasks = db.scalar(select(func.count(ReportSubtask.id))) or 0
    qualitative = db.scalar(select(func.count(Goal.id)).where(Goal.source == "qualitative")) or 0
    assert qualitative == subtasks - with_numbers > 0
    assert len(result.created) == 2 + qualitative
    assert db.scalar(select(func.count(GoalNode.id))) == result.nodes > 8
    # task areas are numbered as the report numbers them (一、二…): the main targets carry no number
    areas = list(db.scalars(select(GoalNode).where(GoalNode.parent_id.is_(None)).order_by(GoalNode.position)))
    assert (areas[0].title, areas[0].number) == ("主要预期目标", None)
    assert [a.number for a in areas[1:3]] == ["一", "二"]


def test_running_from_report_again_adds_only_newly_confirmed_items(db: Session, clock: Clock) -> None:
    report, _ = reports.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    first = service.goals_from_report(db, report.id, actor=ACTOR, now=clock.now())
    again = service.goals_from_report(db, report.id, actor=ACTOR, now=clock.now())
    assert (len(again.created), again.skipped) == (0, len(first.created))
    emp = _item(db, report.id, "城镇新增就业")
    reports.confirm_items(db, report.id, [emp.id], actor=ACTOR, now=clock.now())
    third = service.goals_from_report(db, report.id, actor=ACTOR, now=clock.now())
    goal = db.get(Goal, third.created[0])
    # The task as the report states it; 力争 is the goal's stretch flag, not part of its title.
    assert (len(third.created), goal.title, goal.stretch) == (1, "城镇新增就业1.7万人", True)


def test_the_bulletin_names_the_seed_reports_main_targets_by_their_official_names(
    db: Session, clock: Clock
) -> None:
    report, _ = reports.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    targets, _ = reports.list_items(db, report.id, list_name="targets")
    reports.confirm_items(db, report.id, [t.id for t in targets], actor=ACTOR, now=clock.now())
    service.goals_from_report(db, report.id, actor=ACTOR, now=clock.now())
    evaluation.evaluate_goals(
        db, "2024-06", today=date(2024, 9, 30), thresholds=Thresholds(), now=clock.now()
    )
    b = bulletin.build_bulletin(db, None, period="2024-06", today=date(2024, 9, 30))
    target_keys = set(db.scalars(select(Goal.key).where(Goal.source == GoalSource.TARGET.value)))
    titles = [row.title for group in b.by_area for row in group["rows"] if row.key in target_keys]
    # The indicators as the statistics bureau names them: 全社会固定资产投资, not 固定资产投资.
    official = [
        "地区生产总值",
        "一般公共预算收入",
        "全社会固定资产投资",
        "工业投资",
        "规模以上工业产值",
        "社会消费品零售总额",
    ]
    assert sorted(name for name in official for t in titles if t.startswith(name)) == sorted(official)
    assert len(titles) == len(official), titles


@pytest.mark.slow
def test_the_cli_goes_from_the_seed_report_to_a_june_bulletin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYCOCKPIT_TODAY", "2024-09-30")
    db = str(tmp_path / "c.db")
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    engine.dispose()
    runner = CliRunner()
    seed = tmp_path / SEED_NAME
    seed.write_bytes(SEED)
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("指标,期间,数值,同比\nGDP,2024-03,420,4.8\nGDP,2024-06,860,5.2\n", encoding="utf-8")

    def run(*args: str) -> str:
        result = runner.invoke(cli_app, [*args, "--db", db])
        assert result.exit_code == 0, result.output
        return result.output

    run("report", "ingest", str(seed))
    run("actuals", "add-series", "地区生产总值", "--unit", "亿元", "--alias", "GDP")
    run("actuals", "import", str(actuals))
    assert "created" in run("goals", "from-report", "1", "--confirm-all")
    run("goals", "export-tasks", "--out", str(tmp_path / "tasks.xlsx"))
    wb = load_workbook(tmp_path / "tasks.xlsx")
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    assert rows and rows[0][0] == "2024-001"
    assert "updated" in run("goals", "import-tasks", str(tmp_path / "tasks.xlsx"))
    out = run("goals", "bulletin", "--period", "2024-06", "--out", str(tmp_path / "b.html"))
    assert "预计达标 1 项" in out
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "地区生产总值增长5%以上" in html and "未报送" in html
    run("goals", "bulletin", "--period", "2024-06", "--out", str(tmp_path / "b.xlsx"))
    assert load_workbook(io.BytesIO((tmp_path / "b.xlsx").read_bytes())).sheetnames[0] == "汇总"
    run("goals", "alerts")
    run("goals", "lock", "2024-06")
    run("goals", "reminders", "--period", "2024-06")
    run("goals", "rollup", "--year", "2024", "--period", "2024-06")
    run("goals", "status", "--period", "2024-06")
    run("actuals", "series")
    run("goals", "unlock", "2024-06", "--reason", "补报")
