"""`citycockpit db …`: migrations."""

from __future__ import annotations

from pathlib import Path

import typer

from citycockpit import migrate
from citycockpit.core.cliutil import (
    console,
    engine_for,
    fail,
    input_file,
    load_settings,
    one_line_errors,
    output_argument,
)

app = typer.Typer(help="Database schema: migrations (Alembic).", no_args_is_help=True)

DbOption = typer.Option(None, "--db", help="Database URL or SQLite file path (default: settings).")


@app.command("upgrade")
@one_line_errors
def upgrade(
    revision: str = typer.Argument("head", help="Target revision."), db: str | None = DbOption
) -> None:
    """Migrate the database up to REVISION (default: the newest); creates the database when it is new."""
    engine = engine_for(load_settings(db), schema="create")
    migrate.upgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current_revision(engine)}[/]")


@app.command("downgrade")
@one_line_errors
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, or `base` for empty."),
    db: str | None = DbOption,
) -> None:
    """Migrate the database down to REVISION."""
    engine = engine_for(load_settings(db), schema="initialised")
    migrate.downgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current_revision(engine) or 'base'}[/]")


@app.command("current")
@one_line_errors
def current(db: str | None = DbOption) -> None:
    """Print the database's revision and whether it is the newest."""
    engine = engine_for(load_settings(db), schema="exists")
    rev, head = migrate.current_revision(engine), migrate.head_revision(engine)
    console.print(
        f"current {rev or 'base'}, head {head}" + ("" if rev == head else "  [yellow](upgrade needed)[/]")
    )


@app.command("check")
@one_line_errors
def check(db: str | None = DbOption) -> None:
    """Fail when the models differ from the migrated schema (a migration is missing)."""
    engine = engine_for(load_settings(db))
    diff = migrate.pending_model_changes(engine)
    if diff:
        for item in diff:
            console.print(f"  {item}")
        fail(f"{len(diff)} model change(s) have no migration")
    console.print("models and migrations agree")


@app.command("revision")
@one_line_errors
def revision(
    message: str = typer.Option(
        ..., "--message", "-m", help="What the migration does (its file name's slug)."
    ),
    empty: bool = typer.Option(False, "--empty", help="Write an empty migration instead of comparing."),
    db: str | None = DbOption,
) -> None:
    """For developers: write a new migration into the package's versions folder, generated from the
    difference between the models and the database (which must be at the newest revision). Review it."""
    engine = engine_for(load_settings(db))
    migrate.revision(engine, message, autogenerate=not empty)


@app.command("backup")
@one_line_errors
def backup(
    out: Path = output_argument("Backup file to write (SQLite copy or pg_dump custom format)."),
    db: str | None = DbOption,
) -> None:
    """Take an online backup (safe while the server runs) and check the copy (row counts, audit chain);
    the event photos go into OUT.photos/ beside it."""
    from citycockpit.ops.backup import backup as run_backup

    settings = load_settings(db)
    manifest = run_backup(
        engine_for(settings, schema="initialised"), out, photos_dir=settings.data_dir / "photos"
    )
    total = sum(manifest["counts"].values())
    photos = manifest["photos"]
    console.print(
        f"backup written to {out} ({manifest['engine']}, revision {manifest['revision']}, "
        f"{len(manifest['counts'])} tables, {total} rows, audit chain "
        f"{'verified' if manifest['audit_ok'] else '[red]BROKEN[/]'}; "
        f"{photos['files']} photo files, {photos['bytes']} bytes, in {photos['folder']})"
    )


@app.command("restore")
@one_line_errors
def restore(
    source: Path = input_file("A file written by `citycockpit db backup`."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before replacing the database."),
    db: str | None = DbOption,
) -> None:
    """Replace the database with a backup (and copy its photos into the data folder), then check row
    counts against its manifest and the audit chain."""
    from citycockpit.ops.backup import restore as run_restore

    if not yes and not typer.confirm("This replaces every row of the target database. Continue?"):
        fail("restore cancelled")
    settings = load_settings(db)
    check = run_restore(
        engine_for(settings, schema="create"), source, photos_dir=settings.data_dir / "photos"
    )
    console.print(
        f"restored {source}: {sum(check.counts.values())} rows in {len(check.counts)} tables, "
        f"revision {check.revision}, audit chain verified ({check.audit_checked} entries), "
        f"{check.photo_files} photo files in the data folder"
    )
