"""The events JSON API: intake, queues, scope, masking, actions with versions."""

from __future__ import annotations

from citycockpit.events.enums import Action
from tests.events.conftest import GRID_A, GRID_B, act, report


def _create(client, persona, **overrides):  # type: ignore[no-untyped-def]
    body = {
        "description": "东门街口暴露垃圾",
        "category_code": "E0102",
        "lat": GRID_A[0],
        "lon": GRID_A[1],
        "reporter_name": "张伟",
        "reporter_phone": "13812345678",
        "channel": "patrol",
    }
    body.update(overrides)
    return client.post("/api/v1/events", json=body, headers=persona.headers)


def test_a_grid_worker_reports_an_event_and_it_is_routed_by_its_category(
    client, categories, grid_worker, city
):
    r = _create(client, grid_worker)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["state"], body["grid_code"], body["department_id"], body["routing_source"]) == (
        "reported",
        "320585100001001",
        city["cgj"].id,
        "rule",
    )


def test_a_leader_may_not_report_events(client, categories, leader):
    r = _create(client, leader)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_a_grid_worker_cannot_report_outside_their_grid(client, categories, grid_worker):
    r = _create(client, grid_worker, lat=GRID_B[0], lon=GRID_B[1])
    assert (r.status_code, r.json()["code"]) == (422, "event_invalid")


def test_reporter_details_are_masked_without_pii_read_and_shown_with_it(
    client, db, clock, categories, dispatcher, supervisor
):
    event = report(db, dispatcher.principal, clock.now())
    masked = client.get(f"/api/v1/events/{event.public_id}", headers=supervisor.headers).json()
    full = client.get(f"/api/v1/events/{event.public_id}", headers=dispatcher.headers).json()
    assert (masked["reporter_name"], masked["reporter_phone"]) == ("张*", "138****5678")
    assert (full["reporter_name"], full["reporter_phone"]) == ("张伟", "13812345678")


def test_a_department_cannot_see_another_departments_event(
    client, db, clock, categories, dispatcher, dept_staff, other_dept_staff
):
    event = report(db, dispatcher.principal, clock.now())
    assert client.get(f"/api/v1/events/{event.id}", headers=dept_staff.headers).status_code == 200
    r = client.get(f"/api/v1/events/{event.id}", headers=other_dept_staff.headers)
    assert (r.status_code, r.json()["code"]) == (404, "event_not_found")
    assert client.get("/api/v1/events", headers=other_dept_staff.headers).json()["total"] == 0


def test_a_grid_worker_sees_only_events_in_their_subtree(
    client, db, clock, categories, dispatcher, grid_worker
):
    inside = report(db, dispatcher.principal, clock.now())
    outside = report(db, dispatcher.principal, clock.now(), lat=GRID_B[0], lon=GRID_B[1])
    listed = client.get("/api/v1/events", headers=grid_worker.headers).json()
    assert [e["public_id"] for e in listed["items"]] == [inside.public_id]
    assert client.get(f"/api/v1/events/{outside.id}", headers=grid_worker.headers).status_code == 404


def test_actions_through_the_api_walk_the_loop_and_build_the_timeline(
    client, db, clock, categories, dispatcher, dept_staff, grid_worker
):
    event = report(db, grid_worker.principal, clock.now())
    steps = [
        (dispatcher, "register", {}),
        (dispatcher, "dispatch", {}),
        (dept_staff, "sign", {}),
        (dept_staff, "handle", {"note": "已清运", "photos": ["photos/after.jpg"]}),
        (grid_worker, "verify", {}),
        (dispatcher, "close", {}),
        (dispatcher, "rate", {"satisfaction": "satisfied"}),
    ]
    version = event.version
    for persona, action, extra in steps:
        r = client.post(
            f"/api/v1/events/{event.public_id}/{action}",
            json={"version": version, **extra},
            headers=persona.headers,
        )
        assert r.status_code == 200, (action, r.text)
        version = r.json()["version"]
    body = r.json()
    assert body["state"] == "rated"
    assert [t["action"] for t in body["timeline"]] == ["report"] + [s[1] for s in steps]
    assert body["result_photos"] == ["photos/after.jpg"]


def test_acting_on_a_stale_version_is_a_409_version_conflict(client, db, clock, categories, dispatcher):
    event = report(db, dispatcher.principal, clock.now())
    stale = event.version
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    r = client.post(
        f"/api/v1/events/{event.id}/dispatch", json={"version": stale}, headers=dispatcher.headers
    )
    assert (r.status_code, r.json()["code"]) == (409, "version_conflict")


def test_a_department_user_cannot_dispatch(client, db, clock, categories, dispatcher, dept_staff):
    event = report(db, dispatcher.principal, clock.now())
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    r = client.post(
        f"/api/v1/events/{event.id}/dispatch", json={"version": event.version}, headers=dept_staff.headers
    )
    assert (r.status_code, r.json()["code"]) == (403, "event_action_forbidden")


def test_queues_list_what_each_role_has_to_do(
    client, db, clock, categories, dispatcher, dept_staff, grid_worker
):
    event = report(db, grid_worker.principal, clock.now())
    for action, who in [(Action.REGISTER, dispatcher), (Action.DISPATCH, dispatcher)]:
        act(db, event, action, who.principal, clock.now())
    mine = client.get("/api/v1/events?queue=department", headers=dept_staff.headers).json()
    dispatch = client.get("/api/v1/events?queue=dispatch", headers=dispatcher.headers).json()
    assert ([e["id"] for e in mine["items"]], dispatch["total"]) == ([event.id], 0)


def test_an_event_without_category_and_no_confident_guess_waits_in_triage(client, categories, dispatcher):
    r = _create(client, dispatcher, category_code=None, description="有人反映这里情况比较复杂")
    assert r.status_code == 201
    assert (r.json()["needs_triage"], r.json()["category_code"]) == (True, None)
    triage = client.get("/api/v1/events?queue=triage", headers=dispatcher.headers).json()
    assert [e["id"] for e in triage["items"]] == [r.json()["id"]]


def test_the_keyword_classifier_routes_a_clear_text_and_records_its_score(
    client, categories, dispatcher, city
):
    r = _create(client, dispatcher, category_code=None, description="小区门口暴露垃圾没人清理，垃圾成堆")
    body = r.json()
    assert (body["category_code"], body["routing_source"], body["needs_triage"]) == ("E0102", "model", False)
    assert body["routing_score"] >= 0.6
