"""`citycockpit events rollup | train`: the daily rollups and the classifier. (`events generate`, the
synthetic city, is the demo's: demo/cli.py.)"""

from __future__ import annotations

from datetime import date, timedelta

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from citycockpit.core.cliutil import CLI_ACTOR, console, engine_for, fail, load_settings, one_line_errors
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return fail(f"{name} {value!r} is not a date in the form YYYY-MM-DD")


def rollup_range(engine, zone, clock: Clock, first: date, last: date) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.events.analytics import rollup

    last = min(last, clock.local_today() - timedelta(days=1))
    if last < first:
        console.print("nothing to roll up: the range holds no whole past day")
        return
    total_days = (last - first).days + 1
    with progress_bar() as progress:
        task = progress.add_task("rollups", total=total_days, rate="days")
        result = rollup.recompute_range(
            lambda: session_scope(engine),
            first,
            last,
            zone=zone,
            now=clock.now(),
            on_chunk=lambda k: progress.advance(task, k),
        )
    console.print(
        f"rolled up {result.days} days into {result.rows:,} rows"
        + (f" ({result.skipped} days skipped: another worker holds them)" if result.skipped else "")
    )


def rollup_(
    first: str | None = typer.Option(
        None, "--from", help="First local day (default: the first event's day)."
    ),
    last: str | None = typer.Option(None, "--to", help="Last local day (default: yesterday)."),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Recompute the daily KPI rollups for a range of whole past days (idempotent)."""
    from citycockpit.events.analytics import rollup

    settings = load_settings(db)
    engine = engine_for(settings)
    clock = Clock(zone=settings.zone, today=settings.today)
    start, end = _day(first, "--from"), _day(last, "--to")
    if start is None:
        with session_scope(engine, read_only=True) as session:
            start = rollup.event_day_span(session)[0]
        if start is None:
            console.print("no events yet: nothing to roll up")
            return
    end = end or clock.local_today() - timedelta(days=1)
    if end < start:
        fail("--to is before --from")
    rollup_range(engine, settings.zone, clock, start, end)


def train(
    max_events: int = typer.Option(
        200_000, "--max-events", min=50, help="Train on at most this many newest events."
    ),
    words: bool | None = typer.Option(
        None,
        "--words/--no-words",
        help="Force jieba word features on or off (default: kept only when cross-validation says they help).",
    ),
    target_precision: float | None = typer.Option(
        None,
        "--target-precision",
        min=0.5,
        max=1.0,
        help="Precision auto-routed events must reach on the out-of-fold scores "
        "(default: the events_autoroute_precision setting).",
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Retrain the category/department classifier on confirmed history (closed events and dispatchers'
    triage choices); print out-of-fold (5-fold cross-validation) accuracy, per-category
    precision/recall and the auto-route threshold stored with the model, which is fitted on all of it."""
    from citycockpit.events.intake.classifier import train_classifier

    settings = load_settings(db)
    engine = engine_for(settings)
    clock = Clock(zone=settings.zone, today=settings.today)
    target = target_precision if target_precision is not None else settings.events_autoroute_precision
    with console.status("training…"), session_scope(engine) as session:
        result = train_classifier(
            session,
            now=clock.now(),
            actor=CLI_ACTOR,
            max_events=max_events,
            use_words=words,
            target_precision=target,
        )
    table = Table(
        "model",
        "trained on",
        "scored out of fold",
        "features",
        "classes",
        "category accuracy",
        "department accuracy",
        "rule = final department",
        "seconds",
    )
    pct = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    table.add_row(
        str(result.model_id),
        f"{result.n_train:,}",
        f"{result.n_test:,}",
        "chars + words" if result.use_words else "chars",
        str(result.n_classes),
        pct(result.accuracy),
        pct(result.department_accuracy),
        pct(result.rule_agreement),
        f"{result.seconds:.1f}",
    )
    console.print(table)
    figures = result.figures
    if figures is None:
        return
    names = _category_names(engine)
    per = Table("category", "name", "precision", "recall", "scored")
    for code, (precision, recall, n) in sorted(figures.per_category.items(), key=lambda kv: -kv[1][2]):
        per.add_row(code, names.get(code, ""), pct(precision), pct(recall), f"{int(n):,}")
    console.print(per)
    console.print(
        f"auto-route threshold {figures.threshold:.3f} (target precision {figures.target:.0%}): "
        f"auto-routed {pct(figures.autoroute_share)} of the out-of-fold scores, precision "
        f"{pct(figures.autoroute_precision)}; first suggestion right {pct(figures.top1)}, "
        f"one of the top three {pct(figures.top3)}"
    )


def _category_names(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from citycockpit.events import categories

    with session_scope(engine, read_only=True) as session:
        return {c.code: c.name for c in categories.list_report_categories(session)}


def register(target: typer.Typer) -> None:
    """Add these commands to the `events` command group."""
    target.command("rollup")(one_line_errors(rollup_))
    target.command("train")(one_line_errors(train))
