"""Objections to a dispatch (派单异议): a department objects within a working-hours window, with a reason;
the centre accepts (re-dispatch elsewhere) or refuses (it stays); audited, on the timeline, counted."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from citycockpit.audit.models import AuditEntry
from citycockpit.core.clock import fixed_clock
from citycockpit.events.enums import Action
from citycockpit.events.errors import ActionForbidden, ObjectionTooLate, TransitionNotAllowed
from citycockpit.events.queries import EventFilter, list_events, objection_counts, timeline
from tests.events.conftest import act, report

A = Action


@pytest.fixture
def dispatched(db, clock, categories, grid_worker, dispatcher) -> Any:  # type: ignore[no-untyped-def]
    """An 暴露垃圾 event dispatched to 城管局 at Monday 2024-09-30 10:00 (a working day)."""
    event = report(db, grid_worker.principal, clock.now())
    act(db, event, A.REGISTER, dispatcher.principal, clock.now())
    act(db, event, A.DISPATCH, dispatcher.principal, clock.now())
    return event


def object_to(
    db: Any, event: Any, who: Any, at: Any, reason: str = "该路段属港区管委会管辖，非本局职责"
) -> Any:
    return act(db, event, A.OBJECT, who.principal, at, note=reason)


def test_an_objection_within_the_window_waits_in_the_dispatchers_objections_queue(
    db, clock, dispatched, dept_staff, dispatcher
):
    object_to(db, dispatched, dept_staff, clock.now() + timedelta(hours=1))
    queue, total = list_events(db, dispatcher.principal, EventFilter(queue="objections"))
    assert ([e.id for e in queue], total, dispatched.has_pending_objection) == ([dispatched.id], 1, True)


def test_an_accepted_objection_re_dispatches_the_event_to_another_department(
    db, clock, dispatched, dept_staff, dispatcher, city
):
    object_to(db, dispatched, dept_staff, clock.now())
    later = clock.now() + timedelta(minutes=30)
    act(db, dispatched, A.ACCEPT_OBJECTION, dispatcher.principal, later, department_id=city["fgw"].id)
    queue, _ = list_events(db, dispatcher.principal, EventFilter(queue="objections"))
    assert (
        dispatched.state,
        dispatched.department_id,
        dispatched.dispatched_at,
        dispatched.department_count,
    ) == (
        "dispatched",
        city["fgw"].id,
        later,
        2,
    )
    assert (dispatched.has_pending_objection, queue) == (False, [])


def test_accepting_an_objection_needs_another_department(db, clock, dispatched, dept_staff, dispatcher, city):
    object_to(db, dispatched, dept_staff, clock.now())
    with pytest.raises(Exception) as refused:
        act(
            db,
            dispatched,
            A.ACCEPT_OBJECTION,
            dispatcher.principal,
            clock.now(),
            department_id=city["cgj"].id,
        )
    assert getattr(refused.value, "code", None) == "event_invalid"


def test_a_refused_objection_leaves_the_event_with_the_department_which_is_told(
    db, clock, dispatched, dept_staff, dispatcher, city
):
    object_to(db, dispatched, dept_staff, clock.now())
    act(
        db,
        dispatched,
        A.REFUSE_OBJECTION,
        dispatcher.principal,
        clock.now(),
        note="属城管局职责范围，请按时办理",
    )
    mine, _ = list_events(db, dept_staff.principal, EventFilter(queue="department"))
    last = timeline(db, dispatched)[-1]
    assert (dispatched.department_id, dispatched.has_pending_objection, [e.id for e in mine]) == (
        city["cgj"].id,
        False,
        [dispatched.id],
    )
    assert (last.action, last.note, last.department_id) == (
        "refuse_objection",
        "属城管局职责范围，请按时办理",
        city["cgj"].id,
    )


def test_after_a_refusal_the_department_signs_as_usual(db, clock, dispatched, dept_staff, dispatcher):
    object_to(db, dispatched, dept_staff, clock.now())
    act(db, dispatched, A.REFUSE_OBJECTION, dispatcher.principal, clock.now(), note="请办理")
    act(db, dispatched, A.SIGN, dept_staff.principal, clock.now())
    assert dispatched.state == "signed"


def test_a_department_cannot_sign_while_its_objection_waits(db, clock, dispatched, dept_staff):
    object_to(db, dispatched, dept_staff, clock.now())
    with pytest.raises(TransitionNotAllowed):
        act(db, dispatched, A.SIGN, dept_staff.principal, clock.now())


def test_an_objection_after_the_window_is_refused_with_a_clear_error(db, clock, dispatched, dept_staff):
    late = clock.now() + timedelta(hours=5)  # 10:00 → 15:00: 12:00–13:30 is lunch, 3.5 working hours
    with pytest.raises(ObjectionTooLate) as refused:
        object_to(db, dispatched, dept_staff, late)
    assert (refused.value.code, refused.value.extra, dispatched.has_pending_objection) == (
        "event_objection_too_late",
        {"window_hours": 2.0, "elapsed_hours": 3.5},
        False,
    )
    assert "within 2 working hours of the dispatch" in refused.value.detail


def test_the_window_counts_working_hours_only(db, categories, grid_worker, dispatcher, dept_staff):
    friday = fixed_clock("2024-09-20T16:30:00").now()  # a Friday; Monday 09:00 is 1.5 working hours on
    event = report(db, grid_worker.principal, friday)
    act(db, event, A.REGISTER, dispatcher.principal, friday)
    act(db, event, A.DISPATCH, dispatcher.principal, friday)
    object_to(db, event, dept_staff, fixed_clock("2024-09-23T09:00:00").now())
    assert event.has_pending_objection is True


def test_the_window_is_a_setting(db, clock, dispatched, dept_staff):
    from citycockpit.events.workflow import service

    service.transition_event(
        db,
        dispatched.id,
        A.OBJECT,
        service.ActionInput(version=dispatched.version, note="非本局职责"),
        actor=dept_staff.principal,
        now=clock.now() + timedelta(hours=5),
        objection_window_hours=4,
    )
    assert dispatched.has_pending_objection is True


def test_only_the_department_objects_and_only_the_centre_decides(
    db, clock, dispatched, dept_staff, dispatcher, town_staff
):
    with pytest.raises(ActionForbidden):
        object_to(db, dispatched, dispatcher, clock.now())
    object_to(db, dispatched, dept_staff, clock.now())
    with pytest.raises(ActionForbidden):
        act(db, dispatched, A.REFUSE_OBJECTION, dept_staff.principal, clock.now(), note="自己驳回")
    with pytest.raises(ActionForbidden):
        act(db, dispatched, A.REFUSE_OBJECTION, town_staff.principal, clock.now(), note="镇里驳回")
    assert dispatched.has_pending_objection is True


def test_a_second_objection_to_the_same_dispatch_is_a_conflict(db, clock, dispatched, dept_staff):
    object_to(db, dispatched, dept_staff, clock.now())
    with pytest.raises(TransitionNotAllowed):
        object_to(db, dispatched, dept_staff, clock.now())


def test_an_objection_is_audited_and_on_the_timeline_with_its_reason(db, clock, dispatched, dept_staff):
    object_to(db, dispatched, dept_staff, clock.now(), reason="属开发区管辖")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "event.object")).one()
    last = timeline(db, dispatched)[-1]
    assert (entry.object_id, json.loads(entry.diff_json)["note"]) == (dispatched.public_id, "属开发区管辖")
    assert (last.action, last.note, last.actor_role) == ("object", "属开发区管辖", "department")


def test_objections_are_counted_per_category(
    db, clock, categories, grid_worker, dispatcher, dept_staff, city
):
    outcomes = ["accept", "refuse", None]
    for outcome in outcomes:
        event = report(db, grid_worker.principal, clock.now())
        act(db, event, A.REGISTER, dispatcher.principal, clock.now())
        act(db, event, A.DISPATCH, dispatcher.principal, clock.now())
        object_to(db, event, dept_staff, clock.now())
        if outcome == "accept":
            act(
                db, event, A.ACCEPT_OBJECTION, dispatcher.principal, clock.now(), department_id=city["fgw"].id
            )
        elif outcome == "refuse":
            act(db, event, A.REFUSE_OBJECTION, dispatcher.principal, clock.now(), note="请办理")
    other = report(db, grid_worker.principal, clock.now(), category_code="E0401", description="水管爆裂")
    act(db, other, A.REGISTER, dispatcher.principal, clock.now())
    act(db, other, A.DISPATCH, dispatcher.principal, clock.now())
    object_to(db, other, dept_staff, clock.now())
    counts = [
        (c.category_code, c.category_name, c.total, c.accepted, c.refused, c.pending)
        for c in objection_counts(db)
    ]
    assert counts == [("E0102", "暴露垃圾", 3, 1, 1, 1), ("E0401", "供水管道破裂", 1, 0, 0, 1)]


def test_the_counts_and_an_events_objections_are_on_the_api_and_the_catalogue_page(
    client, db, clock, dispatched, dept_staff, dispatcher
):
    object_to(db, dispatched, dept_staff, clock.now(), reason="属开发区管辖")
    counts = client.get("/api/v1/events/objections/by-category", headers=dispatcher.headers).json()
    detail = client.get(f"/api/v1/events/{dispatched.public_id}", headers=dispatcher.headers).json()
    page = client.get("/app/admin/catalogue", headers=dispatcher.headers).text
    assert counts == [
        {
            "category_code": "E0102",
            "category_name": "暴露垃圾",
            "total": 1,
            "accepted": 0,
            "refused": 0,
            "pending": 1,
        }
    ]
    assert ([o["reason"] for o in detail["objections"]], detail["allowed_actions"]) == (
        ["属开发区管辖"],
        ["accept_objection", "refuse_objection"],
    )
    assert 'id="objection-counts"' in page and "暴露垃圾" in page


def test_a_department_objects_and_the_centre_refuses_in_the_browser_forms(
    client, db, clock, dispatched, dept_staff, dispatcher
):
    def post(who: Any, action: str, note: str) -> Any:
        form = {
            "csrf_token": who.csrf_token,
            "action": action,
            "version": str(dispatched.version),
            "note": note,
        }
        return client.post(
            f"/app/events/{dispatched.public_id}/actions",
            data=form,
            headers={"Cookie": who.headers["Cookie"]},
            follow_redirects=False,
        )

    objected = post(dept_staff, "object", "非本局职责")
    waiting = client.get(f"/app/events/{dispatched.public_id}", headers=dispatcher.headers).text
    refused = post(dispatcher, "refuse_objection", "请办理")
    after = client.get(f"/app/events/{dispatched.public_id}", headers=dept_staff.headers).text
    assert (objected.status_code, refused.status_code) == (303, 303)
    assert "cgj_staff提出派单异议，待指挥中心审核：非本局职责" in waiting
    assert ("待指挥中心审核" in after, "已派遣</strong> · 异议不成立" in after, "请办理" in after) == (
        False,
        True,
        True,
    )
    assert (dispatched.has_pending_objection, dispatched.department_id) == (
        False,
        dept_staff.user.department_id,
    )


def test_the_dispatchers_workbench_lists_the_objections_queue(
    client, db, clock, dispatched, dept_staff, dispatcher
):
    object_to(db, dispatched, dept_staff, clock.now())
    page = client.get("/app/events?queue=objections", headers=dispatcher.headers).text
    assert "派单异议" in page and dispatched.public_id in page


def test_an_event_offers_the_objection_actions_that_apply_to_it(
    client, db, clock, dispatched, dept_staff, dispatcher
):
    def offered(who: Any) -> list[str]:
        return client.get(f"/api/v1/events/{dispatched.public_id}", headers=who.headers).json()[
            "allowed_actions"
        ]

    before = (offered(dept_staff), offered(dispatcher))
    object_to(db, dispatched, dept_staff, clock.now())
    after = (offered(dept_staff), offered(dispatcher))
    assert before == (["sign", "return", "object"], [])
    assert after == ([], ["accept_objection", "refuse_objection"])
