"""`citycockpit indicators …`: themes, stations and files of values; the worker pulls and watches."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from citycockpit.core.cliutil import (
    CLI_ACTOR,
    console,
    engine_for,
    fail,
    input_file,
    load_settings,
    one_line_errors,
)
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.indicators import service

app = typer.Typer(help="Indicator feeds from other systems: themes, stations, values.", no_args_is_help=True)
DbOption = typer.Option(None, "--db", help="Database URL or SQLite file path.")
SHIPPED_THEMES = ("ecology", "ecology-daily", "safety")


def _context(db: str | None):  # type: ignore[no-untyped-def]
    settings = load_settings(db)
    return settings, engine_for(settings), Clock(zone=settings.zone, today=settings.today)


@app.command("load-theme")
@one_line_errors
def load_theme(
    theme: str = typer.Argument(..., help=f"A shipped theme ({', '.join(SHIPPED_THEMES)}) or a YAML file."),
    db: str | None = DbOption,
) -> None:
    """Create or update a theme's series and thresholds from its YAML."""
    if theme in SHIPPED_THEMES:
        data = resources.files("citycockpit.indicators").joinpath(f"data/themes/{theme}.yaml").read_bytes()
        name = f"{theme}.yaml"
    else:
        path = Path(theme)
        if not path.is_file():
            fail(f"{theme}: neither a shipped theme ({', '.join(SHIPPED_THEMES)}) nor a file")
        data, name = path.read_bytes(), path.name
    _settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        result = service.load_theme(session, data, name, actor=CLI_ACTOR, now=clock.now())
    console.print(
        f"series created {result['created']}, updated {result['updated']}; board panels {result['panels']}"
    )


@app.command("import-stations")
@one_line_errors
def import_stations(file: Path = input_file("CSV or XLSX of stations."), db: str | None = DbOption) -> None:
    """Import monitoring stations (code, name, level 国控/省控/镇控, lat, lon, area), all or nothing."""
    _settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        result = service.import_stations(
            session, file.read_bytes(), file.name, actor=CLI_ACTOR, now=clock.now()
        )
    console.print(f"stations created {result['created']}, updated {result['updated']}")


@app.command("import-values")
@one_line_errors
def import_values(
    file: Path = input_file("CSV or XLSX: series, time, station, value."),
    series: str | None = typer.Option(
        None, "--series", help="The series code, when the file has no series column."
    ),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    db: str | None = DbOption,
) -> None:
    """Import values, all or nothing; values already stored unchanged are left alone, changed ones revised."""
    settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        result = service.import_values_file(
            session,
            file.read_bytes(),
            file.name,
            principal=CLI_ACTOR,
            now=clock.now(),
            zone=settings.zone,
            series=series,
            encoding=encoding,
        )
    console.print(f"created {result.created}, revised {result.revised}, unchanged {result.unchanged}")
