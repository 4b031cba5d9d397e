"""`citycockpit events generate`: the synthetic city's events (a demo tool, mounted in the events group)."""

from __future__ import annotations

from datetime import date, timedelta

import typer

from citycockpit.core.cliutil import CLI_ACTOR, console, engine_for, load_settings, one_line_errors
from citycockpit.core.clock import Clock
from citycockpit.demo.generate import generate_events
from citycockpit.events.analytics.cli import progress_bar, rollup_range


def generate(
    events: int = typer.Option(50_000, "--events", min=1, help="How many events to write."),
    year: int = typer.Option(0, "--year", help="Year the events are reported in (default: today's year)."),
    through_year: int = typer.Option(
        0,
        "--through-year",
        help="Last year of a span from --year: the events are shared by the years' days, and a large load "
        "rebuilds the indexes once instead of once a year.",
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed, for a reproducible city."),
    with_timeline: bool = typer.Option(
        False, "--with-timeline", help="Also write each event's transitions (≈7 rows per event; slower)."
    ),
    no_rollup: bool = typer.Option(
        False, "--no-rollup", help="Skip recomputing the daily rollups afterwards."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Write a year of synthetic events for the demo city (areas and departments must exist)."""
    settings = load_settings(db)
    engine = engine_for(settings)
    clock = Clock(zone=settings.zone, today=settings.today)
    year = year or clock.local_today().year
    with progress_bar() as progress:
        task = progress.add_task("events", total=events, rate="")

        def advance(k: int) -> None:
            progress.advance(task, k)
            elapsed = progress.tasks[0].elapsed or 0
            if elapsed:
                progress.update(task, rate=f"{progress.tasks[0].completed / elapsed:,.0f}/s")

        result = generate_events(
            engine,
            n=events,
            year=year,
            now=clock.now(),
            zone=settings.zone,
            actor=CLI_ACTOR,
            county_code=settings.county_code,
            seed=seed,
            with_timeline=with_timeline,
            on_progress=advance,
            through_year=through_year or None,
        )
    console.print(
        f"wrote {result.events:,} events (ids {result.first_id}–{result.last_id})"
        + (f" and {result.transitions:,} transitions" if result.transitions else "")
        + f" in {result.seconds:.1f} s ({result.events / max(result.seconds, 1e-9):,.0f} events/s)"
    )
    if not no_rollup:
        last = through_year or year
        rollup_range(engine, settings.zone, clock, date(year, 1, 1), date(last, 12, 31) + timedelta(days=60))


def register(target: typer.Typer) -> None:
    """Add `generate` to the `events` command group."""
    target.command("generate")(one_line_errors(generate))
