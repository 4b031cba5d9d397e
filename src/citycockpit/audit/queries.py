"""Reads of the audit log for its administration page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.auth.models import User
from citycockpit.core.listing import Listing


def entries_listing(
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Listing:
    """Entries filtered by any of: action (the code, or its first part: `event` takes every event
    action), actor (part of the stored name, or of the current display name of the user who acted),
    object type and id, and a time range [since, until). Rows are (AuditEntry,). Newest first (by the
    time of the act, then by the order entries were written); sortable by at, actor and action."""
    query = select(AuditEntry)
    if action:
        query = query.where(
            or_(AuditEntry.action == action, AuditEntry.action.startswith(action + ".", autoescape=True))
        )
    if actor:
        users = select(User.id).where(
            or_(User.display_name.contains(actor, autoescape=True), User.username == actor)
        )
        query = query.where(
            or_(AuditEntry.actor_name.contains(actor, autoescape=True), AuditEntry.actor_id.in_(users))
        )
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return Listing(
        query,
        sorts={"at": AuditEntry.at, "actor": AuditEntry.actor_name, "action": AuditEntry.action},
        default_order=(AuditEntry.at.desc(), AuditEntry.id.desc()),
    )


def count_entries(session: Session) -> int:
    """How many entries the whole log holds."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0
