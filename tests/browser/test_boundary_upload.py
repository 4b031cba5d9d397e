"""The administrator's boundary upload (/app/admin/org, section 导入区域边界) in a real Chromium: a valid
GeoJSON is imported and said so, a ring that cannot be repaired and a Shapefile without its coordinate
system are refused in Chinese naming what is wrong and store nothing, and the topology report downloads
as XLSX. The page is photographed at each step (test-artifacts/boundary-*.png)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import shapefile
from openpyxl import load_workbook
from shapely.geometry import Polygon, mapping, shape
from sqlalchemy import select

from citycockpit.db import session_scope
from citycockpit.org.models import Area
from tests.browser.conftest import Demo, Watch, artifact, sign_in

# Words a Chinese page may show in Latin letters: the formats it names and a CRS example.
ALLOWED_LATIN = (
    "GeoJSON",
    "Shapefile",
    "EPSG",
    "GBK",
    "UTF",
    "shp",
    "shx",
    "dbf",
    "prj",
    "Polygon",
    "MultiPolygon",
    "XLSX",
)


def _latin_words(text: str) -> list[str]:
    for word in ALLOWED_LATIN:
        text = text.replace(word, "")
    return re.findall(r"[A-Za-z_]{3,}", text)


def _a_demo_grid(demo: Demo) -> tuple[str, str, dict, str]:  # type: ignore[type-arg]
    """A grid of 城厢镇 with a shape: (code, name, its stored GeoJSON, its village's code)."""
    engine = demo.engine()
    try:
        with session_scope(engine, read_only=True) as s:
            grid = s.scalars(
                select(Area)
                .where(
                    Area.level == "grid",
                    Area.code.startswith("320585100"),
                    Area.geometry_geojson.is_not(None),
                )
                .order_by(Area.code)
            ).first()
            return grid.code, grid.name, json.loads(grid.geometry_geojson), grid.code[:12]
    finally:
        engine.dispose()


def _stored(demo: Demo, codes: list[str]) -> dict[str, str | None]:
    engine = demo.engine()
    try:
        with session_scope(engine, read_only=True) as s:
            return dict(s.execute(select(Area.code, Area.geometry_geojson).where(Area.code.in_(codes))).all())
    finally:
        engine.dispose()


def _collection(*features: dict) -> bytes:  # type: ignore[type-arg]
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def _feature(code: str, name: str, geometry: dict) -> dict:  # type: ignore[type-arg]
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry}


def _upload(page, tmp: Path, name: str, data: bytes, **fields: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp / name
    path.write_bytes(data)
    form = page.locator("#boundaries form")
    form.locator('input[type="file"]').set_input_files(str(path))
    for field, value in fields.items():
        form.locator(f'input[name="{field}"]').fill(value)
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()


def test_an_administrator_uploads_boundaries_sees_refusals_in_chinese_and_downloads_the_report(
    context, demo: Demo, watch: Watch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    code, name, stored_geometry, village = _a_demo_grid(demo)
    sign_in(context, demo, "web_admin")
    page = context.new_page()
    page.goto(demo.url + "/app/admin/org")
    assert "导入区域边界" in page.locator("#boundaries h2").inner_text()

    # 1. a ring crossing itself (a bow tie) that no repair keeps whole: refused, naming the feature
    outline = shape(stored_geometry)
    x0, y0, x1, y1 = outline.bounds
    bow_tie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    new_code = village + "901"
    _upload(
        page,
        tmp_path,
        "网格.geojson",
        _collection(_feature(code, name, stored_geometry), _feature(new_code, "测试网格", mapping(bow_tie))),
    )
    alert = page.locator("#boundaries .flash.error")
    text = alert.inner_text()
    assert "文件中有 1 处错误，未导入任何边界" in text
    assert f"第 2 个要素：{new_code}：边界自相交或环结构无效" in text
    assert _latin_words(text) == [], text
    page.locator("#boundaries").screenshot(path=str(artifact("boundary-bow-tie.png")))
    before = _stored(demo, [code, new_code])
    assert new_code not in before and json.loads(before[code]) == stored_geometry  # all or nothing

    # 2. a zipped Shapefile without its .prj, and no coordinate system typed: refused, saying what to fill in
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="gbk") as w:
        w.field("WGBM", "C", size=20)
        w.field("WGMC", "C", size=50)
        w.shape(outline)
        w.record(code, name)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        for ext, part in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            z.writestr(f"grids.{ext}", part.getvalue())
    _upload(page, tmp_path, "grids.zip", packed.getvalue(), code_field="WGBM", name_field="WGMC")
    text = page.locator("#boundaries .flash.error").inner_text()
    assert "缺少坐标系文件" in text and "EPSG:4549" in text
    assert _latin_words(text) == [], text
    # the page keeps what was typed, so only the coordinate system is left to fill in
    assert page.locator('#boundaries input[name="code_field"]').input_value() == "WGBM"
    page.locator("#boundaries").screenshot(path=str(artifact("boundary-no-prj.png")))

    # 3. the topology report of a valid file, as XLSX
    valid = _collection(_feature(code, name, stored_geometry))
    path = tmp_path / "网格边界.geojson"  # staff name their files in Chinese (the page walk shares this demo)
    path.write_bytes(valid)
    form = page.locator("#boundaries form")
    form.locator('input[name="code_field"]').fill("code")
    form.locator('input[name="name_field"]').fill("name")
    form.locator('input[type="file"]').set_input_files(str(path))
    form.locator('input[name="report_only"]').check()
    with page.expect_download() as download:
        form.locator('button[type="submit"]').click()
    report = tmp_path / download.value.suggested_filename
    download.value.save_as(report)
    assert report.suffix == ".xlsx"
    book = load_workbook(report, read_only=True)
    cells = [
        str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c
    ]
    assert any(code in c for c in cells)

    # 4. the valid file imported: said in words (the grid's shape is the one stored, so nothing changes)
    form.locator('input[name="report_only"]').uncheck()
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    done = page.locator(".flash").filter(has_text="边界导入完成").inner_text()
    assert "共 1 个要素" in done and "新增区域 0 个" in done and "拓扑警告 0 条" in done
    assert page.locator("#boundaries .flash.error").count() == 0
    page.screenshot(path=str(artifact("boundary-done.png")), full_page=True)
    after = _stored(demo, [code, new_code])
    assert new_code not in after and json.loads(after[code]) == stored_geometry
    # the tabs under the answer lead to the lists (not back to the upload's address)
    page.locator("nav.tabs a").filter(has_text="区域").click()
    page.wait_for_url("**/app/admin/org?tab=areas")
    assert page.locator("table.data tbody tr").count() > 0
    # the two refusals answer 422, which the browser notes; nothing else may go wrong
    assert [e for e in watch.console_errors if "status of 422" not in e] == []
