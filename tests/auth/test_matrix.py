"""The authorization matrix: every route the app registers, every role, exactly what ROLE_PERMS says.

A route that declares neither require(...) nor PUBLIC fails here, so a new endpoint cannot forget it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.auth import tokens
from citycockpit.auth.enums import Role
from citycockpit.auth.permissions import ROLE_PERMS
from citycockpit.auth.sessions import COOKIE_NAME, start_session
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.web.security import is_page_path
from tests.auth.routes import all_routes
from tests.builders import make_persona

PERSONAS = ["admin", "leader", "supervisor", "dispatcher", "dept_staff", "town_staff", "grid_worker"]


def test_every_route_declares_a_permission_or_public(app) -> None:  # type: ignore[no-untyped-def]
    undeclared = [f"{sorted(r.methods)} {r.path}" for r in all_routes(app) if r.kind == "undeclared"]
    assert undeclared == []
    assert len(all_routes(app)) >= 20  # the walk really sees the included routers


@pytest.fixture
def targets(db: Session, clock: Clock, city) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Objects for path parameters, so a call that is allowed can really act (on throwaway objects)."""
    victim = make_persona(db, "target_user", "leader", now=clock.now())
    token = tokens.create_token(db, name="target", scopes=[], actor=SystemActor("test"), now=clock.now())
    return {
        "user_id": str(victim.user.id),
        "token_id": str(token.token.id),
        "department_id": str(city["cgj"].id),  # type: ignore[attr-defined]
        "code": "320585100",
    }


def _url(path: str, targets: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: targets.get(m.group(1), "1"), path)


def _call(client: TestClient, method: str, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.request(method, url, headers=headers, follow_redirects=False, **kwargs)


def _error_code(r, is_page: bool) -> str | None:  # type: ignore[no-untyped-def]
    """The problem's code: from problem+json, or from the HTML error page that page routes render."""
    if is_page and r.headers.get("content-type", "").startswith("text/html"):
        found = re.search(r"<code>([a-z_]+)</code>", r.text)
        return found.group(1) if found else None
    return r.json().get("code")


def test_each_role_gets_exactly_what_role_perms_grants_on_every_route(
    request: pytest.FixtureRequest, client: TestClient, db: Session, clock: Clock, targets
) -> None:  # type: ignore[no-untyped-def]
    personas = {name: request.getfixturevalue(name) for name in PERSONAS}
    problems: list[str] = []
    for route in all_routes(client.app):
        url = _url(route.path, targets)
        is_page = is_page_path(route.path)
        for method in sorted(route.methods):
            r = _call(client, method, url, {})
            if route.kind == "require":
                expected_anon = 303 if is_page else 401
                if r.status_code != expected_anon:
                    problems.append(
                        f"anonymous {method} {route.path}: {r.status_code}, expected {expected_anon}"
                    )
            elif r.status_code in (401,) or r.status_code >= 500:
                problems.append(f"anonymous {method} {route.path}: {r.status_code} on a public route")
            for name, persona in personas.items():
                # A fresh session per call: a logout or password change must not leak into the next call.
                new = start_session(db, persona.user, now=clock.now())
                headers = {"Cookie": f"{COOKIE_NAME}={new.cookie}", "X-CSRF-Token": new.csrf_token}
                r = _call(client, method, url, headers)
                role = Role(persona.user.role)
                allowed = route.kind == "public" or route.perms <= ROLE_PERMS[role]
                status = r.status_code
                if status >= 500 or (route.kind == "public" and status == 401):
                    problems.append(f"{name} {method} {route.path}: {status}")
                elif route.kind == "public":
                    continue  # e.g. the login form's own double-submit check may refuse: not a role matter
                elif allowed and status in (401, 403):
                    problems.append(f"{name} {method} {route.path}: {status} {r.text[:80]}, expected access")
                elif not allowed and (status, _error_code(r, is_page)) != (403, "forbidden"):
                    problems.append(f"{name} {method} {route.path}: {status}, expected 403 forbidden")
    assert problems == []


def test_a_user_who_must_change_the_password_reaches_only_the_routes_that_allow_it(
    client: TestClient, db: Session, clock: Clock, targets
) -> None:  # type: ignore[no-untyped-def]
    fresh = make_persona(db, "newbie", "admin", now=clock.now(), must_change_password=True)
    problems = []
    for route in all_routes(client.app):
        if route.kind != "require":
            continue
        for method in sorted(route.methods):
            new = start_session(db, fresh.user, now=clock.now())
            headers = {"Cookie": f"{COOKIE_NAME}={new.cookie}", "X-CSRF-Token": new.csrf_token}
            r = _call(client, method, _url(route.path, targets), headers)
            refused = r.status_code == 403 or (
                r.status_code == 303 and r.headers["location"] == "/account/password"
            )
            if route.during_password_change == refused:
                problems.append(f"{method} {route.path}: {r.status_code}")
    assert problems == []


def test_a_department_user_cannot_read_another_departments_user_by_guessing_its_id(
    client: TestClient, dept_staff, other_dept_staff
) -> None:  # type: ignore[no-untyped-def]
    own = client.get(f"/api/v1/users/{dept_staff.user.id}", headers=dept_staff.headers)
    other = client.get(f"/api/v1/users/{other_dept_staff.user.id}", headers=dept_staff.headers)
    assert own.status_code == 200
    assert (other.status_code, other.json()["code"]) == (404, "user_not_found")
    listed = client.get("/api/v1/users", headers=dept_staff.headers).json()
    assert {u["username"] for u in listed["items"]} == {"cgj_staff"}


def test_an_area_user_sees_only_accounts_inside_its_subtree(
    client: TestClient, town_staff, grid_worker, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    listed = client.get("/api/v1/users", headers=town_staff.headers).json()
    assert {u["username"] for u in listed["items"]} == {"town_a", "grid_a"}
    r = client.get(f"/api/v1/users/{town_staff.user.id}", headers=grid_worker.headers)
    assert r.status_code == 404  # the town is above the grid worker's subtree


def test_an_unscoped_role_sees_every_account(
    client: TestClient, leader, dept_staff, other_dept_staff
) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/users/{other_dept_staff.user.id}", headers=leader.headers)
    assert r.status_code == 200


def test_a_department_scoped_token_is_held_to_its_department(
    client: TestClient, db: Session, clock: Clock, city, dept_staff, other_dept_staff
) -> None:  # type: ignore[no-untyped-def]
    created = tokens.create_token(
        db, name="cgj-sync", scopes=["users:read"], department_id=city["cgj"].id,  # type: ignore[attr-defined]
        actor=SystemActor("test"), now=clock.now(),
    )  # fmt: skip
    bearer = {"Authorization": f"Bearer {created.secret}"}
    assert client.get(f"/api/v1/users/{dept_staff.user.id}", headers=bearer).status_code == 200
    assert client.get(f"/api/v1/users/{other_dept_staff.user.id}", headers=bearer).status_code == 404


def test_every_permission_is_in_the_auth_doc() -> None:
    from pathlib import Path

    from citycockpit.auth.enums import Perm

    text = (Path(__file__).resolve().parents[2] / "docs" / "domains" / "auth.md").read_text(encoding="utf-8")
    assert [p.value for p in Perm if f"| `{p.value}` |" not in text] == []
