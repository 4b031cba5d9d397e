"""Coordinate systems (坐标系) of points that come in, and their conversion to WGS84: the one home.

Every intake channel accepts the system its latitude and longitude are in and calls `to_wgs84` once;
what is stored, located in a grid, compared for duplicates and drawn is WGS84, beside what was received.

- `wgs84`: GPS and a phone's browser geolocation (W3C Geolocation API), and every map we draw.
- `gcj02` (国测局坐标, "Mars coordinates"): 高德/腾讯 maps, 微信's location; offset by up to several hundred
  metres from WGS84 inside China, none outside.
- `bd09`: 百度 maps, a further offset over GCJ-02.
- `cgcs2000` (geographic, EPSG:4490): its ellipsoid and frame agree with WGS84 to centimetres, below
  what a phone measures, so it is taken as it is (identity), as China's surveying standards allow for
  this scale (GB/T 2260 areas, grid maps). Projected CGCS2000 zone coordinates are boundary files'
  business (the boundary import), never an event's point.

The GCJ-02 and BD-09 offsets are a published obfuscation without an exact inverse; the conversion is
the maintained `geocoordinates-rs` library (its refined inverses, within a metre). pyproj does not do
GCJ-02."""

from __future__ import annotations

import math
from enum import StrEnum

import geocoordinates_ffi as gc


class CoordSystem(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"
    CGCS2000 = "cgcs2000"


DEFAULT = CoordSystem.WGS84
IDENTITY = frozenset({CoordSystem.WGS84, CoordSystem.CGCS2000})
# The spellings people write in a file's 坐标系 column, beside the codes themselves.
ALIASES: dict[str, CoordSystem] = {
    "wgs-84": CoordSystem.WGS84,
    "gps": CoordSystem.WGS84,
    "卫星定位": CoordSystem.WGS84,
    "卫星定位坐标": CoordSystem.WGS84,
    "gcj-02": CoordSystem.GCJ02,
    "火星坐标": CoordSystem.GCJ02,
    "国测局坐标": CoordSystem.GCJ02,
    "高德": CoordSystem.GCJ02,
    "腾讯": CoordSystem.GCJ02,
    "bd-09": CoordSystem.BD09,
    "bd09ll": CoordSystem.BD09,
    "百度": CoordSystem.BD09,
    "百度坐标": CoordSystem.BD09,
    "cgcs-2000": CoordSystem.CGCS2000,
    "国家2000": CoordSystem.CGCS2000,
    "国家2000坐标": CoordSystem.CGCS2000,
}


class UnknownCoordSystem(ValueError):
    """A coordinate system we do not know; its message names the ones we do."""


def parse_system(value: str | CoordSystem | None) -> CoordSystem:
    """The system a caller named (empty: WGS84), case and dashes forgiven; raises UnknownCoordSystem."""
    if isinstance(value, CoordSystem):
        return value
    text = (value or "").strip().lower()
    if not text:
        return DEFAULT
    try:
        return CoordSystem(text)
    except ValueError:
        pass
    found = ALIASES.get(text)
    if found is None:
        raise UnknownCoordSystem(
            f"coord_system {value!r} is not one of {', '.join(s.value for s in CoordSystem)}"
        )
    return found


def to_wgs84(lat: float, lon: float, system: str | CoordSystem | None) -> tuple[float, float]:
    """(lat, lon) in WGS84 for a point given in `system` (outside China GCJ-02 and BD-09 are WGS84)."""
    kind = parse_system(system)
    if kind in IDENTITY:
        return lat, lon
    if kind is CoordSystem.GCJ02:
        out = gc.gcj02_to_wgs84_refined(gc.Gcj02(lat=lat, lon=lon))
    else:
        out = gc.bd09_to_wgs84_refined(gc.Bd09(lat=lat, lon=lon))
    return out.lat, out.lon


def from_wgs84(lat: float, lon: float, system: str | CoordSystem | None) -> tuple[float, float]:
    """(lat, lon) in `system` for a WGS84 point: what a map on that system's base layer draws."""
    kind = parse_system(system)
    if kind in IDENTITY:
        return lat, lon
    if kind is CoordSystem.GCJ02:
        gcj = gc.wgs84_to_gcj02(gc.Wgs84(lat=lat, lon=lon))
        return gcj.lat, gcj.lon
    bd = gc.wgs84_to_bd09(gc.Wgs84(lat=lat, lon=lon))
    return bd.lat, bd.lon


EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius) in metres between two WGS84 points: the one
    home of "how far apart" (duplicates' radius, the verify page's photo distances)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
