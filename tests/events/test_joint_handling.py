"""Joint handling (牵头/配合): the centre dispatches to a lead department and co-operating departments;
each co-operator signs for and reports its part, seen in its queue and on the event; the lead reports
the result only after every part is in (国办发〔2020〕53号), and its result moves the event on."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from citycockpit.config import Settings
from citycockpit.events import queries
from citycockpit.events.enums import Action, AssistAction, EventState
from citycockpit.events.errors import ActionForbidden, AssistsOpen, InvalidEventInput
from citycockpit.events.sla import DEFAULT_CALENDAR, WorkCalendar
from citycockpit.events.workflow import assists, service
from tests.builders import make_persona
from tests.events.conftest import act, report


@pytest.fixture
def joint(db, clock, city, categories, dispatcher, grid_worker):  # type: ignore[no-untyped-def]
    """An event dispatched to 城管局 (lead) with 发改委 co-operating."""
    now = clock.now()
    event = report(db, grid_worker.principal, now)
    act(db, event, Action.REGISTER, dispatcher.principal, now)
    act(db, event, Action.DISPATCH, dispatcher.principal, now, assist_department_ids=[city["fgw"].id])
    return event


@pytest.fixture
def centre_staff(db, clock, city):  # type: ignore[no-untyped-def]
    """A user of the 12345 centre's own department: neither lead nor co-operator of the joint event."""
    return make_persona(db, "c12345_staff", "department", now=clock.now(), department_id=city["c12345"].id)


def _queue(db, persona):  # type: ignore[no-untyped-def]
    items, _ = queries.list_events(db, persona.principal, queries.EventFilter(queue="department"))
    return [e.id for e in items]


def test_a_joint_dispatch_puts_the_event_in_the_lead_and_the_co_operators_queues(
    db, joint, dept_staff, other_dept_staff, centre_staff
):
    assert joint.id in _queue(db, dept_staff)
    assert joint.id in _queue(db, other_dept_staff)
    assert joint.id not in _queue(db, centre_staff)


def test_the_co_operator_signs_and_reports_its_part_and_leaves_its_queue(db, clock, joint, other_dept_staff):
    now = clock.now() + timedelta(minutes=20)
    assists.sign_assist(db, joint.id, actor=other_dept_staff.principal, now=now)
    assists.handle_assist(db, joint.id, note="已核实企业用地手续", actor=other_dept_staff.principal, now=now)
    [part] = assists.list_assists(db, joint.id)
    assert (part.state, part.note, part.handled_by) == (
        "handled",
        "已核实企业用地手续",
        other_dept_staff.principal.display_name,
    )
    assert joint.id not in _queue(db, other_dept_staff)
    assert joint.state == EventState.DISPATCHED  # the co-operator's steps leave the event's state alone


def test_each_co_operating_step_is_on_the_timeline(db, clock, joint, other_dept_staff):
    now = clock.now()
    assists.sign_assist(db, joint.id, actor=other_dept_staff.principal, now=now)
    assists.handle_assist(db, joint.id, note="已反馈", actor=other_dept_staff.principal, now=now)
    rows = queries.timeline(db, joint)
    assert [t.action for t in rows[-3:]] == [Action.DISPATCH, AssistAction.SIGN, AssistAction.HANDLE]
    assert json.loads(rows[-3].data_json)["assist_department_ids"] == [
        other_dept_staff.principal.department_id
    ]


def test_the_lead_cannot_report_the_result_while_a_co_operating_part_is_open(db, clock, joint, dept_staff):
    now = clock.now()
    act(db, joint, Action.SIGN, dept_staff.principal, now)
    with pytest.raises(AssistsOpen):
        act(db, joint, Action.HANDLE, dept_staff.principal, now)


def test_the_leads_result_closes_the_case_once_every_part_is_in(
    db, clock, joint, dispatcher, dept_staff, other_dept_staff, grid_worker
):
    now = clock.now()
    act(db, joint, Action.SIGN, dept_staff.principal, now)
    assists.sign_assist(db, joint.id, actor=other_dept_staff.principal, now=now)
    assists.handle_assist(db, joint.id, note="配合完成", actor=other_dept_staff.principal, now=now)
    act(db, joint, Action.HANDLE, dept_staff.principal, now + timedelta(hours=1))
    act(db, joint, Action.VERIFY, grid_worker.principal, now + timedelta(hours=2))
    act(db, joint, Action.CLOSE, dispatcher.principal, now + timedelta(hours=2))
    assert (joint.state, joint.department_id) == (EventState.CLOSED, dept_staff.principal.department_id)


def test_a_department_that_is_not_co_operating_is_refused(db, clock, joint, centre_staff, dept_staff):
    from citycockpit.events.errors import EventNotFound

    with pytest.raises(EventNotFound):  # outside its scope the event does not exist
        assists.sign_assist(db, joint.id, actor=centre_staff.principal, now=clock.now())
    with pytest.raises(ActionForbidden):  # the lead has no co-operating part of its own
        assists.sign_assist(db, joint.id, actor=dept_staff.principal, now=clock.now())


def test_a_co_operator_cannot_take_the_leads_steps(db, clock, joint, other_dept_staff):
    with pytest.raises(ActionForbidden):
        act(db, joint, Action.SIGN, other_dept_staff.principal, clock.now())


def test_the_lead_cannot_also_be_a_co_operator(db, clock, city, categories, dispatcher, grid_worker):
    now = clock.now()
    event = report(db, grid_worker.principal, now)
    act(db, event, Action.REGISTER, dispatcher.principal, now)
    with pytest.raises(InvalidEventInput):
        act(db, event, Action.DISPATCH, dispatcher.principal, now, assist_department_ids=[city["cgj"].id])


def test_joint_dispatch_and_the_co_operators_steps_work_over_the_api(
    client, db, clock, city, categories, dispatcher, grid_worker, other_dept_staff, dept_staff
):
    event = report(db, grid_worker.principal, clock.now())
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    r = client.post(
        f"/api/v1/events/{event.public_id}/dispatch",
        json={"version": event.version, "assist_department_ids": [city["fgw"].id]},
        headers=dispatcher.headers,
    )
    assert r.status_code == 200, r.text
    assert [(a["department_id"], a["state"]) for a in r.json()["assists"]] == [(city["fgw"].id, "assigned")]
    seen = client.get(f"/api/v1/events/{event.public_id}", headers=other_dept_staff.headers).json()
    assert (seen["assist_actions"], seen["allowed_actions"]) == (["assist_sign"], [])
    signed = client.post(f"/api/v1/events/{event.public_id}/assist/sign", headers=other_dept_staff.headers)
    assert signed.json()["assist_actions"] == ["assist_handle"]
    no_note = client.post(
        f"/api/v1/events/{event.public_id}/assist/handle", json={}, headers=other_dept_staff.headers
    )
    assert (no_note.status_code, no_note.json()["code"]) == (422, "event_note_required")
    done = client.post(
        f"/api/v1/events/{event.public_id}/assist/handle",
        json={"note": "已配合完成"},
        headers=other_dept_staff.headers,
    )
    assert done.json()["assists"][0]["state"] == "handled"
    refused = client.post(f"/api/v1/events/{event.public_id}/assist/sign", headers=dept_staff.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "event_action_forbidden")


def test_the_lead_is_told_which_parts_are_open_over_the_api(client, db, clock, joint, dept_staff):
    act(db, joint, Action.SIGN, dept_staff.principal, clock.now())
    r = client.post(
        f"/api/v1/events/{joint.public_id}/handle",
        json={"version": joint.version, "note": "已清理"},
        headers=dept_staff.headers,
    )
    assert (r.status_code, r.json()["code"]) == (409, "event_assists_open")


def _form(persona, **data):  # type: ignore[no-untyped-def]
    return {
        "data": {"csrf_token": persona.csrf_token, **data},
        "headers": {"Cookie": persona.headers["Cookie"]},
    }


def test_the_dispatcher_names_co_operators_on_the_page_and_the_co_operator_reports_there(
    client, db, clock, city, categories, dispatcher, grid_worker, other_dept_staff
):
    event = report(db, grid_worker.principal, clock.now())
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    page = client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    assert 'name="assist_department_ids"' in page
    r = client.post(
        f"/app/events/{event.public_id}/actions",
        follow_redirects=False,
        **_form(
            dispatcher,
            action="dispatch",
            version=str(event.version),
            assist_department_ids=[str(city["fgw"].id)],
        ),
    )
    assert r.status_code == 303, r.text
    seen = client.get(f"/app/events/{event.public_id}", headers=other_dept_staff.headers).text
    assert 'value="assist_sign"' in seen and 'value="sign"' not in seen and "配合单位" in seen
    for action, note in (("assist_sign", ""), ("assist_handle", "已完成配合部分")):
        r = client.post(
            f"/app/events/{event.public_id}/actions",
            follow_redirects=False,
            **_form(other_dept_staff, action=action, version="0", note=note),
        )
        assert r.status_code == 303, r.text
    shown = client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    assert "已反馈：已完成配合部分" in shown and "配合反馈" in shown


def test_each_co_operating_step_is_audited(db, clock, joint, other_dept_staff):
    from sqlalchemy import select

    from citycockpit.audit.models import AuditEntry

    now = clock.now()
    assists.sign_assist(db, joint.id, actor=other_dept_staff.principal, now=now)
    assists.handle_assist(db, joint.id, note="已反馈", actor=other_dept_staff.principal, now=now)
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == joint.public_id).order_by(AuditEntry.id)
    ).all()
    assert actions[-3:] == ["event.dispatch", "event.assist_sign", "event.assist_handle"]


def test_a_co_operator_made_lead_on_re_dispatch_no_longer_holds_up_its_own_result(
    db, clock, city, joint, dispatcher, dept_staff, other_dept_staff
):
    now = clock.now()
    act(db, joint, Action.RETURN, dept_staff.principal, now)
    act(db, joint, Action.DISPATCH, dispatcher.principal, now, department_id=city["fgw"].id)
    act(db, joint, Action.SIGN, other_dept_staff.principal, now)
    act(db, joint, Action.HANDLE, other_dept_staff.principal, now)
    assert (joint.state, assists.list_assists(db, joint.id)) == (EventState.HANDLED, [])


def test_a_part_is_signed_once_and_reported_only_after_signing(db, clock, joint, other_dept_staff):
    from citycockpit.events.errors import TransitionNotAllowed

    now = clock.now()
    with pytest.raises(TransitionNotAllowed):
        assists.handle_assist(db, joint.id, note="未签收先反馈", actor=other_dept_staff.principal, now=now)
    assists.sign_assist(db, joint.id, actor=other_dept_staff.principal, now=now)
    with pytest.raises(TransitionNotAllowed):
        assists.sign_assist(db, joint.id, actor=other_dept_staff.principal, now=now)


# ---- the co-operating part's time limit ------------------------------------------------------------


def _handle_limit(db, event):  # type: ignore[no-untyped-def]
    from citycockpit.events.models import EventCategory

    category = db.scalars(select(EventCategory).where(EventCategory.code == event.category_code)).one()
    return category.handle_limit


def test_a_co_operating_part_is_due_at_the_set_share_of_the_handle_limit(db, clock, joint):  # type: ignore[no-untyped-def]
    [part] = assists.list_assists(db, joint.id)
    used = DEFAULT_CALENDAR.elapsed(part.assigned_at, part.due_at, joint.clock_kind)
    assert used == pytest.approx(0.5 * _handle_limit(db, joint))
    assert part.due_at < joint.handle_due_at


def test_the_share_comes_from_the_calendar_built_from_the_setting(  # type: ignore[no-untyped-def]
    db, clock, city, categories, dispatcher, grid_worker
):
    settings = Settings(events_assist_limit_share=0.25)
    calendar = WorkCalendar.from_settings(settings)
    now = clock.now()
    event = report(db, grid_worker.principal, now)
    act(db, event, Action.REGISTER, dispatcher.principal, now)
    service.transition_event(
        db,
        event.id,
        Action.DISPATCH,
        service.ActionInput(version=event.version, note=None, assist_department_ids=[city["fgw"].id]),
        actor=dispatcher.principal,
        now=now,
        calendar=calendar,
    )
    [part] = assists.list_assists(db, event.id)
    assert calendar.elapsed(now, part.due_at, event.clock_kind) == pytest.approx(
        0.25 * _handle_limit(db, event)
    )


def test_an_open_part_past_its_limit_is_overdue_and_a_reported_one_never(db, clock, joint, other_dept_staff):  # type: ignore[no-untyped-def]
    [part] = assists.list_assists(db, joint.id)
    late = part.due_at + timedelta(minutes=1)
    assert (part.is_overdue(part.due_at - timedelta(minutes=1)), part.is_overdue(late)) == (False, True)
    assists.sign_assist(db, joint.id, actor=other_dept_staff.principal, now=late)
    assists.handle_assist(db, joint.id, note="已反馈", actor=other_dept_staff.principal, now=late)
    db.refresh(part)
    assert part.is_overdue(late + timedelta(days=30)) is False


def test_the_event_page_and_api_show_the_parts_limit_and_flag_it_overdue(  # type: ignore[no-untyped-def]
    client, db, clock, joint, dispatcher
):
    [part] = assists.list_assists(db, joint.id)
    body = client.get(f"/api/v1/events/{joint.id}", headers=dispatcher.headers).json()
    assert body["assists"][0]["due_at"] is not None and body["assists"][0]["is_overdue"] is False
    page = client.get(f"/app/events/{joint.public_id}", headers=dispatcher.headers).text
    assert "反馈时限" in page and "超期未反馈" not in page
    part.due_at = clock.now() - timedelta(hours=1)
    db.flush()
    body = client.get(f"/api/v1/events/{joint.id}", headers=dispatcher.headers).json()
    page = client.get(f"/app/events/{joint.public_id}", headers=dispatcher.headers).text
    assert body["assists"][0]["is_overdue"] is True and "超期未反馈" in page


def _clock_cell(page: str, public_id: str) -> str:
    row = page.split(f"<code>{public_id}</code>", 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1] for c in row.split("<td")[1:]]  # markup after each cell's attributes
    return cells[-2]  # 剩余时限, before 距离


def test_the_co_operators_queue_runs_on_its_own_parts_limit_and_flags_it_late(  # type: ignore[no-untyped-def]
    client, db, clock, joint, dept_staff, other_dept_staff
):
    [part] = assists.list_assists(db, joint.id)
    assert part.due_at is not None and joint.handle_due_at is not None and part.due_at < joint.handle_due_at
    mine = client.get("/app/events?queue=department", headers=other_dept_staff.headers).text
    cell = _clock_cell(mine, joint.public_id)
    assert "配合" in cell and "tone-red" not in cell
    assert (
        part.due_at.astimezone(clock.zone).strftime("%Y-%m-%d %H:%M") in cell
    )  # its own limit, not the lead's
    part.due_at = clock.now() - timedelta(hours=1)
    db.flush()
    late = _clock_cell(
        client.get("/app/events?queue=department", headers=other_dept_staff.headers).text, joint.public_id
    )
    assert "tone-red" in late and "超时" in late
    # the lead's row keeps the lead's clock: the case itself is not late
    lead = _clock_cell(
        client.get("/app/events?queue=department", headers=dept_staff.headers).text, joint.public_id
    )
    assert "配合" not in lead and "tone-red" not in lead
