"""Indicator series, their aliases and monthly actuals imported from the statistics bureau's files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.tabular import ImportFailed, Row, RowError
from citycockpit.goals import periods
from citycockpit.goals.errors import InvalidGoal, InvalidPeriod, SeriesNameTaken, SeriesNotFound
from citycockpit.goals.models import IndicatorActual, IndicatorAlias, IndicatorSeries
from citycockpit.goals.service import find_series

ACTUAL_HEADERS = {
    "指标": "indicator",
    "指标名称": "indicator",
    "name": "indicator",
    "期间": "period",
    "月份": "period",
    "时间": "period",
    "统计期": "period",
    "数值": "value",
    "累计值": "value",
    "本期值": "value",
    "value": "value",
    "同比": "yoy",
    "同比增长": "yoy",
    "同比增长%": "yoy",
    "同比增长(%)": "yoy",
    "增速": "yoy",
    "增速%": "yoy",
    "yoy_pct": "yoy",
    "yoy%": "yoy",
}


def _clean(name: str) -> str:
    return "".join((name or "").split())


def create_series(
    session: Session,
    *,
    name: str,
    unit: str | None,
    is_cumulative: bool,
    aliases: list[str] | None = None,
    frequency: str = "monthly",
    description: str | None = None,
    actor: Actor,
    now: datetime,
) -> IndicatorSeries:
    """A new indicator series; names and aliases are unique across all series (spaces ignored)."""
    name = _clean(name)
    if not name:
        raise InvalidGoal("A series needs a name")
    if frequency != "monthly":
        raise InvalidGoal("Only monthly series are supported")
    if find_series(session, name) is not None:
        raise SeriesNameTaken(f"A series or alias named {name} already exists", name=name)
    series = IndicatorSeries(
        name=name,
        unit=unit,
        frequency=frequency,
        is_cumulative=is_cumulative,
        description=description,
        created_at=now,
    )
    session.add(series)
    session.flush()
    for alias in aliases or []:
        _add_alias(session, series, alias)
    audit.record(
        session,
        actor,
        "series.create",
        "indicator_series",
        series.id,
        at=now,
        diff={"name": name, "unit": unit, "cumulative": is_cumulative, "aliases": aliases or []},
    )
    return series


def _add_alias(session: Session, series: IndicatorSeries, alias: str) -> IndicatorAlias:
    alias = _clean(alias)
    if not alias:
        raise InvalidGoal("An alias cannot be empty")
    if find_series(session, alias) is not None:
        raise SeriesNameTaken(f"A series or alias named {alias} already exists", name=alias)
    row = IndicatorAlias(series_id=series.id, alias=alias)
    session.add(row)
    session.flush()
    return row


def add_alias(session: Session, series_id: int, alias: str, *, actor: Actor, now: datetime) -> IndicatorAlias:
    series = get_series(session, series_id)
    row = _add_alias(session, series, alias)
    audit.record(
        session, actor, "series.alias", "indicator_series", series.id, at=now, diff={"alias": row.alias}
    )
    return row


def get_series(session: Session, series_id: int) -> IndicatorSeries:
    series = session.get(IndicatorSeries, series_id)
    if series is None:
        raise SeriesNotFound(f"Indicator series {series_id} does not exist", series_id=series_id)
    return series


def list_series(session: Session) -> list[tuple[IndicatorSeries, list[str], int, str | None]]:
    """Series with their aliases, number of actuals and latest period (aggregated in SQL)."""
    series = session.scalars(select(IndicatorSeries).order_by(IndicatorSeries.name)).all()
    aliases: dict[int, list[str]] = {}
    for sid, alias in session.execute(select(IndicatorAlias.series_id, IndicatorAlias.alias)):
        aliases.setdefault(sid, []).append(alias)
    stats = {
        sid: (n, last)
        for sid, n, last in session.execute(
            select(IndicatorActual.series_id, func.count(), func.max(IndicatorActual.period)).group_by(
                IndicatorActual.series_id
            )
        )
    }
    return [(s, sorted(aliases.get(s.id, [])), *stats.get(s.id, (0, None))) for s in series]


def list_actuals(session: Session, series_id: int, year: int | None = None) -> list[IndicatorActual]:
    get_series(session, series_id)
    query = select(IndicatorActual).where(IndicatorActual.series_id == series_id)
    if year is not None:
        query = query.where(IndicatorActual.period.like(f"{year}-%"))
    return list(session.scalars(query.order_by(IndicatorActual.period)).all())


def monthly_values(
    session: Session, series_ids: list[int], years: list[int]
) -> dict[tuple[int, int], dict[int, tuple[float | None, float | None]]]:
    """{(series_id, year): {month: (value, yoy)}} for the given series and years."""
    out: dict[tuple[int, int], dict[int, tuple[float | None, float | None]]] = {}
    if not series_ids:
        return out
    rows = session.execute(
        select(
            IndicatorActual.series_id, IndicatorActual.period, IndicatorActual.value, IndicatorActual.yoy_pct
        ).where(IndicatorActual.series_id.in_(series_ids))
    ).all()
    wanted = set(years)
    for sid, period, value, yoy in rows:
        year, month = int(period[:4]), int(period[5:7])
        if year in wanted:
            out.setdefault((sid, year), {})[month] = (value, yoy)
    return out


@dataclass
class ActualsImport:
    created: int = 0
    replaced: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    periods: list[str] = field(default_factory=list)
    series_ids: list[int] = field(default_factory=list)  # the series whose goals' statuses may change


def _number(row: Row, key: str, errors: list[RowError], *, required: bool) -> float | None:
    raw = row.values.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors.append(RowError(row.file, row.number, f"{key} is empty", row.sheet))
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip().rstrip("%").replace(",", "")
    try:
        return float(text)
    except ValueError:
        errors.append(RowError(row.file, row.number, f"{key} {raw!r} is not a number", row.sheet))
        return None


def import_actuals(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: Actor,
    now: datetime,
    encoding: str = "utf-8",
    ip: str | None = None,
) -> ActualsImport:
    """Import monthly actuals (indicator, period, value, YoY %) from CSV or XLSX, all or nothing.

    Indicators are matched by series name or alias; an unknown one, a bad period or number, a repeated
    (indicator, period) or a locked period is reported by row. A (series, period) already stored is
    replaced, and the old and new figures go into the one audit entry of the import."""
    kind = tabular.file_kind(filename)
    if kind == "csv":
        tables = [tabular.read_csv(data, filename, ACTUAL_HEADERS, encoding=encoding)]
    elif kind == "xlsx":
        tables = tabular.read_xlsx(data, filename, ACTUAL_HEADERS)[:1]
    else:
        raise ImportFailed([RowError(filename, None, "actuals come as .csv or .xlsx")])
    errors: list[RowError] = []
    parsed: list[tuple[Row, IndicatorSeries, str, float | None, float | None]] = []
    seen: dict[tuple[int, str], int] = {}
    locked: dict[str, bool] = {}
    for table in tables:
        missing = [c for c in ("indicator", "period") if c not in table.headers]
        if "value" not in table.headers and "yoy" not in table.headers:
            missing.append("value or yoy")
        if missing:
            raise ImportFailed(
                [RowError(filename, 1, f"missing column(s): {', '.join(missing)}", table.name)]
            )
        for row in table.rows:
            before = len(errors)
            name = str(row.values.get("indicator") or "").strip()
            series = find_series(session, name)
            if series is None:
                errors.append(
                    RowError(
                        row.file, row.number, f"unknown indicator {name!r} (no series or alias)", row.sheet
                    )
                )
            try:
                period = periods.parse_period(row.values.get("period"))
            except InvalidPeriod:
                errors.append(
                    RowError(
                        row.file, row.number, f"period {row.values.get('period')!r} is not YYYY-MM", row.sheet
                    )
                )
                period = ""
            value = _number(row, "value", errors, required=False)
            yoy = _number(row, "yoy", errors, required=False)
            if value is None and yoy is None and len(errors) == before:
                errors.append(RowError(row.file, row.number, "neither a value nor a YoY figure", row.sheet))
            if period and period not in locked:
                locked[period] = periods.is_locked(session, period)
            if period and locked.get(period):
                errors.append(RowError(row.file, row.number, f"period {period} is locked", row.sheet))
            if series is not None and period:
                if (series.id, period) in seen:
                    errors.append(
                        RowError(
                            row.file,
                            row.number,
                            f"{series.name} {period} repeats row {seen[(series.id, period)]}",
                            row.sheet,
                        )
                    )
                seen[(series.id, period)] = row.number
            if len(errors) == before and series is not None:
                parsed.append((row, series, period, value, yoy))
    if errors:
        raise ImportFailed(errors, what="actuals file")
    if not parsed:
        raise ImportFailed([RowError(filename, None, "the file has no data rows")])
    existing = {
        (a.series_id, a.period): a
        for a in session.scalars(
            select(IndicatorActual).where(
                IndicatorActual.series_id.in_({s.id for _, s, *_ in parsed}),
                IndicatorActual.period.in_({p for _, _, p, *_ in parsed}),
            )
        )
    }
    result = ActualsImport()
    for _row, series, period, value, yoy in parsed:
        current = existing.get((series.id, period))
        if current is None:
            session.add(
                IndicatorActual(
                    series_id=series.id,
                    period=period,
                    value=value,
                    yoy_pct=yoy,
                    source=filename[:255],
                    imported_at=now,
                )
            )
            result.created += 1
        elif (current.value, current.yoy_pct) == (value, yoy):
            result.unchanged += 1
        else:
            result.replaced.append(
                {
                    "series": series.name,
                    "period": period,
                    "from": [current.value, current.yoy_pct],
                    "to": [value, yoy],
                }
            )
            current.value, current.yoy_pct, current.source, current.imported_at = (
                value,
                yoy,
                filename[:255],
                now,
            )
    result.periods = sorted({p for _, _, p, *_ in parsed})
    result.series_ids = sorted({s.id for _, s, *_ in parsed})
    session.flush()
    audit.record(
        session,
        actor,
        "actuals.import",
        "indicator_actuals",
        None,
        at=now,
        ip=ip,
        diff={
            "file": filename,
            "created": result.created,
            "replaced": result.replaced,
            "unchanged": result.unchanged,
            "periods": result.periods,
        },
    )
    return result
