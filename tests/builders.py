"""Small builders with realistic values, shared by every domain's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth.enums import Role
from citycockpit.auth.models import User
from citycockpit.auth.passwords import hash_password
from citycockpit.auth.principal import Principal
from citycockpit.auth.sessions import COOKIE_NAME, principal_for_user, start_session
from citycockpit.org.models import Area, Department

PERSONA_PASSWORD = "Cockpit-2024!"


@lru_cache
def _password_hash() -> str:
    return hash_password(PERSONA_PASSWORD)


def make_department(
    db: Session, code: str, name: str, *, kind: str = "委办局", short_name: str | None = None, now: datetime
) -> Department:
    existing = db.scalars(select(Department).where(Department.code == code)).first()
    if existing:
        return existing
    dept = Department(
        code=code, name=name, short_name=short_name or name, kind=kind, is_active=True, updated_at=now
    )
    db.add(dept)
    db.flush()
    return dept


def make_area(
    db: Session,
    code: str,
    name: str,
    *,
    now: datetime,
    lat: float | None = None,
    lon: float | None = None,
    geometry: str | None = None,
) -> Area:
    existing = db.scalars(select(Area).where(Area.code == code)).first()
    if existing:
        return existing
    level = {6: "city", 9: "town", 12: "village", 15: "grid"}[len(code)]
    parent = None
    if len(code) > 6:
        parent = db.scalars(select(Area).where(Area.code == code[: len(code) - 3])).first()
    area = Area(
        code=code,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        centroid_lat=lat,
        centroid_lon=lon,
        geometry_geojson=geometry,
        updated_at=now,
    )
    db.add(area)
    db.flush()
    return area


def make_small_city(db: Session, *, now: datetime) -> dict[str, object]:
    """Two towns, a village and a grid in each, and three departments."""
    areas = {
        "city": make_area(db, "320585", "太仓市", now=now, lat=31.457, lon=121.13),
        "town_a": make_area(db, "320585100", "城厢镇", now=now, lat=31.458, lon=121.100),
        "village_a": make_area(db, "320585100001", "东门社区", now=now, lat=31.462, lon=121.108),
        "grid_a": make_area(db, "320585100001001", "东门社区第1网格", now=now, lat=31.463, lon=121.107),
        "town_b": make_area(db, "320585101", "沙溪镇", now=now, lat=31.557, lon=121.053),
        "village_b": make_area(db, "320585101001", "沙南社区", now=now, lat=31.552, lon=121.050),
        "grid_b": make_area(db, "320585101001001", "沙南社区第1网格", now=now, lat=31.551, lon=121.049),
    }
    depts = {
        "cgj": make_department(db, "CGJ", "太仓市城市管理局", short_name="城管局", now=now),
        "fgw": make_department(db, "FGW", "太仓市发展和改革委员会", short_name="发改委", now=now),
        "c12345": make_department(
            db, "C12345", "太仓市12345政务服务便民热线中心", short_name="12345中心", kind="中心", now=now
        ),
    }
    return {**areas, **depts}


@dataclass
class Persona:
    user: User
    principal: Principal
    cookie: str
    csrf_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE_NAME}={self.cookie}", "X-CSRF-Token": self.csrf_token}


def make_persona(
    db: Session,
    username: str,
    role: Role | str,
    *,
    now: datetime,
    department_id: int | None = None,
    area_code: str | None = None,
    must_change_password: bool = False,
) -> Persona:
    user = User(
        username=username,
        display_name=username,
        password_hash=_password_hash(),
        role=Role(role).value,
        department_id=department_id,
        area_code=area_code,
        is_active=True,
        must_change_password=must_change_password,
        failed_logins=0,
        created_at=now,
    )
    db.add(user)
    db.flush()
    new = start_session(db, user, now=now)
    return Persona(user, principal_for_user(user), new.cookie, new.csrf_token)


def xlsx_bytes(sheet_title: str, headers: list[str], rows: list[list[object]]) -> bytes:
    """A one-sheet workbook as an upload would bring it."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sqlite_file_with_demo_org(folder: Path) -> str:
    """A migrated SQLite file holding the demo organisation, imported through the CLI (for CLI tests)."""
    from importlib import resources

    from typer.testing import CliRunner

    from citycockpit import migrate
    from citycockpit.cli import app
    from citycockpit.db import make_engine

    path = folder / "cli.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    org = folder / "org.yaml"
    org.write_bytes(resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes())
    result = CliRunner().invoke(app, ["org", "import", str(org), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)
