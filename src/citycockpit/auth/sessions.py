"""Web sessions: a random cookie value whose SHA-256 is stored, with idle and absolute expiry and a
per-session CSRF token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from citycockpit.auth.enums import Role
from citycockpit.auth.models import User, UserSession
from citycockpit.auth.permissions import perms_for
from citycockpit.auth.principal import Principal

COOKIE_NAME = "cc_session"
CSRF_HEADER = "x-csrf-token"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewSession:
    cookie: str
    csrf_token: str
    row: UserSession


def principal_for_user(user: User) -> Principal:
    role = Role(user.role)
    return Principal(
        id=user.id,
        name=user.username,
        role=role,
        perms=perms_for(role),
        kind="user",
        department_id=user.department_id,
        area_code=user.area_code,
    )


def start_session(
    session: Session,
    user: User,
    *,
    now: datetime,
    ip: str | None = None,
    user_agent: str | None = None,
    idle: timedelta = IDLE,
    absolute: timedelta = ABSOLUTE,
) -> NewSession:
    """Open a session for a signed-in user; the cookie value is returned once and only its hash kept."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    row = UserSession(
        id=_hash(cookie),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + absolute,
        idle_seconds=int(idle.total_seconds()),
        csrf_token=csrf,
        ip=ip,
        user_agent=(user_agent or "")[:200],
    )
    session.add(row)
    session.flush()
    return NewSession(cookie, csrf, row)


def end_session(session: Session, cookie: str) -> None:
    session.execute(delete(UserSession).where(UserSession.id == _hash(cookie)))


def end_all_sessions(session: Session, user_id: int, *, keep: str | None = None) -> None:
    """End every session of a user, except the one whose cookie is `keep`."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != _hash(keep))
    session.execute(stmt)


def resolve_session(session: Session, cookie: str, *, now: datetime) -> tuple[User, UserSession] | None:
    """The live session and its user for a cookie value, or None (unknown, idle too long, expired,
    or the user disabled). Seen sessions are touched at most once a minute."""
    row = session.get(UserSession, _hash(cookie))
    if row is None:
        return None
    if now >= row.expires_at or now - row.last_seen_at > timedelta(seconds=row.idle_seconds):
        session.delete(row)
        session.flush()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return user, row


def keep_touch(session: Session) -> None:
    """Commit what recognising the caller changed (a last-seen or last-used time) even on a GET, whose
    route never commits; a lost touch (the database busy) only means the next request touches again."""
    try:
        session.commit()
    except OperationalError:
        session.rollback()


def principal_from_cookie(request: Request, session: Session) -> Principal | None:
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        return None
    found = resolve_session(session, cookie, now=request.app.state.clock.now())
    keep_touch(session)  # or the removal of an expired session
    if found is None:
        return None
    user, row = found
    principal = principal_for_user(user)
    principal.extra["csrf_token"] = row.csrf_token
    principal.extra["must_change_password"] = user.must_change_password
    principal.extra["session_cookie"] = cookie
    principal.extra["display_name"] = user.display_name  # how pages greet the person
    return principal


def purge_expired_sessions(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()
