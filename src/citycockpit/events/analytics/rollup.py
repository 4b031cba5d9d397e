"""Daily rollups: per local day × town × department × minor category, the counts the KPIs sum
(events/analytics/kpis.py); the same counts per local day × grid (villages' and grids' KPIs, the maps below the
city); per local day × town × department × channel × request type, the events received (the intake
breakdowns). Recomputing a day replaces its rows, so the job is idempotent; on PostgreSQL
each day is claimed with a transaction-scoped advisory lock, so several workers never compute the same
day at once (a day another worker holds is skipped, not waited for)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    Integer,
    String,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from citycockpit.core.dialect import advisory_lock, dialect_name, local_date, try_advisory_lock
from citycockpit.events.analytics.definitions import (
    E,
    ReportedMonths,
    anchor_range,
    anchored_counts,
    handling_bucket,
    reported_months,
)
from citycockpit.events.analytics.models import (
    DAY,
    HANDLING_UNITS,
    INTAKE_UNITS,
    MONTH,
    ROLLUP_COUNTS,
    EventAreaRollup,
    EventDailyIntake,
    EventDailyRollup,
    EventHandlingRollup,
    EventRollupDay,
    set_in_kind,
)
from citycockpit.events.storage.archive import archived_months
from citycockpit.events.storage.partitions import month_start, next_month
from citycockpit.ops.jobs import JobResult

LOCK_NAMESPACE = "events.rollup"
MONTH_LOCK_NAMESPACE = "events.rollup.month"
DIMENSIONS = ("town_code", "department_id", "major_code", "category_code")
AREA_DIMENSIONS = ("village_code", "grid_code")
INTAKE_UNIT_COLUMNS = ("town_code", "department_id", "major_code", "category_code")
INTAKE_DIMENSIONS = (*INTAKE_UNIT_COLUMNS, "channel", "request_type")
HANDLING_UNIT_COLUMNS = ("town_code", "department_id", "category_code")
HANDLING_DIMENSIONS = (*HANDLING_UNIT_COLUMNS, "bucket")
SUM_COLUMNS = (*ROLLUP_COUNTS, "handle_minutes_sum")


@dataclass
class RollupResult:
    days: int = 0
    skipped: int = 0
    rows: int = 0


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Contiguous runs of sorted days."""
    start = prev = None
    for day in days:
        if start is None:
            start = prev = day
        elif day == prev + timedelta(days=1):  # type: ignore[operator]
            prev = day
        else:
            yield start, prev  # type: ignore[misc]
            start = prev = day
    if start is not None:
        yield start, prev  # type: ignore[misc]


FINE_DIMENSIONS = (*DIMENSIONS, *AREA_DIMENSIONS)
FINE_TABLE = "event_rollup_fine"  # a temporary table: one run's counts by every dimension


def _select_for(
    first: date,
    last: date,
    zone: ZoneInfo,
    dialect: str,
    dimensions: tuple[str, ...] = FINE_DIMENSIONS,
    months: ReportedMonths | None = None,
) -> Any:
    """One UNION ALL branch per anchor (each row counts only in its anchor's columns), grouped by day
    and the dimensions; with `months`, each branch reads only the reported days that can hold its
    anchor's rows (definitions.ReportedMonths)."""
    t0, t1 = _midnight(first, zone), _midnight(last + timedelta(days=1), zone)
    zero_int, zero_float = literal_column("0"), cast(literal_column("0"), Float)
    branches = []
    for anchor, exprs in anchored_counts():
        if anchor == "reported":
            day_col: Any = E.reported_day
        elif anchor == "closed":
            day_col = E.closed_day
        else:
            day_col = local_date(getattr(E, f"{anchor}_at"), zone, dialect)
        columns = [day_col.label("day"), *(getattr(E, d).label(d) for d in dimensions)]
        for name in SUM_COLUMNS:
            default = zero_float if name == "handle_minutes_sum" else zero_int
            columns.append(exprs.get(name, default).label(name))
        branches.append(
            select(*columns).where(anchor_range(anchor, first, last, t0, t1, months), E.is_test == false())
        )
    rows = union_all(*branches).subquery("anchored")
    keys = [rows.c.day, *(rows.c[d] for d in dimensions)]
    sums = (func.sum(rows.c[name]).label(name) for name in SUM_COLUMNS)
    return select(literal(DAY).label("grain"), *keys, *sums).group_by(*keys)


def _insert_rollups(
    session: Session, first: date, last: date, zone: ZoneInfo, dialect: str, months: ReportedMonths | None
) -> None:
    """The day rows of event_daily_rollups and event_area_rollups for first..last from one pass over
    the events: their counts by every dimension of both go to a temporary table (a day holds at most
    a row per grid × category × department), which each table then sums by its own dimensions."""
    session.execute(text(f"DROP TABLE IF EXISTS {FINE_TABLE}"))  # a run of this connection that failed
    fine = _select_for(first, last, zone, dialect, months=months).into(FINE_TABLE, temporary=True)
    session.execute(fine)
    t = fine.table.c
    for target, dims in (
        (EventDailyRollup.__table__, DIMENSIONS),
        (EventAreaRollup.__table__, AREA_DIMENSIONS),
    ):
        keys = [t.day, *(t[d] for d in dims)]
        session.execute(
            insert(target).from_select(
                ["grain", "day", *dims, *SUM_COLUMNS],
                select(literal(DAY), *keys, *(func.sum(t[n]) for n in SUM_COLUMNS)).group_by(*keys),
            )
        )
    session.execute(text(f"DROP TABLE {FINE_TABLE}"))


# The type of each unit column, for the typed NULL a UNION ALL branch without that unit puts in its place.
_UNIT_TYPES: dict[str, Any] = {
    "town_code": String(9),
    "department_id": Integer,
    "major_code": String(16),
    "category_code": String(16),
}


def _unit_columns(unit: tuple[str, ...], columns: tuple[str, ...]) -> list[Any]:
    """The events' `columns`, with a typed NULL for each one the branch's `unit` does not group by."""
    return [getattr(E, c) if c in unit else cast(null(), _UNIT_TYPES[c]) for c in columns]


def _intake_select_for(first: date, last: date) -> Any:
    """Events received per day × channel × request type, one UNION ALL branch per kind of rows
    (INTAKE_UNITS): per town × department, per minor category, per town × minor category, per
    department × minor category; a minor category's rows carry its major."""
    branches = []
    for kind in INTAKE_UNITS:
        unit = (*kind, "major_code") if "category_code" in kind else kind
        where = [
            E.reported_day.between(first, last),
            E.is_test == false(),
            *(getattr(E, u).is_not(None) for u in set_in_kind(INTAKE_UNITS, kind)),
        ]
        keys = [E.reported_day, *(getattr(E, u) for u in unit), E.channel, E.request_type]
        branches.append(
            select(
                literal(DAY),
                E.reported_day,
                *_unit_columns(unit, INTAKE_UNIT_COLUMNS),
                E.channel,
                E.request_type,
                func.count(),
            )
            .where(*where)
            .group_by(*keys)
        )
    return union_all(*branches)


def _handling_select_for(first: date, last: date, months: ReportedMonths | None = None) -> Any:
    """Bucket counts per closing day, one UNION ALL branch per kind of rows (HANDLING_UNITS): city-wide,
    per town, per department, per minor category, per town × minor category, per department × minor
    category; within `months`' bound of the closing days."""
    bucket = handling_bucket(E.handle_minutes)
    branches = []
    for kind in HANDLING_UNITS:
        where = [
            E.closed_day.between(first, last),
            E.is_test == false(),
            E.handle_minutes.is_not(None),
            *(getattr(E, u).is_not(None) for u in set_in_kind(HANDLING_UNITS, kind)),
        ]
        if months is not None:
            where.append(months.where("closed", first, last))
        keys = [E.closed_day, *(getattr(E, u) for u in kind), bucket]
        branches.append(
            select(
                literal(DAY), E.closed_day, *_unit_columns(kind, HANDLING_UNIT_COLUMNS), bucket, func.count()
            )
            .where(*where)
            .group_by(*keys)
        )
    return union_all(*branches)


def _rebuild_months(session: Session, first: date, last: date) -> None:
    """Recompute the "month" rows of every month touching first..last from that month's "day" rows
    (whatever days exist: a month is read at month grain only when all its days are rolled up). On
    PostgreSQL each month is locked, waiting, so two workers' days of one month both end up in it."""
    month = month_start(first)
    while month <= last:
        following = next_month(month)
        advisory_lock(session, MONTH_LOCK_NAMESPACE, month.toordinal())
        for table, dims, sums in (
            (EventDailyRollup.__table__, DIMENSIONS, SUM_COLUMNS),
            (EventAreaRollup.__table__, AREA_DIMENSIONS, SUM_COLUMNS),
            (EventDailyIntake.__table__, INTAKE_DIMENSIONS, ("received",)),
            (EventHandlingRollup.__table__, HANDLING_DIMENSIONS, ("n",)),
        ):
            session.execute(delete(table).where(table.c.grain == MONTH, table.c.day == month))
            keys = [table.c[d] for d in dims]
            session.execute(
                insert(table).from_select(
                    ["grain", "day", *dims, *sums],
                    select(literal(MONTH), literal(month), *keys, *(func.sum(table.c[n]) for n in sums))
                    .where(table.c.grain == DAY, table.c.day >= month, table.c.day < following)
                    .group_by(*keys),
                )
            )
        month = following


def recompute_days(
    session: Session, first: date, last: date, *, zone: ZoneInfo, now: datetime, prune: bool | None = None
) -> RollupResult:
    """Recompute the rollups of local days first..last (never today or later: those stay live).
    Flushes; the caller commits, which also releases the day locks. The passes by due instant and by
    closing day read only the reported months that can hold their rows (definitions.reported_months,
    read once; `prune` as there: by default when `events` is partitioned)."""
    today = now.astimezone(zone).date()
    last = min(last, today - timedelta(days=1))
    result = RollupResult()
    if last < first:
        return result
    wanted = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    archived = archived_months(session)  # their events are gone: their rollups are all that is left
    wanted = [d for d in wanted if month_start(d) not in archived]
    claimed = [d for d in wanted if try_advisory_lock(session, LOCK_NAMESPACE, d.toordinal())]
    result.skipped = len(wanted) - len(claimed)
    dialect = dialect_name(session)
    months = (
        reported_months(session, claimed[0], claimed[-1], prune=prune, both_ends=True) if claimed else None
    )
    table = EventDailyRollup.__table__
    area = EventAreaRollup.__table__
    intake = EventDailyIntake.__table__
    handling = EventHandlingRollup.__table__
    for run_first, run_last in _runs(claimed):
        session.execute(delete(table).where(table.c.grain == DAY, table.c.day.between(run_first, run_last)))
        for other in (area, intake, handling):
            session.execute(
                delete(other).where(other.c.grain == DAY, other.c.day.between(run_first, run_last))
            )
        session.execute(
            delete(EventRollupDay.__table__).where(
                EventRollupDay.__table__.c.day.between(run_first, run_last)
            )
        )
        _insert_rollups(session, run_first, run_last, zone, dialect, months)
        session.execute(
            insert(intake).from_select(
                ["grain", "day", *INTAKE_DIMENSIONS, "received"], _intake_select_for(run_first, run_last)
            )
        )
        session.execute(
            insert(handling).from_select(
                ["grain", "day", *HANDLING_DIMENSIONS, "n"],
                _handling_select_for(run_first, run_last, months),
            )
        )
        per_day = dict(
            session.execute(
                select(table.c.day, func.count())
                .where(table.c.grain == DAY, table.c.day.between(run_first, run_last))
                .group_by(table.c.day)
            ).all()
        )
        day = run_first
        marks = []
        while day <= run_last:
            count = int(per_day.get(day, 0))
            marks.append({"day": day, "computed_at": now, "rows": count})
            result.rows += count
            result.days += 1
            day += timedelta(days=1)
        session.execute(insert(EventRollupDay.__table__), marks)
    if claimed:
        _rebuild_months(session, claimed[0], claimed[-1])
    session.flush()
    return result


def recompute_range(
    session_factory: Callable[[], Any],
    first: date,
    last: date,
    *,
    zone: ZoneInfo,
    now: datetime,
    chunk_days: int = 31,
    on_chunk: Callable[[int], None] | None = None,
) -> RollupResult:
    """Recompute a long range in chunks, one transaction per chunk (`session_factory()` is a context
    manager that commits, such as `lambda: session_scope(engine)`)."""
    total = RollupResult()
    day = first
    while day <= last:
        chunk_last = min(last, day + timedelta(days=chunk_days - 1))
        with session_factory() as session:
            part = recompute_days(session, day, chunk_last, zone=zone, now=now)
        total.days += part.days
        total.skipped += part.skipped
        total.rows += part.rows
        if on_chunk:
            on_chunk((chunk_last - day).days + 1)
        day = chunk_last + timedelta(days=1)
    return total


def recompute_recent(session: Session, *, days: int, zone: ZoneInfo, now: datetime) -> RollupResult:
    """The worker's job: recompute the last `days` whole days, where late outcomes still change counts
    (an event due last week may be closed today)."""
    today = now.astimezone(zone).date()
    return recompute_days(
        session, today - timedelta(days=days), today - timedelta(days=1), zone=zone, now=now
    )


def event_day_span(session: Session) -> tuple[date | None, date | None]:
    """The first and last reported day in the events table."""
    row = session.execute(select(func.min(E.reported_day), func.max(E.reported_day))).one()
    return row[0], row[1]


def missing_days(session: Session, *, zone: ZoneInfo, now: datetime) -> list[date]:
    """Past days between the first reported event and yesterday that have no rollup rows (history
    imported or generated without a rollup, or emptied by a migration), newest first. Reads the span of
    the events (two index lookups) and the rolled-up days, not the events themselves."""
    first, _ = event_day_span(session)
    yesterday = now.astimezone(zone).date() - timedelta(days=1)
    if first is None or first > yesterday:
        return []
    marks = EventRollupDay.__table__.c
    done = set(session.scalars(select(marks.day).where(marks.day.between(first, yesterday))))
    span = (yesterday - first).days + 1
    return [d for d in (yesterday - timedelta(days=i) for i in range(span)) if d not in done]


ROLLUP_EVERY = timedelta(hours=1)
BACKFILL_DAYS = 92  # missing past days a run fills in, beyond the recent ones


def rollup_job(session: Session, *, now: datetime, calendar: Any) -> JobResult:
    """Worker job: at most once an hour, recompute the last `events_rollup_recent_days` whole days,
    then fill in up to BACKFILL_DAYS missing older days (newest first), so history rolls up by itself."""
    from citycockpit.config import get_settings

    last_run = session.scalar(select(func.max(EventRollupDay.computed_at)))
    if last_run is not None and now - last_run < ROLLUP_EVERY:
        return JobResult("rollup", 0)
    days = get_settings().events_rollup_recent_days
    result = recompute_recent(session, days=days, zone=calendar.zone, now=now)
    backfill = sorted(missing_days(session, zone=calendar.zone, now=now)[:BACKFILL_DAYS])
    for first, last in _runs(backfill):
        result.days += recompute_days(session, first, last, zone=calendar.zone, now=now).days
    return JobResult("rollup", result.days)
