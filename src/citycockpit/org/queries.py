"""Reads of departments and areas for pages: the two administration tables, the department choices of
forms, and the names shown beside an object's department or area."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Row, select, true
from sqlalchemy.orm import Session

from citycockpit.auth.principal import Principal
from citycockpit.core import stamps
from citycockpit.core.dialect import code_within
from citycockpit.core.listing import Listing
from citycockpit.org import geometry
from citycockpit.org.models import Area, Department

# How far outside the city's outline a reported position may lie and still be the city's: a phone's fix
# at the border, or a point picked on the edge of a map.
CITY_MARGIN_M = 500.0


def departments_listing() -> Listing:
    """Every department; rows are (code, name, kind). Sortable by code, name and kind; by code unless
    asked."""
    return Listing(
        select(Department.code, Department.name, Department.kind),
        sorts={"code": Department.code, "name": Department.name, "kind": Department.kind},
        default_order=(Department.code,),
    )


def areas_listing(principal: Principal) -> Listing:
    """The areas the principal may see (an area-scoped principal: its own subtree); rows are (code, name,
    level, parent's name, has a shape). Sortable by code, name, level and parent; by code unless asked."""
    parent = Area.__table__.alias("parent_area")
    query: Any = select(
        Area.code, Area.name, Area.level, parent.c.name, Area.geometry_geojson.is_not(None)
    ).outerjoin(parent, parent.c.id == Area.parent_id)
    if principal.is_area_scoped and principal.area_code:
        query = query.where(code_within(Area.code, principal.area_code))
    return Listing(
        query,
        sorts={"code": Area.code, "name": Area.name, "level": Area.level, "parent": parent.c.name},
        default_order=(Area.code,),
    )


def department_choices(session: Session, *, active_only: bool = False) -> list[Row[int, str | None, str]]:
    """Departments as (id, short_name, name) in code order, for a form's department choice."""
    query = select(Department.id, Department.short_name, Department.name)
    if active_only:
        query = query.where(Department.is_active.is_(True))
    return list(session.execute(query.order_by(Department.code)).all())


def find_department(session: Session, department_id: int) -> Department | None:
    """A department by id, or None when there is none."""
    return session.get(Department, department_id)


def area_name(session: Session, code: str) -> str | None:
    """An area's name by code, or None when there is none."""
    return session.scalar(select(Area.name).where(Area.code == code))


def visible_areas(principal: Principal) -> ColumnElement[bool]:
    """Which areas the principal may read (the one home of that rule): an area-scoped principal its own
    subtree and the areas above it (its village, town and city: a map shows where its area lies);
    anyone else every area. Another town's or village's areas are outside it. (The administration
    table lists only the areas a principal administers, its subtree: `areas_listing`.)"""
    if not (principal.is_area_scoped and principal.area_code):
        return true()
    scope = principal.area_code
    above = [scope[:n] for n in range(1, len(scope))]
    return code_within(Area.code, scope) | Area.code.in_(above)


def area_outlines(session: Session, principal: Principal, around: str | None = None) -> dict[str, Any]:
    """The outlines a workbench map draws, within the caller's scope: the town holding `around` (an
    area or grid code; without it, the caller's own area) with its villages — or, for a city-wide
    caller with no `around`, every town. A scoped caller gets the areas of its own subtree and the
    outlines of the areas above it (its town and village, so a grid worker sees where its grid lies);
    asked about a place outside its scope it gets its own area's map, never a refusal. Areas without
    a shape are left out; `geojson` is None when none has one."""
    scope = principal.area_code if principal.is_area_scoped and principal.area_code else ""
    around = (around or "").strip()
    if not around.isdigit() or (scope and not (around.startswith(scope) or scope.startswith(around))):
        around = scope
    town = around[:9] if len(around) >= 9 else None
    query: Any = select(Area.code, Area.name, Area.level, Area.geometry_geojson).where(
        Area.geometry_geojson.is_not(None), visible_areas(principal)
    )
    if town:
        query = query.where(code_within(Area.code, town), Area.level.in_(("town", "village", "grid")))
        if not scope or len(scope) < 12:
            query = query.where(Area.level != "grid")  # a town's grids are too many to draw legibly
    else:
        query = query.where(Area.level == "town")
    features = []
    for code, name, level, shape in session.execute(query.order_by(Area.code)):
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "code": code, "level": level, "mine": code.startswith(scope)},
                "geometry": json.loads(shape),
            }
        )
    return {
        "map_name": f"outlines-{town or 'city'}-{scope or 'all'}",
        "area": town,
        "geojson": {"type": "FeatureCollection", "features": features} if features else None,
    }


def city_outline(session: Session) -> geometry.Outline | None:
    """The city's outline, to tell whether a reported point lies in the city: the top-level areas' (the
    city's) shapes, unioned, grown by CITY_MARGIN_M; None when the city has no shape, and then nothing
    is checked. Kept until an area changes."""
    return stamps.cached(session, "areas", "city outline", lambda: _city_outline(session))


def _city_outline(session: Session) -> geometry.Outline | None:
    shapes = [
        shape
        for text in session.scalars(
            select(Area.geometry_geojson).where(Area.parent_id.is_(None), Area.geometry_geojson.is_not(None))
        )
        if (shape := geometry.geometry_of(text)) is not None
    ]
    return geometry.Outline(shapes, margin_m=CITY_MARGIN_M) if shapes else None
