"""The scope filter every domain query applies, so a scoped user never sees beyond its department or area."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, true

from citycockpit.auth.principal import Principal
from citycockpit.core.dialect import code_within
from citycockpit.core.errors import NotFound


def scope_clause(
    principal: Principal,
    *,
    department_col: Any | None = None,
    area_code_col: Any | None = None,
) -> ColumnElement[bool]:
    """A WHERE clause limiting rows to the principal's scope.

    Department-scoped principals see rows whose department column is theirs; area-scoped principals see
    rows whose area/grid code lies in their subtree (area codes nest, so this is a prefix match).
    A scoped principal on a table with no matching column sees nothing."""
    clause: ColumnElement[bool] = true()
    if principal.is_department_scoped:
        if department_col is None:
            return false()
        clause = clause & (department_col == principal.department_id)
    if principal.is_area_scoped:
        if area_code_col is None:
            return false()
        clause = clause & code_within(area_code_col, principal.area_code)
    return clause


def ensure_in_scope(
    principal: Principal,
    *,
    department_id: int | None = None,
    area_code: str | None = None,
    what: str = "object",
) -> None:
    """Refuse an object outside the principal's scope as *not found*, so ids cannot be probed."""
    if principal.is_department_scoped and department_id != principal.department_id:
        raise NotFound(f"The {what} does not exist or is outside your scope")
    if principal.is_area_scoped and not (area_code or "").startswith(principal.area_code or ""):
        raise NotFound(f"The {what} does not exist or is outside your scope")
