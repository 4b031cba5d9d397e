"""Months as reporting periods (`YYYY-MM`): the one parser for every domain that reports by month.

Goals (monthly progress, statistics bureau actuals) and key projects (monthly investment) both read a
month from a query string, a CLI option or a spreadsheet cell; they accept the same forms and refuse
the rest with the same error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from citycockpit.core.errors import Unprocessable

_MONTH = re.compile(r"^\s*(\d{4})\s*(?:-|/|年|\.)\s*(\d{1,2})\s*月?\s*$")
_DAY_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class InvalidPeriod(Unprocessable):
    code = "invalid_period"


@dataclass(frozen=True, order=True)
class Month:
    """A month of a year; `str()` is its `YYYY-MM` key."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: object) -> Month:
    """`2024-06`, `2024/6`, `2024.6`, `2024年6月` (spaces allowed), an ISO date `2024-06-15…`, or a date
    or datetime → that month. Years 2000–2100; anything else is `InvalidPeriod`."""
    if isinstance(text, datetime | date):
        return Month(text.year, text.month)
    raw = str(text or "").strip()
    if _DAY_PREFIX.match(raw):
        raw = raw[:7]
    match = _MONTH.match(raw)
    if not match or not 1 <= int(match.group(2)) <= 12 or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise InvalidPeriod(f"{raw!r} is not a month (YYYY-MM)", period=raw)
    return Month(int(match.group(1)), int(match.group(2)))
