"""CSRF on cookie requests, the sign-in pages with their double-submit token, and security headers."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.auth import tokens
from citycockpit.auth.csrf import LOGIN_CSRF_COOKIE
from citycockpit.auth.sessions import COOKIE_NAME
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from tests.builders import PERSONA_PASSWORD, make_persona

NEW_USER = {"username": "wang_wu", "display_name": "王五", "password": "Initial-pass-42", "role": "leader"}


def _cookie_only(persona) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Cookie": f"{COOKIE_NAME}={persona.cookie}"}


def test_a_cookie_post_without_the_csrf_token_is_refused(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/admin/users", json=NEW_USER, headers=_cookie_only(admin))
    assert (r.status_code, r.json()["code"]) == (403, "csrf_failed")


def test_a_cookie_post_with_another_sessions_csrf_token_is_refused(client: TestClient, admin, leader) -> None:  # type: ignore[no-untyped-def]
    headers = {**_cookie_only(admin), "X-CSRF-Token": leader.csrf_token}
    r = client.post("/api/v1/admin/users", json=NEW_USER, headers=headers)
    assert r.json()["code"] == "csrf_failed"


def test_a_cookie_post_with_the_sessions_csrf_token_passes(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/admin/users", json=NEW_USER, headers=admin.headers)
    assert r.status_code == 201 and r.json()["must_change_password"] is True


def test_a_bearer_token_post_needs_no_csrf_token(client: TestClient, db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    created = tokens.create_token(
        db, name="t", scopes=["org:write"], actor=SystemActor("test"), now=clock.now()
    )
    r = client.post(
        "/api/v1/org/import",
        files={"file": ("x.csv", b"nonsense", "text/csv")},
        headers={"Authorization": f"Bearer {created.secret}"},
    )
    assert r.status_code not in (401, 403)


def test_a_get_needs_no_csrf_token(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/admin/users", headers=_cookie_only(admin)).status_code == 200


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_the_login_form_signs_in_with_its_double_submit_token(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login?next=/account")
    assert page.status_code == 200 and "登录" in page.text
    token = _form_token(page.text)
    assert client.cookies.get(LOGIN_CSRF_COOKIE) == token
    r = client.post(
        "/login",
        data={"username": "admin", "password": PERSONA_PASSWORD, "csrf_token": token, "next": "/account"},
        follow_redirects=False,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/account")
    account = client.get("/account")
    assert account.status_code == 200 and "admin" in account.text


def test_the_login_form_refuses_a_post_without_the_matching_cookie(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    r = client.post(
        "/login",
        data={"username": "admin", "password": PERSONA_PASSWORD, "csrf_token": "forged-token-123456"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and COOKIE_NAME not in r.cookies


def test_the_login_form_never_redirects_to_another_site(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    token = _form_token(client.get("/login").text)
    r = client.post(
        "/login",
        data={
            "username": "admin",
            "password": PERSONA_PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/account"


def test_a_forced_change_sends_the_browser_to_the_password_page(
    client: TestClient, db: Session, clock: Clock, city
) -> None:  # type: ignore[no-untyped-def]
    fresh = make_persona(db, "newbie", "leader", now=clock.now(), must_change_password=True)
    r = client.get("/account", headers=_cookie_only(fresh), follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/account/password")
    page = client.get("/account/password", headers=_cookie_only(fresh))
    r = client.post(
        "/account/password",
        data={
            "csrf_token": _form_token(page.text),
            "current_password": PERSONA_PASSWORD,
            "new_password": "Brand-new-pass-42",
            "confirm_password": "Brand-new-pass-42",
        },
        headers=_cookie_only(fresh),
        follow_redirects=False,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/account?changed=1")
    assert client.get("/account", headers=_cookie_only(fresh)).status_code == 200


def test_the_password_form_without_its_csrf_token_is_refused(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/account/password",
        data={
            "current_password": PERSONA_PASSWORD,
            "new_password": "Brand-new-pass-42",
            "confirm_password": "Brand-new-pass-42",
        },
        headers=_cookie_only(admin),
    )
    assert (r.status_code, r.json()["code"]) == (403, "csrf_failed")


def test_an_anonymous_page_request_is_sent_to_login(client: TestClient) -> None:
    r = client.get("/account", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/account")


def test_the_logout_form_ends_the_session(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/logout", headers=_cookie_only(admin))
    r = client.post(
        "/logout",
        data={"csrf_token": _form_token(page.text)},
        headers=_cookie_only(admin),
        follow_redirects=False,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 401


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/login", "/healthz", "/api/v1/auth/me", "/static/auth.css", "/api/docs", "/no-such-page"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script_and_the_docs_load_only_local_files(client: TestClient) -> None:
    for path in ("/login", "/api/docs"):
        html = client.get(path).text
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
        assert "http://" not in html and "https://" not in html
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_anonymous_calls_to_public_endpoints_are_rate_limited_per_address(client: TestClient) -> None:
    client.app.state.settings.rate_limit_public_per_minute = 3
    statuses = [client.get("/healthz").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert int(client.get("/healthz").headers["Retry-After"]) >= 1


def test_text_with_a_nul_character_is_refused_as_invalid_input(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    body = client.post(
        "/api/v1/auth/login",
        content=b'{"username": "ad\\u0000min", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    query = client.get("/api/v1/admin/users?role=a%00b", headers=admin.headers)
    assert (body.status_code, body.json()["code"]) == (422, "invalid_value")
    assert (query.status_code, query.json()["code"]) == (422, "invalid_value")


def test_the_login_redirect_keeps_the_whole_query_of_the_page_asked_for(client: TestClient) -> None:
    r = client.get("/app/events?queue=dispatch&state=registered", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/app/events%3Fqueue%3Ddispatch%26state%3Dregistered"


def test_wrong_current_passwords_on_the_password_page_lock_the_account(
    client: TestClient, db: Session, admin
) -> None:  # type: ignore[no-untyped-def]
    def attempt(i: int):  # type: ignore[no-untyped-def]
        form = {
            "csrf_token": admin.csrf_token,
            "current_password": f"Wrong-current-{i}",
            "new_password": "Brand-new-pass-42",
            "confirm_password": "Brand-new-pass-42",
        }
        return client.post(
            "/account/password", data=form, headers=_cookie_only(admin), follow_redirects=False
        )

    answers = [attempt(i) for i in range(5)]
    assert [a.status_code for a in answers] == [422] * 4 + [303]
    assert answers[-1].headers["location"] == "/login"
    db.refresh(admin.user)
    assert admin.user.locked_until is not None
    assert client.get("/account", headers=_cookie_only(admin), follow_redirects=False).status_code == 303
