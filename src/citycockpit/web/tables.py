"""Workbench tables: one helper for sorting by a whitelisted column, paginating and exporting to XLSX.

The query is a SQLAlchemy select (already scoped by the caller); the total is a SQL COUNT and only
one page of rows is loaded. Export walks the whole (scoped, sorted) query in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from citycockpit.core.tabular import write_xlsx

MAX_EXPORT_ROWS = 100_000


@dataclass
class Column:
    key: str
    label: str
    expr: Any = None  # the SQL column to sort by; None: not sortable
    link: Callable[[dict[str, Any]], str] | None = None
    fmt: Callable[[Any], Any] | None = None

    @property
    def sortable(self) -> bool:
        return self.expr is not None


@dataclass
class TableView:
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    sort: str
    empty_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _order(query: Select[Any], columns: Sequence[Column], sort: str, default: Any) -> tuple[Select[Any], str]:
    key = sort.lstrip("-")
    col = next((c for c in columns if c.key == key and c.sortable), None)
    if col is None:
        return query.order_by(*default) if default is not None else query, ""
    return query.order_by(col.expr.desc() if sort.startswith("-") else col.expr.asc()), sort


def table_view(
    session: Session,
    request: Request,
    query: Select[Any],
    columns: list[Column],
    to_row: Callable[[Any], dict[str, Any]],
    *,
    default_order: Sequence[Any] | None = None,
    empty_text: str = "",
    limit: int = 25,
) -> TableView:
    try:
        offset = max(0, int(request.query_params.get("offset", 0)))
    except ValueError:
        offset = 0
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    ordered, sort = _order(query, columns, request.query_params.get("sort", ""), default_order)
    rows = [_formatted(to_row(r), columns) for r in session.execute(ordered.offset(offset).limit(limit))]
    return TableView(columns, rows, total, offset, limit, sort, empty_text)


def _formatted(row: dict[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    for col in columns:
        if col.fmt is not None and col.key in row:
            row[col.key] = col.fmt(row[col.key])
    return row


def export_xlsx(
    session: Session,
    request: Request,
    query: Select[Any],
    columns: list[Column],
    to_row: Callable[[Any], dict[str, Any]],
    *,
    filename: str,
    default_order: Sequence[Any] | None = None,
) -> Response:
    ordered, _ = _order(query, columns, request.query_params.get("sort", ""), default_order)

    def rows() -> Iterator[list[Any]]:
        result = session.execute(ordered.limit(MAX_EXPORT_ROWS).execution_options(yield_per=1000))
        for r in result:
            row = _formatted(to_row(r), columns)
            yield [row.get(c.key) for c in columns]

    data = write_xlsx({"sheet1": ([c.label for c in columns], rows())})
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(filename)}"},
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def wants_export(request: Request) -> bool:
    return request.query_params.get("export") == "xlsx"
