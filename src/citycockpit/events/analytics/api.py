"""`/api/v1/events/kpis`: the KPIs of the closed loop, and rankings of departments and towns."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.db import ReadSessionDep
from citycockpit.events.analytics import kpis

router = APIRouter(prefix="/api/v1/events/kpis", tags=["events"])

KpiReader = Annotated[Principal, require(Perm.EVENTS_KPI)]


def _filter(
    request: Request,
    first: date | None,
    last: date | None,
    area: str | None,
    department_id: int | None,
    category: str | None,
) -> kpis.KpiFilter:
    today = request.app.state.clock.local_today()
    default_first, default_last = kpis.default_period(today)
    return kpis.KpiFilter(
        first=first or default_first,
        last=last or default_last,
        area=area or None,
        department_id=department_id,
        category=category or None,
    )


@router.get("")
def get_kpis(
    request: Request,
    session: ReadSessionDep,
    principal: KpiReader,
    first: Annotated[
        date | None, Query(alias="from", description="First local day (default: 1st of month)")
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", description="Last local day, inclusive (default: today)")
    ] = None,
    area: Annotated[str | None, Query(description="Area code: the subtree is measured")] = None,
    department_id: int | None = None,
    category: Annotated[str | None, Query(description="Major (大类) or minor (小类) category code")] = None,
) -> dict[str, object]:
    """Every KPI of the period, with its formula, numerator and denominator, within the caller's scope."""
    f = _filter(request, first, last, area, department_id, category)
    return kpis.compute_kpis(
        session,
        f,
        principal=principal,
        zone=request.app.state.settings.zone,
        now=request.app.state.clock.now(),
    )


@router.get("/ranking")
def rank_units(
    request: Request,
    session: ReadSessionDep,
    principal: KpiReader,
    by: Literal["department", "town"] = "department",
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    area: str | None = None,
    department_id: int | None = None,
    category: str | None = None,
) -> dict[str, object]:
    """Departments or towns ranked by 按期结案率; units below the minimum volume are listed unranked."""
    f = _filter(request, first, last, area, department_id, category)
    settings = request.app.state.settings
    return kpis.rank_units(
        session,
        f,
        by=by,
        min_volume=settings.events_ranking_min_volume,
        principal=principal,
        zone=settings.zone,
        now=request.app.state.clock.now(),
    )
