"""Shared plumbing for the typer commands: settings, the database check, input and output files, help
layout, one-line errors, rich output."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import typer
from alembic.util import CommandError
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from typer.core import TyperArgument, TyperGroup, TyperOption

from citycockpit.config import Settings
from citycockpit.core import expansion, keyring
from citycockpit.core.actors import SystemActor
from citycockpit.core.errors import AppError
from citycockpit.db import build_engine, is_sqlite_file, schema_revisions

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

CLI_ACTOR = SystemActor("cli")


def wide_console() -> Console:
    """Where to print a wide table: on a terminal, the terminal (rich wraps the cells to fit it);
    piped or redirected, an unbounded width, so no code or name is wrapped or cut at 80 or 120 columns."""
    if console.is_terminal:
        return console
    return Console(width=100_000, soft_wrap=True)


def load_settings(db: str | None = None, *, checks: Sequence[Callable[[Settings], None]] = ()) -> Settings:
    """The settings (environment, citycockpit.toml, defaults), passed through each domain's `checks`;
    a bad one ends the command with one line naming the setting."""
    try:
        settings = Settings()
        for check in checks:
            check(settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        fail(f"bad setting {field}: {first.get('msg')}")
    if db:
        settings.database_url = db if "://" in db else f"sqlite:///{db}"
    expansion.configure(settings)  # the file expansion limits, for every command that reads files
    return settings


Schema = Literal["newest", "initialised", "exists", "create"]


def engine_for(settings: Settings, *, schema: Schema = "newest") -> Engine:
    """The engine of the settings' database, once it is known to be fit for the command: the one check
    every command's database goes through. A database that is missing, has no schema, or (for
    `schema="newest"`, every command's default) is not at the newest revision ends the command with one
    line naming it and the fix (`citycockpit db upgrade --db …`), exit 1, and nothing created: a
    mistyped SQLite path leaves no file behind. `initialised` accepts an older schema (`serve` and
    `db downgrade` migrate it), `exists` any database (`db current`); only `create` (`db upgrade`,
    `db restore`, `demo`) may make a new one."""
    url = make_url(settings.resolved_database_url())
    sqlite_file = is_sqlite_file(url)
    where = url.database if sqlite_file else url.render_as_string(hide_password=True)
    fix = f"run `citycockpit db upgrade --db {where}` first"
    if (
        "database_url" not in settings.model_fields_set
        and "database_url_file" not in settings.model_fields_set
    ):
        fix += " (or name another database with --db or CITYCOCKPIT_DATABASE_URL)"
    if schema != "create" and sqlite_file:
        path = Path(str(url.database))
        if path.is_dir():
            fail(f"the database {where} is a folder; give --db the path of an SQLite file")
        if not path.is_file():
            fail(f"the database {where} does not exist; {fix}")
    source = keyring.RingSource(settings)
    try:
        source.check()
    except keyring.KeyFileError as exc:
        fail(str(exc))
    engine = keyring.attach(build_engine(settings), source)
    if schema in ("create", "exists"):
        return engine
    try:
        current, newest = schema_revisions(engine)
    except OperationalError as exc:
        engine.dispose()
        fail(f"cannot open the database {where}: {str(exc.orig).strip()}")
    if current is None:
        engine.dispose()
        fail(f"the database {where} is not initialised (it has no schema); {fix}")
    if schema == "newest" and current != newest:
        engine.dispose()
        fail(f"the database {where} is at schema revision {current}, this version needs {newest}; " + fix)
    return engine


def _check_input_file(value: Path | None) -> Path | None:
    """An input file must exist and be readable: one line and exit 1 otherwise (typer's own
    `exists=True` check prints a boxed usage error and exits 2)."""
    if value is not None:
        if value.is_dir():
            fail(f"{value} is a folder; give a file")
        if not value.exists():
            fail(f"file not found: {value}")
        if not os.access(value, os.R_OK):
            fail(f"cannot read {value}: permission denied")
    return value


def _check_output_file(value: Path | None) -> Path | None:
    """A file to write must go into a folder that exists, and not be a folder itself; checked before any
    work, so a typo in the folder costs nothing."""
    if value is not None:
        folder = value.parent
        if not folder.is_dir():
            fail(f"the folder {folder} does not exist; create it first or write {value.name} elsewhere")
        if value.is_dir():
            fail(f"{value} is a folder; give a file name")
    return value


def input_file(help: str) -> Any:
    """The FILE argument of a command that reads one (checked by `_check_input_file`)."""
    return typer.Argument(..., help=help, metavar="FILE", callback=_check_input_file, show_default=False)


def optional_input_file(help: str) -> Any:
    """An optional FILE argument of a command that may read one (checked by `_check_input_file`)."""
    return typer.Argument(None, help=help, metavar="FILE", callback=_check_input_file, show_default=False)


def output_file(*decls: str, help: str, default: Any = ...) -> Any:
    """An option naming a file the command writes (checked by `_check_output_file`)."""
    return typer.Option(default, *decls, help=help, callback=_check_output_file, show_default=False)


def output_argument(help: str, metavar: str = "OUT") -> Any:
    """An argument naming a file the command writes (checked by `_check_output_file`)."""
    return typer.Argument(..., help=help, metavar=metavar, callback=_check_output_file, show_default=False)


def _tidy_help(command: Any) -> None:
    """Typer's rich help prints a value type after every option, `<bool>` even after a flag that takes
    none, and names arguments `{file}` in the usage line. Flags get an empty metavar (no type shown),
    arguments their upper-case name, through the whole command tree."""
    for sub in getattr(command, "commands", {}).values():
        _tidy_help(sub)
    help_option = command.get_help_option(command.context_class(command))
    for param in [*command.params, help_option]:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument) and param.metavar is None and param.name:
            param.metavar = param.name.upper()


class CliGroup(TyperGroup):
    """The root command group (`typer.Typer(cls=CliGroup)`): tidies the help of every command below it
    before the command line is parsed."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        _tidy_help(self)
        return super().make_context(info_name, args, parent=parent, **extra)


def fail(message: str, code: int = 1) -> Any:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def one_line_errors(func: F) -> F:
    """Turn expected failures into one clear line on stderr and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AppError as exc:
            errors = exc.extra.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict) and "reason" in errors[0]:
                total = exc.extra.get("error_count", len(errors))
                err_console.print(
                    f"[bold red]error:[/] {total} problem(s), nothing was changed:", highlight=False
                )
                for item in errors[:50]:
                    where = item.get("file", "")
                    if item.get("sheet"):
                        where += f" [{item['sheet']}]"
                    if item.get("row"):
                        where += f" row {item['row']}"
                    if item.get("column"):
                        where += f" column {item['column']}"
                    err_console.print(f"  {where}: {item['reason']}", highlight=False, soft_wrap=True)
                if total > 50:
                    err_console.print(f"  … and {total - 50} more", highlight=False)
                raise typer.Exit(1) from exc
            fail(exc.detail)
        except OperationalError as exc:
            fail(f"database error: {exc.orig}")
        except CommandError as exc:  # Alembic: an unknown revision, a downgrade past base …
            fail(f"migration: {exc}")
        except FileNotFoundError as exc:
            missing = Path(str(exc.filename)) if exc.filename else None
            if missing is not None and not missing.parent.is_dir():
                fail(f"the folder {missing.parent} does not exist")
            fail(f"file not found: {exc.filename}")
        except PermissionError as exc:
            fail(f"permission denied: {exc.filename}")

    return wrapper  # type: ignore[return-value]
