"""`citycockpit org …`: departments and the area tree."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from citycockpit.core import tabular
from citycockpit.core.cliutil import (
    CLI_ACTOR,
    console,
    engine_for,
    fail,
    input_file,
    load_settings,
    one_line_errors,
    output_file,
)
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.org import service

app = typer.Typer(help="Departments and the area tree (市 → 镇/街道 → 村/社区 → 网格).", no_args_is_help=True)


@app.command("import")
@one_line_errors
def import_(
    file: Path = input_file("CSV, XLSX (sheets areas/departments) or YAML."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Import areas and departments; all rows are checked first and nothing is stored if any is bad."""
    settings = load_settings(db)
    engine = engine_for(settings)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine) as session:
        result = service.import_org(
            session, file.read_bytes(), file.name, actor=CLI_ACTOR, now=clock.now(), encoding=encoding
        )
    table = Table("table", "created", "updated")
    for name in ("areas", "departments"):
        table.add_row(name, str(result.created[name]), str(result.updated[name]))
    console.print(table)


@app.command("export")
@one_line_errors
def export(
    out: Path = output_file("--out", help="Output file: .yaml, .xlsx or .csv."),
    table: str | None = typer.Option(None, help="For CSV: areas or departments."),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Export areas and departments in the format `org import` reads."""
    kind = tabular.file_kind(out)
    if kind == "csv" and table not in ("areas", "departments"):
        fail("a CSV file holds one table: add --table areas or --table departments")
    engine = engine_for(load_settings(db))
    with session_scope(engine, read_only=True) as session:
        data = service.export_org(session, kind, table=table)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")
