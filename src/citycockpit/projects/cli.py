"""`citycockpit projects …`: the key-project ledger in and out, and the monthly completion report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.principal import Principal
from citycockpit.core.cliutil import (
    CLI_ACTOR,
    console,
    engine_for,
    fail,
    input_file,
    load_settings,
    one_line_errors,
    output_file,
    wide_console,
)
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.projects import attraction, ledger, queries, signings_file
from citycockpit.projects.enums import STAGE_LABELS, ProjectStage

app = typer.Typer(
    help="Key projects (重点项目): ledger import/export and the completion report.", no_args_is_help=True
)

# The command line is run by the operator of the server: it sees every project.
CLI_PRINCIPAL = Principal(id=None, name="cli", role=Role.ADMIN, perms=frozenset(Perm), kind="user")


# The report's headers: the group column by --by, then the figures of each group.
GROUP_HEADERS = {"level": "项目级别", "industry": "行业", "area": "所在区域", "department": "牵头单位"}
FIGURE_HEADERS = (
    "项目数",
    "有年度计划",
    "年度计划（万元）",
    "累计完成（万元）",
    "完成率",
    "时序进度",
    "滞后项目",
)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _wan(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


@app.command("import")
@one_line_errors
def import_(
    file: Path = input_file("The ledger (.xlsx)."),
    year: int | None = typer.Option(None, help="Year of the 年度计划投资 column (default: this year)."),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Import the project office's ledger; every row is checked first and nothing is stored if any is bad."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        result = ledger.import_ledger(
            session,
            file.read_bytes(),
            file.name,
            year=year or clock.local_today().year,
            actor=CLI_ACTOR,
            now=clock.now(),
            today=clock.local_today(),
        )
    console.print(
        f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
        f"plans set {result.plans_set}, stage changes {result.stage_changes}"
    )


@app.command("export")
@one_line_errors
def export(
    out: Path = output_file("--out", help="Output file (.xlsx)."),
    period: str | None = typer.Option(
        None, help="YYYY-MM whose plan and actuals to include (default: latest due)."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Export the ledger in the format `projects import` reads."""
    if out.suffix.lower() != ".xlsx":
        fail("the ledger is written as .xlsx")
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    p = queries.parse_period(period) if period else queries.default_period(clock.local_today())
    with session_scope(engine_for(settings), read_only=True) as session:
        data = ledger.export_ledger(session, CLI_PRINCIPAL, p)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes, period {p})")


@app.command("report")
@one_line_errors
def report(
    period: str = typer.Option(..., "--period", help="Month of the report, YYYY-MM."),
    by: str = typer.Option("level", help="Group by level, industry, area or department."),
    margin: float | None = typer.Option(None, help="Lag margin in percentage points (default: the setting)."),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Print the completion of the year's plan (overall and grouped) and the lagging list."""
    if by not in queries.DIMENSIONS:
        fail(f"--by must be one of {', '.join(queries.DIMENSIONS)}")
    settings = load_settings(db)
    p = queries.parse_period(period)
    margin_pct = settings.projects_lag_margin_pct if margin is None else margin
    with session_scope(engine_for(settings), read_only=True) as session:
        totals = queries.completion_totals(session, CLI_PRINCIPAL, p, margin_pct)
        groups = queries.completion_by(session, CLI_PRINCIPAL, p, margin_pct, by=by)
        behind, _ = queries.project_completion(session, CLI_PRINCIPAL, p, margin_pct, lagging_only=True)
        _, no_plan = queries.project_completion(
            session, CLI_PRINCIPAL, p, margin_pct, no_plan_only=True, limit=1
        )

    table = Table(
        title=f"重点项目年度计划投资完成率 {p}（完成率低于时序进度 {margin_pct:g} 个百分点以上为滞后）"
    )
    for column in (GROUP_HEADERS[by], *FIGURE_HEADERS):
        table.add_column(column, justify="left" if column == GROUP_HEADERS[by] else "right")
    for g in groups:
        table.add_row(
            g["label"],
            str(g["projects"]),
            str(g["planned_projects"]),
            _wan(g["planned_wan_cny"]),
            _wan(g["actual_wan_cny"]),
            _pct(g["completion_pct"]),
            _pct(g["time_progress_pct"]),
            str(g["lagging"]),
        )
    table.add_row(
        "[bold]合计[/]",
        str(totals["projects"]),
        str(totals["planned_projects"]),
        _wan(totals["planned_wan_cny"]),
        _wan(totals["actual_wan_cny"]),
        _pct(totals["completion_pct"]),
        _pct(totals["time_progress_pct"]),
        str(totals["lagging"]),
        style="bold",
    )
    out = wide_console()
    out.print(table)

    lag = Table(title=f"滞后项目（{len(behind)} 个）")
    # A project code is never cut or broken; names and units wrap when the terminal is narrow.
    lag.add_column("项目编号", no_wrap=True, min_width=max((len(r["code"]) for r in behind), default=4))
    for column in ("项目名称", "牵头单位", "所在区域", "阶段"):
        lag.add_column(column, overflow="fold")
    for column in ("年度计划（万元）", "累计完成（万元）", "完成率", "时序进度", "落后（百分点）"):
        lag.add_column(column, justify="right", no_wrap=True)
    for r in behind:
        lag.add_row(
            r["code"],
            r["name"],
            r["department_name"],
            r["area_name"],
            STAGE_LABELS[ProjectStage(r["stage"])],
            _wan(r["planned"]),
            _wan(r["actual"]),
            _pct(r["completion_pct"]),
            _pct(r["time_progress_pct"]),
            f"{r['gap_pct']:.1f}",
        )
    out.print(lag)
    out.print(f"没有 {p.year} 年度计划的项目（不计入完成率）：{no_plan} 个")


@app.command("import-signings")
@one_line_errors
def import_signings(
    file: Path = input_file("XLSX or CSV."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV file (e.g. gb18030)."),
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Record the signings (招商引资签约项目) of an XLSX or CSV list, all or nothing."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        codes = signings_file.import_signings(
            session,
            file.read_bytes(),
            file.name,
            actor=CLI_ACTOR,
            now=clock.now(),
            rules=attraction.SigningRules.from_settings(settings),
            encoding=encoding,
        )
    console.print(f"recorded {len(codes)} signing(s)")


@app.command("reclassify-signings")
@one_line_errors
def reclassify_signings(
    db: str | None = typer.Option(None, "--db", help="Database URL or SQLite file path."),
) -> None:
    """Apply the signing-counting rules in the settings to the signings recorded before they changed."""
    settings = load_settings(db)
    rules = attraction.SigningRules.from_settings(settings)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        changed = attraction.reclassify_signings(session, rules, actor=CLI_ACTOR, now=clock.now())
    labels = rules.labels()
    console.print(f"rules: {labels['signed_count']}; {labels['major_count']}")
    console.print(f"{changed} signing(s) changed")
