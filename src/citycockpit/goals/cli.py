"""`citycockpit goals …` and `citycockpit actuals …`: from the report to the bulletin."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from citycockpit.core.cliutil import (
    CLI_ACTOR,
    console,
    engine_for,
    fail,
    input_file,
    load_settings,
    one_line_errors,
    output_file,
)
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.goals import (
    airgoals,
    alerts,
    bulletin,
    evaluation,
    periods,
    progress,
    queries,
    series,
    service,
    tasks_io,
)
from citycockpit.goals.service import find_series
from citycockpit.goals.settings import check_settings
from citycockpit.goals.status import Thresholds

app = typer.Typer(
    help="Goals: 清单化管理、节点化督查 — tasks, milestones, reports, statuses, bulletins.",
    no_args_is_help=True,
)
actuals_app = typer.Typer(
    help="Indicator series and the statistics bureau's monthly actuals.", no_args_is_help=True
)
DbOption = typer.Option(None, "--db", help="Database URL or SQLite file path.")


def _context(db: str | None):  # type: ignore[no-untyped-def]
    settings = load_settings(db, checks=[check_settings])
    return settings, engine_for(settings), Clock(zone=settings.zone, today=settings.today)


@app.command("from-report")
@one_line_errors
def from_report(
    report_id: int = typer.Argument(..., help="Report id (see `citycockpit report list`)."),
    confirm_all: bool = typer.Option(
        False,
        "--confirm-all",
        help="First confirm every target, qualitative target and commitment still awaiting review (trials).",
    ),
    db: str | None = DbOption,
) -> None:
    """Create goals from the report's confirmed/edited items and its qualitative sub-tasks."""
    settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        if confirm_all:
            from citycockpit.report import service as reports

            items, _ = reports.list_items(session, report_id, state="extracted", limit=100_000)
            ids = [i.id for i in items if i.list_name != "actuals"]
            confirmed = reports.confirm_items(session, report_id, ids, actor=CLI_ACTOR, now=clock.now())
            console.print(f"confirmed {confirmed} item(s)")
        result = service.goals_from_report(
            session, report_id, actor=CLI_ACTOR, now=clock.now(), settings=settings
        )
        _reevaluate(session, settings, clock, goal_ids=result.created)
    console.print(
        f"created {len(result.created)} goal(s), {result.nodes} node(s); skipped {result.skipped} existing"
    )


@app.command("import-tasks")
@one_line_errors
def import_tasks(
    file: Path = input_file("The task sheet (.xlsx)."),
    year: int | None = typer.Option(None, help="Year of new rows (default: this year)."),
    db: str | None = DbOption,
) -> None:
    """Load the task decomposition sheet: keyed rows update, new rows are added; nothing on any error."""
    settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        result = tasks_io.import_tasks(
            session,
            file.read_bytes(),
            file.name,
            year=year or clock.local_today().year,
            actor=CLI_ACTOR,
            now=clock.now(),
        )
        _reevaluate(session, settings, clock, goal_keys=result.keys)
    console.print(
        f"created {result.created}, updated {result.updated}; milestones +{result.milestones_added} "
        f"-{result.milestones_removed}"
    )


@app.command("export-tasks")
@one_line_errors
def export_tasks(
    out: Path = output_file("--out", help="Output .xlsx file."),
    year: int | None = typer.Option(None, help="Only this year's goals."),
    db: str | None = DbOption,
) -> None:
    """Write the task sheet (the format `goals import-tasks` reads)."""
    if out.suffix.lower() != ".xlsx":
        fail("--out must be an .xlsx file")
    _settings, engine, _clock = _context(db)
    with session_scope(engine, read_only=True) as session:
        data = tasks_io.export_tasks(session, year=year)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")


def _evaluate(session, settings, clock, period: str) -> str:  # type: ignore[no-untyped-def]
    period = periods.parse_period(period)
    evaluation.refresh(
        session,
        period,
        today=clock.local_today(),
        thresholds=Thresholds.from_settings(settings),
        now=clock.now(),
    )
    return period


def _reevaluate(session, settings, clock, **changed) -> None:  # type: ignore[no-untyped-def]
    """After a write: re-apply the rules to the goals it changed (as the API does)."""
    evaluation.reevaluate(
        session,
        **changed,
        today=clock.local_today(),
        thresholds=Thresholds.from_settings(settings),
        now=clock.now(),
    )


@app.command("evaluate")
@one_line_errors
def evaluate(
    period: str = typer.Option(..., "--period", help="Month, e.g. 2024-06."), db: str | None = DbOption
) -> None:
    """Apply the status rules for a period and print the counts per status."""
    settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        period = _evaluate(session, settings, clock, period)
        counts = queries.status_counts(session, None, period)
    _print_counts(period, counts)


def _print_counts(period: str, counts: dict[str, int]) -> None:
    total = sum(counts.values())
    table = Table("status", "状态", "count", "share", title=f"goals {period}")
    for status, n in queries.ordered_counts(counts):
        table.add_row(status.value, status.label, str(n), bulletin.share_text(n, total) + "%")
    table.add_row("total", "合计", str(total), "100%")
    console.print(table)


@app.command("status")
@one_line_errors
def status(
    period: str = typer.Option(..., "--period", help="Month, e.g. 2024-06."), db: str | None = DbOption
) -> None:
    """Counts per status and per lead department for a period (as stored: writes and the worker keep
    them fresh; `goals evaluate` re-applies the rules)."""
    _settings, engine, _clock = _context(db)
    period = periods.parse_period(period)
    with session_scope(engine, read_only=True) as session:
        counts = queries.status_counts(session, None, period)
        by_dept = queries.counts_by_department(session, None, period)
    _print_counts(period, counts)
    table = Table("department", "status", "count")
    for _d, name, st, n in sorted(by_dept, key=lambda r: (r[1] or "", r[2])):
        table.add_row(name or "未分配", st, str(n))
    console.print(table)


@app.command("list")
@one_line_errors
def list_(
    period: str | None = typer.Option(None, "--period", help="Show the status of this month."),
    year: int | None = typer.Option(None, help="Only this year."),
    db: str | None = DbOption,
) -> None:
    """List goals with lead department and (with --period) status."""
    _settings, engine, _clock = _context(db)
    if period:
        period = periods.parse_period(period)
    with session_scope(engine, read_only=True) as session:
        goals, _total = service.list_goals(session, None, year=year, limit=10_000)
        from citycockpit.goals.views import goal_views

        views = goal_views(session, goals, period)
        names = {
            g.id: service.department_label(session.get(service.Department, g.lead_department_id))
            for g in goals
            if g.lead_department_id
        }
    table = Table("key", "kind", "title", "lead", "status")
    for v in views:
        ev = v["evaluation"]
        table.add_row(v["key"], v["kind"], v["title"][:40], names.get(v["id"], ""), ev["label"] if ev else "")
    console.print(table)


@app.command("bulletin")
@one_line_errors
def bulletin_(
    period: str = typer.Option(..., "--period", help="Month, e.g. 2024-06."),
    out: Path = output_file("--out", help="Output file: .xlsx or .html."),
    preview: bool = typer.Option(False, "--preview", help="Allow a month that has not begun yet."),
    db: str | None = DbOption,
) -> None:
    """Write the supervision bulletin (督查通报) of a period as XLSX or printable HTML.

    A month in which no goal has a status is refused, and so is a month that has not begun unless
    --preview is given."""
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".html", ".htm"):
        fail("--out must end in .xlsx or .html")
    settings, engine, clock = _context(db)
    period = periods.parse_period(period)
    with session_scope(engine, read_only=True) as session:
        b = bulletin.build_bulletin(
            session, None, period=period, today=clock.local_today(), city=settings.city_name
        )
    bulletin.check_issuable(b, today=clock.local_today(), preview=preview)
    if suffix == ".xlsx":
        out.write_bytes(bulletin.to_xlsx(b))
    else:
        out.write_text(bulletin.to_html(b), encoding="utf-8")
    console.print(b.summary)
    console.print(f"wrote {out}")


@app.command("alerts")
@one_line_errors
def alerts_(
    department: str | None = typer.Option(None, help="Department code, name or short name."),
    period: str | None = typer.Option(None, "--period", help="Only this month's alerts (default: all open)."),
    db: str | None = DbOption,
) -> None:
    """Open alerts (turned red, milestone overdue, report missing), per department or overall."""
    _settings, engine, _clock = _context(db)
    month = periods.parse_period(period) if period else None
    with session_scope(engine, read_only=True) as session:
        dept_id = None
        if department:
            dept = service.resolve_department(session, department)
            if dept is None:
                fail(f"unknown department {department!r}")
            dept_id = dept.id
        rows = alerts.list_alerts(session, None, department_id=dept_id, period=month)
        summary = alerts.count_alerts_by_department(session, None)
    table = Table("kind", "period", "goal", "message")
    for a, g in rows:
        table.add_row(a.kind, a.period, g.key, a.message[:70])
    console.print(table)
    totals = Table("department", "kind", "open")
    for _d, name, kind, n in summary:
        if dept_id is None or _d == dept_id:
            totals.add_row(name or "未分配", kind, str(n))
    console.print(totals)


@app.command("reminders")
@one_line_errors
def reminders(
    period: str = typer.Option(..., "--period", help="Month, e.g. 2024-06."), db: str | None = DbOption
) -> None:
    """Goals whose progress report for the period is missing (催报 list)."""
    _settings, engine, _clock = _context(db)
    with session_scope(engine, read_only=True) as session:
        goals = progress.missing_reports(session, None, period=period)
        names = {
            g.id: service.department_label(session.get(service.Department, g.lead_department_id))
            for g in goals
            if g.lead_department_id
        }
    table = Table("key", "title", "lead")
    for g in goals:
        table.add_row(g.key, g.title[:50], names.get(g.id, "未分配"))
    console.print(table)
    console.print(f"{len(goals)} goal(s) without a report for {periods.parse_period(period)}")


@app.command("lock")
@one_line_errors
def lock(period: str = typer.Argument(..., help="Month, e.g. 2024-06."), db: str | None = DbOption) -> None:
    """Lock a period after the bulletin is issued (statuses frozen; late edits need an unlock)."""
    settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        period = _evaluate(session, settings, clock, period)
        periods.lock_period(session, period, actor=CLI_ACTOR, now=clock.now())
    console.print(f"{period} locked")


@app.command("unlock")
@one_line_errors
def unlock(
    period: str = typer.Argument(..., help="Month, e.g. 2024-06."),
    reason: str = typer.Option(..., "--reason", help="Why late edits are needed (audited)."),
    db: str | None = DbOption,
) -> None:
    """Unlock a period for late edits; the reason is audited."""
    _settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        periods.unlock_period(session, period, actor=CLI_ACTOR, now=clock.now(), reason=reason)
    console.print(f"{periods.parse_period(period)} unlocked")


@app.command("rollup")
@one_line_errors
def rollup(
    year: int = typer.Option(..., help="Goal year."),
    period: str = typer.Option(..., "--period", help="Month, e.g. 2024-06."),
    db: str | None = DbOption,
) -> None:
    """Task areas and sub-tasks rolled up by their own rule."""
    _settings, engine, _clock = _context(db)
    period = periods.parse_period(period)
    with session_scope(engine, read_only=True) as session:
        tree = queries.rollup_tree(session, None, year=year, period=period)
    table = Table("node", "rule", "goals", "score", "progress", "colour")
    for area in tree:
        for depth, node in [(0, area)] + [(1, c) for c in area.children]:
            s = node.score
            table.add_row(
                ("  " * depth) + f"{node.node.number or ''} {node.node.title}"[:40],
                node.node.rollup_rule,
                str(node.goals),
                "" if s.score is None else f"{s.score:.2f}",
                "" if s.progress is None else f"{s.progress:.0%}",
                s.color.value,
            )
    console.print(table)


@actuals_app.command("import")
@one_line_errors
def import_actuals(
    file: Path = input_file("CSV or XLSX."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    db: str | None = DbOption,
) -> None:
    """Import monthly actuals (indicator, period, value, YoY %); re-imported periods replace (audited)."""
    settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        result = series.import_actuals(
            session, file.read_bytes(), file.name, actor=CLI_ACTOR, now=clock.now(), encoding=encoding
        )
        _reevaluate(session, settings, clock, series_ids=result.series_ids)
    console.print(
        f"created {result.created}, replaced {len(result.replaced)}, unchanged {result.unchanged} "
        f"({', '.join(result.periods)})"
    )


@actuals_app.command("series")
@one_line_errors
def list_series(db: str | None = DbOption) -> None:
    """List indicator series with aliases and their latest period."""
    _settings, engine, _clock = _context(db)
    with session_scope(engine, read_only=True) as session:
        rows = series.list_series(session)
    table = Table("id", "name", "unit", "cumulative", "aliases", "actuals", "latest")
    for s, aliases, n, last in rows:
        table.add_row(
            str(s.id),
            s.name,
            s.unit or "",
            "yes" if s.is_cumulative else "no",
            "、".join(aliases),
            str(n),
            last or "",
        )
    console.print(table)


@actuals_app.command("link")
@one_line_errors
def link(
    series_name: str = typer.Argument(..., help="The series' id or name (an alias will do)."),
    to: str | None = typer.Option(
        None, "--to", help="air:pm25_annual_mean or air:good_days_ratio; leave out to unlink."
    ),
    db: str | None = DbOption,
) -> None:
    """Make a series follow the city's daily air quality (its goals are judged on the daily figures)."""
    settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        if series_name.isdigit():
            series_id = int(series_name)
        else:
            found = find_series(session, series_name)
            if found is None:
                fail(f"no indicator series named {series_name}")
            assert found is not None
            series_id = found.id
        s = airgoals.link_series(
            session, series_id, to, actor=CLI_ACTOR, now=clock.now(), today=clock.local_today()
        )
        _reevaluate(session, settings, clock, series_ids=[s.id])
    console.print(f"series {s.id} {s.name}: {to or 'no link'}")


@actuals_app.command("add-series")
@one_line_errors
def add_series(
    name: str = typer.Argument(..., help="Indicator name as the statistics bureau writes it."),
    unit: str | None = typer.Option(None, help="Unit, e.g. 亿元."),
    cumulative: bool = typer.Option(
        True, "--cumulative/--not-cumulative", help="Values are year-to-date totals (1–N月累计)."
    ),
    alias: list[str] = typer.Option([], "--alias", help="Another name the files use (repeatable)."),
    db: str | None = DbOption,
) -> None:
    """Create an indicator series."""
    _settings, engine, clock = _context(db)
    with session_scope(engine) as session:
        s = series.create_series(
            session,
            name=name,
            unit=unit,
            is_cumulative=cumulative,
            aliases=alias,
            actor=CLI_ACTOR,
            now=clock.now(),
        )
    console.print(f"series {s.id} {s.name}")
