"""`citycockpit events …`: categories, hotline import; and `citycockpit worker`."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from citycockpit.core import tabular
from citycockpit.core.cliutil import CLI_ACTOR, console, engine_for, load_settings, one_line_errors
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.events import categories as cats
from citycockpit.events import intake, jobs
from citycockpit.events.sla import WorkCalendar

app = typer.Typer(help="Events (一网统管): categories, intake, the closed loop.", no_args_is_help=True)
categories_app = typer.Typer(
    help="Category trees (部件/事件/热线) with departments and time limits.", no_args_is_help=True
)
app.add_typer(categories_app, name="categories")

DB_OPTION = typer.Option(None, "--db", help="Database URL or SQLite file path.")


@categories_app.command("import")
@one_line_errors
def import_categories(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="YAML, CSV or XLSX."),
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
    out: Path = typer.Option(..., "--out", help="Output file: .yaml, .csv or .xlsx."),
    db: str | None = DB_OPTION,
) -> None:
    """Export the categories in the format `events categories import` reads."""
    kind = tabular.file_kind(out)
    with session_scope(engine_for(load_settings(db)), read_only=True) as session:
        data = cats.export_categories(session, kind)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")


@app.command("import")
@one_line_errors
def import_hotline(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Hotline CSV or XLSX."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    db: str | None = DB_OPTION,
) -> None:
    """Import 12345 hotline tickets; one bad row stores nothing, and every bad row is listed."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        created = intake.import_hotline_file(
            session,
            file.read_bytes(),
            file.name,
            actor=CLI_ACTOR,
            now=clock.now(),
            calendar=WorkCalendar.from_settings(settings),
            triage_threshold=settings.events_triage_threshold,
            encoding=encoding,
        )
    console.print(f"imported {created} hotline tickets")


@one_line_errors
def worker(
    interval: float = typer.Option(60.0, min=1, help="Seconds between runs."),
    once: bool = typer.Option(False, "--once", help="Run every job once and exit."),
    db: str | None = DB_OPTION,
) -> None:
    """Run the periodic jobs (SLA warnings, reminders, escalation, KPI rollups) in a loop; safe to run several.

    A job that fails is logged and recorded, and the others go on; with --once, any failure makes the
    exit code 1."""
    settings = load_settings(db)
    engine = engine_for(settings)
    clock = Clock(zone=settings.zone, today=settings.today)
    calendar = WorkCalendar.from_settings(settings)
    while True:
        outcomes = jobs.run_jobs_once(engine, clock, calendar)
        table = Table("job", "events", "seconds", "error")
        for outcome in outcomes:
            touched = "—" if outcome.touched is None else str(outcome.touched)
            table.add_row(outcome.name, touched, f"{outcome.seconds:.2f}", outcome.error or "")
        console.print(table)
        if once:
            if any(outcome.error for outcome in outcomes):
                raise typer.Exit(1)
            return
        time.sleep(interval)
