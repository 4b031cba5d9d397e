"""Who is calling: a user (session cookie) or a machine (API token), with role, permissions and scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from citycockpit.auth.enums import Perm, Role


@dataclass(frozen=True)
class Principal:
    id: int | None
    name: str
    role: Role
    perms: frozenset[Perm]
    kind: str = "user"  # "user" | "token"
    department_id: int | None = None
    area_code: str | None = None
    ip: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def display_name(self) -> str:
        return f"{self.kind}:{self.name}"

    def can(self, perm: Perm | str) -> bool:
        return Perm(perm) in self.perms

    @property
    def is_department_scoped(self) -> bool:
        return self.role is Role.DEPARTMENT or (self.kind == "token" and self.department_id is not None)

    @property
    def is_area_scoped(self) -> bool:
        return self.area_code is not None and self.role in (Role.TOWN, Role.GRID_WORKER, Role.API_CLIENT)
