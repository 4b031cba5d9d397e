"""Shared plumbing for the typer commands: settings, engine, one-line errors, rich output."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from citycockpit.config import Settings
from citycockpit.core import expansion
from citycockpit.core.actors import SystemActor
from citycockpit.core.errors import AppError
from citycockpit.db import build_engine

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

CLI_ACTOR = SystemActor("cli")


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


def engine_for(settings: Settings) -> Engine:
    return build_engine(settings)


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
        except FileNotFoundError as exc:
            fail(f"file not found: {exc.filename}")
        except PermissionError as exc:
            fail(f"permission denied: {exc.filename}")

    return wrapper  # type: ignore[return-value]
