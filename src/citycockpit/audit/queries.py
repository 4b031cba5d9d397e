"""Reads of the audit log for its administration page."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.core.listing import Listing


def entries_listing(*, action: str = "", actor: str = "") -> Listing:
    """Entries whose action starts with `action` and whose actor's name contains `actor` (either may be
    empty: no filter); rows are (AuditEntry,). Sortable by at, actor and action; newest first unless
    asked ("at" sorts by the entry id, the order entries were written)."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor_name.contains(actor, autoescape=True))
    return Listing(
        query,
        sorts={"at": AuditEntry.id, "actor": AuditEntry.actor_name, "action": AuditEntry.action},
        default_order=(AuditEntry.id.desc(),),
    )


def count_entries(session: Session) -> int:
    """How many entries the whole log holds."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0
