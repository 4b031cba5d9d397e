"""Boundary import (org import-boundaries): GeoJSON and zipped Shapefiles in their own coordinate
systems, safe repairs, broken files, the topology report, all or nothing, and where points land."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
import shapefile
import shapely
from openpyxl import load_workbook
from pyproj import CRS, Transformer
from shapely.geometry import Polygon, box, mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.core.tabular import ImportFailed
from citycockpit.events.enums import GridMethod
from citycockpit.events.intake import grids
from citycockpit.org import boundaries, geometry
from citycockpit.org.models import Area

ACTOR = SystemActor("test")
GK = CRS.from_epsg(4549)  # CGCS2000 3-degree Gauss–Krüger, central meridian 120°E (Taicang ≈ 121.1°E)
TO_GK = Transformer.from_crs(4326, GK, always_xy=True)
# 东门社区 (320585100001) of the small city, as a 2 km square in zone metres, split into two grids.
X0, Y0 = TO_GK.transform(121.095, 31.455)
VILLAGE = box(X0, Y0, X0 + 2000, Y0 + 2000)
WEST = box(X0, Y0, X0 + 1000, Y0 + 2000)
EAST = box(X0 + 1000, Y0, X0 + 2000, Y0 + 2000)


def to_wgs84(geom: Any) -> Any:
    return geometry.reproject(geom, geometry.transformer(GK, geometry.WGS84))


def feature(code: str, name: str, geom: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code, "name": name, **extra}, "geometry": mapping(geom)}


def geojson(*features: dict[str, Any], crs: str | None = None) -> bytes:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def shapefile_zip(
    rows: list[tuple[str, str, Any]],
    *,
    prj: str | None = GK.to_wkt("WKT1_ESRI"),
    encoding: str = "gbk",
    fields: tuple[str, str] = ("WGBM", "WGMC"),
) -> bytes:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding) as w:
        w.field(fields[0], "C", size=20)
        w.field(fields[1], "C", size=50)
        for code, name, geom in rows:
            w.shape(geom)  # pyshp takes __geo_interface__ objects
            w.record(code, name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("网格/grids.shp", shp.getvalue())
        z.writestr("网格/grids.shx", shx.getvalue())
        z.writestr("网格/grids.dbf", dbf.getvalue())
        if prj:
            z.writestr("网格/grids.prj", prj)
    return out.getvalue()


def run(db: Session, clock: Clock, data: bytes, name: str, *, accept: bool = False, **kw: Any):  # type: ignore[no-untyped-def]
    check = boundaries.check_boundaries(db, data, name, **kw)
    result = boundaries.store_boundaries(db, check, accept_warnings=accept, actor=ACTOR, now=clock.now())
    return check, result


def area(db: Session, code: str) -> Area | None:
    return db.scalars(select(Area).where(Area.code == code)).first()


def shapes(db: Session) -> dict[str, str | None]:
    return dict(db.execute(select(Area.code, Area.geometry_geojson)).all())


def test_a_geojson_in_wgs84_stores_each_grid_and_creates_new_ones_under_a_known_parent(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    data = geojson(
        feature("320585100001", "东门社区", to_wgs84(VILLAGE)),
        feature("320585100001001", "东门社区第1网格", to_wgs84(WEST)),
        feature("320585100001002", "东门社区第2网格", to_wgs84(EAST)),
    )
    check, result = run(db, clock, data, "grids.geojson")
    assert (result.created, result.updated, check.findings) == (1, 2, [])
    new = area(db, "320585100001002")
    assert new is not None and new.parent_id == city["village_a"].id and new.name == "东门社区第2网格"
    lon, lat = to_wgs84(EAST).centroid.coords[0]
    assert grids.locate_grid(db, lat, lon) == ("320585100001002", GridMethod.POLYGON)
    moved = city["grid_a"]  # its stored centre (121.107, 31.463) lies east of its new west half
    db.refresh(moved)
    assert to_wgs84(WEST).covers(shapely.Point(moved.centroid_lon, moved.centroid_lat))
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "org.import_boundaries")).one()
    diff = json.loads(entry.diff_json)
    assert diff["created"] == 1 and diff["crs"] == "EPSG:4326"


def test_a_zipped_shapefile_in_cgcs2000_zone_coordinates_with_gbk_attributes_lands_in_wgs84(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    data = shapefile_zip(
        [("320585100001001", "东门社区第1网格", WEST), ("320585100001002", "东门社区第2网格", EAST)]
    )
    check, result = run(db, clock, data, "grids.zip", code_field="WGBM", name_field="WGMC")
    assert check.crs.startswith("EPSG:4549") or "4549" in check.crs or "CGCS2000" in CRS(check.crs).name
    assert result.created == 1 and area(db, "320585100001002").name == "东门社区第2网格"  # type: ignore[union-attr]
    stored = shape(json.loads(area(db, "320585100001001").geometry_geojson))  # type: ignore[arg-type, union-attr]
    expected = to_wgs84(WEST)
    assert stored.symmetric_difference(expected).area < 1e-12
    assert 121.08 < stored.centroid.x < 121.12 and 31.45 < stored.centroid.y < 31.48


def test_a_shapefile_without_prj_is_refused_until_its_coordinate_system_is_named(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    data = shapefile_zip([("320585100001001", "东门社区第1网格", WEST)], prj=None, encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        run(db, clock, data, "grids.zip", code_field="WGBM", name_field="WGMC")
    assert caught.value.row_errors[0].code == "boundary_no_crs"
    assert "--crs" in caught.value.row_errors[0].reason
    assert shapes(db)["320585100001001"] is None
    _, result = run(db, clock, data, "grids.zip", code_field="WGBM", name_field="WGMC", crs="EPSG:4549")
    assert result.updated == 1


def test_wrong_field_names_are_refused_naming_the_fields_the_file_has(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    data = shapefile_zip([("320585100001001", "东门社区第1网格", WEST)])
    with pytest.raises(ImportFailed) as caught:
        run(db, clock, data, "grids.zip")
    error = caught.value.row_errors[0]
    assert error.code == "boundary_no_field" and error.params["fields"] == "WGBM, WGMC"


def test_a_bow_tie_ring_is_refused_naming_the_feature_and_nothing_is_stored(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    x, y = X0, Y0
    bow_tie = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000), (x, y)])
    data = geojson(
        feature("320585100001001", "东门社区第1网格", to_wgs84(WEST)),
        feature("320585100001002", "东门社区第2网格", to_wgs84(bow_tie)),
    )
    with pytest.raises(ImportFailed) as caught:
        run(db, clock, data, "grids.geojson")
    (error,) = caught.value.row_errors
    assert (error.row, error.code, error.params["value"]) == (
        2,
        "boundary_invalid_geometry",
        "320585100001002",
    )
    assert "Self-intersection" in error.reason
    assert shapes(db)["320585100001001"] is None and area(db, "320585100001002") is None


def test_a_ring_touching_itself_is_repaired_because_the_repair_keeps_its_area(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    x, y, s = X0, Y0, 250.0
    ring = [(0, 0), (4, 0), (4, 4), (2, 4), (3, 2), (1, 2), (2, 4), (0, 4), (0, 0)]
    touching = Polygon([(x + a * s, y + b * s) for a, b in ring])
    assert not touching.is_valid
    check, _ = run(
        db,
        clock,
        geojson(feature("320585100001001", "东门社区第1网格", touching), crs="EPSG:4549"),
        "g.geojson",
    )
    assert check.features[0].repaired
    stored = shape(json.loads(shapes(db)["320585100001001"]))  # type: ignore[arg-type]
    assert stored.is_valid and len(stored.interiors) == 1


def test_a_coordinate_system_that_puts_the_city_in_another_province_is_refused(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    # The zone-40 coordinates read as zone 38 (central meridian 114°E) land in Hubei/Henan.
    data = geojson(feature("320585100001001", "东门社区第1网格", WEST), crs="EPSG:4547")
    with pytest.raises(ImportFailed) as caught:
        run(db, clock, data, "grids.geojson")
    error = caught.value.row_errors[0]
    assert error.code == "boundary_far_away" and int(error.params["km"]) > 400
    assert "太仓市" in error.reason and shapes(db)["320585100001001"] is None


def test_an_unknown_parent_is_named_unless_the_file_carries_the_parent_chain(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    grid = feature("320585102001001", "新村第1网格", to_wgs84(WEST))
    with pytest.raises(ImportFailed) as caught:
        run(db, clock, geojson(grid), "g.geojson")
    assert caught.value.row_errors[0].params == {"value": "320585102001001", "parent": "320585102001"}
    chain = geojson(
        feature("320585102", "新镇", to_wgs84(VILLAGE)),
        feature("320585102001", "新村", to_wgs84(VILLAGE)),
        grid,
    )
    _, result = run(db, clock, chain, "g.geojson", accept=True)
    assert result.created == 3
    new_grid, new_village = area(db, "320585102001001"), area(db, "320585102001")
    assert new_grid is not None and new_village is not None and new_grid.parent_id == new_village.id


def _topology_file() -> bytes:
    # West grid 1,100 m wide: it overlaps the east grid by 100 m × 1,500 m; a third grid sticks
    # 500 m × 200 m out of the village's south edge, and leaves the village's north-east corner bare.
    west = box(X0, Y0, X0 + 1100, Y0 + 2000)
    east = box(X0 + 1000, Y0 + 500, X0 + 2000, Y0 + 2000)
    south = box(X0 + 1500, Y0 - 200, X0 + 2000, Y0 + 500)
    return geojson(
        feature("320585100001", "东门社区", VILLAGE),
        feature("320585100001001", "东门社区第1网格", west),
        feature("320585100001002", "东门社区第2网格", east),
        feature("320585100001003", "东门社区第3网格", south),
        crs="EPSG:4549",
    )


def test_the_topology_report_measures_overlaps_gaps_and_overhangs_in_square_metres(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    check = boundaries.check_boundaries(db, _topology_file(), "t.geojson")
    found = {(f.kind, f.code, f.other): f.area_m2 for f in check.findings}
    assert found.keys() == {
        ("overlap", "320585100001001", "320585100001002"),
        ("outside", "320585100001003", "320585100001"),
        ("gap", "320585100001", ""),
    }
    # Gauss–Krüger metres are within 0.1% of the UTM metres the report measures in, at this place.
    assert found["overlap", "320585100001001", "320585100001002"] == pytest.approx(150_000, rel=2e-3)
    assert found["outside", "320585100001003", "320585100001"] == pytest.approx(100_000, rel=2e-3)
    assert found["gap", "320585100001", ""] == pytest.approx(400 * 500, rel=2e-3)
    sheet = load_workbook(io.BytesIO(check.report_xlsx()))["拓扑检查"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    overlap = next(r for r in rows if r[1] == "320585100001001")
    assert (
        overlap[0].startswith("重叠") and overlap[3] == "320585100001002" and overlap[2] == "东门社区第1网格"
    )
    assert 149_000 < overlap[5] < 151_000 and 121 < overlap[6] < 122 and 31 < overlap[7] < 32


def test_topology_warnings_store_nothing_unless_they_are_accepted(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    with pytest.raises(boundaries.TopologyNotAccepted) as caught:
        run(db, clock, _topology_file(), "t.geojson")
    assert caught.value.extra["counts"] == {"overlap": 1, "gap": 1, "outside": 1}
    assert shapes(db)["320585100001"] is None and area(db, "320585100001002") is None
    _, result = run(db, clock, _topology_file(), "t.geojson", accept=True)
    assert (result.created, result.updated, result.warnings) == (2, 2, 3)


def test_a_point_on_a_shared_border_goes_to_the_lowest_code_whatever_the_file_order(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    data = geojson(
        feature("320585100001002", "东门社区第2网格", to_wgs84(EAST)),
        feature("320585100001001", "东门社区第1网格", to_wgs84(WEST)),
    )
    run(db, clock, data, "g.geojson")
    # a shared vertex of the stored (transformed) edges is on both closed polygons
    west = shape(json.loads(shapes(db)["320585100001001"]))  # type: ignore[arg-type]
    east = shape(json.loads(shapes(db)["320585100001002"]))  # type: ignore[arg-type]
    corner = sorted(set(west.exterior.coords) & set(east.exterior.coords))[0]
    assert grids.locate_grid(db, corner[1], corner[0]) == ("320585100001001", GridMethod.POLYGON)
    middle = shapely.Point(corner).buffer(1e-7).intersection(west.exterior).intersection(east.exterior)
    assert not middle.is_empty


def test_holes_and_multipolygons_send_each_point_to_the_grid_that_really_holds_it(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    ring_grid = VILLAGE.difference(box(X0 + 500, Y0 + 500, X0 + 1500, Y0 + 1500))  # a square with a hole
    island = box(X0 + 700, Y0 + 700, X0 + 1300, Y0 + 1300)
    far_part = box(X0 + 2200, Y0, X0 + 2400, Y0 + 200)
    data = geojson(
        feature("320585100001001", "东门社区第1网格", ring_grid),
        feature("320585100001002", "东门社区第2网格", island.union(far_part)),
        crs="EPSG:4549",
    )
    run(db, clock, data, "g.geojson", accept=True)

    def at(x: float, y: float) -> tuple[str, GridMethod] | None:
        lon, lat = Transformer.from_crs(GK, 4326, always_xy=True).transform(x, y)
        return grids.locate_grid(db, lat, lon)

    assert at(X0 + 100, Y0 + 100) == ("320585100001001", GridMethod.POLYGON)
    assert at(X0 + 1000, Y0 + 1000) == ("320585100001002", GridMethod.POLYGON)  # in the hole, on the island
    assert at(X0 + 2300, Y0 + 100) == ("320585100001002", GridMethod.POLYGON)  # the second part
    assert at(X0 + 600, Y0 + 1000) == ("320585100001001", GridMethod.CENTROID)  # in the hole, off the island


def test_the_api_imports_for_an_admin_and_refuses_a_grid_worker(
    client: Any, db: Session, admin: Any, grid_worker: Any
) -> None:
    data = geojson(feature("320585100001001", "东门社区第1网格", to_wgs84(WEST)))
    files = {"file": ("g.geojson", data, "application/geo+json")}
    refused = client.post("/api/v1/org/boundaries", files=files, headers=grid_worker.headers)
    assert refused.status_code == 403 and shapes(db)["320585100001001"] is None
    done = client.post("/api/v1/org/boundaries", files=files, headers=admin.headers)
    assert done.status_code == 200, done.text
    assert (done.json()["updated"], done.json()["warnings"]) == (1, [])
    report = client.post("/api/v1/org/boundaries/report", files=files, headers=admin.headers)
    assert report.headers["content-type"].startswith("application/vnd.openxmlformats")


def _visible(html: str) -> str:
    section = html[html.index('id="boundaries"') :]
    section = section[: section.index("</section>")]
    alert = re.search(r'role="alert">(.*?)</div>', section, re.S)
    return re.sub(r"<[^>]+>", " ", alert.group(1) if alert else "")


def test_the_admin_page_upload_says_each_refusal_in_chinese(client: Any, db: Session, admin: Any) -> None:
    data = shapefile_zip([("320585100001001", "东门社区第1网格", WEST)], prj=None, encoding="utf-8")
    page = client.post(
        "/app/admin/org/boundaries",
        files={"file": ("grids.zip", data, "application/zip")},
        data={"csrf_token": admin.csrf_token, "code_field": "WGBM", "name_field": "WGMC"},
        headers={"Cookie": admin.headers["Cookie"]},
    )
    assert page.status_code == 422
    text = _visible(page.text)
    assert "缺少坐标系文件" in text
    assert not re.findall(r"[A-Za-z]{3,}", text.replace("EPSG", "").replace(".prj", ""))
    topology = client.post(
        "/app/admin/org/boundaries",
        files={"file": ("t.geojson", _topology_file(), "application/geo+json")},
        data={"csrf_token": admin.csrf_token},
        headers={"Cookie": admin.headers["Cookie"]},
    )
    assert topology.status_code == 422 and "拓扑检查发现 3 条警告" in topology.text
    assert "超出上级" in topology.text and not re.findall(r"[A-Za-z]{3,}", _visible(topology.text))
    done = client.post(
        "/app/admin/org/boundaries",
        files={"file": ("t.geojson", _topology_file(), "application/geo+json")},
        data={"csrf_token": admin.csrf_token, "accept_warnings": "true"},
        headers={"Cookie": admin.headers["Cookie"]},
    )
    assert done.status_code == 200 and "边界导入完成：共 4 个要素，新增区域 2 个" in done.text


def test_a_new_grid_overlapping_a_stored_neighbour_is_reported_against_it(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    run(db, clock, geojson(feature("320585100001001", "东门社区第1网格", WEST), crs="EPSG:4549"), "a.geojson")
    wide_east = box(X0 + 900, Y0, X0 + 2000, Y0 + 2000)  # 100 m × 2,000 m over the stored west grid
    check = boundaries.check_boundaries(
        db, geojson(feature("320585100001002", "东门社区第2网格", wide_east), crs="EPSG:4549"), "b.geojson"
    )
    ((kind, code, other, m2),) = [(f.kind, f.code, f.other, f.area_m2) for f in check.findings]
    assert (kind, code, other) == ("overlap", "320585100001001", "320585100001002")
    assert m2 == pytest.approx(200_000, rel=2e-3)


def test_the_command_writes_the_report_and_exits_non_zero_on_warnings_not_accepted(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from citycockpit.cli import app

    runner = CliRunner()
    db = str(tmp_path / "b.db")
    assert runner.invoke(app, ["db", "upgrade", "--db", db]).exit_code == 0
    org = tmp_path / "areas.csv"
    org.write_text(
        "code,name,lat,lon\n320585,太仓市,31.457,121.13\n320585100,城厢镇,31.458,121.1\n", encoding="utf-8"
    )
    assert runner.invoke(app, ["org", "import", str(org), "--db", db]).exit_code == 0
    source = tmp_path / "t.geojson"
    source.write_bytes(_topology_file())
    report = tmp_path / "report.xlsx"
    refused = runner.invoke(
        app, ["org", "import-boundaries", str(source), "--db", db, "--report", str(report)]
    )
    assert refused.exit_code == 1 and "accept the warnings" in " ".join(refused.output.split())
    kinds = [r[0].value for r in load_workbook(report)["拓扑检查"].iter_rows(min_row=2)]
    assert sorted(k.split()[0] for k in kinds) == ["缝隙", "超出上级", "重叠"]
    done = runner.invoke(app, ["org", "import-boundaries", str(source), "--db", db, "--accept-warnings"])
    assert done.exit_code == 0, done.output
    assert "4 feature(s) from EPSG:4549: 4 area(s) created, 0 updated, 3 topology warning(s)" in " ".join(
        done.output.split()
    )


def test_a_crs_given_against_the_files_own_is_refused(
    db: Session, clock: Clock, city: dict[str, Any]
) -> None:
    data = geojson(feature("320585100001001", "东门社区第1网格", WEST), crs="EPSG:4549")
    with pytest.raises(ImportFailed) as caught:
        run(db, clock, data, "g.geojson", crs="EPSG:4490")
    assert caught.value.row_errors[0].code == "boundary_crs_conflict"


def test_a_cpg_file_names_the_attribute_encoding(db: Session, clock: Clock, city: dict[str, Any]) -> None:
    buffer = io.BytesIO(shapefile_zip([("320585100001001", "東門社區第1網格", WEST)], encoding="utf-8"))
    with zipfile.ZipFile(buffer, "a") as z:
        z.writestr("网格/grids.cpg", "UTF-8")
    run(db, clock, buffer.getvalue(), "grids.zip", code_field="WGBM", name_field="WGMC")
    assert area(db, "320585100001001").name == "東門社區第1網格"  # type: ignore[union-attr]
