"""API tokens (created by an admin, shown once, hashed, revocable) and personal-data masking."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.auth import pii
from citycockpit.auth.models import ApiToken
from citycockpit.auth.tokens import hash_token


def _create_token(client: TestClient, admin, **body) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/admin/tokens", json={"name": "12345热线对接", **body}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_created_token_is_shown_once_and_only_its_hash_is_stored(
    client: TestClient, db: Session, admin
) -> None:  # type: ignore[no-untyped-def]
    created = _create_token(client, admin, scopes=["org:read"])
    secret = created["secret"]
    row = db.get(ApiToken, created["token"]["id"])
    assert row is not None and row.token_hash == hash_token(secret) and secret not in row.token_hash
    listed = client.get("/api/v1/admin/tokens", headers=admin.headers).json()["items"]
    assert all("secret" not in t for t in listed) and secret not in str(listed)


def test_a_token_holds_exactly_its_scopes(client: TestClient, admin, city) -> None:  # type: ignore[no-untyped-def]
    secret = _create_token(client, admin, scopes=["org:read"])["secret"]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/org/departments", headers=bearer).status_code == 200
    assert client.get("/api/v1/users", headers=bearer).status_code == 403


def test_a_revoked_token_is_refused_at_once(client: TestClient, admin, city) -> None:  # type: ignore[no-untyped-def]
    created = _create_token(client, admin, scopes=["org:read"])
    bearer = {"Authorization": f"Bearer {created['secret']}"}
    assert client.get("/api/v1/org/departments", headers=bearer).status_code == 200
    r = client.post(f"/api/v1/admin/tokens/{created['token']['id']}/revoke", headers=admin.headers)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert client.get("/api/v1/org/departments", headers=bearer).status_code == 401


def test_tokens_cannot_be_given_user_management(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/admin/tokens", json={"name": "x", "scopes": ["users:manage"]}, headers=admin.headers
    )
    assert (r.status_code, r.json()["code"]) == (422, "invalid_scopes")


def test_a_token_carries_only_permissions_its_creator_holds(client: TestClient, db: Session, admin) -> None:  # type: ignore[no-untyped-def]
    # The admin role lacks pii:read (separation of duties), so it cannot hand it to a machine either.
    r = client.post(
        "/api/v1/admin/tokens", json={"name": "x", "scopes": ["org:read", "pii:read"]}, headers=admin.headers
    )
    body = r.json()
    assert (r.status_code, body["code"], body["scopes"]) == (403, "token_scopes_not_held", ["pii:read"])
    assert "pii:read" in body["detail"]
    assert db.scalars(select(ApiToken)).first() is None


def test_only_admins_manage_tokens(client: TestClient, leader) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/admin/tokens", json={"name": "x", "scopes": []}, headers=leader.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("张", "*"), ("", ""), (None, None)],
)
def test_names_keep_only_their_first_character(name: str | None, masked: str | None) -> None:
    assert pii.mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138-1234-1234", "138-****-1234"),
        ("+86 13812341234", "+86 138****1234"),
        ("0512-53531234", "0512-****1234"),
        ("051253531234", "0512****1234"),
        ("010-12345678", "010-****5678"),
        ("53531234", "****1234"),
        ("12345", "12345"),
        ("110", "110"),
    ],
)
def test_phone_numbers_are_masked_by_their_shape(phone: str, masked: str) -> None:
    assert pii.mask_phone(phone) == masked


def test_several_tokens_are_recognised_in_one_query_as_each_alone_would_be(db: Session, clock, admin) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import event

    from citycockpit.auth import tokens

    now = clock.now()
    made = {
        name: tokens.create_token(
            db, name=name, scopes=["events:create"], actor=admin.principal, now=now - timedelta(days=2)
        )
        for name in ("valid", "revoked", "expired")
    }
    tokens.revoke_token(db, made["revoked"].token.id, actor=admin.principal, now=now)
    made["expired"].token.expires_at = now - timedelta(days=1)
    db.flush()
    secrets = [m.secret for m in made.values()] + ["cc_unknown", "not-a-token", ""]
    statements: list[str] = []

    def listener(conn, cursor, statement, *rest) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", listener)
    try:
        found = tokens.principals_for_tokens(db, secrets, now=now)
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", listener)
    assert len(statements) == 1
    assert {s: p.name if p else None for s, p in found.items()} == {
        made["valid"].secret: "valid",
        **dict.fromkeys(secrets[1:]),
    }
    assert found == {s: tokens.principal_for_token(db, s, now=now, touch=False) for s in secrets}


REPORTER = {"reporter_name": "张三", "reporter_phone": "13812341234"}


def _pii_reads(db: Session) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "pii.read")).all())


def test_a_role_without_pii_read_gets_masked_values_and_no_audit_entry(db: Session, clock, leader) -> None:  # type: ignore[no-untyped-def]
    shown = pii.reveal(leader.principal, db, REPORTER, object_type="event", object_id=7, now=clock.now())
    assert shown == {"reporter_name": "张*", "reporter_phone": "138****1234"}
    assert _pii_reads(db) == []


def test_a_role_with_pii_read_gets_the_values_and_the_read_is_audited(db: Session, clock, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shown = pii.reveal(dispatcher.principal, db, REPORTER, object_type="event", object_id=7, now=clock.now())
    assert shown == REPORTER
    [entry] = _pii_reads(db)
    assert (entry.actor_name, entry.object_type, entry.object_id) == ("user:dispatcher", "event", "7")
    assert "reporter_phone" in entry.diff_json


def test_masked_masks_and_a_reveal_without_a_caller_masks_and_never_audits(db: Session, clock) -> None:  # type: ignore[no-untyped-def]
    masked = {"reporter_name": "张*", "reporter_phone": "138****1234"}
    assert pii.masked(REPORTER) == masked
    assert pii.reveal(None, db, REPORTER, object_type="event", object_id=7, now=clock.now()) == masked
    assert _pii_reads(db) == []


def test_a_list_reveal_writes_one_entry_naming_every_object(db: Session, clock, dispatcher) -> None:  # type: ignore[no-untyped-def]
    rows = [(1, REPORTER), (2, {"reporter_name": None, "reporter_phone": None}), (3, REPORTER)]
    shown = pii.reveal_many(dispatcher.principal, db, rows, object_type="event", now=clock.now())
    assert shown[0] == REPORTER
    [entry] = _pii_reads(db)
    assert '"ids": ["1", "3"]' in entry.diff_json


def test_a_tokens_last_use_is_kept_at_most_once_a_minute(fresh_db, settings) -> None:  # type: ignore[no-untyped-def]
    # The app's own sessions on a committed database, as in production: a GET rolls back what it does
    # not commit itself.
    from datetime import timedelta

    from citycockpit.app import create_app
    from citycockpit.auth.tokens import create_token
    from citycockpit.core.actors import SystemActor
    from citycockpit.core.clock import fixed_clock
    from citycockpit.db import session_scope

    _, engine = fresh_db
    t0 = fixed_clock("2024-09-30T10:00:00").now()
    with session_scope(engine) as s:
        created = create_token(s, name="对接", scopes=["org:read"], actor=SystemActor("t"), now=t0)
    bearer = {"Authorization": f"Bearer {created.secret}"}
    for after, expected in ((0, t0), (30, t0), (61, t0 + timedelta(seconds=61))):
        app = create_app(settings, engine=engine, clock=fixed_clock(t0 + timedelta(seconds=after)))
        with TestClient(app) as client:
            assert client.get("/api/v1/org/departments", headers=bearer).status_code == 200
        with session_scope(engine) as s:
            assert s.get(ApiToken, created.token.id).last_used_at == expected, after  # type: ignore[union-attr]
