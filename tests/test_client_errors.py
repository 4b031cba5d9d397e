"""Inputs that used to end in an unhandled 500 answer a 4xx problem+json naming what is wrong."""

from __future__ import annotations

import pytest

from tests.goals.builders import make_goal

PROBLEM = "application/problem+json"


def _problem(r, status):  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    return r.json()


@pytest.mark.parametrize("field", ["starts_on", "due_on"])
def test_a_goal_date_can_be_edited(client, db, clock, admin, field):  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now())
    r = client.patch(f"/api/v1/goals/{goal.id}", json={field: "2024-06-30"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()[field] == "2024-06-30"


def test_a_goal_date_that_is_not_a_date_is_a_422_naming_the_field(client, db, clock, admin):  # type: ignore[no-untyped-def]
    goal = make_goal(db, now=clock.now())
    r = client.patch(f"/api/v1/goals/{goal.id}", json={"due_on": "soon"}, headers=admin.headers)
    assert _problem(r, 422)["errors"][0]["field"] == "due_on"


@pytest.mark.parametrize("url", ["/api/v1/goals/reports?state=x", "/api/v1/goals/alerts?kind=x"])
def test_an_unknown_enum_filter_is_a_422(client, admin, url):  # type: ignore[no-untyped-def]
    r = client.get(url, headers=admin.headers)
    assert _problem(r, 422)["code"] == "validation_error"


IMPORT_ROUTES = [
    "/api/v1/events/import",
    "/api/v1/events/catalogue/import",
    "/api/v1/events/history/import",
    "/api/v1/goals/actuals/import",
    "/api/v1/org/import",
    "/api/v1/projects/signings/import",
]


@pytest.mark.parametrize("route", IMPORT_ROUTES)
@pytest.mark.parametrize("encoding", ["bogus", "base64", "rot13"])
def test_an_unknown_text_encoding_on_an_import_is_a_422_naming_it(client, admin, route, encoding):  # type: ignore[no-untyped-def]
    files = {"file": ("data.csv", "名称,数值\n甲,1\n".encode(), "text/csv")}
    r = client.post(route, params={"encoding": encoding}, files=files, headers=admin.headers)
    body = _problem(r, 422)
    assert "encoding" in r.text, body


@pytest.mark.parametrize(
    "expires_at",
    ["2030-01-01", "2030-01-01T00:00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"],
)
def test_a_token_expiry_without_a_zone_or_beyond_the_calendar_is_a_422(client, admin, expires_at):  # type: ignore[no-untyped-def]
    body = {"name": "数据平台", "scopes": ["events:read"], "expires_at": expires_at}
    r = client.post("/api/v1/admin/tokens", json=body, headers=admin.headers)
    assert _problem(r, 422)["errors"][0]["field"] == "expires_at"


def test_a_token_expiry_with_a_zone_is_kept(client, admin):  # type: ignore[no-untyped-def]
    body = {"name": "数据平台", "scopes": ["events:read"], "expires_at": "2030-01-01T08:00:00+08:00"}
    r = client.post("/api/v1/admin/tokens", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["token"]["expires_at"].startswith("2030-01-01T00:00:00")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "0001-01-01T00:00:00+14:00"},
        {"end_date": "0001-01-01T00:00:00+00:00"},
        {"start_date": "9999-12-31T23:59:59-14:00"},
        {"start_date": "9999-12-31T00:00:00+00:00"},
    ],
)
def test_open311_dates_at_the_calendar_edges_are_a_400_error_list(client, fmt, params):  # type: ignore[no-untyped-def]
    r = client.get(f"/open311/v2/requests.{fmt}", params=params)
    assert r.status_code == 400, r.text
    if fmt == "json":
        assert r.json()[0]["code"] == 400
    else:
        assert b"<errors><error><code>400</code>" in r.content


def test_a_repeated_external_id_is_a_409_naming_the_stored_event(client, admin, db, clock):  # type: ignore[no-untyped-def]
    from citycockpit.events import categories as cats
    from tests.events.conftest import CATEGORY_YAML, GRID_A, TESTER

    cats.import_categories(db, CATEGORY_YAML.encode(), "test.yaml", actor=TESTER, now=clock.now())
    body = {
        "description": "东门街口有一堆暴露垃圾",
        "category_code": "E0102",
        "lat": GRID_A[0],
        "lon": GRID_A[1],
        "external_id": "SRC-2024-0001",
    }
    first = client.post("/api/v1/events", json=body, headers=admin.headers)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/events", json=body, headers=admin.headers)
    problem = _problem(again, 409)
    assert (problem["code"], problem["public_id"]) == ("event_external_id_taken", first.json()["public_id"])


def test_a_write_racing_another_for_a_unique_key_is_a_409(client, admin, db, clock):  # type: ignore[no-untyped-def]
    """The check before the insert cannot see a concurrent request's row: the unique constraint
    refuses the second insert, and that is a conflict, not a 500."""
    from fastapi import APIRouter
    from sqlalchemy import insert

    from citycockpit.auth.models import User

    racing = APIRouter()

    @racing.post("/api/v1/test-race")
    def race() -> None:
        row = {"username": "admin", "display_name": "x", "password_hash": "x", "role": "admin"}
        db.execute(insert(User).values(**row, is_active=True, must_change_password=False, failed_logins=0))

    client.app.include_router(racing)
    r = client.post("/api/v1/test-race", headers=admin.headers)
    assert (_problem(r, 409)["code"]) == "conflict"
