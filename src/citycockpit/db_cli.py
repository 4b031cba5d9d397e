"""`citycockpit db …`: migrations."""

from __future__ import annotations

import typer

from citycockpit import migrate
from citycockpit.core.cliutil import console, engine_for, fail, load_settings, one_line_errors

app = typer.Typer(help="Database schema: migrations (Alembic).", no_args_is_help=True)

DbOption = typer.Option(None, "--db", help="Database URL or SQLite file path (default: settings).")


@app.command("upgrade")
@one_line_errors
def upgrade(
    revision: str = typer.Argument("head", help="Target revision."), db: str | None = DbOption
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    engine = engine_for(load_settings(db))
    migrate.upgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current_revision(engine)}[/]")


@app.command("downgrade")
@one_line_errors
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, or `base` for empty."),
    db: str | None = DbOption,
) -> None:
    """Migrate the database down to REVISION."""
    engine = engine_for(load_settings(db))
    migrate.downgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current_revision(engine) or 'base'}[/]")


@app.command("current")
@one_line_errors
def current(db: str | None = DbOption) -> None:
    """Print the database's revision and whether it is the newest."""
    engine = engine_for(load_settings(db))
    rev, head = migrate.current_revision(engine), migrate.head_revision(engine)
    console.print(
        f"current {rev or 'base'}, head {head}" + ("" if rev == head else "  [yellow](upgrade needed)[/]")
    )


@app.command("check")
@one_line_errors
def check(db: str | None = DbOption) -> None:
    """Fail when the models differ from the migrated schema (a migration is missing)."""
    engine = engine_for(load_settings(db))
    if not migrate.is_at_head(engine):
        fail("the database is not at the newest revision; run `citycockpit db upgrade` first")
    diff = migrate.pending_model_changes(engine)
    if diff:
        for item in diff:
            console.print(f"  {item}")
        fail(f"{len(diff)} model change(s) have no migration")
    console.print("models and migrations agree")
