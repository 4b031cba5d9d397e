"""Sessions carry a user's role and scope into every request."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_signed_in_department_user_can_read_departments(client: TestClient, dept_staff) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/org/departments", headers=dept_staff.headers)
    assert r.status_code == 200
    assert r.json()["total"] == 3


def test_an_unknown_session_cookie_is_anonymous(client: TestClient, city) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/org/departments", headers={"Cookie": "cc_session=forged"})
    assert r.status_code == 401
