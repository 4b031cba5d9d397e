from __future__ import annotations

from datetime import timedelta

from citycockpit.events.enums import Action, EventState
from tests.events.conftest import act, report


def test_an_event_walks_the_whole_loop_and_every_state_gets_its_timestamp(
    db, clock, city, categories, dispatcher, dept_staff, grid_worker
):
    now = clock.now()
    event = report(db, grid_worker.principal, now)
    assert (event.grid_code, event.department_id) == ("320585100001001", city["cgj"].id)
    act(db, event, Action.REGISTER, dispatcher.principal, now)
    act(db, event, Action.DISPATCH, dispatcher.principal, now)
    act(db, event, Action.SIGN, dept_staff.principal, now + timedelta(minutes=10))
    act(db, event, Action.HANDLE, dept_staff.principal, now + timedelta(hours=1), photos=["p/1.jpg"])
    act(db, event, Action.VERIFY, grid_worker.principal, now + timedelta(hours=2))
    act(db, event, Action.CLOSE, dispatcher.principal, now + timedelta(hours=2))
    act(db, event, Action.RATE, dispatcher.principal, now + timedelta(days=1), satisfaction="satisfied")
    assert event.state == EventState.RATED
    assert all(
        getattr(event, f) is not None
        for f in (
            "registered_at",
            "dispatched_at",
            "signed_at",
            "handled_at",
            "verified_at",
            "closed_at",
            "rated_at",
        )
    )
    assert (event.handled_on_time, event.closed_on_time, event.version) == (True, True, 8)
