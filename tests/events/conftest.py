"""Events fixtures: a few categories in the small city, and helpers that walk an event through the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citycockpit.app import create_app
from citycockpit.auth.tokens import create_token
from citycockpit.config import Settings
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.events import categories as cats
from citycockpit.events.enums import Action
from citycockpit.events.intake import service as intake
from citycockpit.events.intake.writer import writer_of
from citycockpit.events.models import Event
from citycockpit.events.workflow import service

CATEGORY_YAML = """
categories:
- {code: E01, name: 市容环境, kind: event}
- {code: E0102, name: 暴露垃圾, kind: event, parent_code: E01, department: CGJ, clock_kind: work_hours,
   sign_limit: 0.5, handle_limit: 4, verify_limit: 2, onsite_verification: true,
   duplicate_radius_m: 50, duplicate_window_h: 24, keywords: "垃圾,暴露垃圾"}
- {code: E04, name: 突发事件, kind: event}
- {code: E0401, name: 供水管道破裂, kind: event, parent_code: E04, department: CGJ, clock_kind: urgent_hours,
   sign_limit: 0.25, handle_limit: 4, verify_limit: 1, onsite_verification: true,
   duplicate_radius_m: 100, duplicate_window_h: 12, keywords: "水管爆裂,管道破裂"}
- {code: H01, name: 政策咨询, kind: hotline}
- {code: H0104, name: 办事指南, kind: hotline, parent_code: H01, department: CGJ, clock_kind: work_days,
   sign_limit: 1, handle_limit: 3, verify_limit: 1, onsite_verification: false, keywords: "办事,流程"}
- {code: H06, name: 矛盾纠纷, kind: hotline}
- {code: H0601, name: 邻里纠纷, kind: hotline, parent_code: H06, department: "@town", clock_kind: work_days,
   sign_limit: 1, handle_limit: 10, verify_limit: 1, onsite_verification: false}
"""

GRID_A = (31.463, 121.107)  # 东门社区第1网格 centroid (城厢镇)
GRID_B = (31.551, 121.049)  # 沙南社区第1网格 centroid (沙溪镇)
TESTER = SystemActor("tester")


def run_in_fresh_loop(make: Any) -> Any:
    """Run a coroutine to its end on a fresh event loop in its own thread: the browser tests' session-long
    Playwright keeps a loop running in this worker's main thread, where asyncio.run would refuse."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def open311_form(key: str, **fields: str) -> dict[str, str]:
    """An Open311 POST's form in grid A's category E0102, `fields` replacing or adding."""
    form = {"api_key": key, "service_code": "E0102", "lat": str(GRID_A[0]), "long": str(GRID_A[1])}
    form["description"] = "路口有垃圾"
    form.update(fields)
    return form


@pytest.fixture
def categories(db: Session, city: dict[str, Any], clock: Clock) -> None:
    cats.import_categories(db, CATEGORY_YAML.encode(), "test.yaml", actor=TESTER, now=clock.now())


@pytest.fixture
def api_key(db: Session, clock: Clock, categories: None) -> str:
    """An API token for a civic app that may report events (Open311 POST's `api_key`)."""
    return create_token(db, name="civic app", scopes=["events:create"], actor=TESTER, now=clock.now()).secret


@dataclass
class LiveIntake:
    """The app on a committed database with the small city, the categories and an API key, as it runs
    in production: the intake writer opens its own sessions on the engine, so what a test wants it
    to see must be committed (`session()` commits at the end of its block)."""

    app: FastAPI
    client: TestClient
    engine: Engine
    api_key: str
    clock: Clock

    def session(self) -> Any:
        return session_scope(self.engine)

    def new_key(self, name: str, scopes: list[str]) -> str:
        with self.session() as s:
            return create_token(s, name=name, scopes=scopes, actor=TESTER, now=self.clock.now()).secret


@contextmanager
def serving_intake(
    fresh_db: tuple[str, Engine], settings: Settings, clock: Clock, **overrides: Any
) -> Iterator[LiveIntake]:
    """The app (its settings with `overrides`) on a committed database with the small city, the
    categories and an API key, its lifespan running (a writer process, if the settings say so, is
    started and ready)."""
    from tests.builders import make_small_city

    _, engine = fresh_db
    now = clock.now()
    with session_scope(engine) as s:
        make_small_city(s, now=now)
        cats.import_categories(s, CATEGORY_YAML.encode(), "test.yaml", actor=TESTER, now=now)
        key = create_token(s, name="civic app", scopes=["events:create"], actor=TESTER, now=now).secret
    app = create_app(settings.model_copy(update=overrides), engine=engine, clock=clock)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield LiveIntake(app, client, engine, key, clock)
    finally:
        writer_of(app).close()


@pytest.fixture
def live_intake(fresh_db: tuple[str, Engine], settings: Settings, clock: Clock) -> Iterator[LiveIntake]:
    with serving_intake(fresh_db, settings, clock) as live:
        yield live


def report(db: Session, actor: Any, now: Any, **overrides: Any) -> Event:
    values: dict[str, Any] = {
        "description": "东门街口有一堆暴露垃圾，气味很大",
        "channel": "patrol",
        "category_code": "E0102",
        "lat": GRID_A[0],
        "lon": GRID_A[1],
        "address": "城厢镇东门街12号",
        "reporter_name": "张伟",
        "reporter_phone": "13812345678",
    }
    values.update(overrides)
    return intake.create_event(db, intake.EventInput(**values), actor=actor, now=now)


def act(db: Session, event: Event, action: Action | str, actor: Any, now: Any, **body: Any) -> Event:
    body.setdefault("note", "已处理说明")
    return service.transition_event(
        db, event.id, action, service.ActionInput(version=event.version, **body), actor=actor, now=now
    )
