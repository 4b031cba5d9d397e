"""Event pages: queues per role, the report form for grid workers (validated in Chinese), the detail
with timeline and SLA clock, one-click actions with notes, and escaping of what citizens typed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.events.enums import Action
from citycockpit.events.models import Event
from tests.events.conftest import act, report


def _form(persona, **data):  # type: ignore[no-untyped-def]
    return {
        "data": {"csrf_token": persona.csrf_token, **data},
        "headers": {"Cookie": persona.headers["Cookie"]},
    }


def test_a_grid_worker_reports_an_event_that_lands_in_the_intake_queue(
    client: TestClient,
    db: Session,
    categories,
    grid_worker,
    dispatcher,
) -> None:
    r = client.post(
        "/app/events/new",
        follow_redirects=False,
        **_form(grid_worker, description="东门街口有一堆暴露垃圾，气味很大", category_code="E0102"),
    )
    assert r.status_code == 303, r.text
    event = db.scalars(select(Event).where(Event.channel == "patrol")).one()
    assert event.grid_code == "320585100001001"
    queue = client.get("/app/events?queue=intake", headers=dispatcher.headers).text
    assert event.public_id in queue


def test_a_too_short_report_is_explained_in_chinese(client: TestClient, categories, grid_worker) -> None:
    r = client.post("/app/events/new", **_form(grid_worker, description="垃圾"))
    assert r.status_code == 422 and "请描述问题，至少 5 个字" in r.text


def test_the_dispatcher_registers_with_one_click_and_a_note(
    client: TestClient,
    db: Session,
    clock,
    categories,
    grid_worker,
    dispatcher,
) -> None:
    event = report(db, grid_worker.principal, clock.now())
    page = client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    assert 'value="register"' in page and "办理过程" in page
    r = client.post(
        f"/app/events/{event.public_id}/actions",
        follow_redirects=False,
        **_form(dispatcher, action="register", version=str(event.version), note="情况属实，予以立案"),
    )
    assert r.status_code == 303
    db.refresh(event)
    assert event.state == "registered"
    page = client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    assert "情况属实，予以立案" in page


def test_a_department_sees_the_sla_clock_and_cannot_take_a_dispatchers_action(
    client: TestClient,
    db: Session,
    clock,
    categories,
    grid_worker,
    dispatcher,
    dept_staff,
) -> None:
    event = report(db, grid_worker.principal, clock.now())
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    act(db, event, Action.DISPATCH, dispatcher.principal, clock.now())
    page = client.get(f"/app/events/{event.public_id}", headers=dept_staff.headers).text
    assert 'id="sla-clock"' in page and 'value="sign"' in page and 'value="dispatch"' not in page
    r = client.post(
        f"/app/events/{event.public_id}/actions",
        **_form(dept_staff, action="close", version=str(event.version)),
    )
    assert r.status_code in (403, 409) and 'role="alert"' in r.text


def test_what_a_citizen_typed_is_shown_escaped(
    client: TestClient,
    db: Session,
    clock,
    categories,
    grid_worker,
    dispatcher,
) -> None:
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">东门街口垃圾'
    event = report(db, grid_worker.principal, clock.now(), description=evil)
    page = client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_reporters_phone_is_masked_for_a_department(
    client: TestClient,
    db: Session,
    clock,
    categories,
    grid_worker,
    dispatcher,
    dept_staff,
) -> None:
    event = report(db, grid_worker.principal, clock.now())
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    act(db, event, Action.DISPATCH, dispatcher.principal, clock.now())
    assert "13812345678" in client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    page = client.get(f"/app/events/{event.public_id}", headers=dept_staff.headers).text
    assert "13812345678" not in page and "138****5678" in page


def test_the_categories_page_lists_sla_limits_and_admins_import_them(
    client: TestClient, db: Session, categories, admin, dispatcher
) -> None:
    page = client.get("/app/admin/categories", headers=dispatcher.headers).text
    assert "E0102" in page and "暴露垃圾" in page and 'action="/app/admin/categories/import"' not in page
    yaml = "categories:\n- {code: E01, name: 市容环境, kind: event}\n- {code: E0103, name: 积存垃圾渣土, kind: event, parent_code: E01, department: CGJ, clock_kind: work_hours, sign_limit: 0.5, handle_limit: 8, verify_limit: 2}\n"
    r = client.post(
        "/app/admin/categories/import",
        files={"file": ("cats.yaml", yaml.encode(), "application/x-yaml")},
        data={"csrf_token": admin.csrf_token},
        headers={"Cookie": admin.headers["Cookie"]},
    )
    assert r.status_code == 200 and "导入完成" in r.text and "积存垃圾渣土" in r.text


def test_a_category_file_with_a_bad_row_names_it_and_stores_nothing(
    client: TestClient, categories, admin
) -> None:
    yaml = "categories:\n- {code: E0199, name: 坏行, kind: event, parent_code: NOPE, clock_kind: work_hours, handle_limit: -1}\n"
    r = client.post(
        "/app/admin/categories/import",
        files={"file": ("cats.yaml", yaml.encode(), "application/x-yaml")},
        data={"csrf_token": admin.csrf_token},
        headers={"Cookie": admin.headers["Cookie"]},
    )
    assert r.status_code == 422 and "第 1 行" in r.text
    # each reason in the page's language, with the values it names
    assert "编码 E0199 须以上级编码 NOPE 开头" in r.text and "“-1”须大于 0" in r.text
    assert "小类须填写处置单位" in r.text
    assert "does not start" not in r.text and "must be above" not in r.text
    assert "坏行" not in client.get("/app/admin/categories?sort=-code", headers=admin.headers).text


def test_the_home_page_lists_the_roles_queues_with_work_waiting(
    client: TestClient, db: Session, clock, categories, grid_worker, dispatcher
) -> None:
    report(db, grid_worker.principal, clock.now())
    page = client.get("/app", headers=dispatcher.headers).text
    assert 'href="/app/events?queue=intake"' in page and "待立案：1 件" in page


def test_the_event_queue_sorts_by_a_column_both_ways(
    client: TestClient, db: Session, clock, categories, grid_worker, dispatcher
) -> None:
    from datetime import timedelta

    older = report(
        db, grid_worker.principal, clock.now() - timedelta(hours=2), description="路灯不亮已经三天了，请修理"
    )
    newer = report(db, grid_worker.principal, clock.now(), description="人行道上有一堆建筑垃圾没人管")
    ascending = client.get("/app/events?queue=intake&sort=reported_at", headers=dispatcher.headers).text
    assert ascending.index(older.public_id) < ascending.index(newer.public_id)
    descending = client.get("/app/events?queue=intake&sort=-reported_at", headers=dispatcher.headers).text
    assert descending.index(newer.public_id) < descending.index(older.public_id)
    assert 'class="sort desc"' in descending


def test_an_unknown_sort_key_falls_back_to_newest_first(
    client: TestClient, db: Session, clock, categories, grid_worker, dispatcher
) -> None:
    from datetime import timedelta

    older = report(
        db, grid_worker.principal, clock.now() - timedelta(hours=2), description="路灯不亮已经三天了，请修理"
    )
    newer = report(db, grid_worker.principal, clock.now(), description="人行道上有一堆建筑垃圾没人管")
    page = client.get("/app/events?queue=intake&sort=reporter_phone", headers=dispatcher.headers)
    assert page.status_code == 200
    assert page.text.index(newer.public_id) < page.text.index(older.public_id)
