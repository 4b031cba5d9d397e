"""Reads of accounts for the administration pages: the user table and the newest API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
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


@dataclass(frozen=True)
class ActorLabel:
    """How a recorded actor reads on a page: `kind` is "user", "token" or "system"; `name` is the
    person's display name (a user), the token's name, or empty (the system: the CLI, the worker, the
    demo builder, whose internal names mean nothing to a reader)."""

    kind: str
    name: str


def actor_labels(
    session: Session, actors: Iterable[tuple[int | None, str]]
) -> dict[tuple[int | None, str], ActorLabel]:
    """Labels for recorded actors, each given as (actor id, stored actor name): audit entries, event
    transitions and the like store `user:<username>`, `token:<name>` or a system actor's name. A user
    reads as their current display name (found by id, else by user name); one that no longer exists as
    the stored name. One query for all of them."""
    pairs = set(actors)
    ids = {i for i, _ in pairs if i is not None}
    usernames = {n.split(":", 1)[1] for _, n in pairs if n.startswith("user:")}
    by_id: dict[int, str] = {}
    by_username: dict[str, str] = {}
    if ids or usernames:
        found = session.execute(
            select(User.id, User.username, User.display_name).where(
                or_(User.id.in_(ids), User.username.in_(usernames))
            )
        )
        for uid, username, display in found:
            by_id[uid] = display or username
            by_username[username] = display or username
    out = {}
    for actor_id, stored in pairs:
        kind, _, name = stored.partition(":") if ":" in stored else ("system", "", "")
        if kind == "user":
            label = ActorLabel("user", by_id.get(actor_id or 0) or by_username.get(name) or name)
        elif kind == "token":
            label = ActorLabel("token", name)
        elif actor_id is not None and actor_id in by_id:
            label = ActorLabel("user", by_id[actor_id])
        else:
            label = ActorLabel("system", "")
        out[(actor_id, stored)] = label
    return out
