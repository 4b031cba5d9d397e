"""The bulletin of a small known fixture, counted by hand: 7 task goals judged at 2024-06-30
(time progress 182/366 = 49.7%, margins 5 points)."""

from __future__ import annotations

import io
import re
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.goals import bulletin, evaluation, progress
from citycockpit.goals.models import GoalNode
from citycockpit.goals.status import Thresholds
from tests.goals.builders import add_milestone, lead_of, make_goal

# title, lead, percent reported for 2024-06 (None: no report), milestone (due, completed)
FIXTURE = [
    ("新建充电站40座", "cgj", 70, None),  # 70% ≥ 49.7+5 → 超进度
    ("改造老旧小区6个", "cgj", 50, None),  # ≥ 44.7 → 达进度
    ("新建农贸市场20家", "fgw", 30, None),  # < 44.7 → 欠进度
    ("新增公交线路10条", "fgw", 40, None),  # < 44.7 → 欠进度
    ("建设人才公寓1万套", "fgw", None, None),  # → 未报送
    ("新建学校8所", "cgj", 60, (date(2024, 5, 31), None)),  # open node past due → 逾期
    ("建成污水管网20公里", "cgj", 100, (date(2024, 4, 30), date(2024, 4, 28))),  # → 已完成
]
SUMMARY = (
    "共7项：逾期 1 项，占14.3%；欠进度 2 项，占28.6%；未报送 1 项，占14.3%；"
    "达进度 1 项，占14.3%；超进度 1 项，占14.3%；已完成 1 项，占14.3%。"
)


def _fixture(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    area = GoalNode(
        year=2024, number="六", title="聚力惠民生、增福祉", position=1, rollup_rule="average", weight=1.0
    )
    db.add(area)
    db.flush()
    for title, lead, percent, milestone in FIXTURE:
        goal = make_goal(db, now=clock.now(), title=title, lead_department_id=city[lead].id, node_id=area.id)
        if milestone:
            ms = add_milestone(db, goal, milestone[0], now=clock.now())
            ms.completed_on = milestone[1]
        if percent is not None:
            progress.submit_report(
                db,
                goal.id,
                period="2024-06",
                percent=percent,
                narrative=f"{title}推进中",
                principal=lead_of(goal),
                now=clock.now(),
            )
    evaluation.evaluate_goals(
        db, "2024-06", today=date(2024, 9, 30), thresholds=Thresholds(), now=clock.now()
    )


def test_the_bulletin_counts_and_shares_match_the_hand_count(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    _fixture(db, clock, city)
    b = bulletin.build_bulletin(db, None, period="2024-06", today=date(2024, 9, 30), city="太仓市")
    assert b.total == 7
    assert [(c["label"], c["count"], c["share"]) for c in b.counts] == [
        ("逾期", 1, "14.3"),
        ("欠进度", 2, "28.6"),
        ("未报送", 1, "14.3"),
        ("达进度", 1, "14.3"),
        ("超进度", 1, "14.3"),
        ("已完成", 1, "14.3"),
    ]
    assert b.summary == SUMMARY


def test_the_bulletin_groups_by_department_with_the_behind_and_overdue_first(
    db: Session, clock: Clock, city
) -> None:  # type: ignore[no-untyped-def]
    _fixture(db, clock, city)
    b = bulletin.build_bulletin(db, None, period="2024-06", today=date(2024, 9, 30))
    assert [g["title"] for g in b.by_department] == ["城管局", "发改委"]
    assert [r.label for r in b.by_department[0]["rows"]] == ["逾期", "达进度", "超进度", "已完成"]
    assert [r.label for r in b.by_department[1]["rows"]] == ["欠进度", "欠进度", "未报送"]
    area = b.by_area[0]
    assert area["title"] == "六、聚力惠民生、增福祉" and area["rows"][0].title == "新建学校8所"
    assert area["rows"][0].time_progress == "49.7%" and area["rows"][0].progress == "60.0%"


def test_the_bulletin_xlsx_carries_the_same_counts(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    _fixture(db, clock, city)
    b = bulletin.build_bulletin(db, None, period="2024-06", today=date(2024, 9, 30), city="太仓市")
    wb = load_workbook(io.BytesIO(bulletin.to_xlsx(b)))
    assert wb.sheetnames == ["汇总", "按任务", "按单位"]
    rows = list(wb["汇总"].iter_rows(min_row=4, max_row=10, values_only=True))
    assert rows[1] == ("欠进度", 2, 28.6) and rows[-1] == ("合计", 7, 100.0)
    dept_rows = list(wb["按单位"].iter_rows(min_row=2, values_only=True))
    assert (dept_rows[0][0], dept_rows[0][2], dept_rows[0][5]) == ("城管局", "新建学校8所", "逾期")


def test_the_bulletin_html_is_printable_and_escapes_text(
    client: TestClient, db: Session, clock: Clock, city, supervisor
) -> None:  # type: ignore[no-untyped-def]
    _fixture(db, clock, city)
    created = client.post(  # a write: evaluated for every month up to today, June included
        "/api/v1/goals",
        json={"title": "<script>alert(1)</script>", "year": 2024, "lead_department_id": city["cgj"].id},
        headers=supervisor.headers,
    )
    assert created.status_code == 201
    r = client.get("/api/v1/goals/bulletin?period=2024-06&format=html", headers=supervisor.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "@page" in r.text and "逾期" in r.text and "<script>alert" not in r.text
    j = client.get("/api/v1/goals/bulletin?period=2024-06", headers=supervisor.headers).json()
    assert j["total"] == 8 and j["counts"][0] == {
        "status": "overdue",
        "label": "逾期",
        "color": "red",
        "tone": "red",
        "count": 1,
        "share": "12.5",
    }


def test_a_bulletin_of_a_month_without_statuses_is_refused_not_an_empty_file(
    client: TestClient, db: Session, clock: Clock, city, supervisor
) -> None:  # type: ignore[no-untyped-def]
    _fixture(db, clock, city)
    r = client.get("/api/v1/goals/bulletin?period=2024-02&format=xlsx", headers=supervisor.headers)
    assert (r.status_code, r.json()["code"]) == (404, "bulletin_empty")
    assert "2024-02" in r.json()["detail"]


def test_a_bulletin_of_a_month_that_has_not_begun_is_only_a_preview_on_request(
    client: TestClient, db: Session, clock: Clock, city, supervisor
) -> None:  # type: ignore[no-untyped-def]
    _fixture(db, clock, city)
    evaluation.evaluate_goals(
        db, "2024-11", today=date(2024, 9, 30), thresholds=Thresholds(), now=clock.now()
    )
    refused = client.get("/api/v1/goals/bulletin?period=2024-11", headers=supervisor.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "bulletin_period_in_future")
    preview = client.get("/api/v1/goals/bulletin?period=2024-11&preview=true", headers=supervisor.headers)
    assert preview.status_code == 200 and preview.json()["total"] == 7


def test_the_bulletin_page_offers_downloads_only_for_a_month_it_can_issue(
    client: TestClient, db: Session, clock: Clock, city, supervisor
) -> None:  # type: ignore[no-untyped-def]
    _fixture(db, clock, city)
    links = re.compile(r'href="(/api/v1/goals/bulletin\?[^"]+)"')
    full = links.findall(client.get("/app/goals/bulletin?period=2024-06", headers=supervisor.headers).text)
    assert len(full) == 2
    for href in full:
        assert client.get(href.replace("&amp;", "&"), headers=supervisor.headers).status_code == 200
    empty = client.get("/app/goals/bulletin?period=2024-02", headers=supervisor.headers).text
    assert links.findall(empty) == [] and 'class="empty"' in empty
