"""`citycockpit`: the command line. Each domain mounts its own sub-commands here."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from citycockpit import db_cli, migrate
from citycockpit import models as _all_models  # noqa: F401  (every table mapped before first use)
from citycockpit.audit import cli as audit_cli
from citycockpit.auth import cli as auth_cli
from citycockpit.config import app_version
from citycockpit.core.cliutil import CliGroup, console, engine_for, fail, load_settings, one_line_errors
from citycockpit.core.clock import Clock
from citycockpit.demo import cli as demo_cli
from citycockpit.events import cli as events_cli
from citycockpit.events.analytics import cli as events_analytics_cli
from citycockpit.events.sla import WorkCalendar
from citycockpit.goals import cli as goals_cli
from citycockpit.goals import settings as goals_settings
from citycockpit.indicators import cli as indicators_cli
from citycockpit.org import cli as org_cli
from citycockpit.projects import cli as projects_cli
from citycockpit.report import cli as report_cli
from citycockpit.screen import cli as screen_cli
from citycockpit.worker import run_jobs_once

# Each domain's check of its own settings, run before the commands that start the app or the worker.
SETTINGS_CHECKS = (goals_settings.check_settings,)

app = typer.Typer(
    cls=CliGroup,
    help="CityCockpit 城市驾驶舱: a self-hosted city operations hub.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(org_cli.app, name="org")
app.add_typer(report_cli.app, name="report")
app.add_typer(screen_cli.app, name="screen")
app.add_typer(projects_cli.app, name="projects")
app.add_typer(auth_cli.user_app, name="user")
app.add_typer(auth_cli.token_app, name="token")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(goals_cli.app, name="goals")
app.add_typer(goals_cli.actuals_app, name="actuals")
app.add_typer(indicators_cli.app, name="indicators")
app.add_typer(events_cli.app, name="events")
demo_cli.register(events_cli.app)
events_analytics_cli.register(events_cli.app)


def _version(value: bool) -> None:
    if value:
        console.print(f"citycockpit {app_version()}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """CityCockpit 城市驾驶舱."""


def _run_server(host: str, port: int, workers: int) -> None:
    import shutil
    import tempfile

    import uvicorn

    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Worker processes share metric counters through files (prometheus_client multiprocess mode).
        metrics_dir = tempfile.mkdtemp(prefix="citycockpit-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    else:
        metrics_dir = None
    try:
        uvicorn.run(
            "citycockpit.app:serve_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            log_config=None,
            access_log=False,
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@app.command()
@one_line_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes (keep 1 on SQLite: its single write lock makes others wait)."
    ),
) -> None:
    """Migrate the database to the newest schema, then serve the web app and API."""
    settings = load_settings(checks=SETTINGS_CHECKS)
    migrate.upgrade(engine_for(settings, schema="initialised"))
    _run_server(host, port, workers)


@app.command()
@one_line_errors
def demo(
    db: Path = typer.Option(Path("var/demo.db"), "--db", help="SQLite file to (re)create for the demo."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    today: str = typer.Option("2024-09-30", help="Simulated date (YYYY-MM-DD) the demo city lives on."),
    events: int = typer.Option(0, min=0, help="Synthetic events to generate (0: the default demo volume)."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Build the database and exit."),
) -> None:
    """Build a fresh demo city (Taicang) in a new SQLite file, then serve it."""
    from citycockpit.demo.build import DemoContext, build_demo

    try:
        simulated = date.fromisoformat(today)
    except ValueError:
        fail(f"--today {today!r} is not a date in the form YYYY-MM-DD")
    if db.is_dir():
        fail(f"--db {db} is a folder; give a file path")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db.resolve().as_posix()}"
    settings = load_settings(url, checks=SETTINGS_CHECKS)
    settings.today = simulated
    engine = engine_for(settings, schema="create")
    with console.status("migrating…"):
        migrate.upgrade(engine)
    ctx = DemoContext(clock=Clock(zone=settings.zone, today=simulated), events=events)
    build_demo(engine, ctx, on_step=lambda title: console.print(f"[green]✓[/] {title}"))
    engine.dispose()
    console.print(f"demo database ready: {db}  (today = {simulated})")
    for key, value in ctx.summary.items():
        console.print(f"  {key}: {value}")
    if no_serve:
        return
    os.environ["CITYCOCKPIT_DATABASE_URL"] = url
    os.environ["CITYCOCKPIT_TODAY"] = simulated.isoformat()
    console.print(
        f"\n[bold]CityCockpit is running at http://{host}:{port}/[/]  (API docs: /api/docs; Ctrl+C stops)"
    )
    _run_server(host, port, 1)


def main() -> None:
    app()


@app.command("worker")
@one_line_errors
def worker(
    interval: float = typer.Option(60.0, min=1, help="Seconds between runs."),
    once: bool = typer.Option(False, "--once", help="Run every job once and exit."),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Run the periodic jobs (SLA warnings, reminders, escalation, KPI rollups, daily goal statuses) in a
    loop; safe to run several.

    A job that fails is logged and recorded, and the others go on; with --once, any failure makes the
    exit code 1."""
    settings = load_settings(db, checks=SETTINGS_CHECKS)
    engine = engine_for(settings)
    clock = Clock(zone=settings.zone, today=settings.today)
    calendar = WorkCalendar.from_settings(settings)
    while True:
        outcomes = run_jobs_once(engine, clock, calendar, settings)
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
