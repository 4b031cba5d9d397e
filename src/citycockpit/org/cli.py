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


@app.command("import-boundaries")
@one_line_errors
def import_boundaries(
    file: Path = input_file("A GeoJSON FeatureCollection, or a ZIP of a Shapefile (.shp .shx .dbf, .prj)."),
    code_field: str = typer.Option("code", "--code-field", help="The attribute holding each area's code."),
    name_field: str = typer.Option("name", "--name-field", help="The attribute holding each area's name."),
    level: str | None = typer.Option(
        None, help="town, village or grid for every feature (default: from each code's length)."
    ),
    crs: str | None = typer.Option(
        None, help="The file's coordinate system when it declares none (e.g. EPSG:4549)."
    ),
    encoding: str | None = typer.Option(
        None, help="Text encoding of the Shapefile's attribute table (default: its .cpg, else UTF-8 or GBK)."
    ),
    report: Path | None = output_file(
        "--report",
        help="Write the topology report (XLSX) here, whether or not the import goes ahead.",
        default=None,
    ),
    accept_warnings: bool = typer.Option(
        False, "--accept-warnings", help="Store the boundaries even when the topology report has warnings."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Import area boundaries from the GIS office's file: checked, repaired where safe, transformed to
    WGS84; nothing is stored if any feature is bad, or if the topology report has warnings that were
    not accepted."""
    from citycockpit.org import boundaries

    settings = load_settings(db)
    engine = engine_for(settings)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine) as session:
        check = boundaries.check_boundaries(
            session,
            file.read_bytes(),
            file.name,
            code_field=code_field,
            name_field=name_field,
            level=level,
            crs=crs,
            encoding=encoding,
        )
        if report is not None:
            report.write_bytes(check.report_xlsx())
            console.print(f"wrote the topology report to {report}")
        for kind in ("overlap", "gap", "outside"):
            found = [f for f in check.findings if f.kind == kind]
            if found:
                total = sum(f.area_m2 for f in found)
                console.print(f"{kind}: {len(found)} ({total:,.0f} m² in all)")
        result = boundaries.store_boundaries(
            session, check, accept_warnings=accept_warnings, actor=CLI_ACTOR, now=clock.now()
        )
    console.print(
        f"{len(check.features)} feature(s) from {check.crs}: {result.created} area(s) created, "
        f"{result.updated} updated, {result.warnings} topology warning(s)"
    )
