"""The one home of area geometry: GeoJSON ↔ shapely, areas in square metres, and which unit grid
(单元网格) a point lies in. Every reader (intake, the grid API, the boundary import, the screen's
generated shapes) calls this module; nothing else does point-in-polygon.

The lookup rule: a point belongs to the grid whose closed polygon (boundary included) covers it; when
several do (a point on a shared border, or grids that overlap), the one with the lowest code wins, so
the answer never depends on the order grids were stored in. A point no polygon covers goes to the
nearest grid (distance in a plane where longitude is scaled by the cosine of the city's latitude,
accurate at a county's size); a grid without a polygon is represented by its centroid."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

WGS84 = CRS.from_epsg(4326)


def geometry_of(geojson: str | dict[str, Any] | None) -> BaseGeometry | None:
    """A stored or received GeoJSON Polygon/MultiPolygon (or Feature) as a shapely geometry."""
    if geojson is None or geojson == "":
        return None
    geo = json.loads(geojson) if isinstance(geojson, str) else geojson
    if isinstance(geo, dict) and geo.get("type") == "Feature":
        geo = geo.get("geometry")
    if not isinstance(geo, dict) or geo.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    return shape(geo)


def geojson_text(geom: BaseGeometry, *, digits: int = 7) -> str:
    """The stored form: compact GeoJSON, coordinates rounded (7 decimals of a degree ≈ 1 cm)."""
    rounded = shapely.set_precision(geom, 10.0**-digits) if digits else geom
    return json.dumps(mapping(rounded), separators=(",", ":"))


def polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon | None:
    """The polygonal part of a geometry (make_valid may return a collection with lines or points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return None if geom.is_empty else geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(p for p in part.geoms if not p.is_empty)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def metric_crs(lon: float, lat: float) -> CRS:
    """A projected CRS in metres for areas near (lon, lat): the WGS84 UTM zone holding it."""
    zone = int((lon + 180) // 6) + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def transformer(source: CRS, target: CRS) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def reproject(geoms: Any, tf: Transformer) -> Any:
    """Geometries (one or an array) through a pyproj transformer, vectorised over all coordinates."""
    return shapely.transform(geoms, lambda xy: np.column_stack(tf.transform(xy[:, 0], xy[:, 1])))


class Outline:
    """A city's outline (its top-level areas' shapes, unioned) grown by a margin, ready to say whether a
    WGS84 point lies in the city: a position at the border, a metre or two off, is still the city's.
    Built once per change of the areas table; immutable and shared by every thread."""

    def __init__(self, shapes: list[BaseGeometry], *, margin_m: float) -> None:
        union = shapely.union_all(shapes)
        # grown in degrees of latitude (≈111 km each): a degree of longitude is shorter, so the margin
        # across is a little wider, never narrower
        self.shape = union.buffer(margin_m / 111_000.0, quad_segs=2)
        self.margin_m = margin_m
        shapely.prepare(self.shape)

    def covers(self, lat: float, lon: float) -> bool:
        return bool(self.shape.covers(Point(lon, lat)))


@dataclass(frozen=True)
class GridShape:
    code: str
    lat: float | None
    lon: float | None
    geometry: BaseGeometry | None  # WGS84 lon/lat


class GridLocator:
    """An STRtree over the grids' prepared polygons (and centroids for grids without one), in a plane
    where longitude is scaled by cos(latitude). Built once per change of the areas table; immutable and
    shared by every thread."""

    def __init__(self, grids: list[GridShape]) -> None:
        grids = sorted(grids, key=lambda g: g.code)  # index order = code order: lowest code = lowest index
        lats = [g.lat for g in grids if g.lat is not None]
        for g in grids:
            if g.geometry is not None:
                lats.append(g.geometry.centroid.y)
                break
        self.scale = math.cos(math.radians(sum(lats) / len(lats))) if lats else 1.0
        self.codes = [g.code for g in grids if g.geometry is not None or g.lat is not None]
        items: list[BaseGeometry] = []
        polygons: list[bool] = []
        for g in grids:
            if g.geometry is not None:
                items.append(shapely.transform(g.geometry, lambda xy: xy * (self.scale, 1.0)))
                polygons.append(True)
            elif g.lat is not None and g.lon is not None:
                items.append(Point(g.lon * self.scale, g.lat))
                polygons.append(False)
        self._geoms = np.array(items, dtype=object)
        self._is_polygon = np.array(polygons, dtype=bool)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)

    def __len__(self) -> int:
        return len(self.codes)

    def covering(self, lat: float, lon: float) -> str | None:
        """The lowest code among the grids whose closed polygon covers the point, or None."""
        point = Point(lon * self.scale, lat)
        candidates = self._tree.query(point)
        if len(candidates) == 0:
            return None
        candidates.sort()
        for i in candidates:
            if self._is_polygon[i] and self._geoms[i].covers(point):
                return self.codes[i]
        return None

    def nearest(self, lat: float, lon: float) -> str | None:
        """The grid nearest the point (its polygon's edge, or its centroid); ties go to the lowest code."""
        if not self.codes:
            return None
        found = self._tree.query_nearest(Point(lon * self.scale, lat), all_matches=True)
        return self.codes[int(found.min())]


def locate_many(locator: GridLocator, points: list[tuple[float, float]]) -> list[tuple[str, bool] | None]:
    """`locate` for many (lat, lon) points with two vectorised tree queries instead of two per point
    (a batch of intake requests): the same answers, the lowest code among the covering polygons, else
    the lowest among the nearest grids."""
    if not points or not locator.codes:
        return [None] * len(points)
    xy = np.array([(lon * locator.scale, lat) for lat, lon in points], dtype=float)
    geoms = shapely.points(xy)
    found: list[tuple[str, bool] | None] = [None] * len(points)
    inputs, hits = locator._tree.query(geoms, predicate="covered_by")
    best: dict[int, int] = {}
    for i, j in zip(inputs.tolist(), hits.tolist(), strict=True):
        if locator._is_polygon[j] and (i not in best or j < best[i]):
            best[i] = j
    for i, j in best.items():
        found[i] = (locator.codes[j], True)
    rest = [i for i in range(len(points)) if found[i] is None]
    if rest:
        inputs, hits = locator._tree.query_nearest(geoms[rest], all_matches=True)
        nearest: dict[int, int] = {}
        for i, j in zip(inputs.tolist(), hits.tolist(), strict=True):
            if i not in nearest or j < nearest[i]:
                nearest[i] = j
        for i, j in nearest.items():
            found[rest[i]] = (locator.codes[j], False)
    return found


def locate(locator: GridLocator, lat: float, lon: float) -> tuple[str, bool] | None:
    """(grid code, whether a polygon covers the point), or None when there are no grids."""
    code = locator.covering(lat, lon)
    if code is not None:
        return code, True
    code = locator.nearest(lat, lon)
    return (code, False) if code is not None else None
