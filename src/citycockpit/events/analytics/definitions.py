"""What each KPI of the closed loop counts (立案率, 按期结案率, 满意率 …): the counts, each anchored on
its own day (received, due, or closed), their SQL expressions, and the rates built from them. The live
KPI queries (kpis.py) and the daily rollups (rollup.py) both sum these same expressions, so the two
can never count differently; docs/domains/events-kpis.md states every formula."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from citycockpit.core.dialect import as_date
from citycockpit.events.analytics.models import (
    HANDLING_EDGES,
)
from citycockpit.events.enums import Satisfaction
from citycockpit.events.models import Event
from citycockpit.events.storage.partitions import is_partitioned, list_partitions, month_start, next_month

E = Event.__table__.c


@dataclass(frozen=True)
class Count:
    label: str
    definition: str


# The counts every KPI is built from: name → (Chinese label, which events it counts).
COUNTS: dict[str, Count] = {
    "received": Count("受理数", "events received (reported) in the period, test events excluded"),
    "received_live": Count(
        "闭环受理数",
        "of those received in the period, events that went through the loop here (not imported history)",
    ),
    "registered": Count("立案数", "of those received in the period, events registered (立案)"),
    "rejected": Count("不予立案数", "of those received in the period, events rejected (不予立案)"),
    "merged": Count("合并数", "of those received in the period, events merged into another as duplicates"),
    "dispatched": Count("派遣数", "of those received in the period, events dispatched to a department"),
    "closed_directly": Count(
        "直接办结数", "of those received in the period, events closed by the centre without dispatch"
    ),
    "repeated": Count(
        "重复诉求数",
        "of those received in the period, repeated requests: the same caller about the same minor category "
        "within the repeat window (linked to the earlier ticket at intake)",
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
        "派遣后办结数",
        "of those closed in the period, events closed after dispatch (not 直接办结), imported history excluded",
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
    Kpi("registration_rate", "立案率", "立案数 / 闭环受理数", "registered", "received_live"),
    Kpi("dispatch_rate", "派遣率", "派遣数 / 立案数", "dispatched", "registered"),
    Kpi("signed_on_time_rate", "按时签收率", "按时签收数 / 应签收数", "signed_on_time", "sign_due"),
    Kpi("handled_on_time_rate", "按期处置率", "按期处置数 / 应处置数", "handled_on_time", "handle_due"),
    Kpi("closure_rate", "结案率", "结案数 / 应结案数", "closed_of_due", "close_due"),
    Kpi("closed_on_time_rate", "按期结案率", "按期结案数 / 应结案数", "closed_on_time", "close_due"),
    Kpi("rework_rate", "返工率", "返工数 / 应结案数", "reworked", "close_due"),
    Kpi("extension_rate", "延期率", "延期数 / 应结案数", "extended", "close_due"),
    Kpi("direct_close_rate", "直接办结率", "直接办结数 / 闭环受理数", "closed_directly", "received_live"),
    Kpi("repeat_rate", "重复诉求率", "重复诉求数 / 闭环受理数", "repeated", "received_live"),
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
# The rule itself is Event.is_overdue (events/models.py); this is how the KPI page states it.
OVERDUE_FORMULA = "超期件数 = events dispatched or signed for (派遣/签收, not yet handled) whose handling deadline has passed"

_SATISFIED = (Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value)
_RATED = (*_SATISFIED, Satisfaction.UNSATISFIED.value)


# Imported history (Event.is_history, `events import-history`) carries what a 12345 export holds: when a
# ticket was received and closed, its department and its callback rating, but none of the loop's steps
# (立案, 派遣, 签收, deadlines, 就地化解). This is the one place that decides where it counts: in 受理数
# (intake), 办结数, 回访数, 有效回访数 and 满意数 of its own days, so in intake, closure, satisfaction and the
# rankings; never in the counts of a step it lacks. Those with a timestamp it lacks (立案数, 派遣数,
# 应签收数, 应处置数, 应结案数 …) leave it out by themselves; the two whose rows it would join without
# having the step are written with LIVE: 闭环受理数 (the denominator of 立案率 and 直接办结率) and
# 派遣后办结数 (the denominator of 就地化解率). docs/domains/events-kpis.md says the same.
LIVE = E.is_history.is_(False)


def _n(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


@cache
def anchored_counts() -> list[tuple[str, dict[str, ColumnElement[Any]]]]:
    """Per anchor, the row-level count expressions (1/0, or minutes) of the counts anchored on it.

    Anchors: "reported" (reported_day), "sign_due", "handle_due", "close_due" (the due instants) and
    "closed" (closed_day). Used by the raw KPI queries and by the rollup job alike. Built once (read
    only): every KPI call reads them."""
    return [
        (
            "reported",
            {
                "received": literal_column("1"),
                "received_live": _n(LIVE),
                "registered": _n(E.registered_at.is_not(None)),
                "rejected": _n(E.rejected_at.is_not(None)),
                "merged": _n(E.merged_at.is_not(None)),
                "dispatched": _n(E.first_dispatched_at.is_not(None)),
                "closed_directly": _n(E.closed_by_center.is_(True)),
                "repeated": _n(E.repeat_of_id.is_not(None)),
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
                "closed_dispatched": _n(and_(E.closed_by_center.is_(False), LIVE)),
                "callbacks": _n(E.satisfaction.is_not(None)),
                "callbacks_valid": _n(E.satisfaction.in_(_RATED)),
                "satisfied": _n(E.satisfaction.in_(_SATISFIED)),
                "resolved_locally": _n(E.resolved_locally.is_(True)),
                "handle_n": _n(E.handle_minutes.is_not(None)),
                "handle_minutes_sum": func.coalesce(E.handle_minutes, cast(literal_column("0"), Float)),
            },
        ),
    ]


@lru_cache(maxsize=8)
def handling_bucket(value: Any) -> ColumnElement[int]:
    """The HANDLING_EDGES bucket of a minutes value: i when EDGES[i-1] <= value < EDGES[i] (a balanced
    CASE, so about eight comparisons a row; built once per value, as its 300 nodes take a while)."""

    def build(lo: int, hi: int) -> Any:
        if lo == hi:
            return literal_column(str(lo))
        mid = (lo + hi) // 2
        return case(
            (value < literal_column(repr(HANDLING_EDGES[mid])), build(lo, mid)), else_=build(mid + 1, hi)
        )

    return build(0, len(HANDLING_EDGES))


def anchor_range(
    anchor: str,
    first: date,
    last: date,
    t0: datetime,
    t1: datetime,
    months: ReportedMonths | None = None,
) -> ColumnElement[bool]:
    """Rows whose anchor falls on local days first..last, i.e. instants in [t0, t1); with `months`, also
    within the reported days that can hold them (ReportedMonths.bounds), so that PostgreSQL reads only
    those months' partitions."""
    if anchor == "reported":
        return E.reported_day.between(first, last)
    within: ColumnElement[bool]
    if anchor == "closed":
        within = E.closed_day.between(first, last)
    else:
        instant = ANCHOR_COLUMNS[anchor]
        within = and_(instant >= t0, instant < t1)
    return within if months is None else and_(within, months.where(anchor, first, last, t0, t1))


# The anchors not read by reported_day, by the column each is read by.
ANCHOR_COLUMNS: dict[str, Any] = {
    "sign_due": E.sign_due_at,
    "handle_due": E.handle_due_at,
    "close_due": E.close_due_at,
    "closed": E.closed_day,
}
# The value standing for a span's end that was not read (reported_months reads only the end a read
# can need): the widest possible, so such a month is never left out.
_LOWEST: dict[str, Any] = {"closed": date.min, "due": datetime.min.replace(tzinfo=UTC)}
_HIGHEST: dict[str, Any] = {"closed": date.max, "due": datetime.max.replace(tzinfo=UTC)}


@dataclass(frozen=True)
class ReportedSpan:
    """A part of the events (a month, or PostgreSQL's default partition) holding reported days
    first..last, and per anchor of ANCHOR_COLUMNS the lowest and highest value of its column there
    ((None, None): no event of the part has one)."""

    first: date
    last: date
    anchors: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class ReportedMonths:
    """What the events' months hold (`reported_months`): the bound on reported_day of each read by an
    anchor other than "reported"."""

    spans: tuple[ReportedSpan, ...]

    def bounds(
        self, anchor: str, first: date, last: date, t0: datetime | None = None, t1: datetime | None = None
    ) -> tuple[date, date]:
        """The reported days that hold every event whose anchor falls on days first..last (instants
        [t0, t1), needed by the due anchors only): the months of the period itself, from the month of
        `first` to `last` (new reports land there, so one made after the reading is never left out by
        it), widened to every other part whose values of the anchor meet the period. A part whose
        events all have that anchor outside the period, or none, holds no event that counts."""
        lo, hi = month_start(first), last
        for span in self.spans:
            low, high = span.anchors[anchor]
            if low is None:
                continue
            if anchor == "closed":
                hit = as_date(low) <= last and as_date(high) >= first
            else:
                assert t0 is not None and t1 is not None, anchor
                hit = low < t1 and high >= t0
            if hit:
                lo, hi = min(lo, span.first), max(hi, span.last)
        return lo, hi

    def where(
        self, anchor: str, first: date, last: date, t0: datetime | None = None, t1: datetime | None = None
    ) -> ColumnElement[bool]:
        lo, hi = self.bounds(anchor, first, last, t0, t1)
        # as constants in the SQL text (literal_execute), not parameters: PostgreSQL then prunes when it
        # plans, and the driver's prepared statement (one per bound, which changes once a day at most)
        # keeps the pruned plan; with parameters its generic plan locks and starts every partition
        return E.reported_day.between(
            bindparam(None, lo, Date, literal_execute=True), bindparam(None, hi, Date, literal_execute=True)
        )


def reported_months(
    session: Session, first: date, last: date, *, prune: bool | None = None, both_ends: bool = False
) -> ReportedMonths | None:
    """Read what each month of the events holds (ReportedMonths), once for the reads of one KPI call
    or rollup run asking about days within first..last: the partition-pruning bound of every read by a
    due instant or by closing day. None when `prune` is False, or None and `events` is not partitioned
    (SQLite, or PostgreSQL before the migration): nothing to prune.

    Nothing about how deadlines are set is assumed: extensions, pauses, reopening and a dispatch long
    after the report put no limit on how far a due instant or a closing lies from the report, and
    nothing but the server's clock keeps a report time before the dispatch. The events say it: per
    month, the highest value of each anchor's column when the month lies before first..last, the
    lowest when after, both when within or when `both_ends` (a rollup run, whose past days an old
    month often reaches only with its earliest values). With the column's index PostgreSQL reads one
    entry of one partition for each; the months are its partitions, each read by its own name, whose
    plans are cheaper than the parent's. The end not read stands at the widest value, so a month is
    left out of a read only when none of its events can count in it: the bounded reads answer as the
    unbounded ones do (tests/events/test_reported_months.py)."""
    if prune is False:
        return None
    partitioned = is_partitioned(session)
    if not (partitioned or prune):
        return None
    parts: tuple[tuple[date | None, str | None], ...]  # (month or None: the default partition, table)
    if partitioned:
        parts = tuple((p.month, p.name) for p in list_partitions(session))
    else:
        oldest, newest = session.execute(select(func.min(E.reported_day), func.max(E.reported_day))).one()
        months = []
        month = month_start(as_date(oldest)) if oldest is not None else None
        while month is not None and month <= as_date(newest):
            months.append((month, None))
            month = next_month(month)
        parts = tuple(months)
    if not parts:
        return ReportedMonths(())
    ends = tuple(
        (
            not both_ends and month is not None and next_month(month) <= month_start(first),
            not both_ends and month is not None and month > last,
        )
        for month, _ in parts
    )
    statement = _probe_statement(session.get_bind().dialect, parts, ends)
    spans = []
    for row in session.execute(statement):
        month, _ = parts[row[0]]
        before, after = ends[row[0]]  # which end of each span the statement left out
        if month is None:
            if row[-2] is None:
                continue  # an empty default partition
            lo, hi = month_start(as_date(row[-2])), next_month(as_date(row[-1])) - timedelta(days=1)
        else:
            lo, hi = month, next_month(month) - timedelta(days=1)
        anchors = {}
        for i, name in enumerate(ANCHOR_COLUMNS):
            kind = "closed" if name == "closed" else "due"
            low, high = row[1 + 2 * i], row[2 + 2 * i]
            if (low if not before else high) is None:
                anchors[name] = (None, None)  # no event of the part has one
            else:
                anchors[name] = (_LOWEST[kind] if before else low, _HIGHEST[kind] if after else high)
        spans.append(ReportedSpan(lo, hi, anchors))
    return ReportedMonths(tuple(spans))


@lru_cache(maxsize=64)
def _probe_statement(
    dialect: Any, parts: tuple[tuple[date | None, str | None], ...], ends: tuple[tuple[bool, bool], ...]
) -> Any:
    """reported_months' one statement: per part (a partition by name, or a month of the table), its
    number, the min and max of each anchor's column (the min left out, NULL, for a part before the days
    asked about, the max for a part after) and, for the default partition, its reported days. Built
    and compiled once per layout: a KPI call pays for the reading, not for building it."""
    columns = [E.reported_day, *ANCHOR_COLUMNS.values()]
    branches = []
    for number, ((month, name), (before, after)) in enumerate(zip(parts, ends, strict=True)):
        if name is not None:
            source: Any = table(name, *(column(c.name, c.type) for c in columns))
            where: list[ColumnElement[bool]] = []
        else:
            source = Event.__table__
            where = [E.reported_day >= month, E.reported_day < next_month(month)]  # type: ignore[arg-type]
        values: list[Any] = [literal(number, Integer)]
        for anchor_column in ANCHOR_COLUMNS.values():
            c = source.c[anchor_column.name]
            # min and max of the bare column, so that PostgreSQL reads each from the column's index
            values += [
                cast(null(), c.type) if before else func.min(c),
                cast(null(), c.type) if after else func.max(c),
            ]
        day = source.c.reported_day
        if month is None:  # PostgreSQL's default partition: any reported days
            values += [func.min(day), func.max(day)]
        else:
            values += [cast(null(), Date), cast(null(), Date)]
        branches.append(select(*values).select_from(source).where(*where))
    sql = str(union_all(*branches).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    types = [Integer(), *(c.type for c in ANCHOR_COLUMNS.values() for _ in (0, 1)), Date(), Date()]
    return text(sql).columns(*(column(f"c{i}", t) for i, t in enumerate(types)))


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
