"""Kiosk links (signed with the app's secret key, revocable) and the demo's generated area shapes."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.principal import Principal
from citycockpit.core.actors import Actor
from citycockpit.core.errors import NotFound, Unprocessable
from citycockpit.org.models import Area
from citycockpit.screen import geo
from citycockpit.screen.models import KioskLink

KIOSK_COOKIE = "cc_kiosk"
KIOSK_PATH = "/screen/kiosk/"
TOUCH_EVERY = timedelta(minutes=5)


class KioskLinkNotFound(NotFound):
    code = "kiosk_link_not_found"


class InvalidKioskLink(Unprocessable):
    code = "invalid_kiosk_link"


def _signature(secret_key: str, link_id: int) -> str:
    mac = hmac.new(secret_key.encode("utf-8"), f"citycockpit-kiosk:{link_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def kiosk_token(secret_key: str, link: KioskLink) -> str:
    return f"{link.id}.{_signature(secret_key, link.id)}"


@dataclass(frozen=True)
class CreatedKioskLink:
    link: KioskLink
    token: str

    @property
    def path(self) -> str:
        return f"{KIOSK_PATH}{self.token}"


def create_kiosk_link(
    session: Session,
    *,
    name: str,
    secret_key: str,
    actor: Actor,
    now: datetime,
    area_code: str | None = None,
) -> CreatedKioskLink:
    """Create a link for a wall display; whoever opens it may read the big screen (of `area_code`'s
    subtree, or the whole city) and nothing else, until it is revoked."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidKioskLink("A kiosk link needs a name of 1 to 100 characters")
    area_code = (area_code or "").strip() or None
    if area_code and session.scalars(select(Area.id).where(Area.code == area_code)).first() is None:
        raise InvalidKioskLink(f"Area {area_code} does not exist", area_code=area_code)
    link = KioskLink(name=name, area_code=area_code, created_at=now, created_by=actor.display_name)
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor,
        "kiosk_link.create",
        "kiosk_link",
        link.id,
        at=now,
        diff={"name": name, "area_code": area_code},
    )
    return CreatedKioskLink(link, kiosk_token(secret_key, link))


def revoke_kiosk_link(session: Session, link_id: int, *, actor: Actor, now: datetime) -> KioskLink:
    """Revoke a link: the wall display's next request is refused."""
    link = session.get(KioskLink, link_id)
    if link is None:
        raise KioskLinkNotFound(f"Kiosk link {link_id} does not exist", link_id=link_id)
    if not link.is_revoked:
        link.is_revoked, link.revoked_at = True, now
        audit.record(session, actor, "kiosk_link.revoke", "kiosk_link", link.id, at=now)
        session.flush()
    return link


def list_kiosk_links(session: Session) -> list[KioskLink]:
    return list(session.scalars(select(KioskLink).order_by(KioskLink.id.desc())).all())


def resolve_kiosk_token(session: Session, token: str, *, secret_key: str, now: datetime) -> KioskLink | None:
    """The live link a token names, or None (malformed, bad signature, unknown or revoked)."""
    link_id, _, signature = token.partition(".")
    if not link_id.isdigit() or not signature:
        return None
    if not hmac.compare_digest(signature, _signature(secret_key, int(link_id))):
        return None
    link = session.get(KioskLink, int(link_id))
    if link is None or link.is_revoked:
        return None
    return link


def note_kiosk_use(session: Session, link: KioskLink, *, now: datetime) -> None:
    """Record when a wall last used its link (at most once per TOUCH_EVERY), for the links page.

    The documented exception to "a GET never writes" (docs/development.md): the request's reading
    session stays read-only; the one conditional UPDATE runs in a short write transaction of its own,
    which never fails the request: when the database is busy (SQLite's write lock held past the busy
    timeout) the touch is skipped and a later request records it. A session bound to one connection (a
    test's) gets the UPDATE in its own transaction instead."""
    if link.last_used_at is not None and now - link.last_used_at < TOUCH_EVERY:
        return
    touch = (
        update(KioskLink)
        .where(
            KioskLink.id == link.id,
            or_(KioskLink.last_used_at.is_(None), KioskLink.last_used_at <= now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    bind = session.get_bind()
    if isinstance(bind, Connection):
        session.execute(touch)
        return
    try:
        with bind.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
            conn.execute(touch)
    except OperationalError:
        return


def kiosk_principal(link: KioskLink) -> Principal:
    """A kiosk reads the screen and nothing else, within its area."""
    return Principal(
        id=None,
        name=f"kiosk-{link.id}",
        role=Role.API_CLIENT,
        perms=frozenset({Perm.SCREEN_READ}),
        kind="kiosk",
        area_code=link.area_code,
    )


def principal_from_kiosk_cookie(request, session: Session) -> Principal | None:  # type: ignore[no-untyped-def]
    """Recognise a wall display by its kiosk cookie (a PRINCIPAL_RESOLVERS entry)."""
    token = request.cookies.get(KIOSK_COOKIE)
    if not token:
        return None
    link = resolve_kiosk_token(
        session, token, secret_key=request.app.state.secret_key, now=request.app.state.clock.now()
    )
    if link is None:
        return None
    note_kiosk_use(session, link, now=request.app.state.clock.now())  # on the screen's GETs too
    return kiosk_principal(link)


def generate_area_shapes(session: Session, *, actor: Actor, now: datetime, root_code: str) -> int:
    """Give towns (and their villages) generated polygons where none were imported: a Voronoi partition
    of an outline around the city's town centroids, then of each town's cell by its villages.
    Areas that already have a geometry keep it. Returns how many areas got a shape."""
    towns = session.scalars(
        select(Area).where(Area.level == "town", Area.code.startswith(root_code, autoescape=True))
    ).all()
    sites = {
        a.code: (a.centroid_lon, a.centroid_lat)
        for a in towns
        if a.centroid_lon is not None and a.centroid_lat is not None
    }
    if len(sites) < 2:
        return 0
    outline = geo.outline_around(list(sites.values()), seed=root_code)
    town_cells = geo.voronoi_cells(outline, sites)  # type: ignore[arg-type]
    by_code = {a.code: a for a in towns}
    changed: list[str] = []
    for code, cell in town_cells.items():
        town = by_code[code]
        if town.geometry_geojson is None:
            town.geometry_geojson = geo.polygon_geojson(cell)
            town.updated_at = now
            changed.append(code)
        town_ring = geo.ring_of(town.geometry_geojson)
        villages = session.scalars(
            select(Area).where(Area.level == "village", Area.code.startswith(code, autoescape=True))
        ).all()
        v_sites = {
            v.code: (v.centroid_lon, v.centroid_lat)
            for v in villages
            if v.centroid_lon is not None and v.centroid_lat is not None
        }
        for v_code, v_cell in geo.voronoi_cells(town_ring, v_sites).items():  # type: ignore[arg-type]
            village = next(v for v in villages if v.code == v_code)
            if village.geometry_geojson is None:
                village.geometry_geojson = geo.polygon_geojson(v_cell)
                village.updated_at = now
                changed.append(v_code)
    if changed:
        audit.record(
            session,
            actor,
            "area.generate_shapes",
            "area",
            root_code,
            at=now,
            diff={"areas": len(changed)},
        )
    session.flush()
    return len(changed)
