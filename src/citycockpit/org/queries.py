"""Reads of departments and areas for pages: the two administration tables, the department choices of
forms, and the names shown beside an object's department or area."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from citycockpit.auth.principal import Principal
from citycockpit.core.dialect import code_within
from citycockpit.core.listing import Listing
from citycockpit.org.models import Area, Department


def departments_listing() -> Listing:
    """Every department; rows are (code, name, kind). Sortable by code, name and kind; by code unless
    asked."""
    return Listing(
        select(Department.code, Department.name, Department.kind),
        sorts={"code": Department.code, "name": Department.name, "kind": Department.kind},
        default_order=(Department.code,),
    )


def areas_listing(principal: Principal) -> Listing:
    """The areas the principal may see (an area-scoped principal: its own subtree); rows are (code, name,
    level, parent's name, has a shape). Sortable by code, name, level and parent; by code unless asked."""
    parent = Area.__table__.alias("parent_area")
    query: Any = select(
        Area.code, Area.name, Area.level, parent.c.name, Area.geometry_geojson.is_not(None)
    ).outerjoin(parent, parent.c.id == Area.parent_id)
    if principal.is_area_scoped and principal.area_code:
        query = query.where(code_within(Area.code, principal.area_code))
    return Listing(
        query,
        sorts={"code": Area.code, "name": Area.name, "level": Area.level, "parent": parent.c.name},
        default_order=(Area.code,),
    )


def department_choices(session: Session, *, active_only: bool = False) -> list[Row[int, str | None, str]]:
    """Departments as (id, short_name, name) in code order, for a form's department choice."""
    query = select(Department.id, Department.short_name, Department.name)
    if active_only:
        query = query.where(Department.is_active.is_(True))
    return list(session.execute(query.order_by(Department.code)).all())


def find_department(session: Session, department_id: int) -> Department | None:
    """A department by id, or None when there is none."""
    return session.get(Department, department_id)


def area_name(session: Session, code: str) -> str | None:
    """An area's name by code, or None when there is none."""
    return session.scalar(select(Area.name).where(Area.code == code))
