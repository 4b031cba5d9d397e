"""Targets on the screen: the year-to-date figure against the target, the time progress and the forecast
for every kind of target; a town's screen shows its own targets first and the city's read-only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.goals import evaluation
from citycockpit.goals.enums import GoalSource
from citycockpit.goals.errors import InvalidGoal
from citycockpit.goals.status import Thresholds, attainment
from tests.goals.builders import add_actuals, make_goal, make_series


@pytest.fixture
def area_goals(db: Session, clock: Clock, city: Any) -> dict[str, Any]:
    now = clock.now()
    gdp = make_series(db, "地区生产总值", now=now)
    add_actuals(db, gdp, 2024, {6: (860.0, 5.2), 8: (1150.0, 4.6)}, now=now)
    pm = make_series(db, "PM2.5年均浓度", now=now, cumulative=False, unit="微克/立方米")
    add_actuals(db, pm, 2024, {7: 21.0, 8: 23.0}, now=now)
    town = make_series(db, "城厢镇地区生产总值", now=now)
    add_actuals(db, town, 2024, {8: (150.0, 6.4)}, now=now)
    common = {"now": now, "source": GoalSource.TARGET, "lead_department_id": city["fgw"].id}
    growth = make_goal(
        db, title="地区生产总值增长5%以上", measure="growth", qualifier=">=", target_value=5, unit="%",
        series_id=gdp.id, **common,
    )  # fmt: skip
    ceiling = make_goal(
        db, title="PM2.5年均浓度24微克/立方米以下", measure="level", qualifier="<=", target_value=24,
        unit="微克/立方米", series_id=pm.id, **common,
    )  # fmt: skip
    own = make_goal(
        db, now=now, title="城厢镇地区生产总值增长6%以上", measure="growth", qualifier=">=", target_value=6,
        unit="%", series_id=town.id, area_code="320585100",
    )  # fmt: skip
    evaluation.evaluate_goals(db, "2024-09", today=date(2024, 9, 30), thresholds=Thresholds(), now=now)
    return {"growth": growth, "ceiling": ceiling, "own": own}


def test_every_target_shows_its_year_to_date_figure_time_progress_and_forecast(
    client: TestClient, area_goals: Any, leader: Any
) -> None:
    items = {
        i["name"]: i for i in client.get("/api/v1/screen/targets", headers=leader.headers).json()["items"]
    }
    growth = items["地区生产总值增长5%以上"]
    assert (growth["to_date"], growth["data_month"], growth["value_unit"]) == (4.6, 8, "%")
    assert growth["attainment"] == pytest.approx(0.92)
    assert growth["time_progress"] == pytest.approx(8 / 12) and growth["forecast"] == 4.6
    ceiling = items["PM2.5年均浓度24微克/立方米以下"]
    assert ceiling["to_date"] == pytest.approx(22.0) and ceiling["ceiling"] is True
    assert ceiling["attainment"] == pytest.approx(22 / 24, abs=1e-4) and ceiling["forecast"] is not None
    # the city's screen shows the city's targets only
    assert "城厢镇地区生产总值增长6%以上" not in items


def test_a_towns_screen_shows_its_own_targets_first_and_the_citys_read_only(
    client: TestClient, area_goals: Any, town_staff: Any, leader: Any
) -> None:
    body = client.get("/api/v1/screen/targets", headers=town_staff.headers).json()
    names = [i["name"] for i in body["items"]]
    assert names[0] == "城厢镇地区生产总值增长6%以上"
    assert set(names[1:]) == {"地区生产总值增长5%以上", "PM2.5年均浓度24微克/立方米以下"}
    levels = {i["name"]: i["level"] for i in body["items"]}
    assert levels["城厢镇地区生产总值增长6%以上"] == "own" and levels["地区生产总值增长5%以上"] == "city"
    assert all(i["status"] for i in body["items"])  # judged, not 未报送
    assert all(i["href"] is None for i in body["items"])  # a town may not open goal pages: read-only
    # a leader drilled down to the town sees the same targets, with links
    drilled = client.get("/api/v1/screen/targets?area=320585100", headers=leader.headers).json()
    assert [i["name"] for i in drilled["items"]] == names and drilled["items"][0]["href"]
    # another town sees the city's only
    other = client.get("/api/v1/screen/targets?area=320585101", headers=leader.headers).json()
    assert "城厢镇地区生产总值增长6%以上" not in [i["name"] for i in other["items"]]


def test_a_towns_economy_panel_shows_its_own_series_only(
    client: TestClient, area_goals: Any, town_staff: Any
) -> None:
    series = client.get("/api/v1/screen/economy", headers=town_staff.headers).json()["series"]
    assert [s["name"] for s in series] == ["城厢镇地区生产总值"]


def test_a_goal_in_an_unknown_area_is_refused(db: Session, clock: Clock) -> None:
    with pytest.raises(InvalidGoal):
        make_goal(db, now=clock.now(), title="某镇目标", area_code="320585999")


def test_attainment_is_the_year_to_date_figure_as_a_share_of_the_target() -> None:
    assert attainment("growth", 5.0, 4.6) == pytest.approx(0.92)
    assert attainment("level", 24.0, 30.0) == pytest.approx(1.25)  # over a ceiling
    assert attainment("growth", 5.0, None) is None
    assert attainment("growth", -2.0, -1.0) is None  # a share of a fall says nothing
