"""时序进度 has one home, goals.status: the big screen's bar and a whole-year goal's time progress agree on
every day of a common and a leap year, and the screen's overview shows it for the clock's day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from citycockpit.goals.status import TaskFacts, evaluate_task, year_progress
from citycockpit.screen.queries import time_progress


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize("year", [2023, 2024])
def test_the_screen_and_a_whole_year_goal_agree_on_every_day(year: int) -> None:
    start, end = date(year, 1, 1), date(year, 12, 31)
    for day in _days(year):
        goal = evaluate_task(TaskFacts(as_of=day, start=start, end=end, percent=50)).time_progress
        assert goal is not None
        assert time_progress(day) == round(goal, 4) == round(year_progress(day), 4), day


def test_time_progress_is_the_day_of_the_year_over_its_days() -> None:
    assert year_progress(date(2024, 6, 30)) == pytest.approx(182 / 366)
    assert year_progress(date(2023, 6, 30)) == pytest.approx(181 / 365)
    assert (year_progress(date(2024, 1, 1)), year_progress(date(2024, 12, 31))) == (1 / 366, 1.0)


def test_the_overview_shows_the_time_progress_of_the_clocks_day(client: TestClient, leader) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/screen/overview", headers=leader.headers).json()
    assert (body["today"], body["time_progress"]) == ("2024-09-30", round(274 / 366, 4))
