"""`citycockpit report …`: ingest a government work report and look at its ledger."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from citycockpit.core.cliutil import (
    CLI_ACTOR,
    console,
    engine_for,
    err_console,
    input_file,
    load_settings,
    one_line_errors,
    output_file,
)
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.report import service
from citycockpit.report.enums import value_text

app = typer.Typer(
    help="Government work reports → ledgers (targets, actuals, commitments, tasks).", no_args_is_help=True
)
DbOption = typer.Option(None, "--db", help="Database URL or SQLite file path.")
LOW_CONFIDENCE = 0.7


@app.command("ingest")
@one_line_errors
def ingest(
    file: Path = input_file(".txt, .docx or .pdf"),
    json_out: Path | None = output_file("--json", help="Also write the ledger JSON here.", default=None),
    allow_duplicate: bool = typer.Option(False, help="Store the file again even if it was ingested before."),
    allow_partial: bool = typer.Option(
        False, help="Store a report even if its review, targets or task areas are not found (with a warning)."
    ),
    db: str | None = DbOption,
) -> None:
    """Read a report, extract its ledger and store it for review; print a summary.

    Text in which the review, the targets or the task areas are not found is refused (exit 1) unless
    --allow-partial, which stores it and warns naming what was not found."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        report, ledger = service.ingest_report(
            session,
            file.read_bytes(),
            file.name,
            actor=CLI_ACTOR,
            now=clock.now(),
            allow_duplicate=allow_duplicate,
            allow_partial=allow_partial,
        )
    if json_out is not None:
        json_out.write_text(json.dumps(ledger, ensure_ascii=False, indent=2), encoding="utf-8")
    _print_summary(report.id, ledger)
    if json_out is not None:
        console.print(f"ledger JSON written to {json_out}")
    missing = service.missing_parts(ledger)
    if missing:
        err_console.print(
            f"[bold yellow]warning:[/] report {report.id} stored without {service.describe_missing(missing)}:"
            " not found in the text",
            highlight=False,
            soft_wrap=True,
        )


def _print_summary(report_id: int, ledger: dict) -> None:  # type: ignore[type-arg]
    meta = ledger["report"]
    console.print(
        f"[bold]report {report_id}[/]: {meta['title']} · {meta['region'] or '?'} · {meta['year'] or '?'}"
        f" · {meta['delivered_on'] or '?'} · {meta['speaker'] or '?'}"
    )
    table = Table("list", "items", f"confidence < {LOW_CONFIDENCE}")
    for name in ("targets", "qualitative_targets", "actuals", "commitments"):
        low = sum(1 for i in ledger[name] if i.get("confidence", 1) < LOW_CONFIDENCE)
        table.add_row(name, str(len(ledger[name])), str(low) if name != "qualitative_targets" else "-")
    table.add_row(
        "tasks",
        f"{len(ledger['tasks'])} areas, {sum(len(t['children']) for t in ledger['tasks'])} sub-tasks",
        "-",
    )
    table.add_row("glossary", str(len(ledger["glossary"])), "-")
    console.print(table)
    low_items = [
        (n, i)
        for n in ("targets", "actuals", "commitments")
        for i in ledger[n]
        if i["confidence"] < LOW_CONFIDENCE
    ]
    if low_items:
        low = Table("list", "name", "value", "confidence", "quote", title="review these first")
        for name, item in low_items[:20]:
            low.add_row(
                name,
                item["name"],
                value_text(item["measure"], item["value"], item["unit"], item["qualifier"]),
                f"{item['confidence']:.2f}",
                item["quote"][:40],
            )
        console.print(low)


@app.command("list")
@one_line_errors
def list_(db: str | None = DbOption) -> None:
    """List stored reports with their item counts and review progress."""
    with session_scope(engine_for(load_settings(db)), read_only=True) as session:
        rows = service.list_reports(session)
    table = Table("id", "title", "region", "year", "targets", "actuals", "commitments", "reviewed", "file")
    for report, counts in rows:
        total = sum(counts.get(k, 0) for k in ("targets", "qualitative_targets", "actuals", "commitments"))
        reviewed = total - counts.get("extracted", 0)
        table.add_row(
            str(report.id),
            report.title,
            report.region or "",
            str(report.year or ""),
            str(counts.get("targets", 0)),
            str(counts.get("actuals", 0)),
            str(counts.get("commitments", 0)),
            f"{reviewed}/{total}",
            report.source_filename,
        )
    console.print(table)


@app.command("show")
@one_line_errors
def show(
    report_id: int = typer.Argument(..., help="Report id (see `report list`)."),
    list_name: str | None = typer.Option(
        None, "--list", help="targets, qualitative_targets, actuals or commitments."
    ),
    json_out: Path | None = output_file("--json", help="Write the reviewed ledger JSON here.", default=None),
    db: str | None = DbOption,
) -> None:
    """Show a report's items (with review state), or write its reviewed ledger as JSON."""
    with session_scope(engine_for(load_settings(db)), read_only=True) as session:
        report = service.get_report(session, report_id)
        if json_out is not None:
            json_out.write_text(
                json.dumps(service.ledger_json(session, report_id), ensure_ascii=False, indent=2),
                encoding="utf-8",
            )
            console.print(f"ledger JSON written to {json_out}")
            return
        items, total = service.list_items(session, report_id, list_name=list_name, limit=5000)
    console.print(f"[bold]report {report.id}[/]: {report.title} ({total} items)")
    table = Table("id", "list", "name", "value", "state", "conf.", "quote")
    for item in items:
        value = item.value_text
        table.add_row(
            str(item.id),
            item.list_name,
            item.name,
            value,
            item.review_state,
            f"{item.confidence:.2f}",
            item.quote[:30],
        )
    console.print(table)
