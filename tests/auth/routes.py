"""Walk every route the app registers, with the permission each declares (shared by the matrix tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from citycockpit.auth.enums import Perm

# Framework routes with no dependency system: the OpenAPI description is public by nature.
FRAMEWORK_PUBLIC = {"/api/openapi.json"}


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    kind: str  # "require" | "public" | "undeclared"
    perms: frozenset[Perm] = frozenset()
    during_password_change: bool = False


def _declaration(dependant: Dependant) -> tuple[str, frozenset[Perm], bool] | None:
    for dep in dependant.dependencies:
        call = dep.call
        perms = getattr(call, "required_perms", None)
        if perms is not None:
            return "require", frozenset(perms), bool(getattr(call, "during_password_change", False))
        if getattr(call, "is_public", False):
            return "public", frozenset(), False
        found = _declaration(dep)
        if found:
            return found
    return None


def _raw_routes(app: FastAPI) -> Iterator[tuple[str, object]]:
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # FastAPI's included routers
            for ctx in contexts():
                yield ctx.path, ctx.original_route
        else:
            yield getattr(route, "path", ""), route


def all_routes(app: FastAPI) -> list[RouteInfo]:
    out = []
    for path, route in _raw_routes(app):
        if isinstance(route, Mount):
            continue  # /static: files only
        methods = frozenset(getattr(route, "methods", None) or {"GET"}) - {"HEAD"}
        if isinstance(route, APIRoute):
            found = _declaration(route.dependant)
            kind, perms, during = found if found else ("undeclared", frozenset(), False)
            out.append(RouteInfo(path, methods, kind, perms, during))
        elif isinstance(route, Route):
            out.append(RouteInfo(path, methods, "public" if path in FRAMEWORK_PUBLIC else "undeclared"))
        else:
            out.append(RouteInfo(path, methods, "undeclared"))
    return out
