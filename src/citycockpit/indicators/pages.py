"""Workbench page of the indicator feeds (指标接入): every series with its last value and freshness, and
the open alerts. Reads go through the indicators' queries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.db import SessionDep
from citycockpit.indicators import queries
from citycockpit.web.render import render

router = APIRouter(prefix="/app", tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, require(Perm.INDICATORS_READ)]


@router.get("/indicators")
def list_feeds(request: Request, session: SessionDep, principal: Reader) -> Response:
    now = request.app.state.clock.now()
    return render(
        request,
        "app/indicators.html",
        {
            "feeds": queries.list_feeds(session, now=now),
            "alerts": queries.list_alerts(session, principal=principal),
        },
    )
