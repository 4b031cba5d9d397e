"""Signing in and out of the web pages: password check, lock-out, sessions, forced password change.

Every outcome is audited: `auth.login`, `auth.login_failed`, `auth.lock`, `auth.logout`,
`user.change_password`. Failed attempts change state (the failure counter), so the caller commits
even when a function here raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.models import User
from citycockpit.auth.passwords import check_strength, hash_password, needs_rehash, verify_password
from citycockpit.auth.principal import Principal
from citycockpit.auth.sessions import (
    NewSession,
    end_all_sessions,
    end_session,
    find_user,
    principal_for_user,
    start_session,
)
from citycockpit.config import Settings
from citycockpit.core.actors import SystemActor
from citycockpit.core.errors import Forbidden, Unauthorized, Unprocessable

ANONYMOUS = SystemActor("anonymous")


@lru_cache
def _dummy_hash() -> str:
    """Verified against when the user name is unknown, so both cases take the same time."""
    return hash_password("Dummy-password-for-timing-1")


class LoginFailed(Unauthorized):
    code = "login_failed"
    title = "Login failed"


class AccountLocked(Forbidden):
    code = "account_locked"
    title = "Account locked"


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"
    title = "Password change required"


class WrongCurrentPassword(Unprocessable):
    code = "wrong_current_password"


class PasswordUnchanged(Unprocessable):
    code = "password_unchanged"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            max_failures=settings.login_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_minutes),
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )


@dataclass(frozen=True)
class SignedIn:
    user: User
    principal: Principal
    new_session: NewSession


_BAD_CREDENTIALS = "wrong user name or password"


def _locked_message(until: datetime) -> str:
    return f"the account is locked until {until.isoformat(timespec='minutes')}"


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    policy: LoginPolicy,
    now: datetime,
    ip: str | None = None,
    user_agent: str | None = None,
) -> SignedIn:
    """Check the password and open a session.

    A wrong password counts a failure; the `max_failures`-th in a row locks the account for `lockout`
    (no password is checked while it is locked). Unknown and disabled accounts fail exactly like a
    wrong password. Success resets the counter."""
    username = username.strip()
    user = find_user(session, username) if username else None
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), password)
        audit.record(
            session,
            ANONYMOUS if user is None else principal_for_user(user),
            "auth.login_failed",
            "user",
            None if user is None else user.id,
            at=now,
            ip=ip,
            diff={"username": username[:64], "reason": "unknown_user" if user is None else "disabled"},
        )
        session.flush()
        raise LoginFailed(_BAD_CREDENTIALS)
    actor = principal_for_user(user)
    if user.locked_until is not None and now < user.locked_until:
        audit.record(
            session, actor, "auth.login_failed", "user", user.id, at=now, ip=ip, diff={"reason": "locked"}
        )
        session.flush()
        raise AccountLocked(_locked_message(user.locked_until), locked_until=user.locked_until.isoformat())
    if not verify_password(user.password_hash, password):
        count_wrong_password(session, user, actor, policy=policy, now=now, ip=ip, action="auth.login_failed")
        raise LoginFailed(_BAD_CREDENTIALS)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    new = start_session(
        session, user, now=now, ip=ip, user_agent=user_agent, idle=policy.idle, absolute=policy.absolute
    )
    audit.record(
        session,
        actor,
        "auth.login",
        "user",
        user.id,
        at=now,
        ip=ip,
        diff={"must_change_password": user.must_change_password},
    )
    session.flush()
    return SignedIn(user, actor, new)


def count_wrong_password(
    session: Session,
    user: User,
    actor: Principal,
    *,
    policy: LoginPolicy,
    now: datetime,
    ip: str | None,
    action: str,
) -> None:
    """The lock-out rule, for every check of a user's password (signing in, changing it): a wrong one
    counts a failure and is audited as `action`; the `max_failures`-th in a row locks the account for
    `lockout`, ends its sessions, is audited as `auth.lock`, and raises AccountLocked. Flushes, so the
    caller commits even though the check failed."""
    user.failed_logins = (user.failed_logins or 0) + 1
    audit.record(
        session,
        actor,
        action,
        "user",
        user.id,
        at=now,
        ip=ip,
        diff={"reason": "wrong_password", "failed_logins": user.failed_logins},
    )
    if user.failed_logins >= policy.max_failures:
        user.locked_until = now + policy.lockout
        user.failed_logins = 0
        end_all_sessions(session, user.id)
        audit.record(
            session,
            actor,
            "auth.lock",
            "user",
            user.id,
            at=now,
            ip=ip,
            diff={"locked_until": user.locked_until, "after_failures": policy.max_failures},
        )
        session.flush()
        raise AccountLocked(_locked_message(user.locked_until), locked_until=user.locked_until.isoformat())
    session.flush()


def sign_out(session: Session, principal: Principal, *, cookie: str, now: datetime) -> None:
    """End the session behind `cookie`."""
    end_session(session, cookie)
    audit.record(session, principal, "auth.logout", "user", principal.id, at=now, ip=principal.ip)
    session.flush()


def change_password(
    session: Session,
    principal: Principal,
    *,
    current_password: str,
    new_password: str,
    now: datetime,
    policy: LoginPolicy,
    keep_cookie: str | None = None,
) -> User:
    """A user changes their own password: the current one must be right, the new one strong and
    different. Clears the forced-change flag and ends the user's other sessions. A wrong current
    password counts toward the lock-out exactly as a wrong password at sign-in
    (`count_wrong_password`, audited `user.change_password_failed`), so a stolen session cannot try
    passwords without limit; the caller commits when this raises too."""
    user = session.get(User, principal.id) if principal.kind == "user" else None
    if user is None:
        raise Forbidden("Only a signed-in user can change a password")
    if not verify_password(user.password_hash, current_password):
        count_wrong_password(
            session,
            user,
            principal,
            policy=policy,
            now=now,
            ip=principal.ip,
            action="user.change_password_failed",
        )
        raise WrongCurrentPassword("the current password is wrong")
    user.failed_logins = 0
    if current_password == new_password:
        raise PasswordUnchanged("the new password must differ from the current one")
    check_strength(new_password, username=user.username)
    was_forced = user.must_change_password
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = now
    end_all_sessions(session, user.id, keep=keep_cookie)
    audit.record(
        session,
        principal,
        "user.change_password",
        "user",
        user.id,
        at=now,
        ip=principal.ip,
        diff={"was_forced": was_forced},
    )
    session.flush()
    return user
