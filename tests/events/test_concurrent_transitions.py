"""Two people act on the same event at once, each in their own committed transaction: exactly one wins."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry, AuditHead
from citycockpit.auth.enums import Role
from citycockpit.auth.permissions import perms_for
from citycockpit.auth.principal import Principal
from citycockpit.events import categories as cats
from citycockpit.events.enums import Action, EventState
from citycockpit.events.errors import StaleVersion
from citycockpit.events.intake import service as intake
from citycockpit.events.models import DuplicateProposal, Event, EventCategory, EventTransition
from citycockpit.events.workflow import jobs, service
from citycockpit.org.models import Department

NOW = datetime(2024, 9, 30, 2, 0, tzinfo=UTC)
YAML = b"""categories:
- {code: E98, name: race major, kind: event}
- {code: E9801, name: race minor, kind: event, parent_code: E98, department: RACE, clock_kind: work_hours,
   sign_limit: 1, handle_limit: 8, verify_limit: 2}
"""


def _principal(role: Role, department_id: int | None = None) -> Principal:
    return Principal(
        id=None, name=f"race-{role}", role=role, perms=perms_for(role), department_id=department_id
    )


def _setup(engine):  # type: ignore[no-untyped-def]
    """Commit a department, a category and one dispatched event; return what cleanup needs."""
    with Session(engine, expire_on_commit=False) as s:
        head = s.get(AuditHead, 1)
        saved_head = (head.last_entry_id, head.last_hash) if head else None
        department = Department(code="RACE", name="竞态测试局", kind="委办局", is_active=True, updated_at=NOW)
        s.add(department)
        s.flush()
        cats.import_categories(s, YAML, "race.yaml", actor=_principal(Role.ADMIN), now=NOW)
        centre = _principal(Role.DISPATCHER)
        event = intake.create_event(
            s,
            intake.EventInput(description="竞态测试", category_code="E9801", channel="api"),
            actor=centre,
            now=NOW,
        )
        for action in (Action.REGISTER, Action.DISPATCH):
            service.transition_event(
                s, event.id, action, service.ActionInput(version=event.version), actor=centre, now=NOW
            )
        s.commit()
        return saved_head, event.id, event.version, department.id


def _cleanup(engine, saved_head, event_id):  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        s.execute(delete(EventTransition).where(EventTransition.event_id == event_id))
        s.execute(delete(DuplicateProposal).where(DuplicateProposal.event_id == event_id))
        s.execute(delete(Event).where(Event.id == event_id))
        s.execute(delete(EventCategory).where(EventCategory.code.in_(["E98", "E9801"])))
        s.execute(delete(Department).where(Department.code == "RACE"))
        head = s.get(AuditHead, 1)
        if saved_head is None:
            s.execute(delete(AuditHead))
            s.execute(delete(AuditEntry))
        else:
            head.last_entry_id, head.last_hash = saved_head
            s.flush()
            s.execute(delete(AuditEntry).where(AuditEntry.id > (saved_head[0] or 0)))
        s.commit()


def test_two_simultaneous_sign_for_actions_let_exactly_one_win(engine):  # type: ignore[no-untyped-def]
    saved_head, event_id, version, dept_id = _setup(engine)
    try:
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        lock = threading.Lock()

        def sign(name: str) -> None:
            actor = _principal(Role.DEPARTMENT, dept_id)
            with Session(engine, expire_on_commit=False) as s:
                barrier.wait()
                try:
                    service.transition_event(
                        s,
                        event_id,
                        Action.SIGN,
                        service.ActionInput(version=version, note=name),
                        actor=actor,
                        now=NOW,
                    )
                    s.commit()
                    result = "won"
                except StaleVersion:
                    s.rollback()
                    result = "conflict"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=sign, args=(f"t{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes) == ["conflict", "won"]
        with Session(engine) as s:
            stored = s.get(Event, event_id)
            signs = s.scalars(
                select(EventTransition).where(
                    EventTransition.event_id == event_id, EventTransition.action == "sign"
                )
            ).all()
            assert (stored.state, stored.version, len(signs)) == (EventState.SIGNED, version + 1, 1)
    finally:
        _cleanup(engine, saved_head, event_id)


def test_a_second_worker_skips_the_rows_the_first_one_holds(engine):  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are a PostgreSQL feature; SQLite has a single writer")
    saved_head, event_id, _version, _dept = _setup(engine)
    try:
        with Session(engine) as s:
            due = s.get(Event, event_id).handle_due_at
        later = due + timedelta(minutes=5)
        first, second = Session(engine), Session(engine)
        try:
            assert jobs.remind_overdue(first, now=later).touched == 1  # holds the row lock, not committed
            assert jobs.remind_overdue(second, now=later).touched == 0
            first.commit()
            second.rollback()
            assert jobs.remind_overdue(second, now=later).touched == 0  # reminded today already
        finally:
            first.close()
            second.close()
    finally:
        _cleanup(engine, saved_head, event_id)
