"""Workbench tables: one helper, `table_page`, that every table page ends with.

A page hands it the listing its domain's queries module built (`core.listing.Listing`: the scoped
select and the sort keys it allows), the columns to show and how a result row becomes cells. The
helper reads `sort` and `offset` from the URL, and either streams the whole sorted listing as XLSX
(`?export=xlsx`) or renders one page of it into the page's template as `table` (a `TableView`, drawn
by the `data_table` macro). A column is sortable when its key is one of the listing's sort keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from citycockpit.core.listing import Listing
from citycockpit.core.tabular import XLSX_MEDIA_TYPE, write_xlsx
from citycockpit.web.render import render

MAX_EXPORT_ROWS = 100_000


@dataclass
class Column:
    key: str
    label: str
    link: Callable[[dict[str, Any]], str] | None = None
    fmt: Callable[[Any], Any] | None = None
    # A status column: the row's tone (goals.enums.Tone value) colours the value as a badge.
    tone: Callable[[dict[str, Any]], str | None] | None = None
    # How a value reads on the page only, where the export keeps the code (a file that is imported
    # back needs `work_days`, a person reads 工作日).
    show: Callable[[Any], Any] | None = None


@dataclass
class TableView:
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    sort: str
    empty_text: str = ""
    sortable: frozenset[str] = frozenset()
    extra: dict[str, Any] = field(default_factory=dict)


Context = Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None


def table_page(
    request: Request,
    session: Session,
    listing: Listing,
    columns: Sequence[Column],
    to_row: Callable[[Any], dict[str, Any]],
    *,
    template: str,
    filename: str,
    empty_text: str = "",
    context: Context = None,
    status: int = 200,
    exportable: bool = True,
    limit: int = 25,
) -> Response:
    """`?export=xlsx` (when `exportable`): the whole listing, sorted as asked, as one XLSX sheet named
    `filename`. Otherwise: `template` rendered with `table` (one page of the listing) and `context` — a
    mapping, or a function called only when the page is rendered (so an export skips its queries)."""
    if exportable and wants_export(request):
        return _export(session, request, listing, columns, to_row, filename=filename)
    table = _view(session, request, listing, columns, to_row, empty_text=empty_text, limit=limit)
    extra = context() if callable(context) else (context or {})
    return render(request, template, {"table": table, **extra}, status=status)


def wants_export(request: Request) -> bool:
    return request.query_params.get("export") == "xlsx"


def _view(
    session: Session,
    request: Request,
    listing: Listing,
    columns: Sequence[Column],
    to_row: Callable[[Any], dict[str, Any]],
    *,
    empty_text: str,
    limit: int,
) -> TableView:
    try:
        offset = max(0, int(request.query_params.get("offset", 0)))
    except ValueError:
        offset = 0
    total = listing.count(session)
    found, sort = listing.page(session, sort=request.query_params.get("sort", ""), offset=offset, limit=limit)
    rows = [_shown(_formatted(to_row(r), columns), columns) for r in found]
    return TableView(list(columns), rows, total, offset, limit, sort, empty_text, frozenset(listing.sorts))


def _formatted(row: dict[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    for col in columns:
        if col.fmt is not None and col.key in row:
            row[col.key] = col.fmt(row[col.key])
    return row


def _shown(row: dict[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    for col in columns:
        if col.show is not None and row.get(col.key) is not None:
            row[col.key] = col.show(row[col.key])
    return row


def _export(
    session: Session,
    request: Request,
    listing: Listing,
    columns: Sequence[Column],
    to_row: Callable[[Any], dict[str, Any]],
    *,
    filename: str,
) -> Response:
    sort = request.query_params.get("sort", "")

    def rows() -> Iterator[list[Any]]:
        for r in listing.stream(session, sort=sort, limit=MAX_EXPORT_ROWS):
            row = _formatted(to_row(r), columns)
            yield [row.get(c.key) for c in columns]

    data = write_xlsx({"sheet1": ([c.label for c in columns], rows())})
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"},
    )
