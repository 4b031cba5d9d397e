"""`citycockpit user …` and `citycockpit token …`: accounts and machine tokens from the shell."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth import service, tokens
from citycockpit.auth.enums import Role
from citycockpit.auth.sessions import find_user, principal_for_user
from citycockpit.core.cliutil import CLI_ACTOR, console, engine_for, fail, load_settings, one_line_errors
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.org.models import Department

user_app = typer.Typer(help="User accounts: add, list, disable, reset a password.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for machines and Open311 clients.", no_args_is_help=True)

DB_OPTION = typer.Option(None, "--db", help="Database URL or SQLite file path.")
_USER_ROLES = ", ".join(r.value for r in Role if r is not Role.API_CLIENT)


def _department_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    dept_id = session.scalars(select(Department.id).where(Department.code == code)).first()
    if dept_id is None:
        fail(f"no department with code {code!r} (see `citycockpit org export`)")
    return dept_id


def _fmt(instant: datetime | None, clock: Clock) -> str:
    return instant.astimezone(clock.zone).strftime("%Y-%m-%d %H:%M") if instant else ""


@user_app.command("add")
@one_line_errors
def add(
    username: str = typer.Argument(..., help="Sign-in name."),
    role: str = typer.Option(..., "--role", help=f"One of: {_USER_ROLES}."),
    name: str = typer.Option("", "--name", help="Display name (e.g. 张三)."),
    department: str | None = typer.Option(None, "--department", help="Department code (department users)."),
    area: str | None = typer.Option(None, "--area", help="Area code (town and grid-worker users)."),
    password: str = typer.Option(
        ..., "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Initial password."
    ),
    no_change: bool = typer.Option(
        False, "--no-forced-change", help="Do not force a password change at first sign-in."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """Create an account; it must change its password at first sign-in."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        user = service.create_user(
            session,
            username=username,
            display_name=name,
            password=password,
            role=role,
            department_id=_department_id(session, department),
            area_code=area,
            must_change_password=not no_change,
            actor=CLI_ACTOR,
            now=clock.now(),
        )
    console.print(f"created user {user.username} (id {user.id}, role {user.role})")


@user_app.command("list")
@one_line_errors
def list_(db: str | None = DB_OPTION) -> None:
    """List accounts with role, scope and state."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    now = clock.now()
    table = Table("id", "username", "name", "role", "department", "area", "state")
    with session_scope(engine_for(settings), read_only=True) as session:
        for user in service.list_users(session):
            state = "active" if user.is_active else "disabled"
            if user.is_active and user.locked_until and user.locked_until > now:
                state = f"locked until {_fmt(user.locked_until, clock)}"
            elif user.is_active and user.must_change_password:
                state = "must-change"
            table.add_row(
                str(user.id),
                user.username,
                user.display_name,
                user.role,
                str(user.department_id or ""),
                user.area_code or "",
                state,
            )
    console.print(table)


@user_app.command("disable")
@one_line_errors
def disable(username: str = typer.Argument(...), db: str | None = DB_OPTION) -> None:
    """Disable an account and end its sessions."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        user = service.get_user(session, username=username)
        service.disable_user(session, user, actor=CLI_ACTOR, now=clock.now())
    console.print(f"disabled {username}")


@user_app.command("reset-password")
@one_line_errors
def reset_password(
    username: str = typer.Argument(...),
    password: str = typer.Option(
        ..., "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="New password."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """Set a new password (the user must change it at next sign-in); clears a lock-out."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        user = service.get_user(session, username=username)
        service.reset_password(session, user, password=password, actor=CLI_ACTOR, now=clock.now())
    console.print(f"password of {username} reset; it must be changed at next sign-in")


_DURATION = re.compile(r"^(\d+)([dh])$")


def parse_expiry(value: str | None, clock: Clock) -> datetime | None:
    """`90d`, `12h`, or a local date YYYY-MM-DD (the token ends at the start of that day)."""
    if not value:
        return None
    match = _DURATION.match(value.strip())
    try:
        if match:
            amount, unit = int(match.group(1)), match.group(2)
            return clock.now() + (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
        return clock.local_midnight(day).astimezone(UTC)
    except ValueError:
        fail(f"--expires {value!r} is neither a date (YYYY-MM-DD) nor a duration like 90d or 12h")
    except OverflowError:  # 0001-01-01 east of UTC, 9999999d: past the calendar's ends
        fail(f"--expires {value!r} is outside the calendar")


@token_app.command("create")
@one_line_errors
def create(
    name: str = typer.Option(..., "--name", help="What the token is for (e.g. 12345热线对接)."),
    as_user: str = typer.Option(
        ...,
        "--as",
        help="The active user the command acts as: the token may carry only permissions that user's role holds.",
    ),
    scopes: list[str] = typer.Option(
        [], "--scopes", help="Permissions, comma- or space-separated; repeatable (e.g. --scopes org:read)."
    ),
    expires: str | None = typer.Option(None, "--expires", help="YYYY-MM-DD or a duration like 90d / 12h."),
    department: str | None = typer.Option(None, "--department", help="Limit to one department (code)."),
    area: str | None = typer.Option(None, "--area", help="Limit to an area subtree (code)."),
    db: str | None = DB_OPTION,
) -> None:
    """Create a token and print it once; only its hash is stored. The command acts as the user named
    by --as (audited under that name), so the token carries only permissions that user holds."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    wanted = [s for item in scopes for s in re.split(r"[\s,]+", item) if s]
    with session_scope(engine_for(settings)) as session:
        user = find_user(session, as_user)
        if user is None or not user.is_active:
            fail(f"--as {as_user!r}: no active user of that name (see `citycockpit user list`)")
        created = tokens.create_token(
            session,
            name=name,
            scopes=wanted,
            expires_at=parse_expiry(expires, clock),
            department_id=_department_id(session, department),
            area_code=area,
            actor=principal_for_user(user),
            now=clock.now(),
        )
    console.print(f"token {created.token.id} ({created.token.name}), scopes: {created.token.scopes or '-'}")
    console.print("copy it now, it is not shown again:", style="bold")
    typer.echo(created.secret)


@token_app.command("list")
@one_line_errors
def list_tokens(db: str | None = DB_OPTION) -> None:
    """List tokens (never the secrets): name, prefix, scopes, expiry, state."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    now = clock.now()
    table = Table("id", "name", "prefix", "scopes", "created", "expires", "state")
    with session_scope(engine_for(settings), read_only=True) as session:
        for token in tokens.list_tokens(session):
            if token.revoked_at:
                state = f"revoked {_fmt(token.revoked_at, clock)}"
            elif token.expires_at and token.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            table.add_row(
                str(token.id),
                token.name,
                token.prefix + "…",
                token.scopes,
                _fmt(token.created_at, clock),
                _fmt(token.expires_at, clock),
                state,
            )
    console.print(table)


@token_app.command("revoke")
@one_line_errors
def revoke(
    token_id: int = typer.Argument(..., help="Token id (see `citycockpit token list`)."),
    db: str | None = DB_OPTION,
) -> None:
    """Revoke a token at once."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        token = tokens.revoke_token(session, token_id, actor=CLI_ACTOR, now=clock.now())
    console.print(f"revoked token {token.id} ({token.name})")
