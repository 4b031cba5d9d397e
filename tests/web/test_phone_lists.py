"""The department handler's list on the street: time left on the current stage's clock (events/sla.py),
most urgent first unless the user sorts otherwise; the report form's phone parts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.events.enums import Action
from tests.events.conftest import act, report


def test_the_department_list_puts_the_soonest_deadline_first_with_its_time_left(
    client: TestClient, db: Session, clock, categories, grid_worker, dispatcher, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    # reported first, so newest-first would list it last
    fast = report(db, grid_worker.principal, now, category_code="E0401", description="路口水管爆裂一直冒水")
    slow = report(db, grid_worker.principal, now, category_code="H0104", description="咨询办事流程，需要答复")
    for event in (slow, fast):
        act(db, event, Action.REGISTER, dispatcher.principal, now, note=None)
        act(
            db, event, Action.DISPATCH, dispatcher.principal, now, department_id=dept_staff.user.department_id
        )
    assert fast.handle_due_at < slow.handle_due_at
    page = client.get("/app/events", headers=dept_staff.headers).text
    assert page.index(fast.public_id) < page.index(slow.public_id)
    assert "剩 4小时0分" in page  # E0401: four urgent hours, every minute counts
    newest = client.get("/app/events?sort=-reported_at", headers=dept_staff.headers).text
    assert newest.index(slow.public_id) < newest.index(fast.public_id) and 'data-label="剩余时限"' in newest


def test_the_report_form_has_no_coordinate_to_type_until_asked(
    client: TestClient, categories, grid_worker
) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/events/new", headers=grid_worker.headers).text
    assert 'name="photos" accept="image/*" capture="environment" multiple' in page
    assert 'enctype="multipart/form-data"' in page and 'name="idempotency_key"' in page
    manual = page[page.index('<details class="manual"') :]
    assert manual.index('name="lat"') < manual.index("</details>")
    assert '<details class="manual">' in page  # folded away
