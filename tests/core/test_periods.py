"""One month parser (core.periods) for goals and projects: the forms it reads, the ones it refuses, and
both domains' readers giving the same answer for every one of them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from citycockpit.core.periods import InvalidPeriod, Month, parse_month
from citycockpit.goals import periods as goal_periods
from citycockpit.projects import queries as project_queries

READ = {
    "2024-06": Month(2024, 6),
    "2024-6": Month(2024, 6),
    " 2024-06 ": Month(2024, 6),
    "2024/6": Month(2024, 6),
    "2024.06": Month(2024, 6),
    "2024年6月": Month(2024, 6),
    "2024 年 6 月": Month(2024, 6),
    "2024年12月": Month(2024, 12),
    "2024-06-15": Month(2024, 6),
    "2024-06-15T08:30:00": Month(2024, 6),
    "2000-01": Month(2000, 1),
    "2100-12": Month(2100, 12),
}
REFUSED = ["", "2024", "2024-13", "2024-00", "1999-12", "2101-01", "24-06", "2024-6-", "六月", "2024-06x"]


@pytest.mark.parametrize(("text", "month"), READ.items())
def test_a_month_is_read_in_every_form_a_statistics_file_or_a_url_writes_it(text: str, month: Month) -> None:
    assert parse_month(text) == month


def test_a_date_or_a_datetime_is_read_as_its_month() -> None:
    assert parse_month(date(2024, 6, 30)) == parse_month(datetime(2024, 6, 1, 23, 59)) == Month(2024, 6)


@pytest.mark.parametrize("text", REFUSED)
def test_anything_else_is_refused_naming_the_text(text: str) -> None:
    with pytest.raises(InvalidPeriod) as refused:
        parse_month(text)
    assert refused.value.detail == f"{text.strip()!r} is not a month (YYYY-MM)"
    assert refused.value.code == "invalid_period"


@pytest.mark.parametrize("text", [*READ, *REFUSED])
def test_goals_and_projects_read_every_form_alike(text: str) -> None:
    def answer(parse) -> str:  # type: ignore[no-untyped-def]
        try:
            return str(parse(text))
        except InvalidPeriod as exc:
            return f"refused: {exc.detail}"

    assert answer(goal_periods.parse_period) == answer(project_queries.parse_period)
    assert answer(goal_periods.parse_period) == answer(parse_month)
