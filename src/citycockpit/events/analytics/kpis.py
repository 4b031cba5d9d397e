"""The KPI queries of the closed loop: the counts of definitions.py summed in SQL for any period, area
subtree, department and category, and the rankings. docs/domains/events-kpis.md states every formula;
the same text is returned with each value (`KPIS`), so the UI can show it.

Every count is anchored on its own day (received, due, or closed in the period), so a period's value is a
sum over its days: whole past days come from `event_daily_rollups` (see events/analytics/rollup.py), today comes
from the events themselves, and "due" counts only what has fallen due by now."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, literal_column, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import scope_clause
from citycockpit.core.dialect import code_within, percentile_cont
from citycockpit.core.errors import Unprocessable
from citycockpit.events.analytics.definitions import (
    COUNTS,
    HANDLING_FORMULA,
    OVERDUE_FORMULA,
    ReportedMonths,
    anchor_range,
    anchored_counts,
    handling_bucket,
    kpi_values,
    reported_months,
)
from citycockpit.events.analytics.models import (
    DAY,
    HANDLING_EDGES,
    HANDLING_UNITS,
    INTAKE_UNITS,
    MONTH,
    ROLLUP_COUNTS,
    UNIT_COLUMNS,
    EventAreaRollup,
    EventDailyIntake,
    EventDailyRollup,
    EventHandlingRollup,
    EventRollupDay,
    set_in_kind,
)
from citycockpit.events.models import Event, EventCategory
from citycockpit.events.storage.archive import p90_estimated_from
from citycockpit.org.models import Area, Department

E = Event.__table__.c
R = EventDailyRollup.__table__.c
I = EventDailyIntake.__table__.c  # noqa: E741
H = EventHandlingRollup.__table__.c
A = EventAreaRollup.__table__.c
AREA_GROUPS = frozenset({"village_code", "grid_code"})  # group keys only event_area_rollups holds
MAX_PERIOD_DAYS = 3660
SUMS = (*ROLLUP_COUNTS, "handle_minutes_sum")


# ---------------------------------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class KpiFilter:
    """What to measure: local days `first`..`last` (inclusive) and optional area, department, category."""

    first: date
    last: date
    area: str | None = None
    department_id: int | None = None
    category: str | None = None

    def validate(self) -> None:
        if self.last < self.first:
            raise Unprocessable("The period ends before it starts", field="to")
        if (self.last - self.first).days > MAX_PERIOD_DAYS:
            raise Unprocessable("The period is longer than ten years", field="from")
        if self.area is not None and not self.area.isdigit():
            raise Unprocessable("An area is a numeric area code (6, 9, 12 or 15 digits)", field="area")


def _area_col(code: str) -> Any:
    """The events column an area code filters: the town's for a town or above, else the grid's."""
    return E.town_code if len(code) <= 9 else E.grid_code


def _unit_where(
    f: KpiFilter, principal: Principal | None, *, major: bool, indexed: bool
) -> list[ColumnElement[bool]]:
    """The filters and scope as conditions on the events. indexed=False wraps each unit column (area,
    department, category) in coalesce(), so that no index on it tempts the planner: a query that another
    index serves better (one day's due instants, the open events) then reads that index and only
    checks the units on its rows. Without statistics SQLite prefers an equality on a unit's index, which
    holds the unit's whole history: a department's 3 s for today's deadlines at 1.66 M events."""

    def unit(column: Any, default: object) -> Any:
        return column if indexed else func.coalesce(column, default)

    where: list[ColumnElement[bool]] = [E.is_test == false()]
    if f.area:
        where.append(code_within(unit(_area_col(f.area), ""), f.area))
    if f.department_id is not None:
        where.append(unit(E.department_id, -1) == f.department_id)
    if f.category:
        where.append(unit(E.major_code if major else E.category_code, "") == f.category)
    if principal is not None:
        code = principal.area_code or ""
        where.append(
            scope_clause(
                principal,
                department_col=unit(E.department_id, -1),
                area_code_col=unit(_area_col(code), ""),
            )
        )
    return where


def _is_major(session: Session, code: str) -> bool:
    level = session.scalar(select(EventCategory.level).where(EventCategory.code == code))
    return level == "major" or (
        level is None
        and (
            session.scalar(
                select(func.count()).select_from(EventCategory).where(EventCategory.parent_code == code)
            )
            or 0
        )
        > 0
    )


@dataclass(frozen=True)
class _Unit:
    """The unit a call measures, its filters and the caller's scope taken together: an area of town
    level or above (a town code, or a prefix of town codes), a department, a category (minor or major);
    None parts are not filtered."""

    town: str | None
    department_id: int | None
    category: str | None


def _unit(f: KpiFilter, principal: Principal | None) -> _Unit | None:
    """The filters narrowed by the scope; None when they name an area below the town (finer than the
    per-unit rollups) or exclude each other (the events then answer, with nothing)."""
    town, department = f.area or None, f.department_id
    if principal is not None and principal.is_department_scoped:
        if department not in (None, principal.department_id):
            return None
        department = principal.department_id
    if principal is not None and principal.is_area_scoped:
        code = principal.area_code or ""
        if town is None or code.startswith(town):
            town = code
        elif not town.startswith(code):
            return None
    if town is not None and len(town) > 9:
        return None
    return _Unit(town, department, f.category or None)


def _unit_rows(
    table: Any,
    kinds: tuple[tuple[str, ...], ...],
    unit: _Unit | None,
    *,
    category: ColumnElement[bool] | None,
    group: tuple[str, ...] = (),
) -> list[ColumnElement[bool]] | None:
    """The conditions picking the rows of a per-unit rollup table (the intake, the handling histogram:
    `kinds` is its models.INTAKE_UNITS or HANDLING_UNITS) that sum to the unit's figures, per `group`:
    the rows of the kind per exactly the unit columns the unit names and the grouping needs, or else of
    the table's first kind (which counts every event) when it holds them all. The kind's rows are those
    with the unit columns outside it NULL and those it counts by set (models.set_in_kind); the unit's
    town, department and category (`category`: the table's condition for it) narrow them. None: no kind
    answers."""
    if unit is None:
        return None
    named = {
        column
        for column, value in (
            ("town_code", unit.town),
            ("department_id", unit.department_id),
            ("category_code", unit.category),
        )
        if value is not None
    }
    named |= {
        "category_code" if g == "major_code" else g for g in group if g in (*UNIT_COLUMNS, "major_code")
    }
    kind = next((k for k in kinds if set(k) == named), kinds[0] if named <= set(kinds[0]) else None)
    if kind is None:
        return None
    where = [table[c].is_(None) for c in UNIT_COLUMNS if c not in kind]
    where.extend(table[c].is_not(None) for c in set_in_kind(kinds, kind))
    if unit.town is not None:
        where.append(code_within(table.town_code, unit.town))
    if unit.department_id is not None:
        where.append(table.department_id == unit.department_id)
    if category is not None:
        where.append(category)
    return where


@dataclass(frozen=True)
class _Plan:
    raw_where: list[ColumnElement[bool]]
    # None: that rollup table cannot answer these filters (finer than its dimensions)
    rollup_where: list[ColumnElement[bool]] | None
    area_where: list[ColumnElement[bool]] | None
    unit: _Unit | None  # what the intake and the handling histogram answer by (_unit_rows)
    major: bool = False  # the category filter names a major category
    # raw_where with the unit columns kept off their indexes (_unit_where indexed=False)
    unindexed_where: list[ColumnElement[bool]] = field(default_factory=list)

    def intake_where(self, group: tuple[str, ...] = ()) -> list[ColumnElement[bool]] | None:
        """The intake rows answering the plan's unit, per `group` (None: no kind of rows does)."""
        category = None
        if self.unit is not None and self.unit.category is not None:
            category = (I.major_code if self.major else I.category_code) == self.unit.category
        return _unit_rows(I, INTAKE_UNITS, self.unit, category=category, group=group)


def _plan(session: Session, f: KpiFilter, principal: Principal | None) -> _Plan:
    """The conditions of the filters and scope on the events and on each rollup table. Town, village
    and grid codes are all prefixes of an event's grid code (intake derives the town and the village
    from the grid), so the area rollup answers any area by a range of grid codes."""
    roll: list[ColumnElement[bool]] | None = []
    area: list[ColumnElement[bool]] | None = []
    if f.area:
        area = [code_within(A.grid_code, f.area)]
        roll = [code_within(R.town_code, f.area)] if len(f.area) <= 9 else None
    if f.department_id is not None:
        area = None
        if roll is not None:
            roll.append(R.department_id == f.department_id)
    major = False
    if f.category:
        area = None  # the area rollup has no category
        major = _is_major(session, f.category)
        if roll is not None:
            roll.append((R.major_code if major else R.category_code) == f.category)
    if principal is not None:
        code = principal.area_code or ""
        if principal.is_area_scoped and len(code) > 9:
            roll = None
        if principal.is_department_scoped:
            area = None
        if roll is not None:
            roll.append(scope_clause(principal, department_col=R.department_id, area_code_col=R.town_code))
        if area is not None:
            area.append(scope_clause(principal, area_code_col=A.grid_code))
    return _Plan(
        _unit_where(f, principal, major=major, indexed=True),
        roll,
        area,
        _unit(f, principal),
        major,
        _unit_where(f, principal, major=major, indexed=False),
    )


# ---------------------------------------------------------------------------------------------------
# Sums


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def _raw_sums(
    session: Session,
    first: date,
    last: date,
    *,
    where: list[ColumnElement[bool]],
    zone: ZoneInfo,
    now: datetime,
    group: tuple[str, ...],
    counts: tuple[str, ...] | None = None,
    day_index_where: list[ColumnElement[bool]] | None = None,
    months: ReportedMonths | None = None,
) -> dict[Any, Counter[str]]:
    """Counts straight from the events table, one GROUP BY per anchor holding one of `counts` (all when
    None); due instants capped at now. `day_index_where` (the filters with the units kept off their
    indexes) replaces `where` for the anchors other than "reported", so that a short period (today's
    part) reads each anchor's own index (due instants, closed_day) rather than a unit's whole history;
    "reported" keeps `where`: a department and a category have an index on (unit, reported_day), a village
    or grid on (grid_code, reported_day, …), and a town's range reads the reported day's own. `months` bounds
    the reads by the other anchors to the reported days that can hold them (partition pruning)."""
    t0 = _local_midnight(first, zone)
    t1 = min(_local_midnight(last + timedelta(days=1), zone), now)
    out: dict[Any, Counter[str]] = {}
    if t1 <= t0:
        return out
    for anchor, every in anchored_counts():
        exprs = {n: x for n, x in every.items() if counts is None or n in counts}
        if not exprs:
            continue
        keys = [getattr(E, g) for g in group]
        conditions = where if day_index_where is None or anchor == "reported" else day_index_where
        stmt = select(*keys, *(func.sum(expr).label(name) for name, expr in exprs.items())).where(
            anchor_range(anchor, first, last, t0, t1, months), *conditions
        )
        if group:
            stmt = stmt.group_by(*keys)
        for row in session.execute(stmt):
            bucket = out.setdefault(_key(row, group), Counter())
            for i, name in enumerate(exprs, start=len(group)):
                bucket[name] += row[i] or 0
    return out


def _key(row: Any, group: tuple[str, ...]) -> Any:
    """The bucket of a result row: None without grouping, the value for one column, a tuple for several."""
    if not group:
        return None
    return row[0] if len(group) == 1 else tuple(row[: len(group)])


def _rollup_sums(
    session: Session,
    table: Any,
    first: date,
    last: date,
    *,
    where: list[ColumnElement[bool]],
    group: tuple[str, ...],
    only: tuple[str, ...],
) -> dict[Any, Counter[str]]:
    """Sums of one rollup table (its columns `table`) over days first..last (_grain_parts): whole months
    from its "month" rows, most of a month as its month row less the day rows of the days not wanted
    (a second statement), the other days from its "day" rows. A key comes out when some day row of the
    period holds it, as when the day rows are summed: every day row counts at least one event in
    PRESENCE, so a key the subtraction leaves with none there is dropped."""
    keys = [table[g] for g in group]
    plus, minus = _grain_parts(table, first, last)
    presence = PRESENCE[table.grain.table.name] if minus is not None else ()
    wanted = (*only, *(p for p in presence if p not in only))
    out: dict[Any, Counter[str]] = {}
    for rows, sign in ((plus, 1), (minus, -1)):
        if rows is None:
            continue
        stmt = select(*keys, *(func.sum(table[name]) for name in wanted)).where(rows, *where)
        if group:
            stmt = stmt.group_by(*keys)
        for row in session.execute(stmt):
            values = row[len(group) :]
            if all(v is None for v in values):
                continue
            bucket = out.setdefault(_key(row, group), Counter())
            for name, value in zip(wanted, values, strict=True):
                bucket[name] += sign * (value or 0)
    if presence:
        out = {key: counts for key, counts in out.items() if any(counts[p] for p in presence)}
        for counts in out.values():
            for name in presence:
                if name not in only:
                    del counts[name]
    return out


# The counts of which every day row of a rollup table holds at least one (each row counts events by one
# anchor at least: rollup.py), so a key is in a period's day rows exactly when these sum above zero.
PRESENCE: dict[str, tuple[str, ...]] = {
    "event_daily_rollups": ("received", "sign_due", "handle_due", "close_due", "closed"),
    "event_area_rollups": ("received", "sign_due", "handle_due", "close_due", "closed"),
    "event_daily_intake": ("received",),
}


def _grain_parts(
    table: Any, first: date, last: date
) -> tuple[ColumnElement[bool], ColumnElement[bool] | None]:
    """The rows to add up for first..last, and the rows to take away from them (None: none). Months lying
    wholly inside are read from their "month" rows. A partial month is read from its "day" rows, or,
    when fewer of its days are left out than wanted, as its "month" row less the day rows of the days
    left out: a month row sums every day row of its month (rollup._rebuild_months), so the difference
    is exact, and the month so far (today is never rolled up) reads one row per key instead of a
    day's."""
    plus: list[ColumnElement[bool]] = []
    minus: list[ColumnElement[bool]] = []
    whole: list[tuple[date, date]] = []  # [start, stop) runs of months read at month grain

    def days(lo: date, hi: date) -> ColumnElement[bool]:
        # each day range on its own, so the (grain, day) index narrows it instead of scanning the period
        return and_(table.grain == DAY, table.day.between(lo, hi))

    month = first.replace(day=1)
    while month <= last:
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        lo, hi = max(first, month), min(last, following - timedelta(days=1))
        wanted = (hi - lo).days + 1
        if wanted > (following - month).days - wanted:
            if whole and whole[-1][1] == month:
                whole[-1] = (whole[-1][0], following)
            else:
                whole.append((month, following))
            if lo > month:
                minus.append(days(month, lo - timedelta(days=1)))
            if hi < following - timedelta(days=1):
                minus.append(days(hi + timedelta(days=1), following - timedelta(days=1)))
        else:
            plus.append(days(lo, hi))
        month = following
    plus.extend(and_(table.grain == MONTH, table.day >= a, table.day < b) for a, b in whole)
    return or_(*plus), (or_(*minus) if minus else None)


def rollups_cover(session: Session, first: date, last: date) -> bool:
    """True when every day first..last has complete rollup rows."""
    if last < first:
        return True
    done = session.scalar(
        select(func.count()).select_from(EventRollupDay).where(EventRollupDay.day.between(first, last))
    )
    return done == (last - first).days + 1


def period_sums(
    session: Session,
    f: KpiFilter,
    *,
    principal: Principal | None,
    zone: ZoneInfo,
    now: datetime,
    group: str | tuple[str, ...] | None = None,
    use_rollups: bool = True,
    intake_only: bool = False,
    counts: tuple[str, ...] | None = None,
    prune: bool | None = False,
    months: ReportedMonths | None = None,
) -> tuple[dict[Any, Counter[str]], str]:
    """The counts of the period (optionally per `group` column, or per tuple of columns), and where they
    came from: "rollup" (past days from rollups, today from events) or "raw" (all from events).

    `counts` names the counts wanted (default: all): today's part then reads only the anchors holding
    them. `intake_only` asks for the events received only. Which rollup answers: `event_area_rollups` for a
    village or grid (filter, or a group by village_code or grid_code), `event_daily_intake` for the
    other intake breakdowns, `event_daily_rollups` for the rest; the events when the chosen table cannot
    answer the filters and scope.

    The events are read within the reported days that can hold each anchor's rows (`months`, a
    reading of definitions.reported_months shared by one call's reads; else read here when `prune`
    says so: None, when `events` is partitioned). Not by default: the reading costs about what a
    read or two over every partition does, so it pays where several reads share it (compute_kpis,
    rank_units), not for the screen's one or two anchors."""
    f.validate()
    plan = _plan(session, f, principal)
    groups: tuple[str, ...] = (group,) if isinstance(group, str) else (group or ())
    only = ("received",) if intake_only else tuple(counts or SUMS)
    options = []
    if AREA_GROUPS.intersection(groups) or (f.area is not None and len(f.area) > 9):
        options.append((A, plan.area_where))
    if intake_only:
        options.append((I, plan.intake_where(groups)))
    options.append((R, plan.rollup_where))
    table, where = next(
        ((t, w) for t, w in options if w is not None and set(groups) <= set(t.keys())), (R, None)
    )
    today = now.astimezone(zone).date()
    past_last = min(f.last, today - timedelta(days=1))

    def bound() -> ReportedMonths | None:
        if months is not None or intake_only:  # the intake reads by reported_day alone
            return months
        return reported_months(session, min(f.first, today), max(f.last, today), prune=prune)

    if use_rollups and where is not None and rollups_cover(session, f.first, past_last):
        sums = (
            _rollup_sums(session, table, f.first, past_last, where=where, group=groups, only=only)
            if past_last >= f.first
            else {}
        )
        live_first = max(f.first, today)
        if live_first <= f.last:
            live = _raw_sums(
                session,
                live_first,
                f.last,
                where=plan.raw_where,
                zone=zone,
                now=now,
                group=groups,
                counts=only,
                day_index_where=plan.unindexed_where,
                months=bound(),
            )
            for key, live_counts in live.items():
                sums.setdefault(key, Counter()).update(live_counts)
        return sums, "rollup"
    raw = _raw_sums(
        session,
        f.first,
        f.last,
        where=plan.raw_where,
        zone=zone,
        now=now,
        group=groups,
        counts=only,
        months=bound(),
    )
    return raw, "raw"


# ---------------------------------------------------------------------------------------------------
# Public queries


P90 = 0.9


def _handling_codes(session: Session, plan: _Plan) -> tuple[str, ...] | None:
    """The category codes whose histogram rows (and events, by category_code) make up the plan's
    category: a minor category's own, a major category's minors (by today's category tree) and its own."""
    if plan.unit is None or plan.unit.category is None:
        return None
    if not plan.major:
        return (plan.unit.category,)
    minors = session.scalars(
        select(EventCategory.code).where(EventCategory.parent_code == plan.unit.category)
    )
    return (plan.unit.category, *sorted(minors))


def _handling_rows(plan: _Plan, codes: tuple[str, ...] | None) -> list[ColumnElement[bool]] | None:
    """The handling histogram's rows answering the plan's unit (_unit_rows), its category by `codes`."""
    category = None if codes is None else H.category_code.in_(codes)
    return _unit_rows(H, HANDLING_UNITS, plan.unit, category=category)


def handling_p90(
    session: Session,
    f: KpiFilter,
    *,
    principal: Principal | None,
    zone: ZoneInfo,
    now: datetime,
    use_rollups: bool = True,
    prune: bool | None = False,
    months: ReportedMonths | None = None,
) -> float | None:
    """P90 of handling minutes over events closed in the period: percentile_cont(0.9), exact.

    For a unit the histogram keeps (_handling_rows: city-wide, an area of town level or above, a
    department, a category — minor, or major: the sum of its minors' rows — alone, in such an area or
    in a department; filter or scope) with rolled-up days, the histogram gives the count and the bucket
    holding the P90's rank, and only the events from that bucket on are read, in handle_minutes order;
    otherwise the events of the period are sorted (core/dialect.py percentile_cont). Every read of the
    events by closing day but the walk is bounded by `months` as in period_sums."""
    plan = _plan(session, f, principal)
    codes = _handling_codes(session, plan)
    unit_rows = _handling_rows(plan, codes) if use_rollups else None
    today = now.astimezone(zone).date()
    if months is None:
        months = reported_months(session, min(f.first, today), max(f.last, today), prune=prune)
    in_period = months.where("closed", f.first, f.last) if months is not None else true()
    where = [E.closed_day.between(f.first, f.last), in_period, *plan.raw_where, E.handle_minutes.is_not(None)]
    past_last = min(f.last, today - timedelta(days=1))
    if unit_rows is None or plan.unit is None or not rollups_cover(session, f.first, past_last):
        return percentile_cont(session, E.handle_minutes, P90, *where)
    histogram: Counter[int] = Counter()
    if past_last >= f.first:
        plus, minus = _grain_parts(H, f.first, past_last)
        for rows_where, sign in ((plus, 1), (minus, -1)):
            if rows_where is None:
                continue
            rows = session.execute(
                select(H.bucket, func.sum(H.n)).where(rows_where, *unit_rows).group_by(H.bucket)
            )
            histogram.update({int(b): sign * int(n) for b, n in rows})
        if plan.major and plan.rollup_where is not None:
            # A major category's histogram is its minors' (by today's category tree); an event filed
            # under another parent (a category moved since) would make it miss the rollup's count of
            # the major's events, which are matched by their own major_code: then sort the events.
            sums = _rollup_sums(
                session, R, f.first, past_last, where=plan.rollup_where, group=(), only=("handle_n",)
            )
            if sum(histogram.values()) != sums.get(None, Counter())["handle_n"]:
                return percentile_cont(session, E.handle_minutes, P90, *where)
    live_first = max(f.first, today)
    if live_first <= f.last:
        bucket = handling_bucket(E.handle_minutes)
        rows = session.execute(
            select(bucket, func.count())
            .where(
                anchor_range("closed", live_first, f.last, now, now, months),
                *plan.unindexed_where,
                E.handle_minutes.is_not(None),
            )
            .group_by(bucket)
        )
        histogram.update({int(b): int(n) for b, n in rows})
    n = sum(histogram.values())
    if n == 0:
        return None
    position = P90 * (n - 1)
    low = math.floor(position)
    below = 0
    for bucket_no in sorted(histogram):
        if low < below + histogram[bucket_no]:
            break
        below += histogram[bucket_no]
    archived_until = p90_estimated_from(session)
    if archived_until is not None and f.first <= archived_until:
        # Some of the period's events are archived (events/storage/archive.py): their minutes are gone,
        # so the P90 is placed within its bucket (10% wide) by its rank there, not read.
        lower_edge = HANDLING_EDGES[bucket_no - 1] if bucket_no > 0 else 0.0
        upper_edge = HANDLING_EDGES[bucket_no] if bucket_no < len(HANDLING_EDGES) else lower_edge
        share = (position - below + 0.5) / histogram[bucket_no]
        return round(lower_edge + (upper_edge - lower_edge) * min(share, 1.0), 1)
    # The unit's conditions go through coalesce() so no index on them tempts the planner: the read walks
    # ix_events_handle_minutes (covering) in order through the one bucket, stopping after the offset.
    # Not bounded by `months`: reported_day is not in that index, so the bound would cost a heap visit a
    # row where the walk now reads the index alone.
    unit_where = [
        func.coalesce(E.closed_day, E.closed_day).between(f.first, f.last),
        E.is_test == false(),
        E.handle_minutes.is_not(None),
    ]
    unit = plan.unit
    if unit.town is not None:
        unit_where.append(code_within(func.coalesce(E.town_code, ""), unit.town))
    if unit.department_id is not None:
        unit_where.append(func.coalesce(E.department_id, -1) == unit.department_id)
    if codes is not None:  # by category_code, which the index holds (a major category's checked above)
        unit_where.append(func.coalesce(E.category_code, "").in_(codes))

    def in_bucket(number: int, offset: int) -> list[float]:
        """The unit's two values from `offset` on in one bucket (bounded both sides, so a rare unit's
        walk never runs on through the rest of the index)."""
        where = list(unit_where)
        if number > 0:
            where.append(E.handle_minutes >= literal_column(repr(HANDLING_EDGES[number - 1])))
        if number < len(HANDLING_EDGES):
            where.append(E.handle_minutes < literal_column(repr(HANDLING_EDGES[number])))
        stmt = select(E.handle_minutes).where(*where).order_by(E.handle_minutes).limit(2).offset(offset)
        return [float(v) for v in session.scalars(stmt)]

    values = in_bucket(bucket_no, low - below)
    if len(values) < 2 and position > low:  # the rank's successor is the next non-empty bucket's first
        following = min((b for b, n in histogram.items() if b > bucket_no and n), default=None)
        if following is not None:
            values += in_bucket(following, 0)[:1]
    lower = values[0]
    upper = values[1] if len(values) > 1 else lower
    return lower + (upper - lower) * (position - low)


def overdue_count(session: Session, f: KpiFilter, *, principal: Principal | None, now: datetime) -> int:
    """Events overdue right now (`Event.is_overdue`: being handled, past the handling deadline; a
    snapshot, not a period). Read through the state index: the events being handled are bounded by the workload, while an area
    index range holds the area's whole history (a grid's 65 k events at 20 M: 0.27 s instead of 2 ms)."""
    plan = _plan(session, f, principal)
    return int(
        session.scalar(
            select(func.count())
            .select_from(Event.__table__)
            .where(Event.is_overdue(now), *plan.unindexed_where)
        )
        or 0
    )


def _intake(
    session: Session, f: KpiFilter, *, principal: Principal | None, zone: ZoneInfo, now: datetime
) -> dict[str, list[dict[str, object]]]:
    """Events received by channel and by request type, from one query grouped by both."""
    sums, _ = period_sums(
        session,
        f,
        principal=principal,
        zone=zone,
        now=now,
        group=("channel", "request_type"),
        intake_only=True,
    )
    by_channel: Counter[Any] = Counter()
    by_type: Counter[Any] = Counter()
    for (channel, request_type), counts in sums.items():
        by_channel[channel] += counts["received"]
        by_type[request_type] += counts["received"]

    def items(counter: Counter[Any]) -> list[dict[str, object]]:
        rows = [{"key": k, "received": int(n)} for k, n in counter.items() if n]
        return sorted(rows, key=lambda item: (-int(item["received"]), str(item["key"])))  # type: ignore[call-overload]

    return {"by_channel": items(by_channel), "by_request_type": items(by_type)}


def compute_kpis(
    session: Session,
    f: KpiFilter,
    *,
    principal: Principal | None,
    zone: ZoneInfo,
    now: datetime,
    use_rollups: bool = True,
    prune: bool | None = None,
) -> dict[str, object]:
    """Every KPI of the period for the filters and the caller's scope, each with its formula. The
    events' months are read once (definitions.reported_months) for all of its reads by due instant and
    closing day; `prune` as in period_sums."""
    today = now.astimezone(zone).date()
    months = reported_months(session, min(f.first, today), max(f.last, today), prune=prune)
    sums, source = period_sums(
        session,
        f,
        principal=principal,
        zone=zone,
        now=now,
        use_rollups=use_rollups,
        prune=False,
        months=months,
    )
    counts = sums.get(None, Counter())
    n = counts["handle_n"]
    return {
        "period": {"from": f.first.isoformat(), "to": f.last.isoformat()},
        "filters": {"area": f.area, "department_id": f.department_id, "category": f.category},
        "source": source,
        "as_of": now.isoformat(),
        "counts": {
            name: {"label": c.label, "definition": c.definition, "value": int(counts[name])}
            for name, c in COUNTS.items()
        },
        "kpis": kpi_values(counts),
        "intake": _intake(session, f, principal=principal, zone=zone, now=now),
        "handling": {
            "formula": HANDLING_FORMULA,
            "n": int(n),
            "avg_minutes": None if not n else round(counts["handle_minutes_sum"] / n, 2),
            "p90_minutes": handling_p90(
                session,
                f,
                principal=principal,
                zone=zone,
                now=now,
                use_rollups=use_rollups,
                prune=False,
                months=months,
            ),
        },
        "overdue": {
            "formula": OVERDUE_FORMULA,
            "count": overdue_count(session, f, principal=principal, now=now),
        },
    }


RANK_BY = {"department": "department_id", "town": "town_code"}


def rank_units(
    session: Session,
    f: KpiFilter,
    *,
    by: str,
    min_volume: int,
    principal: Principal | None,
    zone: ZoneInfo,
    now: datetime,
    prune: bool | None = None,
) -> dict[str, object]:
    """Rank departments or towns by 按期结案率 (then 结案率, 满意率). A unit with fewer than
    `min_volume` cases due (应结案数) is listed as unranked: a rate over a handful of cases says little.
    `prune` as in compute_kpis (today's part reads four anchors)."""
    if by not in RANK_BY:
        raise Unprocessable("Rank by department or town", field="by")
    sums, source = period_sums(
        session, f, principal=principal, zone=zone, now=now, group=RANK_BY[by], prune=prune
    )
    names = _unit_names(session, by, [k for k in sums if k is not None])
    ranked: list[dict[str, Any]] = []
    unranked: list[dict[str, Any]] = []
    for key, counts in sums.items():
        if key is None:
            continue
        values = {k["key"]: k["value"] for k in kpi_values(counts)}
        item = {
            "key": key,
            "name": names.get(key, str(key)),
            "received": int(counts["received"]),
            "close_due": int(counts["close_due"]),
            "closed_on_time_rate": values["closed_on_time_rate"],
            "closure_rate": values["closure_rate"],
            "rework_rate": values["rework_rate"],
            "satisfaction_rate": values["satisfaction_rate"],
            "local_resolution_rate": values["local_resolution_rate"],
        }
        (ranked if counts["close_due"] >= min_volume else unranked).append(item)
    ranked.sort(
        key=lambda i: (
            -(i["closed_on_time_rate"] or 0),
            -(i["closure_rate"] or 0),
            -(i["satisfaction_rate"] or 0),
            str(i["name"]),
        )
    )
    for position, item in enumerate(ranked, start=1):
        item["rank"] = position
    unranked.sort(key=lambda i: (-int(i["close_due"]), str(i["name"])))  # type: ignore[call-overload]
    return {
        "by": by,
        "period": {"from": f.first.isoformat(), "to": f.last.isoformat()},
        "source": source,
        "metric": "按期结案率 = 按期结案数 / 应结案数 (ties: 结案率, 满意率)",
        "min_volume": min_volume,
        "min_volume_rule": f"units with fewer than {min_volume} cases due (应结案数) in the period are not ranked",
        "ranked": ranked,
        "unranked": unranked,
    }


def _unit_names(session: Session, by: str, keys: list[Any]) -> dict[Any, str]:
    if not keys:
        return {}
    if by == "department":
        rows = session.execute(
            select(Department.id, func.coalesce(Department.short_name, Department.name)).where(
                Department.id.in_(keys)
            )
        )
    else:
        rows = session.execute(select(Area.code, Area.name).where(Area.code.in_(keys)))
    return {row[0]: row[1] for row in rows}


def default_period(today: date) -> tuple[date, date]:
    """From the first of the current month to today."""
    return today.replace(day=1), today
