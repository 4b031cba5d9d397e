"""The big screen page (`/screen`), the kiosk entry (`/screen/kiosk/<token>`), and the workbench's
administration of kiosk links (`/app/admin/kiosk`: create, list, revoke).

The page is a shell: every figure on it is fetched by static/js/screen.js from `/api/v1/screen/...`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from citycockpit.auth import queries as auth_queries
from citycockpit.auth.deps import PUBLIC, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core.errors import AppError, NotFound
from citycockpit.db import SessionDep
from citycockpit.goals.enums import status_tones
from citycockpit.indicators import queries as indicator_queries
from citycockpit.screen import queries, service
from citycockpit.web import i18n
from citycockpit.web.render import check_csrf, render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/screen")
def screen_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Perm.SCREEN_READ)],
    area: Annotated[str | None, Query(pattern=r"^\d{6,15}$")] = None,
    theme: Annotated[str | None, Query(pattern=r"^[a-z0-9_\-]{1,40}$")] = None,
) -> Response:
    """The main screen, or a theme's board (`theme`) on the same stage with the same scope rules."""
    settings = request.app.state.settings
    board = indicator_queries.get_theme(session, theme) if theme else None
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
            "map_detail": queries.map_detail(view.area_level),
            "is_kiosk": principal.kind == "kiosk",
            "refresh_seconds": settings.screen_refresh_seconds,
            "messages": i18n.client_messages(lang, "screen."),
            "status_tones": status_tones(),
            "theme": board,
            "themes": indicator_queries.list_themes(session),
        },
    )


@router.get("/screen/kiosk/{token}", dependencies=[PUBLIC])
def kiosk_entry(
    token: str,
    request: Request,
    session: SessionDep,
    theme: Annotated[str | None, Query(pattern=r"^[a-z0-9_\-]{1,40}$")] = None,
) -> Response:
    """Open a kiosk link: remember it in a cookie that grants screen:read only, then show the screen (a
    theme's board with `?theme=`). Its last use is noted outside the request's read (`note_kiosk_use`)."""
    now = request.app.state.clock.now()
    link = service.resolve_kiosk_token(session, token, secret_key=request.app.state.secret_key, now=now)
    if link is None:
        raise NotFound("This kiosk link is unknown or has been revoked")
    service.note_kiosk_use(session, link, now=now)
    response = RedirectResponse(f"/screen?theme={theme}" if theme else "/screen", status_code=303)
    response.set_cookie(
        service.KIOSK_COOKIE,
        token,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.env == "prod",
    )
    return response


# --- administration: kiosk links --------------------------------------------------------------------

admin_router = APIRouter(prefix="/app/admin/kiosk", tags=["pages"], include_in_schema=False)

KioskManager = Annotated[Principal, require(Perm.SCREEN_MANAGE)]
CsrfField = Annotated[str, Form()]


_t = i18n.request_text


def _kiosk_links(request: Request, session: Any) -> list[dict[str, Any]]:
    secret = request.app.state.secret_key
    return [
        {"link": link, "path": f"{service.KIOSK_PATH}{service.kiosk_token(secret, link)}"}
        for link in service.list_kiosk_links(session)
    ]


@admin_router.get("")
def admin_kiosk(request: Request, session: SessionDep, principal: KioskManager) -> Response:
    links = _kiosk_links(request, session)
    actors = i18n.actor_texts(
        request, auth_queries.actor_labels(session, [(None, row["link"].created_by) for row in links])
    )
    for row in links:
        row["created_by"] = actors[(None, row["link"].created_by)]
    return render(
        request,
        "app/admin_kiosk.html",
        {"links": links, "created": request.query_params.get("created")},
    )


@admin_router.post("")
def create_kiosk_link(
    request: Request,
    session: SessionDep,
    principal: KioskManager,
    csrf_token: CsrfField = "",
    name: Annotated[str, Form()] = "",
    area_code: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, principal, csrf_token)
    errors = {}
    if not name.strip():
        errors["name"] = _t(request, "form.required")
    elif len(name.strip()) > 100:
        errors["name"] = _t(request, "form.too_long", n=100)
    if errors:
        return _kiosk_form_error(request, session, errors, name, area_code)
    try:
        with session.begin_nested():  # a refused change undoes only itself
            created = service.create_kiosk_link(
                session,
                name=name,
                area_code=area_code,
                secret_key=request.app.state.secret_key,
                actor=principal,
                now=request.app.state.clock.now(),
            )
    except AppError as exc:
        return _kiosk_form_error(
            request, session, {"area_code": i18n.request_error_text(request, exc)}, name, area_code
        )
    session.commit()
    return RedirectResponse(f"/app/admin/kiosk?created={created.link.id}", status_code=303)


def _kiosk_form_error(
    request: Request, session: Any, errors: dict[str, str], name: str, area: str
) -> Response:
    return render(
        request,
        "app/admin_kiosk.html",
        {
            "links": _kiosk_links(request, session),
            "errors": errors,
            "form": {"name": name, "area_code": area},
        },
        status=422,
    )


@admin_router.post("/{link_id}/revoke")
def revoke_kiosk_link(
    link_id: int, request: Request, session: SessionDep, principal: KioskManager, csrf_token: CsrfField = ""
) -> Response:
    check_csrf(request, principal, csrf_token)
    service.revoke_kiosk_link(session, link_id, actor=principal, now=request.app.state.clock.now())
    session.commit()
    return RedirectResponse("/app/admin/kiosk", status_code=303)
