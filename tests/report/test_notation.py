"""Ledger figures are shown in the report's own notation (增长5%以上, 左右, 以下) wherever people read them:
the review page, a goal's page, the big screen and the bulletin all write them through report.enums.value_text,
never as `>= 5 %` or `~ 5 % growth`."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.goals import service as goals
from citycockpit.goals.models import Goal
from citycockpit.report import service as reports
from citycockpit.report.enums import value_text
from citycockpit.report.models import ReportItem
from tests.goals.builders import ACTOR

SEED = resources.files("citycockpit.report").joinpath("samples/taicang-2024-government-work-report.txt")
SYMBOLS = re.compile(r"(>=|<=|~|&gt;=|&lt;=|&gt;)\s*\d")


@pytest.mark.parametrize(
    ("measure", "value", "unit", "qualifier", "text"),
    [
        ("growth", 5, "%", ">=", "增长5%以上"),
        ("growth", 5.5, "%", "~", "增长5.5%左右"),
        ("growth", -3, "%", ">", "下降超3%"),
        ("growth", 0.5, "个百分点", "=", "增长0.5个百分点"),
        ("level", 24, "微克/立方米", "<=", "24微克/立方米以下"),
        ("level", 1200000, "元", "=", "1200000元"),
        ("level", 1000, "亿元", ">", "超1000亿元"),
        ("share", 86, "%", ">=", "86%以上"),
        ("level", None, None, None, ""),
    ],
)
def test_a_figure_reads_as_the_report_writes_it(measure, value, unit, qualifier, text) -> None:
    assert value_text(measure, value, unit, qualifier) == text


def _seed(db: Session, clock: Clock) -> int:
    report, _ = reports.ingest_report(db, SEED.read_bytes(), "r.txt", actor=ACTOR, now=clock.now())
    return report.id


def test_the_review_page_shows_targets_in_the_reports_words(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report_id = _seed(db, clock)
    r = client.get(f"/app/reports/{report_id}?list=targets", headers=supervisor.headers)
    assert r.status_code == 200
    html = r.text
    assert "增长5%以上" in html and "增长5%左右" in html
    assert SYMBOLS.findall(html) == []
    assert ">growth<" not in html and "增速" in html


def test_the_edit_form_names_qualifiers_and_measures_in_chinese(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report_id = _seed(db, clock)
    item = db.scalars(
        select(ReportItem).where(ReportItem.report_id == report_id, ReportItem.value.is_not(None))
    ).first()
    assert item is not None
    html = client.get(f"/app/reports/{report_id}?list={item.list_name}", headers=supervisor.headers).text
    qualifiers = re.findall(r'<option value="(?:=|&gt;=|&gt;|&lt;=|~)"[^>]*>([^<]+)</option>', html)
    measures = re.findall(r'<option value="(?:level|growth|share)"[^>]*>([^<]+)</option>', html)
    assert set(qualifiers) == {"等于", "以上", "超过", "以下", "左右"}
    assert set(measures) == {"总量", "增速", "比重"}


def test_a_goal_from_a_target_shows_its_target_in_the_reports_words_on_every_reader(
    client: TestClient, db: Session, clock: Clock, supervisor, leader
) -> None:
    report_id = _seed(db, clock)
    gdp = db.scalars(
        select(ReportItem).where(
            ReportItem.report_id == report_id,
            ReportItem.list_name == "targets",
            ReportItem.name.like("%地区生产总值"),
        )
    ).first()
    assert gdp is not None
    reports.confirm_items(db, report_id, [gdp.id], actor=ACTOR, now=clock.now())
    goals.goals_from_report(db, report_id, actor=ACTOR, now=clock.now())
    goal = db.scalars(select(Goal).where(Goal.report_item_id == gdp.id)).one()
    assert goal.target_text == "增长5%以上"
    assert goal.title.endswith("增长5%以上")

    page = client.get(f"/app/goals/{goal.id}", headers=supervisor.headers).text
    assert "增长5%以上" in page and SYMBOLS.findall(page) == []

    screen = client.get("/api/v1/screen/targets", headers=leader.headers).json()
    texts = {i["name"]: i.get("target_text") for i in screen["items"]}
    assert texts.get(goal.title) == "增长5%以上"


@pytest.mark.parametrize(
    ("quote", "name", "title"),
    [
        ("新招引外资企业12家、内资企业30家", "内资企业", "新招引内资企业30家"),
        ("新招引外资企业12家、内资企业30家", "外资企业", "新招引外资企业12家"),
        ("力争建成口袋公园15个", "口袋公园", "建成口袋公园15个"),
        ("投用社区食堂6个、新增托位300个", "托位", "新增托位300个"),
        ("争取PM10年均浓度45微克/立方米以下、优良天数比例80%以上", "优良天数比例", "优良天数比例80%以上"),
        ("新改造燃气管网50公里", "供水", None),
    ],
)
def test_a_commitment_reads_as_the_task_the_report_states(quote: str, name: str, title: str | None) -> None:
    assert reports.item_task(quote, name) == title


def test_the_seeds_goals_read_as_tasks_not_as_a_noun_and_a_number(db: Session, clock: Clock) -> None:
    report_id = _seed(db, clock)
    items = db.scalars(
        select(ReportItem).where(ReportItem.report_id == report_id, ReportItem.list_name.in_(["commitments"]))
    ).all()
    reports.confirm_items(db, report_id, [i.id for i in items], actor=ACTOR, now=clock.now())
    goals.goals_from_report(db, report_id, actor=ACTOR, now=clock.now())
    titles = set(db.scalars(select(Goal.title).where(Goal.report_item_id.is_not(None))))
    assert {"加快推进万豪酒店等65个项目", "新改造提升6个老旧小区", "新认定独角兽培育企业12家"} <= titles
    assert not any(t.startswith(("力争", "争取")) for t in titles)
    assert "项目65个" not in titles and "老旧小区6个" not in titles
