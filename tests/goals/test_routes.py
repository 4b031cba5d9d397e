"""Every goals route declares the permission it needs, and the roles hold what the docs say."""

from __future__ import annotations

from fastapi.routing import APIRoute

from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.permissions import perms_for
from citycockpit.goals.api import router


def _required(route: APIRoute) -> set[str]:
    found: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        found |= {p.value for p in getattr(dep.call, "required_perms", set())}
        stack.extend(dep.dependencies)
    return found


def test_every_goals_route_requires_a_goals_or_actuals_permission() -> None:
    routes = [r for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 30
    missing = [
        r.path
        for r in routes
        if not (_required(r) & {"goals:read", "goals:manage", "goals:report", "actuals:import"})
    ]
    assert missing == []


def test_roles_hold_the_goals_permissions_the_docs_list() -> None:
    goals = {Perm.GOALS_READ, Perm.GOALS_MANAGE, Perm.GOALS_REPORT, Perm.ACTUALS_IMPORT}
    held = {role: perms_for(role) & goals for role in Role}
    assert held[Role.SUPERVISOR] == {Perm.GOALS_READ, Perm.GOALS_MANAGE, Perm.ACTUALS_IMPORT}
    assert held[Role.DEPARTMENT] == {Perm.GOALS_READ, Perm.GOALS_REPORT}
    assert held[Role.LEADER] == {Perm.GOALS_READ}
    assert held[Role.ADMIN] == goals
    assert held[Role.GRID_WORKER] == held[Role.TOWN] == held[Role.DISPATCHER] == set()
