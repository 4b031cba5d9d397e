"""Build the demo city: each domain contributes a step, run in order on a fresh database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citycockpit.audit.service import SystemActor
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


# Each step runs in its own transaction, in this order. Domains append theirs.
STEPS: list[tuple[str, Callable[[Session, DemoContext], None]]] = [
    ("组织与区域 org & areas", _load_org),
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


def _events(session: Session, ctx: DemoContext) -> None:
    from citycockpit.events.demo import build_demo_events

    outcomes = build_demo_events(session, ctx)
    ctx.summary["events"] = sum(outcomes.values())


STEPS.append(("事件 events: categories and a few hundred cases", _events))


def _events_city(session: Session, ctx: DemoContext) -> None:
    from citycockpit.events.demo_city import build_events_city

    build_events_city(session, ctx)


STEPS.append(("一网统管事件 synthetic events, rollups, classifier", _events_city))
