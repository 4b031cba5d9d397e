"""Which unit grid (单元网格) a point lies in: point-in-polygon (ray casting) on the area tree's GeoJSON
polygons where they exist, otherwise the grid with the nearest centroid."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import stamps
from citycockpit.events.enums import GridMethod
from citycockpit.org.models import Area

EARTH_RADIUS_M = 6_371_008.8
Ring = list[tuple[float, float]]  # (lon, lat) pairs, GeoJSON order


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Ray casting: count crossings of a ray going east from the point."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def polygons_of(geojson: dict) -> list[list[Ring]]:
    """GeoJSON Polygon / MultiPolygon → list of polygons, each [outer ring, holes…]."""
    kind = geojson.get("type")
    coords = geojson.get("coordinates") or []
    polys = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in poly] for poly in polys]


def point_in_polygons(lon: float, lat: float, polygons: list[list[Ring]]) -> bool:
    for poly in polygons:
        if poly and _in_ring(lon, lat, poly[0]) and not any(_in_ring(lon, lat, hole) for hole in poly[1:]):
            return True
    return False


@dataclass(frozen=True)
class GridEntry:
    code: str
    lat: float | None
    lon: float | None
    polygons: list[list[Ring]]
    bbox: tuple[float, float, float, float] | None  # min lon, min lat, max lon, max lat


@dataclass(frozen=True)
class GridIndex:
    grids: list[GridEntry]
    _boxed: list[GridEntry] = field(init=False, repr=False)
    _centroids: np.ndarray = field(init=False, repr=False)  # lat, lon per grid with a centroid
    _centroid_codes: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        with_centroid = [g for g in self.grids if g.lat is not None and g.lon is not None]
        object.__setattr__(self, "_boxed", [g for g in self.grids if g.bbox is not None])
        object.__setattr__(
            self, "_centroids", np.array([(g.lat, g.lon) for g in with_centroid], dtype=float).reshape(-1, 2)
        )
        object.__setattr__(self, "_centroid_codes", [g.code for g in with_centroid])

    def locate(self, lat: float, lon: float) -> tuple[str, GridMethod] | None:
        for grid in self._boxed:
            x0, y0, x1, y1 = grid.bbox  # type: ignore[misc]
            if x0 <= lon <= x1 and y0 <= lat <= y1 and point_in_polygons(lon, lat, grid.polygons):
                return grid.code, GridMethod.POLYGON
        if not self._centroid_codes:
            return None
        # Nearest centroid: at a city's scale the squared planar distance (longitude scaled by the
        # cosine of the latitude) orders the grids as the great-circle distance does.
        scale = math.cos(math.radians(lat)) ** 2
        d = (self._centroids[:, 0] - lat) ** 2 + scale * (self._centroids[:, 1] - lon) ** 2
        return self._centroid_codes[int(np.argmin(d))], GridMethod.CENTROID


def grid_index(session: Session) -> GridIndex:
    """The grids of the area tree, parsed once and reused until an area changes (the areas' change
    stamp, renewed by triggers on every write to the table, is read once per call)."""
    return stamps.cached(session, "areas", "grid index", lambda: _build_index(session))


def _build_index(session: Session) -> GridIndex:
    grids = []
    for code, lat, lon, geometry in session.execute(
        select(Area.code, Area.centroid_lat, Area.centroid_lon, Area.geometry_geojson)
        .where(Area.level == "grid")
        .order_by(Area.code)
    ):
        polygons = polygons_of(json.loads(geometry)) if geometry else []
        points = [p for poly in polygons for p in poly[0]] if polygons else []
        bbox = (
            (
                min(p[0] for p in points),
                min(p[1] for p in points),
                max(p[0] for p in points),
                max(p[1] for p in points),
            )
            if points
            else None
        )
        grids.append(GridEntry(code, lat, lon, polygons, bbox))
    return GridIndex(grids)


def locate_grid(session: Session, lat: float, lon: float) -> tuple[str, GridMethod] | None:
    """(grid code, how it was found), or None when the area tree has no grids."""
    return grid_index(session).locate(lat, lon)
