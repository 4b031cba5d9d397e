"""The closed loop's table, pinned to the documentation: docs/domains/events.md's state machine table is
parsed and must equal workflow/transitions.py's TRANSITIONS, and the real service is then walked with
every role against every action (allowed or refused), from every state an action does not start from,
and with and without a note: each expectation comes from the documented table, not from the code's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from citycockpit.auth.enums import Role
from citycockpit.events.enums import Action, EventState
from citycockpit.events.errors import ActionForbidden, EventNotFound, NoteRequired, TransitionNotAllowed
from citycockpit.events.workflow.transitions import TRANSITIONS
from tests.events.conftest import act, report

DOC = Path(__file__).resolve().parents[2] / "docs" / "domains" / "events.md"
HEADER = "| action | 动作 | from | to | roles | note |"
REMOTE = re.compile(r"(?P<roles>[^(]+?) \(\+ (?P<remote>[^)]+) when no on-site check is required\)")


@dataclass(frozen=True)
class Row:
    """One action as a table states it."""

    label: str
    sources: frozenset[EventState]
    target: EventState
    roles: frozenset[Role]
    remote_roles: frozenset[Role]  # may act only when the category needs no on-site check
    note_required: bool


def _roles(cell: str) -> frozenset[Role]:
    return frozenset(Role(r.strip()) for r in cell.split(","))


def documented_table() -> dict[Action, Row]:
    """The state machine table of docs/domains/events.md; a cell it cannot read fails the test."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER)
    table: dict[Action, Row] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        action, label, sources, target, roles, note = (c.strip() for c in line.strip().strip("|").split("|"))
        remote = REMOTE.fullmatch(roles)
        assert note in ("required", "—"), f"note cell {note!r} of {action}"
        table[Action(action.strip("`"))] = Row(
            label=label,
            sources=frozenset(EventState(s.strip()) for s in sources.split(",")),
            target=EventState(target),
            roles=_roles(remote["roles"] if remote else roles),
            remote_roles=_roles(remote["remote"]) if remote else frozenset(),
            note_required=note == "required",
        )
    return table


TABLE = documented_table()
CENTRE = frozenset({Role.DISPATCHER, Role.ADMIN})


def may_act(row: Row, role: Role, *, onsite_required: bool) -> bool:
    return role in row.roles or (not onsite_required and role in row.remote_roles)


def test_the_documented_state_table_is_the_code_table() -> None:
    code = {
        action: Row(t.label, t.sources, t.target, t.roles, t.remote_roles, t.note_required)
        for action, t in TRANSITIONS.items()
    }
    assert list(TABLE) == list(Action)  # every action documented once, in the enum's order
    differing = {action: (TABLE[action], code[action]) for action in Action if TABLE[action] != code[action]}
    assert differing == {}


A = Action
PERSONAS = [
    "admin",
    "leader",
    "supervisor",
    "dispatcher",
    "dept_staff",
    "other_dept_staff",
    "town_staff",
    "grid_worker",
]
# How to bring a fresh event into a state from which the action applies.
BASE = [A.REGISTER, A.DISPATCH, A.SIGN]
PATH_TO_SOURCE: dict[Action, list[Action]] = {
    A.REGISTER: [],
    A.REJECT: [],
    A.MERGE: [],
    A.CLOSE_DIRECTLY: [],
    A.DISPATCH: [A.REGISTER],
    A.SIGN: [A.REGISTER, A.DISPATCH],
    A.RETURN: [A.REGISTER, A.DISPATCH],
    A.REQUEST_EXTENSION: BASE,
    A.GRANT_EXTENSION: [*BASE, A.REQUEST_EXTENSION],
    A.DENY_EXTENSION: [*BASE, A.REQUEST_EXTENSION],
    A.SUSPEND: BASE,
    A.RESUME: [*BASE, A.SUSPEND],
    A.HANDLE: BASE,
    A.VERIFY: [*BASE, A.HANDLE],
    A.REWORK: [*BASE, A.HANDLE],
    A.CLOSE: [*BASE, A.HANDLE, A.VERIFY],
    A.RATE: [*BASE, A.HANDLE, A.VERIFY, A.CLOSE],
    A.REOPEN: [*BASE, A.HANDLE, A.VERIFY, A.CLOSE, A.RATE],
    A.OBJECT: [A.REGISTER, A.DISPATCH],
    A.ACCEPT_OBJECTION: [A.REGISTER, A.DISPATCH, A.OBJECT],
    A.REFUSE_OBJECTION: [A.REGISTER, A.DISPATCH, A.OBJECT],
}
PATH_TO_STATE: dict[EventState, list[Action]] = {
    EventState.REPORTED: [],
    EventState.REGISTERED: [A.REGISTER],
    EventState.REJECTED: [A.REJECT],
    EventState.MERGED: [A.MERGE],
    EventState.DISPATCHED: [A.REGISTER, A.DISPATCH],
    EventState.SIGNED: BASE,
    EventState.RETURNED: [A.REGISTER, A.DISPATCH, A.RETURN],
    EventState.SUSPENDED: [*BASE, A.SUSPEND],
    EventState.HANDLED: [*BASE, A.HANDLE],
    EventState.VERIFIED: [*BASE, A.HANDLE, A.VERIFY],
    EventState.CLOSED: [*BASE, A.HANDLE, A.VERIFY, A.CLOSE],
    EventState.RATED: [*BASE, A.HANDLE, A.VERIFY, A.CLOSE, A.RATE],
}


class World:
    """The personas and an original event to merge into, for one test."""

    def __init__(self, request: pytest.FixtureRequest, db: Any, clock: Any, city: Any) -> None:
        self.db, self.now, self.city = db, clock.now(), city
        self.request = request
        self.original = report(
            db, self.persona("dispatcher").principal, self.now, description="原始件：东门街口垃圾"
        )

    def persona(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    def default_actor(self, action: Action) -> Any:
        roles = TABLE[action].roles
        if roles & CENTRE:
            return self.persona("dispatcher")
        if Role.DEPARTMENT in roles:
            return self.persona("dept_staff")
        return self.persona("grid_worker")

    def body(self, action: Action, *, final: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"note": "情况说明"}
        if action is A.REJECT:
            body["reason"] = "false_report"
        if action is A.MERGE:
            body["original"] = str(self.original.id)
        if action is A.REQUEST_EXTENSION:
            body["extension"] = 2
        if action is A.ACCEPT_OBJECTION:
            body["department_id"] = self.city["fgw"].id
        if action is A.RATE:
            body["satisfaction"] = "satisfied" if final else "unsatisfied"
        return body

    def event_after(self, path: list[Action], **overrides: Any) -> Any:
        event = report(self.db, self.persona("grid_worker").principal, self.now, **overrides)
        for step in path:
            act(
                self.db,
                event,
                step,
                self.default_actor(step).principal,
                self.now,
                **self.body(step, final=False),
            )
        return event


@pytest.fixture
def world(request, db, clock, city, categories, dispatcher, dept_staff, grid_worker) -> World:  # type: ignore[no-untyped-def]
    return World(request, db, clock, city)


def _overrides(action: Action) -> dict[str, Any]:
    if action is A.CLOSE_DIRECTLY:
        return {"category_code": "H0104", "request_type": "consult", "channel": "hotline"}
    return {}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(Action))
def test_each_role_may_take_exactly_the_actions_the_table_grants_it(
    world: World, action: Action, persona: str
):
    event = world.event_after(PATH_TO_SOURCE[action], **_overrides(action))
    who = world.persona(persona)
    row = TABLE[action]
    body = world.body(action, final=True)
    if persona == "other_dept_staff":
        with pytest.raises(EventNotFound):
            act(world.db, event, action, who.principal, world.now, **body)
    elif may_act(row, who.principal.role, onsite_required=True):
        act(world.db, event, action, who.principal, world.now, **body)
        assert event.state == row.target
    else:
        with pytest.raises(ActionForbidden):
            act(world.db, event, action, who.principal, world.now, **body)
        assert event.state in row.sources


@pytest.mark.parametrize(
    ("action", "state"),
    [(a, s) for a in Action for s in EventState if s not in TABLE[a].sources],
)
def test_an_action_from_a_state_it_does_not_start_from_is_a_conflict(
    world: World, action: Action, state: EventState
):
    event = world.event_after(PATH_TO_STATE[state], **_overrides(action))
    actor = world.default_actor(action)
    body = world.body(action, final=True)
    expected = (
        EventNotFound if state is EventState.RETURNED and actor is world.persona("dept_staff") else None
    )
    with pytest.raises(expected or TransitionNotAllowed):
        act(world.db, event, action, actor.principal, world.now, **body)
    assert event.state == state


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "other_dept_staff"])
@pytest.mark.parametrize("action", [a for a in Action if TABLE[a].remote_roles])
def test_where_no_on_site_check_is_needed_the_remote_roles_may_act_too(
    world: World, action: Action, persona: str
):
    event = world.event_after(PATH_TO_SOURCE[action], category_code="H0104", channel="hotline")
    who = world.persona(persona)
    row = TABLE[action]
    if may_act(row, who.principal.role, onsite_required=False):
        act(world.db, event, action, who.principal, world.now, **world.body(action, final=True))
        assert event.state == row.target
    else:
        with pytest.raises(ActionForbidden):
            act(world.db, event, action, who.principal, world.now, **world.body(action, final=True))


@pytest.mark.parametrize("action", list(Action))
def test_an_action_needs_a_note_exactly_when_the_table_says_so(world: World, action: Action):
    event = world.event_after(PATH_TO_SOURCE[action], **_overrides(action))
    body = {**world.body(action, final=True), "note": ""}
    row = TABLE[action]
    if row.note_required:
        with pytest.raises(NoteRequired):
            act(world.db, event, action, world.default_actor(action).principal, world.now, **body)
        assert event.state in row.sources
    else:
        act(world.db, event, action, world.default_actor(action).principal, world.now, **body)
        assert event.state == row.target


def test_a_centre_user_may_verify_when_the_category_needs_no_on_site_check(world: World):
    event = world.event_after([*BASE, A.HANDLE], category_code="H0104", channel="hotline")
    act(world.db, event, A.VERIFY, world.persona("dispatcher").principal, world.now)
    assert (event.state, event.verified_onsite) == (EventState.VERIFIED, False)


def test_a_centre_user_may_not_verify_when_the_category_needs_an_on_site_check(world: World):
    event = world.event_after([*BASE, A.HANDLE])
    with pytest.raises(ActionForbidden):
        act(world.db, event, A.VERIFY, world.persona("dispatcher").principal, world.now)


def test_handling_without_a_result_note_is_refused(world: World):
    event = world.event_after(BASE)
    with pytest.raises(NoteRequired):
        act(world.db, event, A.HANDLE, world.persona("dept_staff").principal, world.now, note="  ")
    assert event.state == EventState.SIGNED


def test_only_a_consultation_can_be_closed_directly(world: World):
    event = world.event_after([], category_code="H0104", request_type="complaint", channel="hotline")
    with pytest.raises(TransitionNotAllowed):
        act(world.db, event, A.CLOSE_DIRECTLY, world.persona("dispatcher").principal, world.now)


def test_direct_closure_of_a_consultation_marks_it_closed_by_the_centre(world: World):
    event = world.event_after([], **_overrides(A.CLOSE_DIRECTLY))
    act(
        world.db,
        event,
        A.CLOSE_DIRECTLY,
        world.persona("dispatcher").principal,
        world.now,
        note="已电话答复政策",
    )
    assert (event.state, event.closed_by_center, event.dispatched_at) == (EventState.CLOSED, True, None)


def test_a_satisfied_event_cannot_be_reopened(world: World):
    event = world.event_after([*BASE, A.HANDLE, A.VERIFY, A.CLOSE])
    act(world.db, event, A.RATE, world.persona("dispatcher").principal, world.now, satisfaction="satisfied")
    with pytest.raises(TransitionNotAllowed):
        act(world.db, event, A.REOPEN, world.persona("dispatcher").principal, world.now)


def test_reopening_after_an_unsatisfied_callback_sends_it_back_to_the_department(world: World):
    event = world.event_after(PATH_TO_SOURCE[A.REOPEN])
    act(world.db, event, A.REOPEN, world.persona("dispatcher").principal, world.now, note="群众反映垃圾仍在")
    assert (event.state, event.department_id, event.reopen_count, event.closed_at) == (
        EventState.DISPATCHED,
        world.city["cgj"].id,
        1,
        None,
    )


def test_failed_verification_sends_it_back_to_handling_and_counts_a_rework(world: World):
    event = world.event_after([*BASE, A.HANDLE])
    act(world.db, event, A.REWORK, world.persona("grid_worker").principal, world.now, note="现场仍有垃圾")
    assert (event.state, event.rework_count) == (EventState.SIGNED, 1)


def test_a_returned_event_goes_back_to_the_dispatcher_without_a_department(world: World):
    event = world.event_after([A.REGISTER, A.DISPATCH])
    act(world.db, event, A.RETURN, world.persona("dept_staff").principal, world.now, note="非本部门职责")
    assert (event.state, event.department_id, event.return_count) == (EventState.RETURNED, None, 1)
