"""`citycockpit audit …`: verify the hash chain, export entries."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import typer

from citycockpit.audit import service
from citycockpit.audit.export import write_entries
from citycockpit.core.cliutil import (
    console,
    engine_for,
    err_console,
    fail,
    load_settings,
    one_line_errors,
    output_file,
)
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

DB_OPTION = typer.Option(None, "--db", help="Database URL or SQLite file path.")


@app.command("verify")
@one_line_errors
def verify(db: str | None = DB_OPTION) -> None:
    """Check every entry's hash and link; exit 1 naming the first bad entry."""
    settings = load_settings(db)
    with session_scope(engine_for(settings), read_only=True) as session:
        check = service.verify_chain(session)
    if not check.ok:
        err_console.print(
            f"[bold red]audit log broken:[/] first bad entry id {check.first_bad_id}: {check.reason} "
            f"({check.checked} entries before it are intact)",
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(f"audit log intact: {check.checked} entries verified")


@app.command("export")
@one_line_errors
def export(
    since: str = typer.Option(..., "--since", help="First local day to export (YYYY-MM-DD)."),
    out: Path | None = output_file(
        "--out", help="Output file (.jsonl or .csv); default: stdout.", default=None
    ),
    fmt: str | None = typer.Option(None, "--format", help="jsonl or csv (default: from --out, else jsonl)."),
    db: str | None = DB_OPTION,
) -> None:
    """Export entries from a day on, in chain order with their hashes (JSON lines or CSV)."""
    try:
        day = date.fromisoformat(since)
    except ValueError:
        fail(f"--since {since!r} is not a date in the form YYYY-MM-DD")
    kind = fmt or ("csv" if out is not None and out.suffix.lower() == ".csv" else "jsonl")
    if kind not in ("jsonl", "csv"):
        fail(f"--format {kind!r}: use jsonl or csv")
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    f = service.AuditFilter(since=clock.local_midnight(day))
    with session_scope(engine_for(settings), read_only=True) as session:
        rows = service.iter_entries(session, f)
        if out is None:
            count = write_entries(rows, sys.stdout, fmt=kind)
        else:
            with out.open("w", encoding="utf-8", newline="") as fh:
                count = write_entries(rows, fh, fmt=kind)
    if out is not None:
        console.print(f"wrote {count} entries to {out}")
