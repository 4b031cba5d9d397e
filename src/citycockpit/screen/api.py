"""`/api/v1/screen/...`: every number on the big screen, one endpoint per panel, and kiosk links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.db import ReadSessionDep, SessionDep
from citycockpit.indicators import queries as indicator_queries
from citycockpit.screen import boards, queries, service

router = APIRouter(prefix="/api/v1/screen", tags=["screen"])

Viewer = Annotated[Principal, require(Perm.SCREEN_READ)]
Manager = Annotated[Principal, require(Perm.SCREEN_MANAGE)]
AreaParam = Annotated[
    str | None, Query(pattern=r"^\d{6,15}$", description="Drill down to this area (inside your scope)")
]
MetricParam = Annotated[str, Query(pattern="^(events|overdue)$", description="What colours the map")]
DetailParam = Annotated[
    int | None,
    Query(
        ge=0,
        le=3,
        description="How finely boundaries are drawn: 0 (≈100 m, a whole city) … 2 (≈4 m), 3 exact; "
        "default by the viewed level (city 0, town 1, village 2)",
    ),
]


def _view(request: Request, session: SessionDep, principal: Principal, area: str | None) -> queries.View:
    settings = request.app.state.settings
    return queries.resolve_view(
        session,
        principal,
        area=area,
        county_code=settings.county_code,
        city_name=settings.city_name,
        clock=request.app.state.clock,
    )


@router.get("/overview")
def overview(
    request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """City or area name, its parent (for "back"), the refresh interval and 时序进度."""
    settings = request.app.state.settings
    return queries.overview(
        _view(request, session, principal, area),
        city_name=settings.city_name,
        refresh_seconds=settings.screen_refresh_seconds,
    )


@router.get("/targets")
def targets(
    request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """The main expected targets with progress against time and status."""
    return queries.targets(session, _view(request, session, principal, area))


@router.get("/economy")
def economy(
    request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """Key economic indicators by month against their targets."""
    return queries.economy(session, _view(request, session, principal, area))


@router.get("/events/counters")
def event_counters(
    request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """Today's and this month's intake, closures and satisfaction."""
    return queries.event_counters(session, _view(request, session, principal, area))


@router.get("/events/breakdown")
def event_breakdown(
    request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """This month's events by category and by channel."""
    return queries.event_breakdown(session, _view(request, session, principal, area))


@router.get("/map")
def area_map(
    request: Request,
    session: ReadSessionDep,
    principal: Viewer,
    area: AreaParam = None,
    metric: MetricParam = "events",
    detail: DetailParam = None,
) -> dict[str, Any]:
    """The viewed area's children as GeoJSON (WGS84 longitude/latitude, simplified for display at
    `detail`), each with its event density or overdue count."""
    return queries.area_map(session, _view(request, session, principal, area), metric=metric, detail=detail)


@router.get("/alerts")
def alerts(
    request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """Overdue events and goals, most overdue first."""
    return queries.alerts(session, _view(request, session, principal, area))


@router.get("/projects")
def projects(
    request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """Key project completion by level and the lagging list."""
    return queries.projects(
        session,
        _view(request, session, principal, area),
        margin_pct=request.app.state.settings.projects_lag_margin_pct,
    )


@router.get("/goals")
def goal_status(
    request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """The goals' status distribution by task area."""
    return queries.goal_status(session, _view(request, session, principal, area))


ThemeCode = Annotated[
    str, Path(pattern=r"^[a-z0-9_\-]{1,40}$", description="The theme's code (its YAML's `theme`)")
]


@router.get("/boards")
def list_boards(session: ReadSessionDep, principal: Viewer) -> list[dict[str, Any]]:
    """The themes that have a board, in their order: each opens at `/screen?theme=<code>`."""
    return [{"code": t.code, "name": t.name} for t in indicator_queries.list_themes(session)]


@router.get("/boards/{theme}")
def theme_board(
    theme: ThemeCode, request: Request, session: ReadSessionDep, principal: Viewer, area: AreaParam = None
) -> dict[str, Any]:
    """Every panel of a theme's board (type, title, place on the grid) with its data for the viewed area
    (null for a panel with nothing to show yet)."""
    return boards.board(session, _view(request, session, principal, area), theme)


class KioskLinkIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    area_code: str | None = Field(None, pattern=r"^\d{6,15}$")


def _link_out(link: Any, token: str | None = None) -> dict[str, Any]:
    out = {
        "id": link.id,
        "name": link.name,
        "area_code": link.area_code,
        "created_at": link.created_at.isoformat(),
        "created_by": link.created_by,
        "is_revoked": link.is_revoked,
        "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
        "last_used_at": link.last_used_at.isoformat() if link.last_used_at else None,
    }
    if token is not None:
        out["path"] = f"{service.KIOSK_PATH}{token}"
    return out


@router.get("/kiosk-links")
def list_kiosk_links(session: SessionDep, principal: Manager) -> list[dict[str, Any]]:
    return [_link_out(link) for link in service.list_kiosk_links(session)]


@router.post("/kiosk-links", status_code=201)
def create_kiosk_link(
    body: KioskLinkIn, request: Request, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    """Create a kiosk link; its path (with the signed token) is returned once, here."""
    created = service.create_kiosk_link(
        session,
        name=body.name,
        area_code=body.area_code,
        secret_key=request.app.state.secret_key,
        actor=principal,
        now=request.app.state.clock.now(),
    )
    session.commit()
    return _link_out(created.link, created.token)


@router.post("/kiosk-links/{link_id}/revoke")
def revoke_kiosk_link(
    link_id: int, request: Request, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    link = service.revoke_kiosk_link(session, link_id, actor=principal, now=request.app.state.clock.now())
    session.commit()
    return _link_out(link)
