"""Photo files made by Pillow for the tests: a camera JPEG with EXIF (maker, owner, time, GPS,
orientation), a PNG, a text file named .jpg and a decompression bomb (a PNG header claiming a
gigapixel image, a few dozen bytes)."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

from PIL import Image

MAKE, MODEL, ARTIST = 0x010F, 0x0110, 0x013B
ORIENTATION, EXIF_IFD, GPS_IFD, DATETIME_ORIGINAL = 0x0112, 0x8769, 0x8825, 0x9003


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def camera_jpeg(
    width: int = 400,
    height: int = 300,
    *,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken: datetime | None = None,
    color: tuple[int, int, int] = (40, 120, 200),
) -> bytes:
    """A JPEG as a phone writes it: a red block in the top-left corner of the stored pixels (to see the
    orientation), the maker and model, the owner's name, and optionally time, GPS and orientation."""
    image = Image.new("RGB", (width, height), color)
    image.paste((220, 30, 30), (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[MAKE] = "TestPhone"
    exif[MODEL] = "TP-15 Pro"
    exif[ARTIST] = "Zhang Wei 13812345678"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if gps is not None:
        ifd = exif.get_ifd(GPS_IFD)
        ifd[1], ifd[2] = ("N" if gps[0] >= 0 else "S"), _dms(gps[0])
        ifd[3], ifd[4] = ("E" if gps[1] >= 0 else "W"), _dms(gps[1])
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 160, 90)).save(out, "PNG")
    return out.getvalue()


def text_named_jpg() -> bytes:
    return "这不是照片，只是一段文字。\n".encode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def decompression_bomb(side: int = 40_000) -> bytes:
    """A PNG whose header claims side×side pixels (1.6 gigapixels by default) with one tiny data chunk:
    a few dozen bytes that would need gigabytes to decode."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def heic(width: int = 64, height: int = 48, *, orientation: int | None = None) -> bytes:
    """An HEIC photo as an iPhone sends it (pillow-heif's encoder), optionally with an orientation."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 90, 20)).save(out, "HEIF", exif=exif.tobytes())
    return out.getvalue()


def webp(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 20, 200)).save(out, "WEBP")
    return out.getvalue()
