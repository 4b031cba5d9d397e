"""Build the demo city: each domain contributes a step, run in order on a fresh database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope

DEMO_ACTOR = SystemActor("demo")
DEFAULT_TODAY = date(2024, 9, 30)


@dataclass
class DemoContext:
    clock: Clock
    events: int = 0
    summary: dict[str, object] = field(default_factory=dict)


def _load_org(session: Session, ctx: DemoContext) -> None:
    from citycockpit.org import service as org

    data = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
    result = org.import_org(session, data, "taicang-org.yaml", actor=DEMO_ACTOR, now=ctx.clock.now())
    ctx.summary["areas"] = result.created["areas"]
    ctx.summary["departments"] = result.created["departments"]


SEED_REPORT = "taicang-2024-government-work-report.txt"


def _ingest_seed_report(session: Session, ctx: DemoContext) -> None:
    from citycockpit.report import service as report

    data = resources.files("citycockpit.report").joinpath(f"samples/{SEED_REPORT}").read_bytes()
    stored, ledger = report.ingest_report(session, data, SEED_REPORT, actor=DEMO_ACTOR, now=ctx.clock.now())
    ctx.summary["report"] = (
        f"{stored.title} (id {stored.id}): {len(ledger['targets'])} targets, "
        f"{len(ledger['actuals'])} actuals, {len(ledger['commitments'])} commitments"
    )
    ctx.summary["report_id"] = stored.id


def _load_projects(session: Session, ctx: DemoContext) -> None:
    from citycockpit.projects.demo import load_demo_projects

    for key, value in load_demo_projects(session, ctx.clock, DEMO_ACTOR).items():
        ctx.summary[f"key {key}" if key == "projects" else key] = value


def _demo_users(session: Session, ctx: DemoContext) -> None:
    from citycockpit.auth.demo import DEMO_PASSWORD, create_demo_users

    names = create_demo_users(session, actor=DEMO_ACTOR, now=ctx.clock.now())
    ctx.summary["demo accounts (password " + DEMO_PASSWORD + ")"] = ", ".join(names)


def _load_boundaries(session: Session, ctx: DemoContext) -> None:
    """The demo city's boundaries (made by scripts/make_demo_boundaries.py) through the GIS import."""
    from citycockpit.org import boundaries

    name = "taicang-boundaries.geojson"
    data = resources.files("citycockpit.demo").joinpath(f"data/{name}").read_bytes()
    check = boundaries.check_boundaries(session, data, name)
    result = boundaries.store_boundaries(
        session, check, accept_warnings=False, actor=DEMO_ACTOR, now=ctx.clock.now()
    )
    ctx.summary["area shapes"] = result.created + result.updated


def _load_air(session: Session, ctx: DemoContext) -> None:
    from citycockpit.indicators.demo import build_demo_air

    for key, value in build_demo_air(session, ctx.clock, DEMO_ACTOR).items():
        ctx.summary[f"monitoring {key}"] = value


def _build_goals(session: Session, ctx: DemoContext) -> None:
    from citycockpit.goals import demo as goals_demo

    summary = goals_demo.build(session, ctx.clock, int(ctx.summary["report_id"]))  # type: ignore[call-overload]
    ctx.summary["goals"] = (
        f"{summary['goals']} goals, {summary['progress_reports']} progress reports, "
        f"{summary['periods_evaluated']} periods evaluated"
    )


def _link_attraction_goals(session: Session, ctx: DemoContext) -> None:
    from citycockpit.projects.demo import link_attraction_goals

    linked = link_attraction_goals(session, ctx.clock, DEMO_ACTOR)
    ctx.summary["attraction goals linked to tracked goals"] = ", ".join(linked) or "none"


def _events(session: Session, ctx: DemoContext) -> None:
    from citycockpit.events.demo import build_demo_events

    outcomes = build_demo_events(session, ctx)
    ctx.summary["events"] = sum(outcomes.values())


def _events_city(session: Session, ctx: DemoContext) -> None:
    from citycockpit.demo.events_city import build_events_city

    build_events_city(session, ctx)


def _events_surge(session: Session, ctx: DemoContext) -> None:
    from citycockpit.events.surges.demo import build_demo_surge

    ctx.summary["surges"] = build_demo_surge(session, ctx)


def _theme_boards(session: Session, ctx: DemoContext) -> None:
    from citycockpit.indicators.demo import load_demo_themes

    ctx.summary.update(load_demo_themes(session, ctx.clock, DEMO_ACTOR))


# Each step runs in its own transaction, in this order. Domains append theirs.
STEPS: list[tuple[str, Callable[[Session, DemoContext], None]]] = [
    ("departments and areas", _load_org),
    ("the seed work report read into the ledger", _ingest_seed_report),
    ("area boundaries (GeoJSON, through the boundary import)", _load_boundaries),
    ("key projects and investment attraction", _load_projects),
    ("demo accounts", _demo_users),
    ("monitoring stations and two years of daily air quality", _load_air),
    ("tracked goals, milestones, actuals and progress reports", _build_goals),
    ("attraction goals linked to tracked goals", _link_attraction_goals),
    ("events: categories and a few hundred cases", _events),
    ("the city's synthetic events, rollups and classifier", _events_city),
    ("a recent surge of water-outage calls, detected", _events_surge),
    ("the safety theme board, with the towns' safety figures", _theme_boards),
]


def build_demo(
    engine: Engine, ctx: DemoContext, *, on_step: Callable[[str], None] | None = None
) -> DemoContext:
    for title, step in STEPS:
        if on_step:
            on_step(title)
        with session_scope(engine) as session:
            step(session, ctx)
    return ctx
