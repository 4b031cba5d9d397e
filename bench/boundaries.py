"""Boundary import and point lookup at a big city's size: 5,000 grid polygons.

    python bench/boundaries.py [--grids 5000] [--points 100000]

Builds a fresh SQLite database in a temporary folder with one city, generates a GeoJSON of towns,
villages and grids (Voronoi cells tiling a ~60 km square around Taicang, grid edges densified to about 30 m
so the file has the weight of a real GIS export, ~20 MB), then times:

- the import: read, validate, topology report (and its XLSX), store, commit;
- the point lookup as intake does it (events/intake/grids.py → org/geometry.py), per point;
- beside it, a bare shapely baseline in the same run: an STRtree `query(point, predicate="intersects")`
  on the same polygons, the least any lookup built on shapely can cost;
- one lookup at the demo city's size (its 199 grid polygons, `demo/data/taicang-boundaries.geojson`,
  as `bench/events_intake.py --boundaries` loads them), against the same grids by centroid only (what
  intake does for a city without boundaries), in microseconds per call."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, box, mapping
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from citycockpit import migrate  # noqa: E402
from citycockpit.config import Settings  # noqa: E402
from citycockpit.core import keyring  # noqa: E402
from citycockpit.core.actors import SystemActor  # noqa: E402
from citycockpit.db import make_engine  # noqa: E402
from citycockpit.events.intake import grids  # noqa: E402
from citycockpit.org import boundaries, geometry, service  # noqa: E402

LON0, LAT0, SIZE = 121.13, 31.457, 0.3  # a 0.6° square around Taicang


def cells(parent, n: int, rng: np.random.Generator) -> list:  # type: ignore[no-untyped-def]
    x0, y0, x1, y1 = parent.bounds
    pts = []
    while len(pts) < n:
        p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if parent.contains(p):
            pts.append(p)
    diagram = shapely.voronoi_polygons(MultiPoint(pts), extend_to=parent.envelope.buffer(0.1))
    out = [shapely.intersection(c, parent) for c in diagram.geoms]
    return [c for c in out if not c.is_empty and c.geom_type == "Polygon"]


def make_file(n_grids: int) -> tuple[bytes, list]:  # type: ignore[type-arg]
    rng = np.random.default_rng(7)
    city = box(LON0 - SIZE, LAT0 - SIZE, LON0 + SIZE, LAT0 + SIZE)
    n_towns = 10
    n_villages = max(1, n_grids // 50)
    per_village = n_grids // n_villages
    features, grid_shapes = [], []

    def add(code: str, name: str, geom) -> None:  # type: ignore[no-untyped-def]
        features.append(
            {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": mapping(geom)}
        )

    for t, town in enumerate(cells(city, n_towns, rng), start=1):
        tcode = f"320585{t:03d}"
        add(tcode, f"第{t}镇", town)
        for v, village in enumerate(cells(town, n_villages // n_towns, rng), start=1):
            vcode = f"{tcode}{v:03d}"
            add(vcode, f"第{t}镇第{v}村", village)
            for g, grid in enumerate(cells(village, per_village, rng), start=1):
                dense = shapely.segmentize(grid, 0.0003)
                add(f"{vcode}{g:03d}", f"第{t}镇第{v}村第{g}网格", dense)
                grid_shapes.append(dense)
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8"), grid_shapes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grids", type=int, default=5000)
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args()

    t = time.perf_counter()
    data, grid_shapes = make_file(args.grids)
    print(
        f"generated {len(grid_shapes)} grids, {len(data) / 1e6:.1f} MB of GeoJSON in {time.perf_counter() - t:.1f} s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="b" * 48, audit_key_file=None)
        engine = keyring.attach(make_engine(f"sqlite:///{tmp}/bench.db"), keyring.RingSource(settings))
        migrate.upgrade(engine)
        actor, now = SystemActor("bench"), datetime.now(UTC)
        with Session(engine) as session:
            service.import_org(
                session,
                f"code,name,level,lat,lon\n320585,太仓市,city,{LAT0},{LON0}\n".encode(),
                "city.csv",
                actor=actor,
                now=now,
            )
            session.commit()

        with Session(engine) as session:
            t0 = time.perf_counter()
            check = boundaries.check_boundaries(session, data, "bench.geojson")
            t1 = time.perf_counter()
            report = check.report_xlsx()
            t2 = time.perf_counter()
            result = boundaries.store_boundaries(session, check, accept_warnings=True, actor=actor, now=now)
            session.commit()
            t3 = time.perf_counter()
        print(
            f"import of {len(check.features)} features: {t3 - t0:.1f} s in all "
            f"(read + check + topology {t1 - t0:.1f} s, XLSX report {t2 - t1:.2f} s, store + commit {t3 - t2:.1f} s); "
            f"{result.created} created, {len(check.findings)} topology findings, report {len(report) // 1024} KiB"
        )

        rng = np.random.default_rng(11)
        lons = rng.uniform(LON0 - SIZE, LON0 + SIZE, args.points)
        lats = rng.uniform(LAT0 - SIZE, LAT0 + SIZE, args.points)
        with Session(engine) as session:
            t0 = time.perf_counter()
            index = grids.grid_index(session)
            print(f"grid index built from the database in {time.perf_counter() - t0:.2f} s")
            t0 = time.perf_counter()
            hits = sum(1 for lat, lon in zip(lats, lons, strict=True) if index.locate(lat, lon) is not None)
            ours = (time.perf_counter() - t0) / args.points
        tree = shapely.STRtree(grid_shapes)
        points = [Point(x, y) for x, y in zip(lons, lats, strict=True)]
        t0 = time.perf_counter()
        for p in points:
            tree.query(p, predicate="intersects")
        bare = (time.perf_counter() - t0) / args.points
        print(f"point lookup, {args.points} random points, {hits} located: {ours * 1e3:.4f} ms per point")
        print(f"bare shapely baseline (STRtree query, predicate intersects): {bare * 1e3:.4f} ms per point")
    demo_lookup(args.points)


def demo_lookup(n: int) -> None:
    """Per-call cost of a lookup with the demo's grid polygons, and with the same grids' centroids only."""
    data = Path(__file__).resolve().parents[1] / "src/citycockpit/demo/data/taicang-boundaries.geojson"
    features = json.loads(data.read_text(encoding="utf-8"))["features"]
    shapes_ = [
        geometry.GridShape(f["properties"]["code"], None, None, geometry.geometry_of(f["geometry"]))
        for f in features
        if len(f["properties"]["code"]) == 15
    ]
    centroids = [
        geometry.GridShape(g.code, g.geometry.centroid.y, g.geometry.centroid.x, None)  # type: ignore[union-attr]
        for g in shapes_
    ]
    x0, y0, x1, y1 = shapely.total_bounds([g.geometry for g in shapes_])
    rng = np.random.default_rng(13)
    points = list(zip(rng.uniform(y0, y1, n), rng.uniform(x0, x1, n), strict=True))
    for label, grid_shapes in (("polygons", shapes_), ("centroids only", centroids)):
        locator = geometry.GridLocator(grid_shapes)
        t0 = time.perf_counter()
        covered = sum(1 for lat, lon in points if geometry.locate(locator, lat, lon)[1])  # type: ignore[index]
        per = (time.perf_counter() - t0) / n
        print(
            f"demo city, {len(grid_shapes)} grids by {label}: {per * 1e6:.1f} µs per locate "
            f"({covered} of {n} points inside a polygon)"
        )


if __name__ == "__main__":
    main()
