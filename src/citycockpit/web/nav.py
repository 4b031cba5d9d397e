"""The workbench's navigation: each entry shows only to principals holding its permission."""

from __future__ import annotations

from dataclasses import dataclass

from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal


@dataclass(frozen=True)
class NavItem:
    key: str  # i18n key
    href: str
    perm: Perm | None = None
    group: str = "nav.group.work"


# Order is the order on screen. Domains' pages are added here as they land.
NAV_ITEMS: list[NavItem] = [
    NavItem("nav.home", "/app"),
    NavItem("nav.reports", "/app/reports", Perm.REPORT_READ),
    NavItem("nav.events", "/app/events", Perm.EVENTS_READ),
    NavItem("nav.goals", "/app/goals", Perm.GOALS_READ),
    NavItem("nav.bulletin", "/app/goals/bulletin", Perm.GOALS_READ),
    NavItem("nav.projects", "/app/projects", Perm.PROJECTS_READ),
    NavItem("nav.screen", "/screen", Perm.SCREEN_READ),
    NavItem("nav.admin.users", "/app/admin/users", Perm.USERS_MANAGE, "nav.group.admin"),
    NavItem("nav.admin.org", "/app/admin/org", Perm.ORG_READ, "nav.group.admin"),
    NavItem("nav.admin.categories", "/app/admin/categories", Perm.EVENTS_ADMIN, "nav.group.admin"),
    NavItem("nav.admin.catalogue", "/app/admin/catalogue", Perm.EVENTS_CATALOGUE, "nav.group.admin"),
    NavItem("nav.admin.history", "/app/admin/history", Perm.EVENTS_HISTORY, "nav.group.admin"),
    NavItem("nav.admin.kiosk", "/app/admin/kiosk", Perm.SCREEN_MANAGE, "nav.group.admin"),
    NavItem("nav.admin.audit", "/app/admin/audit", Perm.AUDIT_READ, "nav.group.admin"),
]


@dataclass(frozen=True)
class NavEntry:
    key: str
    href: str
    group: str
    active: bool


def _covers(href: str, path: str) -> bool:
    return path == href or (href != "/app" and path.startswith(href + "/"))


def navigation(principal: Principal, path: str) -> list[NavEntry]:
    """The principal's menu, with the one entry that covers `path` most closely marked active (the
    bulletin, /app/goals/bulletin, is under /app/goals but is its own entry)."""
    items = [item for item in NAV_ITEMS if item.perm is None or principal.can(item.perm)]
    covering = [item.href for item in items if _covers(item.href, path)]
    active = max(covering, key=len) if covering else None
    return [NavEntry(item.key, item.href, item.group, item.href == active) for item in items]
