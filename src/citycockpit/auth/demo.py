"""Demo accounts: one per role, with a documented password, so a visitor can try each role."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth import service
from citycockpit.org.models import Area, Department

# Documented in docs/user-guide/README.md; printed by `citycockpit demo`. Never use them in production.
DEMO_PASSWORD = "Taicang@2024"

# username, display name, role, department code, area code
DEMO_USERS: list[tuple[str, str, str, str | None, str | None]] = [
    ("admin", "系统管理员", "admin", None, None),
    ("leader", "市领导 王市长", "leader", None, None),
    ("supervisor", "督查室 李督查", "supervisor", None, None),
    ("dispatcher", "12345 调度 赵调度", "dispatcher", None, None),
    ("cgj", "城管局 陈科长", "department", "CGJ", None),
    ("chengxiang", "城厢镇 周主任", "town", None, "320585100"),
    ("grid", "东门社区第1网格 吴网格员", "grid_worker", None, "320585100001001"),
]


def create_demo_users(session: Session, *, actor: Any, now: Any) -> list[str]:
    """Create the demo accounts (no forced password change); returns their user names."""
    created = []
    for username, display_name, role, dept_code, area_code in DEMO_USERS:
        dept_id = None
        if dept_code:
            dept_id = session.scalars(select(Department.id).where(Department.code == dept_code)).first()
        if area_code and session.scalars(select(Area.id).where(Area.code == area_code)).first() is None:
            continue  # a custom org file without this area: skip the account rather than fail the demo
        if dept_code and dept_id is None:
            continue
        service.create_user(
            session,
            username=username,
            display_name=display_name,
            password=DEMO_PASSWORD,
            role=role,
            department_id=dept_id,
            area_code=area_code,
            must_change_password=False,
            actor=actor,
            now=now,
        )
        created.append(username)
    return created
