"""Reads of accounts for the administration pages: the user table and the newest API tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth.models import ApiToken, User
from citycockpit.core.listing import Listing
from citycockpit.org.models import Department


def users_listing() -> Listing:
    """Every account with its department's short name; rows are (User, short name or None). Sortable by
    username, display_name, role and active; by username unless asked."""
    query = select(User, Department.short_name).outerjoin(Department, Department.id == User.department_id)
    return Listing(
        query,
        sorts={
            "username": User.username,
            "display_name": User.display_name,
            "role": User.role,
            "active": User.is_active,
        },
        default_order=(User.username,),
    )


def newest_tokens(session: Session, *, limit: int = 200) -> list[ApiToken]:
    """The newest API tokens first, revoked ones included."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc()).limit(limit)))
