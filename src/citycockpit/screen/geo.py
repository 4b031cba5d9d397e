"""Plausible area shapes for the demo: a Voronoi partition of an outline around the areas' centroids.

Real boundaries are imported as GeoJSON through the org import; these generated shapes only let the
demo's map look like a city. Distances use longitude scaled by cos(latitude), which is accurate
enough at a county's size. The outline is the sites' convex hull pushed outwards, with a
deterministic wobble so it does not look like a polygon drawn with a ruler."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence

Point = tuple[float, float]  # (lon, lat)


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """Andrew's monotone chain; counter-clockwise, no repeated first point."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts
    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _noise(seed: str, i: int) -> float:
    digest = hashlib.sha256(f"{seed}:{i}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def outline_around(sites: Sequence[Point], *, margin_deg: float = 0.05, seed: str = "city") -> list[Point]:
    """A closed-looking ring (first point not repeated) around the sites: their hull, buffered and wobbled."""
    cx = sum(p[0] for p in sites) / len(sites)
    cy = sum(p[1] for p in sites) / len(sites)
    hull = convex_hull(sites)
    scale = math.cos(math.radians(cy))
    farthest = max(math.hypot((p[0] - cx) * scale, p[1] - cy) for p in sites)
    ring: list[Point] = []
    steps = 48
    for k in range(steps):
        angle = 2 * math.pi * k / steps
        dx, dy = math.cos(angle), math.sin(angle)
        reach = _ray_reach(hull, (cx, cy), (dx, dy)) if len(hull) >= 3 else farthest
        r = (reach + margin_deg) * (0.9 + 0.2 * _noise(seed, k))
        ring.append((cx + dx * r / math.cos(math.radians(cy)), cy + dy * r))
    return ring


def _ray_reach(hull: Sequence[Point], centre: Point, direction: Point) -> float:
    """How far (in lat-degrees, lon scaled) a ray from the centre travels before leaving the hull."""
    scale = math.cos(math.radians(centre[1]))
    best = 0.0
    n = len(hull)
    for i in range(n):
        ax, ay = (hull[i][0] - centre[0]) * scale, hull[i][1] - centre[1]
        bx, by = (hull[(i + 1) % n][0] - centre[0]) * scale, hull[(i + 1) % n][1] - centre[1]
        ex, ey = bx - ax, by - ay
        denom = direction[0] * ey - direction[1] * ex
        if abs(denom) < 1e-12:
            continue
        t = (ax * ey - ay * ex) / denom
        s = (ax * direction[1] - ay * direction[0]) / denom
        if t >= 0 and 0 <= s <= 1:
            best = max(best, t)
    return best


def _clip(polygon: list[Point], keep_near: Point, other: Point, scale: float) -> list[Point]:
    """Sutherland–Hodgman against the perpendicular bisector of keep_near–other (keep keep_near's side)."""

    def side(p: Point) -> float:
        # >0 when p is closer to keep_near than to other (in scaled coordinates)
        ax, ay = keep_near[0] * scale, keep_near[1]
        bx, by = other[0] * scale, other[1]
        px, py = p[0] * scale, p[1]
        return ((px - bx) ** 2 + (py - by) ** 2) - ((px - ax) ** 2 + (py - ay) ** 2)

    out: list[Point] = []
    n = len(polygon)
    for i in range(n):
        cur, nxt = polygon[i], polygon[(i + 1) % n]
        sc, sn = side(cur), side(nxt)
        if sc >= 0:
            out.append(cur)
        if (sc >= 0) != (sn >= 0):
            t = sc / (sc - sn)
            out.append((cur[0] + t * (nxt[0] - cur[0]), cur[1] + t * (nxt[1] - cur[1])))
    return out


def voronoi_cells(outline: list[Point], sites: dict[str, Point]) -> dict[str, list[Point]]:
    """Each site's cell: the outline clipped by the bisectors with every other site."""
    if not sites:
        return {}
    mean_lat = sum(p[1] for p in sites.values()) / len(sites)
    scale = math.cos(math.radians(mean_lat))
    cells: dict[str, list[Point]] = {}
    for key, site in sites.items():
        cell = list(outline)
        for other_key, other in sites.items():
            if other_key == key or other == site or not cell:
                continue
            cell = _clip(cell, site, other, scale)
        if len(cell) >= 3:
            cells[key] = cell
    return cells


def polygon_geojson(ring: list[Point]) -> str:
    coords = [[round(x, 5), round(y, 5)] for x, y in ring]
    coords.append(coords[0])
    return json.dumps({"type": "Polygon", "coordinates": [coords]}, separators=(",", ":"))


def ring_of(geojson: str) -> list[Point]:
    geo = json.loads(geojson)
    if geo.get("type") == "MultiPolygon":
        ring = max((poly[0] for poly in geo["coordinates"]), key=len)
    else:
        ring = geo["coordinates"][0]
    return [(float(x), float(y)) for x, y in ring[:-1]]
