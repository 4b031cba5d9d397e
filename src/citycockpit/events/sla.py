"""The SLA clock: add a time limit to an instant, and measure elapsed time, in one of four clock kinds
on the official Chinese calendar (statutory holidays and make-up working days from `chinese-calendar`).

- 紧急工作时 (urgent_hours): every minute counts, nights and holidays included; unit = hour.
- 工作时 (work_hours): only minutes inside the office windows of working days count; unit = hour.
- 工作日 (work_days): every minute of a working day counts, none of a rest day; unit = day (1440 min).
  One working day from Friday 16:00 is Monday 16:00; from Saturday 10:00 it is Tuesday 00:00, i.e.
  the end of Monday.
- 自然日 (calendar_days): every minute counts; unit = day.

`add` and `elapsed` are inverse: elapsed(start, add(start, n)) == n for every kind.

A co-operating department's (配合单位) part of a jointly handled event has its own limit, `assist_due`:
a share (`events_assist_limit_share`) of the lead's handle limit, so the lead has time to fold the
parts into its answer (国办发〔2020〕53号: 配合单位在规定时限内向牵头单位反馈)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

from citycockpit.events.enums import ClockKind, EventState

UNIT_MINUTES = {
    ClockKind.URGENT_HOURS: 60.0,
    ClockKind.WORK_HOURS: 60.0,
    ClockKind.WORK_DAYS: 1440.0,
    ClockKind.CALENDAR_DAYS: 1440.0,
}
CONTINUOUS = frozenset({ClockKind.URGENT_HOURS, ClockKind.CALENDAR_DAYS})
DEFAULT_WINDOWS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
DEFAULT_ASSIST_SHARE = 0.5  # Settings.events_assist_limit_share
_MAX_DAYS = 3700  # ten years: no limit is longer; guards against a calendar without working days


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """True on a working day of the official calendar (调休 make-up days included, holidays excluded).
    Outside the years `chinese-calendar` knows, Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def _minutes(t: time) -> int:
    return 1440 if t == time.max else t.hour * 60 + t.minute


@dataclass(frozen=True)
class WorkCalendar:
    """Office windows and zone; built from Settings.office_windows / Settings.zone."""

    windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    assist_share: float = DEFAULT_ASSIST_SHARE

    @classmethod
    def from_settings(cls, settings: object) -> WorkCalendar:
        return cls(
            windows=tuple(settings.office_windows),  # type: ignore[attr-defined]
            zone=settings.zone,  # type: ignore[attr-defined]
            assist_share=float(getattr(settings, "events_assist_limit_share", DEFAULT_ASSIST_SHARE)),
        )

    def assist_due(
        self, assigned_at: datetime, handle_limit: float, kind: ClockKind | str, lead_due: datetime | None
    ) -> datetime:
        """When a co-operating part assigned at `assigned_at` must be reported to the lead:
        `assist_share` of the category's handle limit on the event's clock, and never after the lead's
        own handling deadline `lead_due`."""
        due = self.add(assigned_at, handle_limit * self.assist_share, kind)
        return min(due, lead_due) if lead_due is not None else due

    @classmethod
    def of_app(cls, state: Any) -> WorkCalendar:
        """The app's calendar (office hours from its settings), built once and kept on its state."""
        cached = getattr(state, "work_calendar", None)
        if cached is None:
            cached = cls.from_settings(state.settings)
            state.work_calendar = cached
        return cached  # type: ignore[no-any-return]

    def _spans(self, day: date, kind: ClockKind) -> list[tuple[int, int]]:
        """Counted minute spans of a local day."""
        if kind in CONTINUOUS:
            return [(0, 1440)]
        if not is_working_day(day):
            return []
        if kind is ClockKind.WORK_DAYS:
            return [(0, 1440)]
        return [(_minutes(a), _minutes(b)) for a, b in self.windows]

    def _day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.zone)

    def add(self, start: datetime, amount: float, kind: ClockKind | str) -> datetime:
        """The instant at which `amount` units of `kind` have elapsed since `start` (aware UTC)."""
        kind = ClockKind(kind)
        if amount < 0:
            raise ValueError("a time limit cannot be negative")
        remaining = amount * UNIT_MINUTES[kind]
        if kind in CONTINUOUS:
            return (start + timedelta(minutes=remaining)).astimezone(UTC)
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(_MAX_DAYS):
            base = self._day_start(day)
            for a, b in self._spans(day, kind):
                seg_start = max(base + timedelta(minutes=a), local)
                seg_end = base + timedelta(minutes=b)
                if seg_end <= seg_start:
                    continue
                available = (seg_end - seg_start).total_seconds() / 60
                if available >= remaining:
                    return (seg_start + timedelta(minutes=remaining)).astimezone(UTC)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time found within ten years; check the office hours")

    def elapsed(self, start: datetime, end: datetime, kind: ClockKind | str) -> float:
        """Units of `kind` counted between `start` and `end` (0 when end is not after start)."""
        kind = ClockKind(kind)
        if end <= start:
            return 0.0
        if kind in CONTINUOUS:
            return (end - start).total_seconds() / 60 / UNIT_MINUTES[kind]
        a_local, b_local = start.astimezone(self.zone), end.astimezone(self.zone)
        total = 0.0
        day = a_local.date()
        while day <= b_local.date():
            base = self._day_start(day)
            for a, b in self._spans(day, kind):
                seg_start = max(base + timedelta(minutes=a), a_local)
                seg_end = min(base + timedelta(minutes=b), b_local)
                if seg_end > seg_start:
                    total += (seg_end - seg_start).total_seconds() / 60
            day += timedelta(days=1)
        return total / UNIT_MINUTES[kind]

    def elapsed_minutes(self, start: datetime, end: datetime, kind: ClockKind | str) -> float:
        return self.elapsed(start, end, kind) * UNIT_MINUTES[ClockKind(kind)]

    def fraction_used(self, start: datetime, due: datetime, now: datetime, kind: ClockKind | str) -> float:
        """Share of the allowance start→due used at `now` (1.0 = due, above 1 = overdue)."""
        allowance = self.elapsed(start, due, kind)
        if allowance <= 0:
            return 1.0 if now >= due else 0.0
        return self.elapsed(start, now, kind) / allowance


DEFAULT_CALENDAR = WorkCalendar()


# Which deadline an event's clock is running against in each state (the stage's due column on events):
# with the department (派遣/签收) the handling limit, handled the verification limit, verified the
# closing limit. Set aside (挂账) and finished events run no clock. Lists sort by it ("most urgent").
STAGE_DUE: dict[str, str] = {
    EventState.DISPATCHED.value: "handle_due_at",
    EventState.SIGNED.value: "handle_due_at",
    EventState.HANDLED.value: "verify_due_at",
    EventState.VERIFIED.value: "close_due_at",
}


def stage_due(event: object) -> datetime | None:
    """The deadline the event's current stage runs against (STAGE_DUE), or None."""
    column = STAGE_DUE.get(str(getattr(event, "state", "")))
    return getattr(event, column) if column else None


def minutes_left(calendar: WorkCalendar, now: datetime, due: datetime, kind: ClockKind | str | None) -> float:
    """Counted minutes from `now` until `due` in the event's clock (working minutes for a working-time
    clock): negative when the deadline has passed (by as many counted minutes)."""
    clock = ClockKind(kind) if kind else ClockKind.CALENDAR_DAYS
    if due >= now:
        return calendar.elapsed_minutes(now, due, clock)
    return -calendar.elapsed_minutes(due, now, clock)
