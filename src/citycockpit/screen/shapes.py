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

import shapely

# detail level → tolerance in degrees of latitude (about 111 km per degree); 3 is the exact geometry.
# 0: a whole city on one screen (≈100 m), 1: a town (≈20 m), 2: a village's grids (≈4 m).
TOLERANCE_DEG: dict[int, float] = {0: 0.001, 1: 0.0002, 2: 0.00004, 3: 0.0}
LEVELS = tuple(TOLERANCE_DEG)
DEFAULT_LEVEL = 1
EXACT = 3
COORD_DIGITS = {0: 4, 1: 5, 2: 6}  # decimals kept in the payload (1e-4° ≈ 11 m, 1e-6° ≈ 10 cm)


def features(rows: list[tuple[str, str, str, str | None]], level: int) -> list[dict[str, Any]]:
    """GeoJSON features of (code, name, level, stored geometry) rows, drawn at a detail level; rows
    without a geometry are left out. Level 3 hands the stored geometry over as it is; the others are
    simplified and rounded to the level's precision in one vectorised pass over all the rows."""
    kept = [row for row in rows if row[3]]
    if level == EXACT:
        geometries = [json.loads(row[3]) for row in kept]  # type: ignore[arg-type]
    else:
        shapes = shapely.from_geojson([row[3] for row in kept])
        drawn = shapely.set_precision(
            shapely.simplify(shapes, TOLERANCE_DEG[level], preserve_topology=True),
            10 ** -COORD_DIGITS[level],
            mode="pointwise",
        )
        geometries = [
            None if empty else json.loads(text)
            for empty, text in zip(shapely.is_empty(drawn), shapely.to_geojson(drawn), strict=True)
        ]
    return [
        {
            "type": "Feature",
            "properties": {"name": name, "code": code, "level": area_level},
            "geometry": geometry,
        }
        for (code, name, area_level, _), geometry in zip(kept, geometries, strict=True)
        if geometry is not None
    ]
