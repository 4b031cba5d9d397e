"""The clock every time rule reads. Injectable, so the demo can live inside the report's year."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Clock:
    """Real time, or real time shifted so that the local date is `today` (time of day keeps running).

    A fixed instant can be given for tests (`fixed`), which never moves.
    """

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    today: date | None = None
    fixed: datetime | None = None
    _offset: timedelta = field(default=timedelta(0), init=False)

    def __post_init__(self) -> None:
        if self.fixed is not None and self.fixed.tzinfo is None:
            raise ValueError("a fixed clock needs a timezone-aware instant")
        if self.today is not None:
            local_now = datetime.now(self.zone)
            self._offset = datetime.combine(self.today, local_now.time(), self.zone) - local_now

    def now(self) -> datetime:
        """The current instant in UTC."""
        if self.fixed is not None:
            return self.fixed.astimezone(UTC)
        return utcnow() + self._offset

    def local_now(self) -> datetime:
        return self.now().astimezone(self.zone)

    def local_today(self) -> date:
        return self.local_now().date()

    def local_midnight(self, day: date) -> datetime:
        """The UTC instant at which `day` starts in the local zone."""
        return datetime.combine(day, time(0), self.zone).astimezone(UTC)


def fixed_clock(instant: str | datetime, zone: str = "Asia/Shanghai") -> Clock:
    """A clock stopped at `instant` (ISO string in the local zone or an aware datetime)."""
    tz = ZoneInfo(zone)
    if isinstance(instant, str):
        parsed = datetime.fromisoformat(instant)
        instant = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    return Clock(zone=tz, fixed=instant)
