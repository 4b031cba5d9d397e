"""Which unit grid (单元网格) a point lies in, as intake finds it: the area tree's grids in
`org.geometry`'s locator (shapely: an STRtree over prepared polygons; a point on a shared border goes to
the lowest code), the nearest grid when no polygon covers the point."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import stamps
from citycockpit.events.enums import GridMethod
from citycockpit.org import geometry
from citycockpit.org.models import Area


class GridIndex:
    """The grids of the area tree, ready for lookups (immutable, shared by every thread)."""

    def __init__(self, locator: geometry.GridLocator) -> None:
        self.locator = locator

    def locate(self, lat: float, lon: float) -> tuple[str, GridMethod] | None:
        return _method(geometry.locate(self.locator, lat, lon))

    def locate_many(self, points: list[tuple[float, float]]) -> list[tuple[str, GridMethod] | None]:
        """`locate` for each point, in two tree queries for them all."""
        return [_method(found) for found in geometry.locate_many(self.locator, points)]


def _method(found: tuple[str, bool] | None) -> tuple[str, GridMethod] | None:
    if found is None:
        return None
    code, covered = found
    return code, GridMethod.POLYGON if covered else GridMethod.CENTROID


def grid_index(session: Session) -> GridIndex:
    """The grids of the area tree, parsed once and reused until an area changes (the areas' change
    stamp, renewed by triggers on every write to the table, is read once per call)."""
    return stamps.cached(session, "areas", "grid index", lambda: _build_index(session))


def _build_index(session: Session) -> GridIndex:
    grids = [
        geometry.GridShape(code, lat, lon, geometry.geometry_of(geo))
        for code, lat, lon, geo in session.execute(
            select(Area.code, Area.centroid_lat, Area.centroid_lon, Area.geometry_geojson).where(
                Area.level == "grid"
            )
        )
    ]
    return GridIndex(geometry.GridLocator(grids))


def locate_grid(session: Session, lat: float, lon: float) -> tuple[str, GridMethod] | None:
    """(grid code, how it was found), or None when the area tree has no grids."""
    return grid_index(session).locate(lat, lon)
