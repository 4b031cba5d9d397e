"""The screen map's boundaries as drawn: each area's stored (exact) geometry simplified for a display
detail level, so a map of thousands of grids stays small and quick to draw. The stored geometry is never
changed; what is drawn is computed once per area, level and change stamp of `areas` and kept by the
process (`core.stamps.cached`).

Our maps draw WGS84 longitude/latitude without tiles (ECharts `registerMap`), so the shapes, the stored
geometries and the events' points are all WGS84: nothing is converted for drawing.

Simplification is shapely's Douglas–Peucker with `preserve_topology=True` (a polygon stays valid: no
self-intersection, holes kept). Neighbouring grids are simplified one by one, so at coarse levels their
shared edges may part by up to the tolerance; the levels keep that below what the level can show."""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import mapping, shape

# detail level → tolerance in degrees of latitude (about 111 km per degree); 3 is the exact geometry.
# 0: a whole city on one screen (≈100 m), 1: a town (≈20 m), 2: a village's grids (≈4 m).
TOLERANCE_DEG: dict[int, float] = {0: 0.001, 1: 0.0002, 2: 0.00004, 3: 0.0}
LEVELS = tuple(TOLERANCE_DEG)
DEFAULT_LEVEL = 1
EXACT = 3
COORD_DIGITS = {0: 4, 1: 5, 2: 6}  # decimals kept in the payload (1e-4° ≈ 11 m, 1e-6° ≈ 10 cm)


def display_geometry(geojson: str, level: int) -> dict[str, Any] | None:
    """The GeoJSON geometry to draw for a stored geometry at a detail level (None: nothing drawable)."""
    stored = json.loads(geojson)
    if level == EXACT:
        return stored  # type: ignore[no-any-return]
    geometry = shape(stored).simplify(TOLERANCE_DEG[level], preserve_topology=True)
    if geometry.is_empty:
        return None
    drawn = mapping(geometry)
    return {"type": drawn["type"], "coordinates": _rounded(drawn["coordinates"], COORD_DIGITS[level])}


def _rounded(coordinates: Any, digits: int) -> Any:
    if isinstance(coordinates[0], float | int):
        return [round(c, digits) for c in coordinates]
    return [_rounded(part, digits) for part in coordinates]


def features(rows: list[tuple[str, str, str, str | None]], level: int) -> list[dict[str, Any]]:
    """GeoJSON features of (code, name, level, stored geometry) rows, drawn at a detail level; rows
    without a geometry are left out."""
    out = []
    for code, name, area_level, geojson in rows:
        if not geojson:
            continue
        geometry = display_geometry(geojson, level)
        if geometry is None:
            continue
        out.append(
            {
                "type": "Feature",
                "properties": {"name": name, "code": code, "level": area_level},
                "geometry": geometry,
            }
        )
    return out
