"""`citycockpit audit …`: verify the keyed hash chain, anchor its head, rotate its key, export entries."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from citycockpit.audit import anchors, service
from citycockpit.audit.export import write_entries
from citycockpit.core import keyring
from citycockpit.core.cliutil import (
    console,
    engine_for,
    err_console,
    fail,
    load_settings,
    one_line_errors,
    optional_input_file,
    output_file,
)
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

DB_OPTION = typer.Option(None, "--db", help="Database URL or SQLite file path.")


ANCHORS_FILE = optional_input_file(
    "Anchor file to check the chain against (default: the audit_anchor_file setting); for anchors "
    "sent to syslog, the lines grepped for `citycockpit-audit-anchor`."
)


@app.command("verify")
@one_line_errors
def verify(anchors_file: Path | None = ANCHORS_FILE, db: str | None = DB_OPTION) -> None:
    """Check every entry's hash or HMAC and link, then the chain against every anchor; exit 1 naming
    the first bad entry."""
    settings = load_settings(db)
    engine = engine_for(settings)
    path = anchors_file or anchors.anchor_file(settings)
    try:
        found = anchors.read_anchors(path)
    except anchors.AnchorError as exc:
        fail(str(exc))
    with session_scope(engine, read_only=True) as session:
        check = anchors.verify(session, found)
    if not check.ok:
        err_console.print(
            f"[bold red]audit log broken:[/] first bad entry id {check.first_bad_id}: {check.reason} "
            f"({check.checked} entries before it are intact)",
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(f"audit log intact: {check.checked} entries verified", highlight=False)
    if check.keyed_from is None:
        console.print(
            "[yellow]no entry carries an HMAC yet:[/] the chain is unkeyed SHA-256, which anyone able "
            "to write the database could recompute",
            highlight=False,
        )
    elif check.keyed_from > 1:
        console.print(f"keyed with HMAC from entry {check.keyed_from} on", highlight=False)
    if found:
        console.print(f"{check.anchors_checked} anchors checked ({path})", highlight=False)
    else:
        console.print(
            f"[yellow]no anchors in {path}:[/] run `citycockpit audit anchor` on a schedule",
            highlight=False,
        )


@app.command("anchor")
@one_line_errors
def anchor(
    to: Path | None = output_file(
        "--to", help="Append the anchor to this file (default: the audit_anchor_file setting).", default=None
    ),
    use_syslog: bool = typer.Option(
        False, "--syslog", help="Send the anchor to syslog (facility auth) instead of a file."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """Verify the chain since the last anchor, then append its signed head (entry id, hash, time, key
    id, HMAC) to the anchor file or syslog. Run it on a schedule (the worker does, every
    audit_anchor_minutes; or cron)."""
    if to is not None and use_syslog:
        fail("give --to or --syslog, not both")
    settings = load_settings(db)
    engine = engine_for(settings)
    path = to or anchors.anchor_file(settings)
    try:
        previous = [] if use_syslog else anchors.read_anchors(path)
    except anchors.AnchorError as exc:
        fail(f"{exc}; verify the chain against it with `citycockpit audit verify {path}`")
    with session_scope(engine, read_only=True) as session:
        try:
            signed = anchors.anchor_head(session, now=datetime.now(UTC), previous=previous)
        except anchors.AnchorRefused as exc:
            fail(str(exc))
    if use_syslog:
        anchors.send_to_syslog(signed)
        console.print(f"anchored entry {signed.entry_id} to syslog", highlight=False)
    else:
        anchors.append_anchor(path, signed)
        console.print(f"anchored entry {signed.entry_id} in {path}", highlight=False)


@app.command("rotate-key")
@one_line_errors
def rotate_key(db: str | None = DB_OPTION) -> None:
    """Append a new current key to the audit key file (older keys stay: their entries still verify)."""
    settings = load_settings(db)
    engine_for(settings).dispose()  # the installation's database exists: this is its key
    path = keyring.key_file_path(settings)
    try:
        keyring.RingSource(settings).get()  # the file exists and reads (or is generated) first
    except keyring.KeyFileError as exc:
        fail(str(exc))
    key_id = keyring.rotate_key(path)
    console.print(f"new audit key {key_id} appended to {path}; new entries use it", highlight=False)


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
