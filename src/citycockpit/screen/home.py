"""The workbench home (`/app`) with the caller's to-do list, and the root address (`/`) that leads to it.

It lives in screen because it reads across domains — report's review backlog and the events queues of
the caller's role — and screen is the one domain that reads across the others (DESIGN.md §2); it goes
through each domain's service or queries functions, which keep their scope checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from citycockpit.auth.deps import PUBLIC, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.db import SessionDep
from citycockpit.events import queries as event_queries
from citycockpit.report import service as report_service
from citycockpit.report.enums import ReviewState
from citycockpit.web import i18n
from citycockpit.web.render import render

router = APIRouter(prefix="/app", tags=["pages"], include_in_schema=False)
root_router = APIRouter(tags=["pages"], include_in_schema=False)

Signed = Annotated[Principal, require()]


_t = i18n.request_text


@root_router.get("/", dependencies=[PUBLIC])
def root() -> Response:
    """The printed address: the workbench (which sends a visitor without a session to /login)."""
    return RedirectResponse("/app", status_code=303)


@router.get("")
def home(request: Request, session: SessionDep, principal: Signed) -> Response:
    """What waits for the caller: report items to review, then each of its role's event queues that is
    not empty."""
    todo: list[tuple[str, str]] = []
    if principal.can(Perm.REPORT_REVIEW):
        pending = sum(c.get(ReviewState.EXTRACTED.value, 0) for _, c in report_service.list_reports(session))
        if pending:
            todo.append((_t(request, "home.todo.review", n=pending), "/app/reports"))
    if principal.can(Perm.EVENTS_READ):
        for queue, n in event_queries.role_queue_counts(session, principal):
            if n:
                todo.append(
                    (
                        _t(request, "home.todo.queue", queue=_t(request, f"events.queue.{queue}"), n=n),
                        f"/app/events?queue={queue}",
                    )
                )
    return render(request, "app/home.html", {"todo": todo})
