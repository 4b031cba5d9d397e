"""Plausible area shapes for the demo: a Voronoi partition of an outline around the areas' centroids,
done by shapely (GEOS).

Real boundaries are imported through `citycockpit org import-boundaries`; these generated shapes only
let a city without them look like a city on the map. Distances use longitude scaled by cos(latitude),
which is accurate enough at a county's size. The outline is the sites' convex hull pushed outwards,
with a deterministic wobble so it does not look like a polygon drawn with a ruler."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence

import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from citycockpit.org import geometry

Coord = tuple[float, float]  # (lon, lat)


def _noise(seed: str, i: int) -> float:
    digest = hashlib.sha256(f"{seed}:{i}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def outline_around(sites: Sequence[Coord], *, margin_deg: float = 0.05, seed: str = "city") -> list[Coord]:
    """A ring (first point not repeated) around the sites: their hull, buffered and wobbled."""
    cy = sum(p[1] for p in sites) / len(sites)
    scale = math.cos(math.radians(cy))
    hull = MultiPoint([(x * scale, y) for x, y in sites]).convex_hull
    centre = hull.centroid
    grown = hull.buffer(margin_deg, quad_segs=4)
    ring: list[Coord] = []
    steps = 48
    reach = max(grown.bounds[2] - grown.bounds[0], grown.bounds[3] - grown.bounds[1]) * 2
    for k in range(steps):
        angle = 2 * math.pi * k / steps
        far = Point(centre.x + reach * math.cos(angle), centre.y + reach * math.sin(angle))
        ray = shapely.LineString([centre, far])
        hit = ray.intersection(grown.exterior)
        edge = hit if isinstance(hit, Point) else min(getattr(hit, "geoms", [far]), key=centre.distance)
        r = centre.distance(edge) * (0.9 + 0.2 * _noise(seed, k))
        ring.append(((centre.x + r * math.cos(angle)) / scale, centre.y + r * math.sin(angle)))
    return ring


def voronoi_cells(outline: list[Coord], sites: dict[str, Coord]) -> dict[str, list[Coord]]:
    """Each site's cell within the outline (sites outside it, or sharing a point, get none)."""
    cells = voronoi_shapes(Polygon(outline), sites)
    return {key: [(x, y) for x, y in cell.exterior.coords[:-1]] for key, cell in cells.items()}


def voronoi_shapes(outline: Polygon, sites: dict[str, Coord]) -> dict[str, Polygon]:
    """Each site's Voronoi cell clipped to the outline (the largest piece, a Polygon)."""
    if not sites:
        return {}
    lat0 = sum(p[1] for p in sites.values()) / len(sites)
    scale = math.cos(math.radians(lat0))
    scaled_outline = shapely.transform(outline, lambda xy: xy * (scale, 1.0))
    unique: dict[Coord, str] = {}
    for key, site in sorted(sites.items()):
        unique.setdefault(site, key)
    points = {key: Point(site[0] * scale, site[1]) for site, key in unique.items()}
    if len(points) == 1:
        ((key, _),) = points.items()
        return {key: outline} if outline.is_valid else {}
    diagram = shapely.voronoi_polygons(MultiPoint(list(points.values())), extend_to=scaled_outline)
    out: dict[str, Polygon] = {}
    for cell in diagram.geoms:
        key = next((k for k, p in points.items() if cell.covers(p)), None)
        if key is None:
            continue
        clipped = geometry.polygonal(cell.intersection(scaled_outline))
        if clipped is None:
            continue
        piece = max(getattr(clipped, "geoms", [clipped]), key=lambda g: g.area)
        out[key] = shapely.transform(piece, lambda xy: xy / (scale, 1.0))
    return out


def polygon_geojson(ring: list[Coord]) -> str:
    coords = [[round(x, 5), round(y, 5)] for x, y in ring]
    coords.append(coords[0])
    return json.dumps({"type": "Polygon", "coordinates": [coords]}, separators=(",", ":"))


def ring_of(geojson: str) -> list[Coord]:
    geo = geometry.geometry_of(geojson)
    if geo is None:
        return []
    largest = max(getattr(geo, "geoms", [geo]), key=lambda g: g.area)
    return [(float(x), float(y)) for x, y in largest.exterior.coords[:-1]]
