"""Every action against every role (allowed or refused), and against every state it does not start from."""

from __future__ import annotations

from typing import Any

import pytest

from citycockpit.events.enums import Action, EventState
from citycockpit.events.errors import ActionForbidden, EventNotFound, NoteRequired, TransitionNotAllowed
from citycockpit.events.workflow.transitions import CENTRE, DEPARTMENT, TRANSITIONS, roles_for
from tests.events.conftest import act, report

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
        roles = TRANSITIONS[action].roles
        if roles & CENTRE:
            return self.persona("dispatcher")
        if roles & DEPARTMENT:
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
    transition = TRANSITIONS[action]
    body = world.body(action, final=True)
    if persona == "other_dept_staff":
        with pytest.raises(EventNotFound):
            act(world.db, event, action, who.principal, world.now, **body)
    elif who.principal.role in roles_for(transition, onsite_required=True):
        act(world.db, event, action, who.principal, world.now, **body)
        assert event.state == transition.target
    else:
        with pytest.raises(ActionForbidden):
            act(world.db, event, action, who.principal, world.now, **body)
        assert event.state in transition.sources


@pytest.mark.parametrize(
    ("action", "state"),
    [(a, s) for a in Action for s in EventState if s not in TRANSITIONS[a].sources],
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
