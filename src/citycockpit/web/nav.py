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
    # On a phone (under ~600 px) the sidebar becomes a bottom bar: the first PHONE_SLOTS entries the
    # caller may see, by this rank (0: never in the bottom bar); the rest stay behind "more".
    phone: int = 0
    short_key: str | None = None  # the bottom bar's short label (i18n key); default `key`


# Order is the order on screen. Domains' pages are added here as they land.
NAV_ITEMS: list[NavItem] = [
    NavItem("nav.home", "/app", phone=1, short_key="nav.short.home"),
    NavItem("nav.report_event", "/app/events/new", Perm.EVENTS_CREATE, phone=2, short_key="nav.short.report"),
    NavItem("nav.reports", "/app/reports", Perm.REPORT_READ),
    NavItem("nav.events", "/app/events", Perm.EVENTS_READ, phone=3, short_key="nav.short.events"),
    NavItem("nav.goals", "/app/goals", Perm.GOALS_READ, phone=4, short_key="nav.short.goals"),
    NavItem("nav.bulletin", "/app/goals/bulletin", Perm.GOALS_READ),
    NavItem("nav.indicators", "/app/indicators", Perm.INDICATORS_READ),
    NavItem("nav.projects", "/app/projects", Perm.PROJECTS_READ, phone=5, short_key="nav.short.projects"),
    NavItem("nav.screen", "/screen", Perm.SCREEN_READ, phone=6, short_key="nav.short.screen"),
    NavItem("nav.admin.users", "/app/admin/users", Perm.USERS_MANAGE, "nav.group.admin"),
    NavItem("nav.admin.org", "/app/admin/org", Perm.ORG_READ, "nav.group.admin"),
    NavItem("nav.admin.categories", "/app/admin/categories", Perm.EVENTS_ADMIN, "nav.group.admin"),
    NavItem("nav.admin.catalogue", "/app/admin/catalogue", Perm.EVENTS_CATALOGUE, "nav.group.admin"),
    NavItem("nav.admin.history", "/app/admin/history", Perm.EVENTS_HISTORY, "nav.group.admin"),
    NavItem("nav.admin.kiosk", "/app/admin/kiosk", Perm.SCREEN_MANAGE, "nav.group.admin"),
    NavItem("nav.admin.audit", "/app/admin/audit", Perm.AUDIT_READ, "nav.group.admin"),
]


PHONE_SLOTS = 3  # the bottom bar's main actions; a fourth slot opens the rest ("more")


@dataclass(frozen=True)
class NavEntry:
    key: str
    href: str
    group: str
    active: bool
    phone: int = 0
    short_key: str | None = None


def _covers(href: str, path: str) -> bool:
    return path == href or (href != "/app" and path.startswith(href + "/"))


def navigation(principal: Principal, path: str) -> list[NavEntry]:
    """The principal's menu, with the one entry that covers `path` most closely marked active (the
    bulletin, /app/goals/bulletin, is under /app/goals but is its own entry; /app/events/new is not
    /app/events as well)."""
    items = [item for item in NAV_ITEMS if item.perm is None or principal.can(item.perm)]
    covering = [item.href for item in items if _covers(item.href, path)]
    active = max(covering, key=len) if covering else None
    return [
        NavEntry(item.key, item.href, item.group, item.href == active, item.phone, item.short_key)
        for item in items
    ]


def phone_navigation(entries: list[NavEntry]) -> list[NavEntry]:
    """The bottom bar's main actions: the caller's first PHONE_SLOTS entries by phone rank."""
    return sorted((e for e in entries if e.phone), key=lambda e: e.phone)[:PHONE_SLOTS]
