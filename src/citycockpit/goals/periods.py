"""Monthly reporting periods (YYYY-MM): parsing, the as-of date, locking after the bulletin."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import Actor
from citycockpit.core.periods import parse_month
from citycockpit.goals.enums import PeriodState
from citycockpit.goals.errors import PeriodLocked, PeriodNotLocked
from citycockpit.goals.models import ReportingPeriod
from citycockpit.goals.status import month_end


def parse_period(text: object) -> str:
    """A month in any form `core.periods.parse_month` reads (`2024-06`, `2024/6`, `2024年6月`, a date …)
    → its key `2024-06`."""
    return str(parse_month(text))


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def year_month(period: str) -> tuple[int, int]:
    year, month = parse_period(period).split("-")
    return int(year), int(month)


def previous_period(period: str) -> str:
    year, month = year_month(period)
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def as_of_date(period: str, today: date) -> date:
    """The date a period is judged at: its last day, or today while the month is still running."""
    year, month = year_month(period)
    end = month_end(year, month)
    start = date(year, month, 1)
    return today if start <= today < end else end


def get_period(session: Session, period: str) -> ReportingPeriod | None:
    return session.scalars(select(ReportingPeriod).where(ReportingPeriod.period == period)).first()


def ensure_period(session: Session, period: str) -> ReportingPeriod:
    row = get_period(session, period)
    if row is None:
        row = ReportingPeriod(period=period, state=PeriodState.OPEN.value)
        session.add(row)
        session.flush()
    return row


def is_locked(session: Session, period: str) -> bool:
    row = get_period(session, period)
    return row is not None and row.state == PeriodState.LOCKED.value


def locked_periods(session: Session, wanted: list[str]) -> set[str]:
    """Which of the `wanted` periods are locked (one query)."""
    if not wanted:
        return set()
    rows = session.scalars(
        select(ReportingPeriod.period).where(
            ReportingPeriod.period.in_(wanted), ReportingPeriod.state == PeriodState.LOCKED.value
        )
    )
    return set(rows)


def ensure_open(session: Session, period: str, what: str = "change") -> None:
    """Refuse a change to a locked period (the supervisor must unlock it first)."""
    if is_locked(session, period):
        raise PeriodLocked(
            f"The reporting period {period} is locked after its bulletin; a {what} needs an unlock first",
            period=period,
        )


def lock_period(session: Session, period: str, *, actor: Actor, now: datetime) -> ReportingPeriod:
    """Lock a period: its reports, comments, actuals and statuses are frozen until unlocked."""
    period = parse_period(period)
    row = ensure_period(session, period)
    if row.state == PeriodState.LOCKED.value:
        return row
    row.state, row.locked_at, row.locked_by = PeriodState.LOCKED.value, now, actor.display_name
    audit.record(session, actor, "goal_period.lock", "goal_period", period, at=now, diff={"state": "locked"})
    session.flush()
    return row


def unlock_period(
    session: Session, period: str, *, actor: Actor, now: datetime, reason: str | None = None
) -> ReportingPeriod:
    """Unlock a locked period for late edits; audited with the reason. A period that is not locked
    (or was never used) is refused with `PeriodNotLocked`, and nothing is written."""
    period = parse_period(period)
    row = get_period(session, period)
    if row is None or row.state != PeriodState.LOCKED.value:
        raise PeriodNotLocked(f"{period} is not locked: nothing to unlock", period=period)
    row.state = PeriodState.OPEN.value
    audit.record(
        session,
        actor,
        "goal_period.unlock",
        "goal_period",
        period,
        at=now,
        diff={"state": "open", "reason": reason, "locked_by": row.locked_by},
    )
    row.locked_at, row.locked_by = None, None
    session.flush()
    return row


def list_periods(session: Session) -> list[ReportingPeriod]:
    return list(session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.period.desc())).all())
