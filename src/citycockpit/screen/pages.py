"""The big screen page (`/screen`) and the kiosk entry (`/screen/kiosk/<token>`).

The page is a shell: every figure on it is fetched by static/js/screen.js from `/api/v1/screen/...`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from citycockpit.auth.deps import PUBLIC, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core.errors import NotFound
from citycockpit.db import SessionDep
from citycockpit.screen import queries, service
from citycockpit.web import i18n
from citycockpit.web.render import render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/screen")
def screen_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Perm.SCREEN_READ)],
    area: Annotated[str | None, Query(pattern=r"^\d{6,15}$")] = None,
) -> Response:
    settings = request.app.state.settings
    view = queries.resolve_view(
        session,
        principal,
        area=area,
        county_code=settings.county_code,
        city_name=settings.city_name,
        clock=request.app.state.clock,
    )
    lang = i18n.request_language(request)
    return render(
        request,
        "screen/screen.html",
        {
            "view": view,
            "is_kiosk": principal.kind == "kiosk",
            "refresh_seconds": settings.screen_refresh_seconds,
            "messages": i18n.client_messages(lang, "screen."),
        },
    )


@router.get("/screen/kiosk/{token}", dependencies=[PUBLIC])
def kiosk_entry(token: str, request: Request, session: SessionDep) -> Response:
    """Open a kiosk link: remember it in a cookie that grants screen:read only, then show the screen."""
    link = service.resolve_kiosk_token(
        session, token, secret_key=request.app.state.secret_key, now=request.app.state.clock.now()
    )
    if link is None:
        raise NotFound("This kiosk link is unknown or has been revoked")
    session.commit()
    response = RedirectResponse("/screen", status_code=303)
    response.set_cookie(
        service.KIOSK_COOKIE,
        token,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.env == "prod",
    )
    return response
