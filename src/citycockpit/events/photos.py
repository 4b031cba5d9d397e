"""Photos of events (上报、处置、核查 evidence): checking an upload, the files under the data folder, the
rows, the category rule on which steps need a photo, and the verify page's distance and time checks.

An upload is checked whole before anything is stored: its size (`photos_max_bytes`), its real type
(JPEG, PNG, WebP or HEIC by content, not by name), its pixel count (`photos_max_pixels`, with Pillow's
decompression-bomb guard on above it), and that it decodes. Files are content-addressed by the
SHA-256 of the original upload:

    <data_dir>/photos/ab/abcdef….jpg           the original as uploaded (device metadata included)
    <data_dir>/photos/ab/abcdef….display.jpg   EXIF orientation applied, `photos_display_px`, no metadata
    <data_dir>/photos/ab/abcdef….thumb.jpg     the same at `photos_thumb_px`

The derived copies are made once (an identical upload reuses them) and are the only ones served to
people; the original goes only to roles that may read personal data (pii:read). Files are written
before the transaction commits: a transaction that then fails leaves files no row points to, which
are harmless (the same bytes uploaded again reuse them)."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.coords import distance_m
from citycockpit.events.enums import Action
from citycockpit.events.errors import (
    PhotoNotFound,
    PhotoRequired,
    PhotoTooLarge,
    PhotoTooManyPixels,
    PhotoUnsupported,
    TooManyPhotos,
)
from citycockpit.events.models import Event, EventCategory, EventPhoto

STEPS = ("report", "handle", "verify")
STEP_LABELS = {"report": "上报", "handle": "处置", "verify": "核查"}
STEP_ALIASES = {**{s: s for s in STEPS}, "上报": "report", "处置": "handle", "核查": "verify"}
# The workflow actions that carry photos, and the step each one's photos belong to.
ACTION_STEPS = {Action.HANDLE: "handle", Action.VERIFY: "verify", Action.REWORK: "verify"}
# Steps whose photo requirement an action enforces (rework needs no photo: it sends the work back).
REQUIRING_ACTIONS = {Action.HANDLE: "handle", Action.VERIFY: "verify"}
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp"),
           "HEIF": ("image/heic", "heic")}  # fmt: skip
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _DATETIME = 0x9003, 0x9011, 0x0132


@dataclass(frozen=True)
class PhotoLimits:
    """The settings an upload is checked against (Settings.photos_*)."""

    max_bytes: int = 15_000_000
    max_pixels: int = 50_000_000
    max_per_step: int = 6
    display_px: int = 1600
    thumb_px: int = 320

    @classmethod
    def from_settings(cls, settings: Any) -> PhotoLimits:
        return cls(
            max_bytes=settings.photos_max_bytes,
            max_pixels=settings.photos_max_pixels,
            max_per_step=settings.photos_max_per_step,
            display_px=settings.photos_display_px,
            thumb_px=settings.photos_thumb_px,
        )


@dataclass
class PreparedPhoto:
    """An upload that passed every check, with its derived copies made in memory (nothing stored yet)."""

    sha256: str
    mime: str
    ext: str
    original: bytes
    display: bytes
    thumb: bytes
    width: int
    height: int
    name: str | None = None
    taken_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass
class PhotoStore:
    """The photo folder under the data directory (`<data_dir>/photos`)."""

    root: Path

    @classmethod
    def for_settings(cls, settings: Any) -> PhotoStore:
        return cls(Path(settings.data_dir) / "photos")

    def path(self, sha256: str, variant: str, ext: str = "jpg") -> Path:
        suffix = f".{ext}" if variant == "original" else f".{variant}.jpg"
        return self.root / sha256[:2] / f"{sha256}{suffix}"

    def original_path(self, photo: EventPhoto) -> Path:
        return self.path(photo.sha256, "original", FORMAT_EXT.get(photo.mime, "bin"))

    def save(self, photo: PreparedPhoto) -> None:
        """Write the original and its two derived copies, each once (an existing file is kept)."""
        for variant, data, ext in (
            ("original", photo.original, photo.ext),
            ("display", photo.display, "jpg"),
            ("thumb", photo.thumb, "jpg"),
        ):
            target = self.path(photo.sha256, variant, ext)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def files(self) -> list[Path]:
        """Every stored photo file (originals and derived copies), sorted."""
        if not self.root.exists():
            return []
        return sorted(p for p in self.root.glob("*/*") if p.is_file() and not p.name.startswith("."))


FORMAT_EXT = dict(FORMATS.values())


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _rational(value: Any) -> float:
    return float(value[0]) / float(value[1]) if isinstance(value, tuple) else float(value)


def _gps(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    """EXIF GPS (tags 1–4: N/S, latitude as degrees/minutes/seconds, E/W, longitude) as decimal degrees."""
    try:
        lat_dms, lon_dms = gps[2], gps[4]
        lat = sum(_rational(v) / 60**i for i, v in enumerate(lat_dms))
        lon = sum(_rational(v) / 60**i for i, v in enumerate(lon_dms))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if str(gps.get(1, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(3, "E")).upper().startswith("W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


def _taken_at(exif: Any, zone: Any) -> datetime | None:
    """EXIF DateTimeOriginal (camera local time; its offset tag when present, else `zone`) in UTC."""
    sub = exif.get_ifd(_EXIF_IFD)
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not raw:
        return None
    try:
        local = datetime.strptime(str(raw).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = str(sub.get(_OFFSET_TIME_ORIGINAL) or "").strip("\x00 ")
    if offset:
        try:
            return datetime.strptime(f"{local:%Y-%m-%d %H:%M:%S}{offset}", "%Y-%m-%d %H:%M:%S%z").astimezone(
                UTC
            )
        except ValueError:
            pass
    return local.replace(tzinfo=zone).astimezone(UTC)


def _jpeg(image: Any, edge: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge))
    out = io.BytesIO()
    # No exif=, icc_profile= or comment: the derived copy carries pixels only.
    copy.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def prepare_photo(data: bytes, name: str | None, limits: PhotoLimits, *, zone: Any = UTC) -> PreparedPhoto:
    """Check one upload and make its display copy and thumbnail (EXIF orientation applied, metadata
    left out). Refuses, with nothing stored: too many bytes (413), not an image of an accepted type
    (415), too many pixels (413, before decoding; Pillow's decompression-bomb guard beyond)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    label = name or "photo"
    if len(data) > limits.max_bytes:
        raise PhotoTooLarge(
            f"{label} is {len(data) / 1e6:.1f} MB; photos may be at most {limits.max_bytes / 1e6:.1f} MB",
            limit_bytes=limits.max_bytes,
        )
    if not data:
        raise PhotoUnsupported(f"{label} is empty")
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoTooManyPixels(
            f"{label} has too many pixels to be opened safely", limit_pixels=limits.max_pixels
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PhotoUnsupported(f"{label} is not a JPEG, PNG, WebP or HEIC image") from exc
    if image.format not in FORMATS:
        raise PhotoUnsupported(f"{label} is a {image.format} image; send JPEG, PNG, WebP or HEIC")
    width, height = image.size
    if width * height > limits.max_pixels:
        raise PhotoTooManyPixels(
            f"{label} is {width}×{height} pixels; photos may have at most {limits.max_pixels:,} pixels",
            limit_pixels=limits.max_pixels,
        )
    try:
        exif = image.getexif()
        if image.format == "JPEG":  # decode at a reduced DCT scale, still at least the display size
            image.draft("RGB", (limits.display_px, limits.display_px))
        image.load()
        upright = ImageOps.exif_transpose(image)
        rgb = upright.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise PhotoUnsupported(f"{label} is damaged and cannot be read") from exc
    turned = exif.get(0x0112) in (5, 6, 7, 8)  # EXIF orientations that swap width and height
    lat, lon = _gps(dict(exif.get_ifd(_GPS_IFD)))
    mime, ext = FORMATS[image.format]
    return PreparedPhoto(
        sha256=hashlib.sha256(data).hexdigest(),
        mime=mime,
        ext=ext,
        original=data,
        display=_jpeg(rgb, limits.display_px),
        thumb=_jpeg(rgb, limits.thumb_px),
        width=height if turned else width,
        height=width if turned else height,
        name=(name or None) and name[:200],
        taken_at=_taken_at(exif, zone),
        lat=lat,
        lon=lon,
    )


def prepare_photos(
    files: Sequence[tuple[bytes, str | None]], limits: PhotoLimits, *, zone: Any = UTC
) -> list[PreparedPhoto]:
    """Check a step's uploads (empty file fields, as a form sends when none is chosen, are skipped)."""
    files = [(data, name) for data, name in files if data or name]
    if len(files) > limits.max_per_step:
        raise TooManyPhotos(
            f"{len(files)} photos sent; one step takes at most {limits.max_per_step}",
            limit=limits.max_per_step,
        )
    return [prepare_photo(data, name, limits, zone=zone) for data, name in files]


# ---- the category rule -------------------------------------------------------------------------------


def parse_photo_steps(text: str | None) -> list[str]:
    """`report,handle` / `上报、处置` → ['report', 'handle']; raises ValueError naming an unknown step."""
    out: list[str] = []
    for part in (text or "").replace("、", ",").replace("，", ",").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        step = STEP_ALIASES.get(part.lower()) or STEP_ALIASES.get(part)
        if step is None:
            raise ValueError(f"photo step {part!r} is not one of {', '.join(STEPS)} (上报/处置/核查)")
        if step not in out:
            out.append(step)
    return [s for s in STEPS if s in out]


def required_photo_steps(category: EventCategory | None) -> list[str]:
    """The steps at which the category's events need a photo (the one home of this rule)."""
    if category is None or not category.photo_steps:
        return []
    try:
        return parse_photo_steps(category.photo_steps)
    except ValueError:
        return []


def check_photo_requirement(category: EventCategory | None, step: str, count: int) -> None:
    """Refuse a step that needs a photo (EventCategory.photo_steps) when it comes with none."""
    if count == 0 and step in required_photo_steps(category):
        name = category.name if category is not None else ""
        raise PhotoRequired(
            f"Category {name} requires a photo at the {step} step ({STEP_LABELS[step]}); attach one",
            step=step,
        )


# ---- rows --------------------------------------------------------------------------------------------


def attach_photos(
    session: Session,
    event: Event,
    step: str,
    photos: Iterable[PreparedPhoto],
    *,
    store: PhotoStore,
    actor: Any,
    now: datetime,
    transition_id: int | None = None,
    ip: str | None = None,
) -> list[EventPhoto]:
    """Store a step's checked photos: the files (each once), a row per photo, one audit entry."""
    photos = list(photos)
    if not photos:
        return []
    if step not in STEPS:
        raise ValueError(f"unknown photo step {step!r}")
    rows = []
    for p in photos:
        store.save(p)
        row = EventPhoto(
            event_id=event.id,
            step=step,
            transition_id=transition_id,
            sha256=p.sha256,
            mime=p.mime,
            original_bytes=len(p.original),
            width=p.width,
            height=p.height,
            original_name=p.name,
            taken_at=p.taken_at,
            lat=p.lat,
            lon=p.lon,
            uploaded_by_id=getattr(actor, "id", None),
            uploaded_by_name=str(getattr(actor, "display_name", "") or "")[:100],
            uploaded_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    audit.record(
        session,
        actor,
        "event.photos.add",
        "event",
        event.public_id,
        diff={"step": step, "photos": [{"id": r.id, "sha256": r.sha256} for r in rows]},
        ip=ip,
        at=now,
    )
    return rows


def list_photos(session: Session, event: Event) -> list[EventPhoto]:
    return list(
        session.scalars(
            select(EventPhoto)
            .where(EventPhoto.event_id == event.id)
            .order_by(EventPhoto.uploaded_at, EventPhoto.id)
        )
    )


def get_photo(session: Session, event: Event, photo_id: int) -> EventPhoto:
    """A photo of `event` (whose scope the caller already passed); another event's photo does not exist."""
    photo = session.get(EventPhoto, photo_id)
    if photo is None or photo.event_id != event.id:
        raise PhotoNotFound(f"Photo {photo_id} does not exist", photo_id=photo_id)
    return photo


def photo_file(
    session: Session, event: Event, photo_id: int, variant: str, store: PhotoStore, *, original_allowed: bool
) -> tuple[Path, str]:
    """The file and media type of a photo of `event` (whose scope the caller passed): `display` and
    `thumb` for anyone who sees the event, `original` (with its device metadata) only when
    `original_allowed` (pii:read); anything else does not exist."""
    photo = get_photo(session, event, photo_id)
    if variant == "original" and original_allowed:
        path, media = store.original_path(photo), photo.mime
    elif variant in ("display", "thumb"):
        path, media = store.path(photo.sha256, variant), "image/jpeg"
    else:
        raise PhotoNotFound(f"Photo {photo_id} has no {variant} copy for you", photo_id=photo_id)
    if not path.exists():
        raise PhotoNotFound(
            f"The file of photo {photo_id} is missing from the photo folder", photo_id=photo_id
        )
    return path, media


def count_photo_files(session: Session) -> int:
    return int(session.scalar(select(func.count(func.distinct(EventPhoto.sha256)))) or 0)


# ---- the verify page's checks -------------------------------------------------------------------------


@dataclass
class PhotoCheck:
    """Where and when a photo was taken relative to its event, and what looks wrong (flags)."""

    photo: EventPhoto
    distance_m: float | None = None
    minutes_after_report: float | None = None
    minutes_after_dispatch: float | None = None
    flags: list[str] = field(default_factory=list)


def check_photo(event: Event, photo: EventPhoto, *, flag_distance_m: float) -> PhotoCheck:
    """Distance from the event's point (EXIF GPS) and time from its report and dispatch (EXIF time).
    A handling or verification photo taken farther than `flag_distance_m`, or before the event was
    dispatched, is flagged (`far`, `before_dispatch`): a warning for the verifier, never a refusal."""
    check = PhotoCheck(photo)
    if photo.lat is not None and photo.lon is not None and event.lat is not None and event.lon is not None:
        check.distance_m = round(distance_m(event.lat, event.lon, photo.lat, photo.lon))
    if photo.taken_at is not None:
        check.minutes_after_report = round((photo.taken_at - event.reported_at).total_seconds() / 60)
        dispatched = event.first_dispatched_at or event.dispatched_at
        if dispatched is not None:
            check.minutes_after_dispatch = round((photo.taken_at - dispatched).total_seconds() / 60)
    if photo.step != "report":
        if check.distance_m is not None and check.distance_m > flag_distance_m:
            check.flags.append("far")
        if check.minutes_after_dispatch is not None and check.minutes_after_dispatch < 0:
            check.flags.append("before_dispatch")
    return check
