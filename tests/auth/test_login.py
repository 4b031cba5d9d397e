"""Signing in and out: lock-out after repeated failures, idle and absolute expiry, forced change."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.auth.sessions import COOKIE_NAME
from citycockpit.core.clock import Clock
from tests.auth.conftest import advance, api_login
from tests.builders import PERSONA_PASSWORD, make_persona


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def test_signing_in_sets_an_httponly_lax_cookie_and_returns_the_csrf_token(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    r = api_login(client, "admin")
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # dev over plain http
    body = r.json()
    assert body["user"]["username"] == "admin" and len(body["csrf_token"]) > 20
    me = client.get("/api/v1/auth/me")
    assert (me.status_code, me.json()["role"]) == (200, "admin")


def test_the_cookie_is_secure_behind_a_tls_proxy(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/auth/login",
        json={"username": "admin", "password": PERSONA_PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert r.status_code == 200 and "Secure" in r.headers["set-cookie"]


def test_a_wrong_password_fails_like_an_unknown_user_and_both_are_audited(
    client: TestClient, db: Session, admin
) -> None:  # type: ignore[no-untyped-def]
    wrong = api_login(client, "admin", "Wrong-password-1")
    unknown = api_login(client, "nobody", "Wrong-password-1")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "login_failed")
    assert (unknown.status_code, unknown.json()["code"]) == (401, "login_failed")
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert _actions(db)[-2:] == ["auth.login_failed", "auth.login_failed"]


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    client: TestClient, db: Session, clock: Clock, admin
) -> None:  # type: ignore[no-untyped-def]
    codes = [api_login(client, "admin", f"Wrong-password-{i}").json()["code"] for i in range(5)]
    assert codes == ["login_failed"] * 4 + ["account_locked"]
    assert "auth.lock" in _actions(db)
    locked = api_login(client, "admin")  # even the right password is refused while locked
    assert (locked.status_code, locked.json()["code"]) == (403, "account_locked")
    advance(clock, minutes=14, seconds=59)
    assert api_login(client, "admin").json()["code"] == "account_locked"
    advance(clock, seconds=2)
    assert api_login(client, "admin").status_code == 200


def test_a_success_resets_the_failure_count(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    for i in range(4):
        api_login(client, "admin", f"Wrong-password-{i}")
    assert api_login(client, "admin").status_code == 200
    assert api_login(client, "admin", "Wrong-password-9").json()["code"] == "login_failed"


def test_a_session_ends_after_thirty_idle_minutes(client: TestClient, clock: Clock, admin) -> None:  # type: ignore[no-untyped-def]
    headers = admin.headers
    advance(clock, minutes=29)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    advance(clock, minutes=29)  # the last request touched the session: still alive
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    advance(clock, minutes=31)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_session_ends_twelve_hours_after_sign_in_however_active(
    client: TestClient, clock: Clock, admin
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(24):
        advance(clock, minutes=29)
        assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 200
    advance(clock, minutes=29)  # 12 h 5 min after sign-in
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 401


def test_logging_out_ends_the_session_and_is_audited(client: TestClient, db: Session, admin) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/logout", headers=admin.headers)
    assert r.status_code == 204
    assert _actions(db)[-1] == "auth.logout"
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 401


def test_a_user_who_must_change_the_password_reaches_only_the_change(
    client: TestClient, db: Session, clock: Clock, city
) -> None:  # type: ignore[no-untyped-def]
    fresh = make_persona(db, "newbie", "leader", now=clock.now(), must_change_password=True)
    r = client.get("/api/v1/org/departments", headers=fresh.headers)
    assert (r.status_code, r.json()["code"]) == (403, "password_change_required")
    assert client.get("/api/v1/auth/me", headers=fresh.headers).json()["must_change_password"] is True
    r = client.post(
        "/api/v1/auth/change-password",
        json={"current_password": PERSONA_PASSWORD, "new_password": "Brand-new-pass-42"},
        headers=fresh.headers,
    )
    assert r.status_code == 204
    assert client.get("/api/v1/org/departments", headers=fresh.headers).status_code == 200
    assert _actions(db)[-1] == "user.change_password"


def test_a_password_change_needs_the_right_current_password_and_a_strong_new_one(
    client: TestClient, admin
) -> None:  # type: ignore[no-untyped-def]
    def change(current: str, new: str) -> str:
        r = client.post(
            "/api/v1/auth/change-password",
            json={"current_password": current, "new_password": new},
            headers=admin.headers,
        )
        return r.json()["code"]

    assert change("Wrong-current-1", "Brand-new-pass-42") == "wrong_current_password"
    assert change(PERSONA_PASSWORD, "short") == "weak_password"
    assert change(PERSONA_PASSWORD, PERSONA_PASSWORD) == "password_unchanged"


def test_a_password_change_ends_the_users_other_sessions(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    other = api_login(client, "admin").cookies[COOKIE_NAME]
    client.cookies.clear()
    r = client.post(
        "/api/v1/auth/change-password",
        json={"current_password": PERSONA_PASSWORD, "new_password": "Brand-new-pass-42"},
        headers=admin.headers,
    )
    assert r.status_code == 204
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"Cookie": f"{COOKIE_NAME}={other}"}).status_code == 401


def test_login_attempts_for_one_user_name_are_rate_limited(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    client.app.state.settings.rate_limit_login_per_minute = 3
    client.app.state.settings.login_max_failures = 100
    statuses = [api_login(client, "admin", "Wrong-password-1").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    r = api_login(client, "admin")
    assert (r.status_code, r.json()["code"]) == (429, "rate_limited")
    assert 1 <= int(r.headers["Retry-After"]) <= 60


def _change_password(client: TestClient, persona, current: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/change-password",
        json={"current_password": current, "new_password": "Brand-new-pass-42"},
        headers=persona.headers,
    )


def test_wrong_current_passwords_count_with_wrong_logins_and_lock_the_account(
    client: TestClient, db: Session, clock: Clock, admin
) -> None:  # type: ignore[no-untyped-def]
    for i in range(2):
        api_login(client, "admin", f"Wrong-password-{i}")
    client.cookies.clear()
    codes = [_change_password(client, admin, f"Wrong-current-{i}").json()["code"] for i in range(3)]
    assert codes == ["wrong_current_password"] * 2 + ["account_locked"]
    actions = _actions(db)
    assert actions.count("user.change_password_failed") == 3
    assert actions[-1] == "auth.lock"
    # locked: the session ended, and signing in is refused even with the right password
    assert _change_password(client, admin, PERSONA_PASSWORD).status_code == 401
    assert api_login(client, "admin").json()["code"] == "account_locked"


def test_a_right_current_password_resets_the_failure_count(client: TestClient, db: Session, admin) -> None:  # type: ignore[no-untyped-def]
    for i in range(4):
        _change_password(client, admin, f"Wrong-current-{i}")
    assert _change_password(client, admin, PERSONA_PASSWORD).status_code == 204
    db.refresh(admin.user)
    assert admin.user.failed_logins == 0
