"""How the app's own middlewares refuse a request before any route runs (too large a body, a NUL
character, no credentials for an upload): problem+json, or whatever format a path prefix registered
in `app.state.refusal_renderers` (Open311 registers its error list, so its routes answer in its own
format even there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Scope

from citycockpit.core.errors import problem

# (path prefix, render(scope, status, detail) -> Response)
RefusalRenderer = Callable[[Scope, int, str], Response]


def refusal(scope: Scope, status: int, code: str, title: str, detail: str, **extra: Any) -> Response:
    path = scope.get("path", "")
    state = getattr(scope.get("app"), "state", None)
    for prefix, render in getattr(state, "refusal_renderers", ()):
        if path.startswith(prefix):
            return render(scope, status, detail)
    return problem(status, code, title, detail, **extra)
