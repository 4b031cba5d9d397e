"""`citycockpit events …`: categories, the dispatch catalogue, hotline import."""

from __future__ import annotations

from pathlib import Path

import typer

from citycockpit.core import tabular
from citycockpit.core.cliutil import (
    CLI_ACTOR,
    console,
    engine_for,
    input_file,
    load_settings,
    one_line_errors,
    output_file,
)
from citycockpit.core.clock import Clock
from citycockpit.core.coords import CoordSystem
from citycockpit.db import session_scope
from citycockpit.events import catalogue
from citycockpit.events import categories as cats
from citycockpit.events.intake import history, hotline
from citycockpit.events.intake import service as intake

app = typer.Typer(help="Events (一网统管): categories, intake, the closed loop.", no_args_is_help=True)
categories_app = typer.Typer(
    help="Category trees (部件/事件/热线) with departments and time limits.", no_args_is_help=True
)
app.add_typer(categories_app, name="categories")
catalogue_app = typer.Typer(
    help="The dispatch catalogue (派单目录): category → department, area exceptions, keywords; versioned.",
    no_args_is_help=True,
)
app.add_typer(catalogue_app, name="catalogue")

DB_OPTION = typer.Option(None, "--db", help="Database URL or SQLite file path.")
COORD_SYSTEM_OPTION = typer.Option(
    CoordSystem.WGS84,
    "--coord-system",
    help="System of the file's 纬度/经度 where a row's 坐标系 cell is empty.",
)


@categories_app.command("import")
@one_line_errors
def import_categories(
    file: Path = input_file("YAML, CSV or XLSX."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    db: str | None = DB_OPTION,
) -> None:
    """Create or update categories; every row is checked first and nothing is stored if any is bad."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        result = cats.import_categories(
            session, file.read_bytes(), file.name, actor=CLI_ACTOR, now=clock.now(), encoding=encoding
        )
    console.print(f"categories: {result.created} created, {result.updated} updated")


@categories_app.command("export")
@one_line_errors
def export_categories(
    out: Path = output_file("--out", help="Output file: .yaml, .csv or .xlsx."),
    db: str | None = DB_OPTION,
) -> None:
    """Export the categories in the format `events categories import` reads."""
    kind = tabular.file_kind(out)
    with session_scope(engine_for(load_settings(db)), read_only=True) as session:
        data = cats.export_categories(session, kind)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")


@catalogue_app.command("export")
@one_line_errors
def export_catalogue(
    out: Path = output_file("--out", help="Output file: .xlsx or .csv."),
    version: int | None = typer.Option(
        None, "--version", min=0, help="Version number (newest when omitted; 0: the categories' defaults)."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """Export a version of the dispatch catalogue in the format `events catalogue import` reads."""
    kind = tabular.file_kind(out)
    with session_scope(engine_for(load_settings(db)), read_only=True) as session:
        data = catalogue.export_catalogue(session, kind, number=version)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")


@catalogue_app.command("import")
@one_line_errors
def import_catalogue(
    file: Path = input_file("XLSX or CSV."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    db: str | None = DB_OPTION,
) -> None:
    """Publish a new catalogue version; every row is checked first and nothing is stored if any is bad."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        result = catalogue.import_catalogue(
            session, file.read_bytes(), file.name, actor=CLI_ACTOR, now=clock.now(), encoding=encoding
        )
    console.print(
        f"dispatch catalogue version {result.version}: {result.rules} rows "
        f"({result.added} added, {result.removed} removed)"
    )


@app.command("import")
@one_line_errors
def import_hotline(
    file: Path = input_file("Hotline CSV or XLSX."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    coord_system: CoordSystem = COORD_SYSTEM_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Import 12345 hotline tickets; one bad row stores nothing, and every bad row is listed."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        created = hotline.import_hotline_file(
            session,
            file.read_bytes(),
            file.name,
            actor=CLI_ACTOR,
            now=clock.now(),
            encoding=encoding,
            **intake.IntakeSettings.from_settings(settings).options(),
            coord_system=coord_system,
        )
    console.print(f"imported {created} hotline tickets")


@app.command("import-history")
@one_line_errors
def import_history(
    file: Path = input_file("History CSV or XLSX."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    coord_system: CoordSystem = COORD_SYSTEM_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Import a city's closed 12345 tickets as history (closed or rated events counted in the KPIs of
    their days, never in a queue); one bad row stores nothing, and every bad row is listed."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        result = history.import_history_file(
            session,
            file.read_bytes(),
            file.name,
            actor=CLI_ACTOR,
            now=clock.now(),
            zone=settings.zone,
            encoding=encoding,
            repeat_window_days=settings.events_repeat_window_days,
            coord_system=coord_system,
        )
    console.print(
        f"imported {result.imported} history tickets ({result.first_day} to {result.last_day}); "
        f"rollups of {result.rollup_days} days recomputed"
    )


@app.command("archive")
@one_line_errors
def archive(
    before: str = typer.Option(
        ..., "--before", help="Archive every month before this one: YYYY (1 January) or YYYY-MM."
    ),
    out: Path = output_file(
        "--out", help="Archive file to write (gzip; a .manifest.json is written beside it)."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """PostgreSQL: take the monthly partitions of events wholly before --before out of the database into
    a checked file (events and their timelines, photos' rows, parts…), keeping their rollups so the
    KPIs of those months stay readable; refused if an event is unfinished or a day's rollups are missing."""
    from citycockpit.events.storage import archive as storage

    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    result = storage.archive_before(
        engine_for(settings),
        storage.parse_before(before),
        out,
        actor=CLI_ACTOR,
        now=clock.now(),
        zone=settings.zone,
        recent_days=settings.events_rollup_recent_days,
    )
    months = f"{result.months[0]:%Y-%m} to {result.months[-1]:%Y-%m}"
    rows = ", ".join(f"{t} {n}" for t, n in sorted(result.counts.items()))
    console.print(
        f"archived {result.events} events of {len(result.months)} months ({months}) into {out} "
        f"(sha256 {result.sha256[:16]}…; rows: {rows}); their rollups are kept"
    )


@app.command("restore-archive")
@one_line_errors
def restore_archive(
    file: Path = input_file("A file written by `citycockpit events archive`."),
    db: str | None = DB_OPTION,
) -> None:
    """PostgreSQL: load an archive file back (checked against its manifest first): its months' events,
    their children rows and later events' links to them; refused if any of its events is stored."""
    from citycockpit.events.storage import archive as storage

    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    result = storage.restore_archive(engine_for(settings), file, actor=CLI_ACTOR, now=clock.now())
    rows = ", ".join(f"{t} {n}" for t, n in sorted(result.counts.items()))
    console.print(f"restored {len(result.months)} months ({', '.join(result.months)}) from {file}: {rows}")
