"""Users: create, disable, reset password. Login, lock-out and password change live in login.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.enums import Role
from citycockpit.auth.models import User
from citycockpit.auth.passwords import check_strength, hash_password
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import scope_clause
from citycockpit.auth.sessions import end_all_sessions
from citycockpit.core.actors import Actor
from citycockpit.core.errors import Conflict, NotFound, Unprocessable
from citycockpit.org.models import Area, Department


class UserNotFound(NotFound):
    code = "user_not_found"


class UsernameTaken(Conflict):
    code = "username_taken"


class InvalidScope(Unprocessable):
    code = "invalid_user_scope"


class InvalidRole(Unprocessable):
    code = "invalid_role"


class CannotDisable(Conflict):
    code = "cannot_disable"


def check_scope_exists(session: Session, department_id: int | None, area_code: str | None) -> None:
    """The department and area a user or token is scoped to must exist."""
    if department_id is not None and session.get(Department, department_id) is None:
        raise InvalidScope(f"Department {department_id} does not exist")
    if area_code and session.scalars(select(Area.id).where(Area.code == area_code)).first() is None:
        raise InvalidScope(f"Area {area_code} does not exist")


def _check_scope(session: Session, role: Role, department_id: int | None, area_code: str | None) -> None:
    if role is Role.DEPARTMENT and department_id is None:
        raise InvalidScope("A department user needs a department")
    if role in (Role.TOWN, Role.GRID_WORKER) and not area_code:
        raise InvalidScope(f"A {role} user needs an area (its subtree is the user's scope)")
    if department_id is not None and session.get(Department, department_id) is None:
        raise InvalidScope(f"Department {department_id} does not exist")
    if area_code and session.scalars(select(Area.id).where(Area.code == area_code)).first() is None:
        raise InvalidScope(f"Area {area_code} does not exist")


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role | str,
    actor: Actor,
    now: datetime,
    department_id: int | None = None,
    area_code: str | None = None,
    must_change_password: bool = True,
) -> User:
    """Create an account. Created accounts must change their password at first login unless told otherwise."""
    if role not in {r.value for r in Role} - {Role.API_CLIENT.value}:
        raise InvalidRole(
            f"Unknown role {role!r}; a user is one of: "
            + ", ".join(r.value for r in Role if r is not Role.API_CLIENT)
        )
    role = Role(role)
    username = username.strip()
    if not username or len(username) > 64:
        raise Unprocessable("A user name needs 1 to 64 characters")
    if session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise UsernameTaken(f"The user name {username!r} is taken")
    check_strength(password, username=username)
    _check_scope(session, role, department_id, area_code)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role.value,
        department_id=department_id,
        area_code=area_code,
        is_active=True,
        must_change_password=must_change_password,
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        at=now,
        diff={
            "username": username,
            "role": role.value,
            "department_id": department_id,
            "area_code": area_code,
        },
    )
    return user


def get_user(session: Session, *, user_id: int | None = None, username: str | None = None) -> User:
    user = (
        session.get(User, user_id)
        if user_id is not None
        else session.scalars(select(User).where(User.username == (username or ""))).first()
    )
    if user is None:
        raise UserNotFound(f"User {username or user_id} does not exist")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)).all())


def _user_scope(principal: Principal) -> ColumnElement[bool]:
    return scope_clause(principal, department_col=User.department_id, area_code_col=User.area_code)


def list_users_in_scope(
    session: Session,
    principal: Principal,
    *,
    role: str | None = None,
    department_id: int | None = None,
    active: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[User], int]:
    """Accounts the principal may see: a department user sees its department's accounts, a town or
    grid user those inside its area subtree, unscoped roles all of them."""
    stmt = select(User).where(_user_scope(principal))
    if role:
        stmt = stmt.where(User.role == role)
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(stmt.order_by(User.username).offset(offset).limit(limit)).all()
    return list(items), int(total)


def get_user_in_scope(session: Session, principal: Principal, user_id: int) -> User:
    """One account, or `user_not_found` when it does not exist or lies outside the caller's scope."""
    user = session.scalars(select(User).where(User.id == user_id, _user_scope(principal))).first()
    if user is None:
        raise UserNotFound(f"User {user_id} does not exist or is outside your scope")
    return user


def disable_user(session: Session, user: User, *, actor: Actor, now: datetime) -> User:
    """Disable an account and end its sessions. Nobody disables their own account (an administrator
    would lock themselves out mid-task), and the last active administrator stays: someone must be able
    to manage accounts (`citycockpit user add` makes another one first)."""
    if getattr(actor, "kind", None) == "user" and getattr(actor, "id", None) == user.id:
        raise CannotDisable("You cannot disable your own account; ask another administrator")
    if user.is_active and user.role == Role.ADMIN.value:
        admins = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        )
        if (admins or 0) <= 1:
            raise CannotDisable("This is the last active administrator; create or enable another one first")
    if user.is_active:
        user.is_active = False
        end_all_sessions(session, user.id)
        audit.record(
            session, actor, "user.disable", "user", user.id, at=now, diff={"is_active": [True, False]}
        )
    session.flush()
    return user


def reset_password(session: Session, user: User, *, password: str, actor: Actor, now: datetime) -> User:
    """Set a new password chosen by an admin; the user must change it at next login; sessions end."""
    check_strength(password, username=user.username)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.password_changed_at = now
    end_all_sessions(session, user.id)
    audit.record(session, actor, "user.reset_password", "user", user.id, at=now)
    session.flush()
    return user
