"""KPIs of the closed loop (立案率, 按期结案率, 满意率 …), computed in SQL for any period, area subtree,
department and category. docs/domains/events-kpis.md states every formula; the same text is returned
with each value (`KPIS`), so the UI can show it.

Every count is anchored on its own day (received, due, or closed in the period), so a period's value is a
sum over its days: whole past days come from `event_daily_rollups` (see events/rollup.py), today comes
from the events themselves, and "due" counts only what has fallen due by now."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, false, func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import scope_clause
from citycockpit.core.dialect import code_within, percentile_cont
from citycockpit.core.errors import Unprocessable
from citycockpit.events.enums import EventState, Satisfaction
from citycockpit.events.kpi_models import (
    DAY,
    HANDLING_EDGES,
    MONTH,
    ROLLUP_COUNTS,
    EventAreaRollup,
    EventDailyIntake,
    EventDailyRollup,
    EventHandlingRollup,
    EventRollupDay,
)
from citycockpit.events.models import Event, EventCategory
from citycockpit.org.models import Area, Department

E = Event.__table__.c
R = EventDailyRollup.__table__.c
I = EventDailyIntake.__table__.c  # noqa: E741
H = EventHandlingRollup.__table__.c
A = EventAreaRollup.__table__.c
AREA_GROUPS = frozenset({"village_code", "grid_code"})  # group keys only event_area_rollups holds
MAX_PERIOD_DAYS = 3660
SUMS = (*ROLLUP_COUNTS, "handle_minutes_sum")


@dataclass(frozen=True)
class Count:
    label: str
    definition: str


# The counts every KPI is built from: name → (Chinese label, which events it counts).
COUNTS: dict[str, Count] = {
    "received": Count("受理数", "events received (reported) in the period, test events excluded"),
    "registered": Count("立案数", "of those received in the period, events registered (立案)"),
    "rejected": Count("不予立案数", "of those received in the period, events rejected (不予立案)"),
    "merged": Count("合并数", "of those received in the period, events merged into another as duplicates"),
    "dispatched": Count("派遣数", "of those received in the period, events dispatched to a department"),
    "closed_directly": Count(
        "直接办结数", "of those received in the period, events closed by the centre without dispatch"
    ),
    "sign_due": Count("应签收数", "events whose signing deadline fell in the period (up to now)"),
    "signed_on_time": Count("按时签收数", "of those, signed for by the deadline"),
    "handle_due": Count("应处置数", "events whose handling deadline fell in the period (up to now)"),
    "handled_on_time": Count("按期处置数", "of those, handled by the deadline"),
    "close_due": Count(
        "应结案数",
        "events whose closing deadline fell in the period (up to now), carry-overs from earlier periods "
        "included",
    ),
    "closed_of_due": Count("结案数", "of those due, events closed"),
    "closed_on_time": Count("按期结案数", "of those due, events closed by the deadline"),
    "reworked": Count("返工数", "of those due, events sent back for rework at least once"),
    "extended": Count("延期数", "of those due, events whose deadline was extended at least once"),
    "closed": Count("办结数", "events closed in the period (directly or after the loop)"),
    "closed_dispatched": Count(
        "派遣后办结数", "of those closed in the period, events closed after dispatch (not 直接办结)"
    ),
    "callbacks": Count("回访数", "of those closed in the period, events with a callback recorded"),
    "callbacks_valid": Count("有效回访数", "callbacks that reached the citizen and got a rating"),
    "satisfied": Count("满意数", "valid callbacks rated 满意 or 基本满意"),
    "resolved_locally": Count(
        "就地化解数", "of those closed in the period, events resolved at town or village level"
    ),
    "handle_n": Count("有处置时长的办结数", "events closed in the period with a measured handling time"),
}


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    formula: str
    numerator: str
    denominator: str


KPIS: tuple[Kpi, ...] = (
    Kpi("registration_rate", "立案率", "立案数 / 受理数", "registered", "received"),
    Kpi("dispatch_rate", "派遣率", "派遣数 / 立案数", "dispatched", "registered"),
    Kpi("signed_on_time_rate", "按时签收率", "按时签收数 / 应签收数", "signed_on_time", "sign_due"),
    Kpi("handled_on_time_rate", "按期处置率", "按期处置数 / 应处置数", "handled_on_time", "handle_due"),
    Kpi("closure_rate", "结案率", "结案数 / 应结案数", "closed_of_due", "close_due"),
    Kpi("closed_on_time_rate", "按期结案率", "按期结案数 / 应结案数", "closed_on_time", "close_due"),
    Kpi("rework_rate", "返工率", "返工数 / 应结案数", "reworked", "close_due"),
    Kpi("extension_rate", "延期率", "延期数 / 应结案数", "extended", "close_due"),
    Kpi("direct_close_rate", "直接办结率", "直接办结数 / 受理数", "closed_directly", "received"),
    Kpi("callback_rate", "回访率", "回访数 / 办结数", "callbacks", "closed"),
    Kpi("satisfaction_rate", "满意率", "(满意 + 基本满意) / 有效回访数", "satisfied", "callbacks_valid"),
    Kpi(
        "local_resolution_rate",
        "就地化解率",
        "就地化解数 / 派遣后办结数",
        "resolved_locally",
        "closed_dispatched",
    ),
)
HANDLING_FORMULA = (
    "处置时长 = 派遣到处置完毕的时长 (handle_minutes, in the event's clock), over events closed in the period; "
    "平均 = Σ时长 / 件数, P90 = percentile_cont(0.9)"
)
OVERDUE_FORMULA = "超期件数 = events dispatched or signed for (派遣/签收, not yet handled) whose handling deadline has passed"

_BEING_HANDLED = (EventState.DISPATCHED.value, EventState.SIGNED.value)
_SATISFIED = (Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value)
_RATED = (*_SATISFIED, Satisfaction.UNSATISFIED.value)


def _n(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def anchored_counts() -> list[tuple[str, dict[str, ColumnElement[Any]]]]:
    """Per anchor, the row-level count expressions (1/0, or minutes) of the counts anchored on it.

    Anchors: "reported" (reported_day), "sign_due", "handle_due", "close_due" (the due instants) and
    "closed" (closed_day). Used by the raw KPI queries and by the rollup job alike."""
    return [
        (
            "reported",
            {
                "received": literal_column("1"),
                "registered": _n(E.registered_at.is_not(None)),
                "rejected": _n(E.rejected_at.is_not(None)),
                "merged": _n(E.merged_at.is_not(None)),
                "dispatched": _n(E.first_dispatched_at.is_not(None)),
                "closed_directly": _n(E.closed_by_center.is_(True)),
            },
        ),
        ("sign_due", {"sign_due": literal_column("1"), "signed_on_time": _n(E.signed_on_time.is_(True))}),
        (
            "handle_due",
            {"handle_due": literal_column("1"), "handled_on_time": _n(E.handled_on_time.is_(True))},
        ),
        (
            "close_due",
            {
                "close_due": literal_column("1"),
                "closed_of_due": _n(E.closed_at.is_not(None)),
                "closed_on_time": _n(E.closed_on_time.is_(True)),
                "reworked": _n(E.rework_count > 0),
                "extended": _n(E.extension_count > 0),
            },
        ),
        (
            "closed",
            {
                "closed": literal_column("1"),
                "closed_dispatched": _n(E.closed_by_center.is_(False)),
                "callbacks": _n(E.satisfaction.is_not(None)),
                "callbacks_valid": _n(E.satisfaction.in_(_RATED)),
                "satisfied": _n(E.satisfaction.in_(_SATISFIED)),
                "resolved_locally": _n(E.resolved_locally.is_(True)),
                "handle_n": _n(E.handle_minutes.is_not(None)),
                "handle_minutes_sum": func.coalesce(E.handle_minutes, cast(literal_column("0"), Float)),
            },
        ),
    ]


def handling_bucket(value: Any) -> ColumnElement[int]:
    """The HANDLING_EDGES bucket of a minutes value: i when EDGES[i-1] <= value < EDGES[i] (a balanced
    CASE, so about eight comparisons a row)."""

    def build(lo: int, hi: int) -> Any:
        if lo == hi:
            return literal_column(str(lo))
        mid = (lo + hi) // 2
        return case(
            (value < literal_column(repr(HANDLING_EDGES[mid])), build(lo, mid)), else_=build(mid + 1, hi)
        )

    return build(0, len(HANDLING_EDGES))


def anchor_range(anchor: str, first: date, last: date, t0: datetime, t1: datetime) -> ColumnElement[bool]:
    """Rows whose anchor falls on local days first..last, i.e. instants in [t0, t1)."""
    if anchor == "reported":
        return E.reported_day.between(first, last)
    if anchor == "closed":
        return E.closed_day.between(first, last)
    column = {"sign_due": E.sign_due_at, "handle_due": E.handle_due_at, "close_due": E.close_due_at}[anchor]
    return and_(column >= t0, column < t1)


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


def _area_col(code: str, *, indexed: bool = True) -> Any:
    """The events column an area code filters: the town's for a town or above, else the grid's.
    indexed=False wraps it in coalesce() so that no index on it tempts the planner."""
    column = E.town_code if len(code) <= 9 else E.grid_code
    return column if indexed else func.coalesce(column, "")


def _is_major(session: Session, code: str) -> bool:
    level = session.scalar(select(EventCategory.level).where(EventCategory.code == code))
    return level == "major" or (
        level is None
        and session.scalar(
            select(func.count()).select_from(EventCategory).where(EventCategory.parent_code == code)
        )
        > 0
    )


@dataclass(frozen=True)
class _Plan:
    raw_where: list[ColumnElement[bool]]
    # None: that rollup table cannot answer these filters (finer than its dimensions)
    rollup_where: list[ColumnElement[bool]] | None
    intake_where: list[ColumnElement[bool]] | None
    area_where: list[ColumnElement[bool]] | None
    major: bool = False  # the category filter names a major category


def _plan(session: Session, f: KpiFilter, principal: Principal | None, *, area_index: bool = True) -> _Plan:
    """The conditions of the filters and scope on the events and on each rollup table. Town, village
    and grid codes are all prefixes of an event's grid code (intake derives the town and the village
    from the grid), so the area rollup answers any area by a range of grid codes. area_index=False
    keeps the planner off the events' area indexes (for a query that another index serves better)."""
    raw: list[ColumnElement[bool]] = [E.is_test == false()]
    roll: list[ColumnElement[bool]] | None = []
    intake: list[ColumnElement[bool]] | None = []
    area: list[ColumnElement[bool]] | None = []
    if f.area:
        raw.append(code_within(_area_col(f.area, indexed=area_index), f.area))
        area.append(code_within(A.grid_code, f.area))
        if len(f.area) <= 9:
            roll.append(code_within(R.town_code, f.area))
            intake.append(code_within(I.town_code, f.area))
        else:
            roll = intake = None
    if f.department_id is not None:
        raw.append(E.department_id == f.department_id)
        area = None
        if roll is not None:
            roll.append(R.department_id == f.department_id)
        if intake is not None:
            intake.append(I.department_id == f.department_id)
    major = False
    if f.category:
        area = None  # the area rollup has no category
        major = _is_major(session, f.category)
        raw.append((E.major_code if major else E.category_code) == f.category)
        if roll is not None:
            roll.append((R.major_code if major else R.category_code) == f.category)
        # the intake's category rows have no town or department
        scoped = principal is not None and (principal.is_department_scoped or principal.is_area_scoped)
        alone = not f.area and f.department_id is None and not scoped
        intake = [(I.major_code if major else I.category_code) == f.category] if alone else None
    elif intake is not None:
        intake.append(I.category_code.is_(None))  # the per town × department rows
    if principal is not None:
        code = principal.area_code or ""
        raw.append(
            scope_clause(
                principal, department_col=E.department_id, area_code_col=_area_col(code, indexed=area_index)
            )
        )
        if principal.is_area_scoped and len(code) > 9:
            roll = intake = None
        if principal.is_department_scoped:
            area = None
        if roll is not None:
            roll.append(scope_clause(principal, department_col=R.department_id, area_code_col=R.town_code))
        if intake is not None and not f.category:
            intake.append(scope_clause(principal, department_col=I.department_id, area_code_col=I.town_code))
        if area is not None:
            area.append(scope_clause(principal, area_code_col=A.grid_code))
    return _Plan(raw, roll, intake, area, major)


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
) -> dict[Any, Counter[str]]:
    """Counts straight from the events table, one GROUP BY per anchor holding one of `counts` (all when
    None); due instants capped at now."""
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
        stmt = select(*keys, *(func.sum(expr).label(name) for name, expr in exprs.items())).where(
            anchor_range(anchor, first, last, t0, t1), *where
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
    """Sums of one rollup table (its columns `table`) over days first..last: whole months from its
    "month" rows, the days before and after them from its "day" rows."""
    keys = [table[g] for g in group]
    stmt = select(*keys, *(func.sum(table[name]) for name in only)).where(
        _grain_clause(table, first, last), *where
    )
    if group:
        stmt = stmt.group_by(*keys)
    out: dict[Any, Counter[str]] = {}
    for row in session.execute(stmt):
        values = row[len(group) :]
        if all(v is None for v in values):
            continue
        bucket = out.setdefault(_key(row, group), Counter())
        for name, value in zip(only, values, strict=True):
            bucket[name] += value or 0
    return out


def _grain_clause(table: Any, first: date, last: date) -> ColumnElement[bool]:
    """Rows covering first..last exactly once: months lying wholly inside at month grain, the rest by day."""
    start = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    stop = (last + timedelta(days=1)).replace(day=1)  # months before it end on or before `last`
    if start >= stop:
        return and_(table.grain == DAY, table.day.between(first, last))
    parts = [and_(table.grain == MONTH, table.day >= start, table.day < stop)]
    # each day range on its own, so the (grain, day) index narrows it instead of scanning the period
    if first < start:
        parts.append(and_(table.grain == DAY, table.day.between(first, start - timedelta(days=1))))
    if stop <= last:
        parts.append(and_(table.grain == DAY, table.day.between(stop, last)))
    return or_(*parts)


def rollups_cover(session: Session, first: date, last: date) -> bool:
    """True when every day first..last has complete rollup rows."""
    if last < first:
        return True
    done = session.scalar(
        select(func.count()).select_from(EventRollupDay).where(EventRollupDay.day.between(first, last))
    )
    return done == (last - first).days + 1


def _groupable(table: Any) -> set[str]:
    """The columns a rollup table can group its sums by (the intake's category columns are NULL on the
    per town × department rows that a plan reads unless it filters by category)."""
    keys = set(table.keys())
    return keys - {"major_code", "category_code"} if table is I else keys


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
) -> tuple[dict[Any, Counter[str]], str]:
    """The counts of the period (optionally per `group` column, or per tuple of columns), and where they
    came from: "rollup" (past days from rollups, today from events) or "raw" (all from events).

    `counts` names the counts wanted (default: all): today's part then reads only the anchors holding
    them. `intake_only` asks for the events received only. Which rollup answers: `event_area_rollups` for a
    village or grid (filter, or a group by village_code or grid_code), `event_daily_intake` for the
    other intake breakdowns, `event_daily_rollups` for the rest; the events when the chosen table cannot
    answer the filters and scope."""
    f.validate()
    plan = _plan(session, f, principal)
    groups: tuple[str, ...] = (group,) if isinstance(group, str) else (group or ())
    only = ("received",) if intake_only else tuple(counts or SUMS)
    options = []
    if AREA_GROUPS.intersection(groups) or (f.area is not None and len(f.area) > 9):
        options.append((A, plan.area_where))
    if intake_only:
        options.append((I, plan.intake_where))
    options.append((R, plan.rollup_where))
    table, where = next(
        ((t, w) for t, w in options if w is not None and set(groups) <= _groupable(t)), (R, None)
    )
    today = now.astimezone(zone).date()
    past_last = min(f.last, today - timedelta(days=1))
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
            )
            for key, counts in live.items():
                sums.setdefault(key, Counter()).update(counts)
        return sums, "rollup"
    raw = _raw_sums(
        session, f.first, f.last, where=plan.raw_where, zone=zone, now=now, group=groups, counts=only
    )
    return raw, "raw"


def rate(numerator: float, denominator: float) -> float | None:
    return None if not denominator else round(numerator / denominator, 6)


def kpi_values(counts: Counter[str]) -> list[dict[str, object]]:
    return [
        {
            "key": k.key,
            "label": k.label,
            "formula": k.formula,
            "numerator": int(counts[k.numerator]),
            "denominator": int(counts[k.denominator]),
            "value": rate(counts[k.numerator], counts[k.denominator]),
        }
        for k in KPIS
    ]


# ---------------------------------------------------------------------------------------------------
# Public queries


P90 = 0.9


def _histogram_unit(
    plan: _Plan, f: KpiFilter, principal: Principal | None
) -> tuple[str | None, int | None, str | None] | None:
    """Which histogram rows answer these filters and scope: (None, None, None) city-wide, (town, None,
    None) one town, (None, department, None) one department, (None, None, category) one minor category;
    None when the histogram keeps no such unit."""
    department = f.department_id
    town = f.area
    if principal is not None and principal.is_department_scoped:
        if department not in (None, principal.department_id):
            return None  # the scope and the filter exclude each other: let the events say so
        department = principal.department_id
    if principal is not None and principal.is_area_scoped:
        code = principal.area_code or ""
        if town is None or (len(town) <= len(code) and code.startswith(town)):
            town = code
        elif not town.startswith(code):
            return None
    if f.category is not None:
        if town is not None or department is not None or plan.major:
            return None
        return None, None, f.category
    if town is not None and len(town) != 9:
        return None
    if town is not None and department is not None:
        return None
    return town, department, None


def handling_p90(
    session: Session,
    f: KpiFilter,
    *,
    principal: Principal | None,
    zone: ZoneInfo,
    now: datetime,
    use_rollups: bool = True,
) -> float | None:
    """P90 of handling minutes over events closed in the period: percentile_cont(0.9), exact.

    City-wide, for one town or for one department (filter or scope) with rolled-up days, the handling
    histogram gives the count and the bucket holding the P90's rank, and only the events from that bucket
    on are read, in handle_minutes order; otherwise the events of the period are sorted
    (core/dialect.py percentile_cont)."""
    plan = _plan(session, f, principal)
    where = [E.closed_day.between(f.first, f.last), *plan.raw_where, E.handle_minutes.is_not(None)]
    unit = _histogram_unit(plan, f, principal)
    today = now.astimezone(zone).date()
    past_last = min(f.last, today - timedelta(days=1))
    if not (use_rollups and unit is not None and rollups_cover(session, f.first, past_last)):
        return percentile_cont(session, E.handle_minutes, P90, *where)
    town, department, category = unit
    histogram: Counter[int] = Counter()
    if past_last >= f.first:
        rows = session.execute(
            select(H.bucket, func.sum(H.n))
            .where(
                _grain_clause(H, f.first, past_last),
                H.town_code.is_(None) if town is None else H.town_code == town,
                H.department_id.is_(None) if department is None else H.department_id == department,
                H.category_code.is_(None) if category is None else H.category_code == category,
            )
            .group_by(H.bucket)
        )
        histogram.update({int(b): int(n) for b, n in rows})
    live_first = max(f.first, today)
    if live_first <= f.last:
        bucket = handling_bucket(E.handle_minutes)
        rows = session.execute(
            select(bucket, func.count())
            .where(E.closed_day.between(live_first, f.last), *plan.raw_where, E.handle_minutes.is_not(None))
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
    # The unit's conditions go through coalesce() so no index on them tempts the planner: the read walks
    # ix_events_handle_minutes (covering) in order through the one bucket, stopping after the offset.
    unit_where = [
        func.coalesce(E.closed_day, E.closed_day).between(f.first, f.last),
        E.is_test == false(),
        E.handle_minutes.is_not(None),
    ]
    if town is not None:
        unit_where.append(func.coalesce(E.town_code, "") == town)
    if department is not None:
        unit_where.append(func.coalesce(E.department_id, -1) == department)
    if category is not None:
        unit_where.append(func.coalesce(E.category_code, "") == category)

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
    """Events a department holds right now whose handling deadline has passed (a snapshot, not a period).
    Read through the state index: the events being handled are bounded by the workload, while an area
    index range holds the area's whole history (a grid's 65 k events at 20 M: 0.27 s instead of 2 ms)."""
    plan = _plan(session, f, principal, area_index=False)
    return int(
        session.scalar(
            select(func.count())
            .select_from(Event.__table__)
            .where(E.state.in_(_BEING_HANDLED), E.handle_due_at < now, *plan.raw_where)
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
) -> dict[str, object]:
    """Every KPI of the period for the filters and the caller's scope, each with its formula."""
    sums, source = period_sums(session, f, principal=principal, zone=zone, now=now, use_rollups=use_rollups)
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
                session, f, principal=principal, zone=zone, now=now, use_rollups=use_rollups
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
) -> dict[str, object]:
    """Rank departments or towns by 按期结案率 (then 结案率, 满意率). A unit with fewer than
    `min_volume` cases due (应结案数) is listed as unranked: a rate over a handful of cases says little."""
    if by not in RANK_BY:
        raise Unprocessable("Rank by department or town", field="by")
    sums, source = period_sums(session, f, principal=principal, zone=zone, now=now, group=RANK_BY[by])
    names = _unit_names(session, by, [k for k in sums if k is not None])
    ranked, unranked = [], []
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
