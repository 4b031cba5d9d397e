"""GETs only read: every goals API route and workbench page that answers GET leaves the goals tables and
the audit trail as they were — no statement writes to them, and their rows are identical afterwards —
even when nothing has been evaluated yet (statuses are computed on the writes and by the worker)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.goals import api, pages, progress
from citycockpit.goals.models import GoalComment
from tests.goals.builders import add_actuals, add_milestone, lead_of, make_goal, make_series

WATCHED = ("goal", "indicator", "audit")  # every goals table, and the audit trail
SNAPSHOT = ["goal_evaluations", "goal_alerts", "goal_periods", "goal_progress_reports", "audit_entries"]


def _get_paths(ids: dict[str, int]) -> list[str]:
    query = "?period=2024-06&year=2024"
    paths = []
    for router in (api.router, pages.router):
        for route in router.routes:
            if isinstance(route, APIRoute) and "GET" in route.methods:
                paths.append(route.path.format(**ids) + query)
    return paths


@pytest.fixture
def unevaluated(db: Session, clock: Clock, city) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Goals of every kind with reports, a late milestone and actuals, built without any evaluation."""
    now = clock.now()
    gdp = make_series(db, "地区生产总值", now=now)
    add_actuals(db, gdp, 2024, {6: (860.0, 5.2)}, now=now)
    make_goal(
        db,
        now=now,
        title="地区生产总值增长5%以上",
        measure="growth",
        qualifier=">=",
        target_value=5,
        series_id=gdp.id,
        lead_department_id=city["fgw"].id,
    )
    task = make_goal(db, now=now, lead_department_id=city["cgj"].id)
    add_milestone(db, task, date(2024, 5, 31), now=now)
    progress.submit_report(
        db, task.id, period="2024-06", percent=40, narrative="完成选址", principal=lead_of(task), now=now
    )
    db.add(GoalComment(goal_id=task.id, period="2024-06", body="已督办", author="督查室", created_at=now))
    db.flush()
    return {"goal_id": task.id, "series_id": gdp.id}


def _rows(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    return {t: [tuple(r) for r in db.execute(text(f"SELECT * FROM {t} ORDER BY id"))] for t in SNAPSHOT}


@pytest.fixture
def writes(engine: Engine) -> Iterator[list[str]]:
    """The table of every INSERT, UPDATE or DELETE sent to a goals table or the audit trail while the
    test runs."""
    seen: list[str] = []

    def watch(conn, cursor, statement: str, *args: Any) -> None:  # type: ignore[no-untyped-def]
        words = statement.split(None, 3)
        verb = words[0].upper() if words else ""
        if verb in ("INSERT", "UPDATE", "DELETE"):
            target = (words[1] if verb == "UPDATE" else words[2]).strip('"').lower()
            if target.startswith(WATCHED):
                seen.append(target)

    event.listen(engine, "before_cursor_execute", watch)
    yield seen
    event.remove(engine, "before_cursor_execute", watch)


def test_no_goals_route_or_page_that_answers_get_writes_anything(
    client: TestClient, db: Session, unevaluated: dict[str, int], supervisor, writes: list[str]
) -> None:  # type: ignore[no-untyped-def]
    paths = _get_paths(unevaluated)
    assert len(paths) >= 15  # 12 API routes and 3 pages today; a new GET route is covered by itself
    before = _rows(db)
    answers = {path: client.get(path, headers=supervisor.headers).status_code for path in paths}
    # nothing evaluated yet, and a read computes nothing: the month has no bulletin to issue
    empty_bulletin = {p for p in paths if p.startswith("/api/v1/goals/bulletin")}
    assert len(empty_bulletin) == 1
    assert answers == {p: 404 if p in empty_bulletin else 200 for p in paths}
    assert writes == []
    assert _rows(db) == before


def test_the_write_watch_sees_a_write(
    client: TestClient, db: Session, unevaluated: dict[str, int], supervisor, writes: list[str]
) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        f"/api/v1/goals/{unevaluated['goal_id']}/comments",
        json={"period": "2024-06", "body": "请加快进度"},
        headers=supervisor.headers,
    )
    assert r.status_code == 201
    assert writes == ["goal_comments", "audit_entries", "audit_head"]
    assert db.scalar(select(GoalComment.body).where(GoalComment.id == r.json()["id"])) == "请加快进度"
