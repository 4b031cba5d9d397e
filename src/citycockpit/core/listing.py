"""A listing: one scoped, sortable read that a workbench table pages through and exports.

A domain's queries module builds it (the scoped select, the sort keys a caller may name with the
column each sorts on, the default order), so the SQL and the scope stay in the domain; a page only
names a sort key (`code`, or `-code` for descending) that came from the URL. The total is a SQL COUNT,
a page loads only its rows, and an export walks the whole sorted result in batches."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

AnySelect = Select[*tuple[Any, ...]]  # a select of any columns


@dataclass(frozen=True)
class Listing:
    query: AnySelect
    sorts: Mapping[str, Any] = field(default_factory=dict)  # sort key -> the SQL column it sorts on
    default_order: Sequence[Any] = ()

    def ordered(self, sort: str) -> tuple[AnySelect, str]:
        """The query in the order `sort` names, and the sort key applied ("" when `sort` is not one of
        `sorts`: then the default order)."""
        column = self.sorts.get(sort.lstrip("-"))
        if column is None:
            return (self.query.order_by(*self.default_order) if self.default_order else self.query), ""
        return self.query.order_by(column.desc() if sort.startswith("-") else column.asc()), sort

    def count(self, session: Session) -> int:
        """How many rows the listing holds."""
        return session.scalar(select(func.count()).select_from(self.query.order_by(None).subquery())) or 0

    def page(self, session: Session, *, sort: str, offset: int, limit: int) -> tuple[list[Row[Any]], str]:
        """One page of rows in the order `sort` names, and the sort key applied."""
        ordered, applied = self.ordered(sort)
        return list(session.execute(ordered.offset(offset).limit(limit))), applied

    def stream(self, session: Session, *, sort: str, limit: int) -> Iterator[Row[Any]]:
        """At most `limit` rows in the order `sort` names, fetched a thousand at a time."""
        ordered, _ = self.ordered(sort)
        yield from session.execute(ordered.limit(limit).execution_options(yield_per=1000))
