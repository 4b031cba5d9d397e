"""Builders for key projects and the small hand-computed fixture the rate and lag tests share."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.projects import service
from citycockpit.projects.enums import ProjectStage
from citycockpit.projects.models import Project

OFFICE = SystemActor("项目办")
TODAY = date(2024, 9, 30)


def make_project(db: Session, clock: Clock, city: dict[str, Any], code: str, **overrides: Any) -> Project:
    stage = overrides.pop("stage", ProjectStage.CONSTRUCTION)
    fields = {
        "name": f"{code} 高端装备智能制造项目",
        "level": "city",
        "industry": "高端装备",
        "investor": "太仓某某智能装备有限公司",
        "area_code": city["town_a"].code,  # type: ignore[attr-defined]
        "department_id": city["fgw"].id,  # type: ignore[attr-defined]
        "responsible_person": "王建国",
        "total_investment_wan_cny": 50000.0,
        **overrides,
    }
    return service.create_project(
        db, code=code, fields=fields, stage=stage, stage_on=date(2024, 1, 2), actor=OFFICE, now=clock.now()
    )


def plan(db: Session, clock: Clock, project: Project, planned: float, start_month: int = 1) -> None:
    service.set_annual_plan(
        db,
        project,
        year=2024,
        planned_investment_wan_cny=planned,
        start_month=start_month,
        actor=OFFICE,
        now=clock.now(),
    )


def progress(db: Session, clock: Clock, project: Project, month: int, cumulative: float) -> None:
    service.report_progress(
        db,
        project,
        year=2024,
        month=month,
        actual_cumulative_wan_cny=cumulative,
        actor=OFFICE,
        now=clock.now(),
        today=TODAY,
    )


@pytest.fixture
def ledger(db: Session, clock: Clock, city: dict[str, Any]) -> dict[str, Project]:
    """Seven projects, period 2024-06, margin 10 points (see docs/domains/projects.md, worked example).

    | code | level | dept | plan | start | actual by June | time progress | rate | lagging |
    | P1 | provincial | 发改委 | 1200 | 1 | 700 (July 900 ignored) | 50% | 58.33% | no |
    | P2 | suzhou | 发改委 | 1000 | 1 | 300 | 50% | 30% | yes (30 < 40) |
    | P3 | city | 城管局 | 800 | 5 | 200 | 2/8 = 25% | 25% | no (naively 50%: would lag) |
    | P4 | city | 城管局 | no plan | - | 50 | - | - | listed as no plan |
    | P5 | city | 城管局 | 600 | 9 | 0 | 0% | 0% | no (not started) |
    | P6 | suzhou | 发改委 (沙溪镇) | 500 | 1 | nothing reported | 50% | 0% | yes |
    | P7 | city | 发改委 (沙溪镇) | 1000 | 1 | 400 | 50% | 40% | no (exactly on the margin) |
    """
    cgj = city["cgj"].id  # type: ignore[attr-defined]
    town_b = city["town_b"].code  # type: ignore[attr-defined]
    p = {
        "P1": make_project(db, clock, city, "P1", level="provincial"),
        "P2": make_project(db, clock, city, "P2", level="suzhou", industry="生物医药"),
        "P3": make_project(db, clock, city, "P3", department_id=cgj, industry="生物医药"),
        "P4": make_project(db, clock, city, "P4", department_id=cgj),
        "P5": make_project(db, clock, city, "P5", department_id=cgj, stage=ProjectStage.APPROVED),
        "P6": make_project(db, clock, city, "P6", level="suzhou", area_code=town_b),
        "P7": make_project(db, clock, city, "P7", area_code=town_b, industry="先进材料"),
    }
    plan(db, clock, p["P1"], 1200)
    progress(db, clock, p["P1"], 5, 500)
    progress(db, clock, p["P1"], 6, 700)
    progress(db, clock, p["P1"], 7, 900)
    plan(db, clock, p["P2"], 1000)
    progress(db, clock, p["P2"], 3, 100)
    progress(db, clock, p["P2"], 6, 300)
    plan(db, clock, p["P3"], 800, start_month=5)
    progress(db, clock, p["P3"], 6, 200)
    progress(db, clock, p["P4"], 6, 50)
    plan(db, clock, p["P5"], 600, start_month=9)
    plan(db, clock, p["P6"], 500)
    plan(db, clock, p["P7"], 1000)
    progress(db, clock, p["P7"], 4, 400)
    return p
