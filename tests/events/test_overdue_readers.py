"""Overdue (超期) has one rule, `Event.is_overdue`: events in every state, some walked through the loop a
week ago (their deadlines long past) and some just now, and every reader counts the same five."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from citycockpit.auth import tokens
from citycockpit.core.actors import SystemActor
from citycockpit.events.enums import EventState
from citycockpit.events.models import Event
from citycockpit.events.workflow import jobs
from tests.events.conftest import act, report

CENTRE, DEPARTMENT, GRID = "centre", "department", "grid"
REGISTER = ("register", CENTRE, {})
DISPATCH = ("dispatch", CENTRE, {})
SIGN = ("sign", DEPARTMENT, {})
HANDLE = ("handle", DEPARTMENT, {})
VERIFY = ("verify", GRID, {})
CLOSE = ("close", CENTRE, {})
RATE = ("rate", CENTRE, {"satisfaction": "unsatisfied"})
LOOP = [REGISTER, DISPATCH, SIGN, HANDLE, VERIFY, CLOSE, RATE]
# How each event gets where it ends: every state, plus the two ways back into the handling clock.
WALKS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "reported": [],
    "registered": [REGISTER],
    "rejected": [("reject", CENTRE, {"reason": "false_report"})],
    "merged": [("merge", CENTRE, {})],  # into the batch's reported event
    "dispatched": [REGISTER, DISPATCH],
    "signed": [REGISTER, DISPATCH, SIGN],
    "returned": [REGISTER, DISPATCH, SIGN, ("return", DEPARTMENT, {})],
    "suspended": [REGISTER, DISPATCH, SIGN, ("suspend", DEPARTMENT, {})],
    "handled": LOOP[:4],
    "verified": LOOP[:5],
    "closed": LOOP[:6],
    "rated": LOOP,
    "signed again after rework": [*LOOP[:4], ("rework", GRID, {})],
    "dispatched again after reopening": [*LOOP, ("reopen", CENTRE, {})],
    "signed again after reopening": [*LOOP, ("reopen", CENTRE, {}), SIGN],
}
# The walks of a week ago that end being handled (dispatched or signed, the last three with a handled_at
# from an earlier round) are overdue now; their returned and set-aside siblings, with deadlines as
# old, are not; nor is anything walked just now.
OVERDUE = 5


@pytest.fixture
def events_in_every_state(db, clock, categories, city, dispatcher, dept_staff, grid_worker) -> list[Event]:  # type: ignore[no-untyped-def]
    actors = {CENTRE: dispatcher.principal, DEPARTMENT: dept_staff.principal, GRID: grid_worker.principal}
    built = []
    for when in (clock.now() - timedelta(days=7), clock.now()):
        first: Event | None = None
        for name, steps in WALKS.items():
            event = report(db, dispatcher.principal, when, description=f"东门街口暴露垃圾（{name}）")
            first = first or event
            for action, who, body in steps:
                if action == "dispatch":
                    body = {"department_id": city["cgj"].id}
                if action == "merge":
                    body = {"original": first.public_id}
                event = act(db, event, action, actors[who], when, **body)
            built.append(event)
    db.flush()
    assert {EventState(e.state) for e in built} == set(EventState)  # every state is there
    return built


def _metric(text: str, line_start: str) -> float:
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(line_start))


def test_every_reader_counts_the_same_overdue_events(client, db, clock, leader, events_in_every_state):  # type: ignore[no-untyped-def]
    now = clock.now()
    counts: dict[str, int] = {}

    counts["python rule"] = sum(e.is_overdue(now) for e in events_in_every_state)

    secret = tokens.create_token(
        db, name="prometheus", scopes=["metrics:read"], actor=SystemActor("t"), now=now
    ).secret
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    counts["/metrics overdue queue"] = int(
        _metric(metrics.text, 'citycockpit_event_queue_depth{queue="overdue"}')
    )

    kpis = client.get("/api/v1/events/kpis", headers=leader.headers).json()
    counts["KPI 超期件数"] = kpis["overdue"]["count"]

    screen = client.get("/api/v1/screen/events/counters", headers=leader.headers).json()
    counts["screen counter"] = screen["today"]["overdue"]
    towns = client.get("/api/v1/screen/map?metric=overdue", headers=leader.headers).json()
    counts["screen map"] = sum(v["value"] for v in towns["values"])
    alerts = client.get("/api/v1/screen/alerts", headers=leader.headers).json()
    counts["screen alerts"] = sum(item["kind"] == "event" for item in alerts["items"])

    marked = 0
    for offset in range(0, len(events_in_every_state), 25):
        page = client.get(f"/app/events?offset={offset}", headers=leader.headers)
        assert page.status_code == 200
        marked += page.text.count("badge tone-red")
    counts["events list page"] = marked
    counts["event pages"] = sum(
        'class="sla overdue"' in client.get(f"/app/events/{e.public_id}", headers=leader.headers).text
        for e in events_in_every_state
    )

    counts["worker reminders (催办)"] = jobs.remind_overdue(db, now=now).touched
    jobs.escalate(db, now=now)
    supervised = db.scalars(select(Event).where(Event.supervision_level == 1)).all()
    counts["worker 督办 for overdue"] = len(supervised)

    assert counts == dict.fromkeys(counts, OVERDUE)
