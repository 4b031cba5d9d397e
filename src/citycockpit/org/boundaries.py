"""Area boundaries from the city's GIS office: a GeoJSON FeatureCollection or a zipped ESRI Shapefile,
in whatever coordinate system the file declares (or the importer names), stored as WGS84 lon/lat.

Two steps, so every edge can show the topology report before anything is written:
`check_boundaries` reads, validates, repairs where safe and measures the topology (raises ImportFailed
naming each bad feature); `store_boundaries` writes all of it, or refuses when the report has warnings
that were not accepted. Nothing is stored unless every feature is good."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import shapefile  # pyshp
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.errors import Unprocessable
from citycockpit.core.tabular import ImportFailed, RowError
from citycockpit.org import geometry
from citycockpit.org.enums import AREA_CODE_LENGTH, PARENT_LEVEL, AreaLevel
from citycockpit.org.models import Area

TOLERANCE_M2 = 1.0  # overlaps, gaps and overhangs smaller than this are rounding, not findings
MIN_WIDTH_M = 0.1  # nor are slivers thinner than this on average (a border drawn twice, a hair apart)
REPAIR_AREA_CHANGE = 0.01  # make_valid may change a feature's area by at most 1% to count as safe
CITY_REACH_M = 60_000.0  # a feature farther than this from the city's outline/centre is misplaced
DBF_ENCODINGS = ("utf-8", "gb18030")
SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
MAX_UNPACKED_BYTES = 4 * tabular.MAX_IMPORT_BYTES


class TopologyNotAccepted(Unprocessable):
    code = "boundary_topology_warnings"
    title = "Topology warnings not accepted"


@dataclass(frozen=True)
class Finding:
    """One topology warning: `kind` is overlap, gap or outside; `area_m2` how big it is."""

    kind: str
    code: str
    other: str
    area_m2: float
    lon: float
    lat: float


@dataclass
class Feature:
    number: int
    code: str
    name: str
    level: AreaLevel
    geometry: BaseGeometry  # WGS84 lon/lat, valid
    repaired: bool = False


@dataclass
class BoundaryCheck:
    filename: str
    crs: str
    features: list[Feature]
    findings: list[Finding] = field(default_factory=list)
    new_codes: list[str] = field(default_factory=list)

    def report_xlsx(self) -> bytes:
        """The topology report as the GIS office reads it: one sheet of findings, one of features."""
        names = {f.code: f.name for f in self.features}
        kinds = {"overlap": "重叠 overlap", "gap": "缝隙 gap", "outside": "超出上级 outside parent"}
        findings = [
            [
                kinds[f.kind],
                f.code,
                names.get(f.code, ""),
                f.other,
                names.get(f.other, ""),
                round(f.area_m2, 1),
                round(f.lon, 6),
                round(f.lat, 6),
            ]
            for f in self.findings
        ]
        features = [
            [
                f.code,
                f.name,
                f.level.value,
                "是" if f.repaired else "",
                "是" if f.code in self.new_codes else "",
            ]
            for f in self.features
        ]
        return tabular.write_xlsx(
            {
                "拓扑检查": (
                    ["问题", "编码", "名称", "相关编码", "相关名称", "面积（平方米）", "经度", "纬度"],
                    findings,
                ),
                "要素": (["编码", "名称", "层级", "已修复", "新建"], features),
            }
        )


@dataclass
class BoundaryResult:
    created: int
    updated: int
    warnings: int


@dataclass
class _Raw:
    number: int
    properties: dict[str, Any]
    geometry: dict[str, Any] | None


def _place(why: str) -> str:
    """Where GEOS says a geometry is invalid (`Self-intersection[x y]`), as "x, y" rounded to what the
    file's coordinates can mean: 6 decimals of a degree (≈10 cm), or 0.1 of a metre in zone metres."""
    inside = why[why.find("[") + 1 : why.rfind("]")] if "[" in why else ""
    try:
        x, y = (float(v) for v in inside.split()[:2])
    except ValueError:
        return inside
    digits = 6 if abs(x) <= 360 and abs(y) <= 360 else 1
    return f"{x:.{digits}f}, {y:.{digits}f}"


def _err(filename: str, number: int | None, reason: str, code: str, **params: Any) -> RowError:
    return RowError(filename, number, reason, code=f"boundary_{code}", params=params)


# --- reading -----------------------------------------------------------------------------------------


def _read_geojson(data: bytes, filename: str) -> tuple[list[_Raw], CRS | None]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFailed([_err(filename, None, f"not GeoJSON text: {exc}", "not_geojson")]) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportFailed(
            [_err(filename, None, "the file must be a GeoJSON FeatureCollection", "not_geojson")]
        )
    declared = None
    crs_member = doc.get("crs")
    if isinstance(crs_member, dict):
        name = (crs_member.get("properties") or {}).get("name")
        try:
            declared = CRS.from_user_input(name)
        except (CRSError, TypeError):
            raise ImportFailed(
                [
                    _err(
                        filename,
                        None,
                        f"unknown coordinate system {name!r} in the crs member",
                        "bad_crs",
                        value=name,
                    )
                ]
            ) from None
    raws = []
    for i, feat in enumerate(doc.get("features") or [], start=1):
        if not isinstance(feat, dict):
            raise ImportFailed([_err(filename, i, "feature is not a GeoJSON object", "not_geojson")])
        raws.append(_Raw(i, dict(feat.get("properties") or {}), feat.get("geometry")))
    return raws, declared


def _read_shapefile_zip(data: bytes, filename: str, encoding: str | None) -> tuple[list[_Raw], CRS | None]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFailed([_err(filename, None, "not a ZIP archive", "bad_zip")]) from None
    members = {PurePosixPath(n).name.lower(): n for n in archive.namelist() if not n.endswith("/")}
    shps = [n for n in members if n.endswith(".shp")]
    if len(shps) != 1:
        raise ImportFailed(
            [_err(filename, None, "the ZIP must hold exactly one .shp with its .shx and .dbf", "shp_parts")]
        )
    stem = shps[0][:-4]
    missing = [ext for ext in (".shx", ".dbf") if stem + ext not in members]
    if missing:
        raise ImportFailed([_err(filename, None, f"the Shapefile lacks {', '.join(missing)}", "shp_parts")])

    unpacked = sum(
        archive.getinfo(members[stem + ext]).file_size for ext in SHP_PARTS if stem + ext in members
    )
    if unpacked > MAX_UNPACKED_BYTES:  # a ZIP bomb, or a far bigger city than any
        raise ImportFailed(
            [_err(filename, None, "the Shapefile unpacks larger than the import limit", "too_large")]
        )

    def part(ext: str) -> bytes | None:
        name = members.get(stem + ext)
        return archive.read(name) if name else None

    declared = None
    prj = part(".prj")
    if prj:
        try:
            declared = CRS.from_wkt(prj.decode("latin-1"))
        except CRSError:
            raise ImportFailed(
                [_err(filename, None, "the .prj is not a coordinate system WKT", "bad_crs", value=".prj")]
            ) from None
    cpg = (part(".cpg") or b"").decode("ascii", "ignore").strip().lower()
    cpg_encodings = {
        "936": "gb18030",
        "gbk": "gb18030",
        "gb2312": "gb18030",
        "utf-8": "utf-8",
        "utf8": "utf-8",
    }
    tries = (
        [encoding] if encoding else ([cpg_encodings[cpg]] if cpg in cpg_encodings else list(DBF_ENCODINGS))
    )
    shp, shx, dbf = part(".shp"), part(".shx"), part(".dbf")
    for enc in tries:
        try:
            reader = shapefile.Reader(
                shp=io.BytesIO(shp or b""),
                shx=io.BytesIO(shx or b""),
                dbf=io.BytesIO(dbf or b""),
                encoding=enc,
                encodingErrors="strict",
            )
            raws = []
            for i, sr in enumerate(reader.iterShapeRecords(), start=1):
                geo = sr.shape.__geo_interface__ if sr.shape.shapeType != shapefile.NULL else None
                raws.append(_Raw(i, sr.record.as_dict(), geo))
            return raws, declared
        except UnicodeDecodeError:
            continue
        except shapefile.ShapefileException as exc:
            if "decode" in str(exc):  # pyshp wraps the UnicodeDecodeError of a text field
                continue
            raise ImportFailed([_err(filename, None, f"unreadable Shapefile: {exc}", "bad_zip")]) from None
        except (struct.error, ValueError, IndexError, EOFError, OSError) as exc:  # a corrupt part
            raise ImportFailed([_err(filename, None, f"unreadable Shapefile: {exc}", "bad_zip")]) from None
    raise ImportFailed(
        [_err(filename, None, f"the attribute table is not in {' or '.join(tries)}", "bad_encoding")]
    )


# --- checking ----------------------------------------------------------------------------------------


def _code_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()


def _expected_area(geom: BaseGeometry) -> float:
    """The area the rings enclose as drawn (a bow-tie ring encloses two lobes of opposite sign)."""
    total = 0.0
    for poly in getattr(geom, "geoms", [geom]):
        if not isinstance(poly, Polygon):
            continue
        total += abs(_signed(poly.exterior.coords)) - sum(abs(_signed(r.coords)) for r in poly.interiors)
    return total


def _signed(coords: Any) -> float:
    xy = np.asarray(coords)
    if len(xy) < 3:
        return 0.0
    x, y = xy[:, 0], xy[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2


def _repair(geom: BaseGeometry) -> tuple[BaseGeometry | None, str]:
    """(valid geometry, "") or (None, why it is refused)."""
    why = explain_validity(geom)
    fixed = geometry.polygonal(shapely.make_valid(geom))
    if fixed is None:
        return None, why
    expected = _expected_area(geom)
    if expected <= 0 or abs(fixed.area - expected) > REPAIR_AREA_CHANGE * expected:
        return None, why
    return fixed, ""


def check_boundaries(
    session: Session,
    data: bytes,
    filename: str,
    *,
    code_field: str = "code",
    name_field: str = "name",
    level: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
) -> BoundaryCheck:
    """Read and check a boundary file; raise ImportFailed naming every bad feature (nothing stored).

    The level is given, or follows from each code's length (6/9/12/15 digits). The file's coordinate
    system is its `.prj` or GeoJSON `crs` member; `crs` names it when the file does not (a GeoJSON
    without one is WGS84, RFC 7946), and must agree when both do."""
    if len(data) > tabular.MAX_IMPORT_BYTES:
        raise ImportFailed([_err(filename, None, "the file is larger than the import limit", "too_large")])
    is_zip = data[:4] == b"PK\x03\x04"
    raws, declared = (
        _read_shapefile_zip(data, filename, encoding) if is_zip else _read_geojson(data, filename)
    )
    given = None
    if crs:
        try:
            given = CRS.from_user_input(crs)
        except CRSError:
            raise ImportFailed(
                [_err(filename, None, f"unknown coordinate system {crs!r}", "bad_crs", value=crs)]
            ) from None
    if declared is not None and given is not None and not declared.equals(given, ignore_axis_order=True):
        raise ImportFailed(
            [
                _err(
                    filename,
                    None,
                    f"the file declares {declared.name}, but {crs} was given",
                    "crs_conflict",
                    declared=declared.name,
                    given=crs,
                )
            ]
        )
    source = declared or given
    if source is None:
        if is_zip:
            raise ImportFailed(
                [
                    _err(
                        filename,
                        None,
                        "the Shapefile has no .prj: name its coordinate system (e.g. --crs EPSG:4549)",
                        "no_crs",
                    )
                ]
            )
        source = geometry.WGS84
    if not raws:
        raise ImportFailed([_err(filename, None, "the file holds no features", "empty")])
    for name in (code_field, name_field):
        if not any(name in r.properties for r in raws):
            fields = sorted({k for r in raws for k in r.properties})
            raise ImportFailed(
                [
                    _err(
                        filename,
                        None,
                        f"no field {name!r}; the file's fields are {', '.join(fields)}",
                        "no_field",
                        field=name,
                        fields=", ".join(fields),
                    )
                ]
            )
    wanted = None
    if level:
        try:
            wanted = AreaLevel(level)
        except ValueError:
            raise ImportFailed(
                [
                    _err(
                        filename,
                        None,
                        f"level {level!r} is not one of town/village/grid",
                        "bad_level",
                        value=level,
                    )
                ]
            ) from None

    errors: list[RowError] = []
    features: list[Feature] = []
    seen: dict[str, int] = {}
    by_length = {v: k for k, v in AREA_CODE_LENGTH.items()}
    geoms: list[BaseGeometry] = []
    for raw in raws:
        code = _code_text(raw.properties.get(code_field))
        name = _code_text(raw.properties.get(name_field))
        if not code.isdigit() or len(code) not in by_length:
            errors.append(
                _err(
                    filename,
                    raw.number,
                    f"code {code!r} must be 6, 9, 12 or 15 digits",
                    "bad_code",
                    value=code,
                )
            )
            continue
        lvl = wanted or by_length[len(code)]
        if AREA_CODE_LENGTH[lvl] != len(code):
            errors.append(
                _err(
                    filename,
                    raw.number,
                    f"{code}: a {lvl.value} code has {AREA_CODE_LENGTH[lvl]} digits",
                    "code_level",
                    value=code,
                    level=lvl.value,
                )
            )
            continue
        if code in seen:
            errors.append(
                _err(
                    filename,
                    raw.number,
                    f"{code} repeats feature {seen[code]}",
                    "repeat",
                    value=code,
                    first=seen[code],
                )
            )
            continue
        seen[code] = raw.number
        if not name:
            errors.append(_err(filename, raw.number, f"{code}: the name is empty", "no_name", value=code))
            continue
        geo = raw.geometry
        if not isinstance(geo, dict) or geo.get("type") not in ("Polygon", "MultiPolygon"):
            errors.append(
                _err(
                    filename,
                    raw.number,
                    f"{code}: the geometry is not a Polygon or MultiPolygon",
                    "not_polygon",
                    value=code,
                )
            )
            continue
        try:
            geom = geometry.geometry_of(geo)
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            IndexError,
            shapely.errors.GEOSException,
        ) as exc:
            errors.append(
                _err(filename, raw.number, f"{code}: unreadable geometry ({exc})", "not_polygon", value=code)
            )
            continue
        if geom is None or geom.is_empty:
            errors.append(
                _err(filename, raw.number, f"{code}: the geometry is empty", "not_polygon", value=code)
            )
            continue
        repaired = False
        if not geom.is_valid:
            fixed, why = _repair(geom)
            if fixed is None:
                errors.append(
                    _err(
                        filename,
                        raw.number,
                        f"{code}: invalid geometry that cannot be repaired safely ({why})",
                        "invalid_geometry",
                        value=code,
                        why=why,
                        at=_place(why),
                    )
                )
                continue
            geom, repaired = fixed, True
        features.append(Feature(raw.number, code, name, lvl, geom, repaired))
        geoms.append(geom)
    if errors:
        raise ImportFailed(errors, what=filename)

    arr = np.array(geoms, dtype=object)
    if not source.equals(geometry.WGS84, ignore_axis_order=True):
        arr = geometry.reproject(arr, geometry.transformer(source, geometry.WGS84))
    bounds = shapely.bounds(arr)
    bad = (
        ~np.isfinite(bounds).all(axis=1)
        | (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
        | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    )
    for i in np.flatnonzero(bad):
        f = features[i]
        errors.append(
            _err(
                filename,
                f.number,
                f"{f.code}: the coordinates do not fit {source.name}",
                "off_crs",
                value=f.code,
                crs=source.name,
            )
        )
    if errors:
        raise ImportFailed(errors, what=filename)
    for f, g in zip(features, arr, strict=True):
        f.geometry = g

    check = BoundaryCheck(filename, source.to_string(), features)
    _check_place(session, check, errors)
    _check_parents(session, check, errors)
    if errors:
        raise ImportFailed(errors, what=filename)
    check.findings = _topology(session, check)
    return check


def _check_place(session: Session, check: BoundaryCheck, errors: list[RowError]) -> None:
    """Every feature must lie near the city (its stored outline, else its centre): a wrong coordinate
    system moves a whole file by hundreds of kilometres, into another province."""
    codes = [f.code for f in check.features]
    prefix = min(codes, key=len)[:6]
    city = session.scalars(select(Area).where(Area.level == "city", Area.code == prefix)).first()
    city = city or session.scalars(select(Area).where(Area.level == "city").order_by(Area.code)).first()
    if city is None:
        return
    outline = geometry.geometry_of(city.geometry_geojson)
    if outline is None and (city.centroid_lat is None or city.centroid_lon is None):
        return
    ref = outline if outline is not None else shapely.Point(city.centroid_lon, city.centroid_lat)
    centre = ref.centroid
    tf = geometry.transformer(geometry.WGS84, geometry.metric_crs(centre.x, centre.y))
    ref_m = geometry.reproject(ref, tf)
    points = shapely.points([(p.x, p.y) for p in (f.geometry.representative_point() for f in check.features)])
    dist = shapely.distance(geometry.reproject(points, tf), ref_m)
    for f, d, p in zip(check.features, dist, points, strict=True):
        if d > CITY_REACH_M:
            errors.append(
                _err(
                    check.filename,
                    f.number,
                    f"{f.code} lies at {p.x:.4f}, {p.y:.4f}, {d / 1000:.0f} km from {city.name}: "
                    f"is the coordinate system ({check.crs}) right?",
                    "far_away",
                    value=f.code,
                    km=round(d / 1000),
                    city=city.name,
                    crs=check.crs,
                )
            )


def _check_parents(session: Session, check: BoundaryCheck, errors: list[RowError]) -> None:
    stored = dict(session.execute(select(Area.code, Area.level)).all())
    in_file = {f.code for f in check.features}
    for f in check.features:
        if f.code in stored and stored[f.code] != f.level.value:
            errors.append(
                _err(
                    check.filename,
                    f.number,
                    f"{f.code} is stored as a {stored[f.code]}, not a {f.level.value}",
                    "level_changed",
                    value=f.code,
                    stored=stored[f.code],
                    level=f.level.value,
                )
            )
        if f.level is AreaLevel.CITY:
            continue
        parent = f.code[: AREA_CODE_LENGTH[PARENT_LEVEL[f.level]]]
        if parent not in stored and parent not in in_file:
            errors.append(
                _err(
                    check.filename,
                    f.number,
                    f"{f.code}: its parent {parent} is neither stored nor in the file",
                    "unknown_parent",
                    value=f.code,
                    parent=parent,
                )
            )
        if f.code not in stored:
            check.new_codes.append(f.code)


def _topology(session: Session, check: BoundaryCheck) -> list[Finding]:
    """Overlaps between areas of one level, gaps a parent's children leave inside it, and children
    sticking out of their parent, in m² (measured in the UTM zone of the file's centre)."""
    shapes: dict[str, tuple[str, BaseGeometry]] = {}
    levels = {f.level.value for f in check.features}
    parents = {
        f.code[: AREA_CODE_LENGTH[PARENT_LEVEL[f.level]]]
        for f in check.features
        if f.level is not AreaLevel.CITY
    }
    for code, lvl, geo in session.execute(
        select(Area.code, Area.level, Area.geometry_geojson).where(Area.geometry_geojson.is_not(None))
    ):
        if lvl in levels or code in parents:
            g = geometry.geometry_of(geo)
            if g is not None and g.is_valid:
                shapes[code] = (lvl, g)
    for f in check.features:
        shapes[f.code] = (f.level.value, f.geometry)
    codes = sorted(shapes)
    arr = np.array([shapes[c][1] for c in codes], dtype=object)
    centre = shapely.union_all(shapely.envelope(arr)).centroid
    to_metric = geometry.transformer(geometry.WGS84, geometry.metric_crs(centre.x, centre.y))
    index = {c: i for i, c in enumerate(codes)}
    findings: list[Finding] = []

    def square_metres(pieces: Any) -> Any:
        """Each piece's area in m², or 0 for a sliver thinner than MIN_WIDTH_M.

        The pieces are cut in lon/lat, where shared borders coincide exactly; projecting a piece would
        bend its edges and give a sliver with no area in lon/lat tens of m². So each piece's lon/lat
        area is scaled by its place's m² per square degree, measured in the projected CRS on the
        piece's bounding box. A piece's mean width (2 × area / perimeter) tells a sliver (a border
        drawn twice, a millimetre apart, or bent by a reprojection) from a real finding."""
        if len(pieces) == 0:
            return np.zeros(0)
        boxes = shapely.envelope(pieces)
        box_deg = shapely.area(boxes)
        box_m = shapely.area(geometry.reproject(boxes, to_metric))
        factor = np.where(box_deg > 0, box_m / np.where(box_deg > 0, box_deg, 1.0), 0.0)
        area = shapely.area(pieces) * factor
        perimeter = shapely.length(pieces) * np.sqrt(factor)
        width = np.where(perimeter > 0, 2 * area / np.where(perimeter > 0, perimeter, 1.0), 0.0)
        return np.where(width >= MIN_WIDTH_M, area, 0.0)

    def add(kind: str, code: str, other: str, piece: BaseGeometry, area: float) -> None:
        p = piece.representative_point()
        findings.append(Finding(kind, code, other, float(area), p.x, p.y))

    file_codes = {f.code for f in check.features}
    for lvl in sorted(levels):
        idx = np.array([index[c] for c in codes if shapes[c][0] == lvl])
        tree = shapely.STRtree(arr[idx])
        left, right = tree.query(arr[idx], predicate="intersects")
        keep = left < right
        left, right = idx[left[keep]], idx[right[keep]]
        if len(left):
            parts = shapely.intersection(arr[left], arr[right])
            for a, b, part, area in zip(left, right, parts, square_metres(parts), strict=True):
                if area > TOLERANCE_M2 and (codes[a] in file_codes or codes[b] in file_codes):
                    add("overlap", codes[a], codes[b], part, area)
    children: dict[str, list[int]] = {}
    for c in codes:
        lvl = AreaLevel(shapes[c][0])
        if lvl is AreaLevel.CITY:
            continue
        children.setdefault(c[: AREA_CODE_LENGTH[PARENT_LEVEL[lvl]]], []).append(index[c])
    for parent, kids in sorted(children.items()):
        if parent not in index or not (file_codes & ({parent} | {codes[k] for k in kids})):
            continue
        p = arr[index[parent]]
        out = shapely.difference(arr[kids], p)
        for k, piece, area in zip(kids, out, square_metres(out), strict=True):
            if area > TOLERANCE_M2:
                add("outside", codes[k], parent, piece, area)
        gap = p.difference(shapely.union_all(arr[kids]))
        pieces = np.array([g for g in getattr(gap, "geoms", [gap]) if not g.is_empty], dtype=object)
        for piece, area in zip(pieces, square_metres(pieces), strict=True):
            if area > TOLERANCE_M2:
                add("gap", parent, "", piece, area)
    return findings


# --- storing -----------------------------------------------------------------------------------------


def store_boundaries(
    session: Session,
    check: BoundaryCheck,
    *,
    accept_warnings: bool,
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> BoundaryResult:
    """Write every checked feature's boundary (creating areas that do not exist yet, under parents
    stored or in the file), all or nothing; refused while the topology report has warnings that were
    not accepted. Audited as `org.import_boundaries`."""
    if check.findings and not accept_warnings:
        counts = {k: sum(1 for f in check.findings if f.kind == k) for k in ("overlap", "gap", "outside")}
        raise TopologyNotAccepted(
            f"the topology report of {check.filename} has {len(check.findings)} warning(s) "
            f"({counts['overlap']} overlaps, {counts['gap']} gaps, {counts['outside']} outside their parent); "
            "nothing was imported: fix the file or accept the warnings",
            warnings=len(check.findings),
            counts=counts,
        )
    texts = shapely.to_geojson(np.array([f.geometry for f in check.features], dtype=object))
    by_code = {
        a.code: a
        for a in session.scalars(select(Area).where(Area.code.in_([f.code for f in check.features])))
    }
    parent_ids = dict(session.execute(select(Area.code, Area.id)).all())
    created = updated = 0
    for f, text in sorted(zip(check.features, texts, strict=True), key=lambda ft: ft[0].code):
        area = by_code.get(f.code)
        point = f.geometry.representative_point()
        if area is None:
            parent = None if f.level is AreaLevel.CITY else f.code[: AREA_CODE_LENGTH[PARENT_LEVEL[f.level]]]
            area = Area(
                code=f.code,
                name=f.name,
                level=f.level.value,
                parent_id=parent_ids.get(parent) if parent else None,
                centroid_lat=round(point.y, 6),
                centroid_lon=round(point.x, 6),
                geometry_geojson=str(text),
                updated_at=now,
            )
            session.add(area)
            session.flush()
            parent_ids[f.code] = area.id
            created += 1
            continue
        if area.geometry_geojson != text or area.name != f.name:
            area.geometry_geojson, area.name, area.updated_at = str(text), f.name, now
            # a stored centre outside the new boundary would place the area's marker (and a
            # grid-less lookup) in a neighbour: it moves inside
            if (
                area.centroid_lat is None
                or area.centroid_lon is None
                or not f.geometry.covers(shapely.Point(area.centroid_lon, area.centroid_lat))
            ):
                area.centroid_lat, area.centroid_lon = round(point.y, 6), round(point.x, 6)
            updated += 1
    session.flush()
    audit.record(
        session,
        actor,
        "org.import_boundaries",
        "org",
        check.filename,
        ip=ip,
        at=now,
        diff={
            "file": check.filename,
            "crs": check.crs,
            "created": created,
            "updated": updated,
            "warnings": len(check.findings),
            "accepted_warnings": bool(check.findings),
        },
    )
    return BoundaryResult(created, updated, len(check.findings))
