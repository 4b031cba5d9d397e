"""Make the demo city's boundaries: src/citycockpit/demo/data/taicang-boundaries.geojson.

Plausible shapes, not the real ones: an outline around the demo towns' centres, cut into towns by a
Voronoi diagram of their centres, each town into its villages and each village into its grids the same
way (shapely/GEOS). Codes and names come from demo/data/taicang-org.yaml. Run once; the output is
committed and `citycockpit demo` loads it through `org import-boundaries`' own code:

    python scripts/make_demo_boundaries.py
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
import yaml
from shapely.geometry import MultiPoint, Point, mapping
from shapely.ops import nearest_points

from citycockpit.org import geometry
from citycockpit.screen.geo import outline_around

DATA = Path(__file__).resolve().parents[1] / "src/citycockpit/demo/data"


def cells(parent: shapely.Geometry, sites: dict[str, tuple[float, float]]) -> dict[str, shapely.Geometry]:
    """Each site's Voronoi cell clipped to the parent."""
    inner = parent.buffer(-0.0008)
    points: dict[str, Point] = {}
    taken: set[tuple[float, float]] = set()
    for code, (lon, lat) in sorted(sites.items()):
        p = Point(lon, lat)
        if not inner.contains(p):
            p = nearest_points(inner, p)[0]
        while (round(p.x, 7), round(p.y, 7)) in taken:
            p = Point(p.x + 0.0003, p.y + 0.0002)
        taken.add((round(p.x, 7), round(p.y, 7)))
        points[code] = p
    if len(points) == 1:
        return {next(iter(points)): parent}
    diagram = shapely.voronoi_polygons(
        MultiPoint(list(points.values())), extend_to=parent.envelope.buffer(0.1)
    )
    out = {}
    for cell in diagram.geoms:
        code = next(c for c, p in points.items() if cell.covers(p))
        out[code] = geometry.polygonal(cell.intersection(parent))
    return out


def main() -> None:
    areas = yaml.safe_load((DATA / "taicang-org.yaml").read_text(encoding="utf-8"))["areas"]
    by_level: dict[str, list[dict]] = {}
    for a in areas:
        by_level.setdefault(a["level"], []).append(a)
    city = by_level["city"][0]
    # Cells are cut in lon/lat itself: scaling and unscaling would move shared borders apart by
    # rounding.
    towns = {str(a["code"]): (a["lon"], a["lat"]) for a in by_level["town"]}
    ring = outline_around(list(towns.values()), seed=str(city["code"]))
    outline = shapely.Polygon(ring)
    shapes = {str(city["code"]): outline}
    for level, parent_len in (("town", 6), ("village", 9), ("grid", 12)):
        groups: dict[str, dict[str, tuple[float, float]]] = {}
        for a in by_level[level]:
            groups.setdefault(str(a["code"])[:parent_len], {})[str(a["code"])] = (a["lon"], a["lat"])
        for parent, sites in groups.items():
            shapes.update(cells(shapes[parent], sites))
    names = {str(a["code"]): a["name"] for a in areas}
    features = []
    for code in sorted(shapes, key=lambda c: (len(c), c)):
        geom = shapes[code]
        features.append(
            {"type": "Feature", "properties": {"code": code, "name": names[code]}, "geometry": mapping(geom)}
        )
    doc = {"type": "FeatureCollection", "name": "太仓市演示边界", "features": features}
    out = DATA / "taicang-boundaries.geojson"
    out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {out.name}: {len(features)} features, {out.stat().st_size // 1024} KiB")  # noqa: T201


if __name__ == "__main__":
    main()
