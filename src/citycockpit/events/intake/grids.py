"""Which unit grid (单元网格) a point lies in, as intake finds it: the area tree's grids in
`org.geometry`'s locator (shapely: an STRtree over prepared polygons; a point on a shared border goes to
the lowest code), the nearest grid when no polygon covers the point."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import stamps
from citycockpit.events.enums import GridMethod
from citycockpit.org import geometry
from citycockpit.org.models import Area

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class GridIndex:
    """The grids of the area tree, ready for lookups (immutable, shared by every thread)."""

    def __init__(self, locator: geometry.GridLocator) -> None:
        self.locator = locator

    def locate(self, lat: float, lon: float) -> tuple[str, GridMethod] | None:
        found = geometry.locate(self.locator, lat, lon)
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
