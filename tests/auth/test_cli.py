"""`citycockpit user …` and `citycockpit token …` against a real database file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit import migrate
from citycockpit.audit.models import AuditEntry
from citycockpit.auth.models import ApiToken, User
from citycockpit.auth.tokens import principal_for_token
from citycockpit.cli import app as cli_app
from citycockpit.db import make_engine
from tests.builders import make_persona, make_small_city
from tests.conftest import with_audit_keys

runner = CliRunner()


@pytest.fixture
def dbfile(tmp_path, clock) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        make_small_city(session, now=clock.now())
        make_persona(session, "admin", "admin", now=clock.now())
        make_persona(session, "dispatcher", "dispatcher", now=clock.now())
        session.commit()
    yield url, engine
    engine.dispose()


def _run(*args: str) -> object:
    return runner.invoke(cli_app, list(args))


def test_user_add_creates_an_account_that_must_change_its_password(dbfile) -> None:  # type: ignore[no-untyped-def]
    url, engine = dbfile
    r = _run("user", "add", "chen", "--role", "department", "--department", "CGJ", "--name", "陈科长",
             "--password", "Initial-pass-42", "--db", url)  # fmt: skip
    assert r.exit_code == 0, r.output
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == "chen")).one()
        assert (user.role, user.must_change_password, user.display_name) == ("department", True, "陈科长")
    listed = _run("user", "list", "--db", url)
    assert "chen" in listed.output and "must-change" in listed.output


def test_user_add_refuses_a_weak_password_and_an_unknown_department(dbfile) -> None:  # type: ignore[no-untyped-def]
    url, _ = dbfile
    weak = _run("user", "add", "li", "--role", "leader", "--password", "short", "--db", url)
    assert weak.exit_code == 1 and "10" in weak.output
    unknown = _run(
        "user",
        "add",
        "li",
        "--role",
        "department",
        "--department",
        "NOPE",
        "--password",
        "Initial-pass-42",
        "--db",
        url,
    )
    assert unknown.exit_code == 1 and "NOPE" in unknown.output


def test_user_disable_and_reset_password(dbfile) -> None:  # type: ignore[no-untyped-def]
    url, engine = dbfile
    _run(
        "user",
        "add",
        "zhao",
        "--role",
        "dispatcher",
        "--password",
        "Initial-pass-42",
        "--no-forced-change",
        "--db",
        url,
    )
    assert _run("user", "reset-password", "zhao", "--password", "Another-pass-43", "--db", url).exit_code == 0
    assert _run("user", "disable", "zhao", "--db", url).exit_code == 0
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == "zhao")).one()
        assert (user.is_active, user.must_change_password) == (False, True)
    assert _run("user", "disable", "nobody", "--db", url).exit_code == 1


def test_token_create_prints_the_secret_once_and_revoke_ends_it(dbfile, clock) -> None:  # type: ignore[no-untyped-def]
    url, engine = dbfile
    r = _run(
        "token",
        "create",
        "--name",
        "open311",
        "--as",
        "admin",
        "--scopes",
        "org:read,screen:read",
        "--expires",
        "90d",
        "--db",
        url,
    )
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]
    assert secret.startswith("cc_")
    with Session(engine) as session:
        principal = principal_for_token(session, secret, now=clock.now())
        assert principal is not None and {p.value for p in principal.perms} == {"org:read", "screen:read"}
    listed = _run("token", "list", "--db", url)
    assert "open311" in listed.output and secret not in listed.output and "active" in listed.output
    assert _run("token", "revoke", "1", "--db", url).exit_code == 0
    with Session(engine) as session:
        assert principal_for_token(session, secret, now=clock.now()) is None
    assert "revoked" in _run("token", "list", "--db", url).output


def test_token_create_refuses_unknown_scopes_and_bad_expiry(dbfile) -> None:  # type: ignore[no-untyped-def]
    url, _ = dbfile
    assert (
        _run("token", "create", "--name", "x", "--as", "admin", "--scopes", "root", "--db", url).exit_code
        == 1
    )
    bad = _run("token", "create", "--name", "x", "--as", "admin", "--expires", "soon", "--db", url)
    assert bad.exit_code == 1 and "soon" in bad.output
    for edge in ("0001-01-01", "99999999d"):  # past the calendar's ends: an error line, no traceback
        beyond = _run("token", "create", "--name", "x", "--as", "admin", "--expires", edge, "--db", url)
        assert beyond.exit_code == 1 and "outside the calendar" in beyond.output


def test_token_create_acts_as_the_named_user_and_grants_only_what_that_user_holds(dbfile) -> None:  # type: ignore[no-untyped-def]
    url, engine = dbfile
    refused = _run("token", "create", "--name", "x", "--as", "admin", "--scopes", "pii:read", "--db", url)
    assert refused.exit_code == 1 and "pii:read" in refused.output
    nobody = _run("token", "create", "--name", "x", "--as", "nobody", "--scopes", "org:read", "--db", url)
    assert nobody.exit_code == 1 and "nobody" in nobody.output
    made = _run(
        "token", "create", "--name", "回访", "--as", "dispatcher", "--scopes", "pii:read", "--db", url
    )
    assert made.exit_code == 0, made.output
    with Session(engine) as session:
        token = session.scalars(select(ApiToken)).one()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "token.create")).one()
    assert (token.scopes, token.created_by, entry.actor_name) == (
        "pii:read",
        "user:dispatcher",
        "user:dispatcher",
    )


def test_the_demo_creates_one_account_per_role_that_signs_in_without_a_forced_change(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.auth.demo import DEMO_PASSWORD, DEMO_USERS
    from citycockpit.auth.login import LoginPolicy, sign_in
    from citycockpit.demo.build import DemoContext, build_demo

    engine = with_audit_keys(make_engine(f"sqlite:///{tmp_path / 'demo.db'}"))
    migrate.upgrade(engine)
    ctx = build_demo(engine, DemoContext(clock=clock))
    assert any("Taicang@2024" in key for key in ctx.summary)
    with Session(engine) as session:
        roles = set()
        for username, *_ in DEMO_USERS:
            signed = sign_in(session, username, DEMO_PASSWORD, policy=LoginPolicy(), now=clock.now())
            assert signed.user.must_change_password is False
            roles.add(signed.user.role)
    engine.dispose()
    assert roles == {"admin", "leader", "supervisor", "dispatcher", "department", "town", "grid_worker"}
