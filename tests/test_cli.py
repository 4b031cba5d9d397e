"""The command line, through typer's runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import String, cast, create_engine, func, select
from typer.testing import CliRunner

from citycockpit.cli import app
from citycockpit.events.models import DispatchCatalogueRule, DispatchCatalogueVersion, Event
from citycockpit.goals.models import Goal
from citycockpit.org.models import Area
from citycockpit.projects.models import AttractionGoal

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo database for the tests that read what `citycockpit demo` built."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = runner.invoke(app, ["demo", "--no-serve", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_demo_no_serve_builds_a_database_a_test_can_open(demo_db: Path) -> None:
    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as conn:
        grids = conn.scalar(select(func.count(Area.id)).where(Area.level == "grid"))
        linked = conn.execute(
            select(Goal.title)
            .join(AttractionGoal, AttractionGoal.goal_ref == cast(Goal.id, String))
            .where(AttractionGoal.metric == "foreign_capital_used_wan_usd")
        ).scalar_one()
    engine.dispose()
    assert grids and grids > 100
    assert "实际使用外资" in linked  # the attraction goal points at the report's tracked goal


def test_the_demo_publishes_a_dispatch_catalogue_and_has_repeat_callers(demo_db: Path) -> None:
    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as conn:
        versions = conn.scalar(select(func.count()).select_from(DispatchCatalogueVersion))
        exceptions = conn.scalar(
            select(func.count())
            .select_from(DispatchCatalogueRule)
            .where(DispatchCatalogueRule.area_code.is_not(None))
        )
        repeats = conn.scalar(select(func.count()).select_from(Event).where(Event.repeat_of_id.is_not(None)))
        third_calls = conn.scalar(select(func.count()).select_from(Event).where(Event.repeat_seq == 3))
    engine.dispose()
    assert (versions, exceptions) == (1, 2)  # version 1, with the port zone's two area exceptions
    assert repeats >= 9 and third_calls >= 1  # eight callers call again, one of them twice


def test_the_demo_has_one_open_surge_of_water_calls_with_its_events_linked(demo_db: Path) -> None:
    from citycockpit.events.surges.models import SurgeAlert, SurgeAlertEvent

    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as conn:
        alerts = conn.execute(select(SurgeAlert.category_code, SurgeAlert.town_code, SurgeAlert.state)).all()
        linked = conn.scalar(select(func.count()).select_from(SurgeAlertEvent))
    engine.dispose()
    assert alerts == [("H0201", "320585100", "open")]
    assert linked >= 26


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("citycockpit ")


def test_a_bad_date_is_one_clear_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--no-serve", "--db", str(tmp_path / "d.db"), "--today", "2024-13-01"]
    )
    assert result.exit_code == 1
    assert "YYYY-MM-DD" in result.output


def test_org_import_of_a_broken_file_lists_its_rows_and_exits_non_zero(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    bad = tmp_path / "areas.csv"
    bad.write_text("code,name\n320585,太仓市\n12,坏编码\n", encoding="utf-8")
    result = runner.invoke(app, ["org", "import", str(bad), "--db", str(db)])
    assert result.exit_code == 1
    assert "row 3" in result.output and "6, 9, 12 or 15 digits" in result.output


def test_the_demo_loads_every_area_boundary_through_the_boundary_import(demo_db: Path) -> None:
    from citycockpit.audit.models import AuditEntry

    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as conn:
        without = conn.scalar(select(func.count(Area.id)).where(Area.geometry_geojson.is_(None)))
        audited = conn.scalar(select(func.count()).where(AuditEntry.action == "org.import_boundaries"))
    engine.dispose()
    assert (without, audited) == (0, 1)


def test_the_demo_air_targets_follow_its_stations_daily_data(demo_db: Path) -> None:
    from citycockpit.goals.models import GoalEvaluation, IndicatorSeries
    from citycockpit.indicators.models import AirQualityDay, Station

    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as conn:
        stations = conn.scalar(select(func.count()).select_from(Station))
        city_days = conn.scalar(
            select(func.count()).where(AirQualityDay.place_code == "", AirQualityDay.is_valid.is_(True))
        )
        evaluations = conn.execute(
            select(
                IndicatorSeries.link, GoalEvaluation.forecast, GoalEvaluation.to_date, GoalEvaluation.reason
            )
            .join(Goal, Goal.id == GoalEvaluation.goal_id)
            .join(IndicatorSeries, IndicatorSeries.id == Goal.series_id)
            .where(IndicatorSeries.link.is_not(None), GoalEvaluation.period == "2024-09")
            .order_by(IndicatorSeries.link)
        ).all()
    engine.dispose()
    assert stations == 6
    assert city_days > 720  # 2022-10-01 … 2024-09-29: two years (today's hours are not all in yet)
    assert [e.link for e in evaluations] == ["air:good_days_ratio", "air:pm25_annual_mean"]
    good, pm25 = evaluations
    assert 80 < good.forecast < 95 and 20 < pm25.forecast < 28
    assert all("按日监测数据" in e.reason for e in evaluations)


def test_the_demos_people_on_event_timelines_have_chinese_names(demo_db: Path) -> None:
    """Pages name the recorded actor of each step (auth.queries.actor_labels shows `user:<name>` as the
    name): the demo's own people (12345热线中心, 网格员, 承办部门 …) must read in Chinese."""
    from citycockpit.events.models import EventTransition

    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as conn:
        names = set(conn.scalars(select(EventTransition.actor_name).distinct()))
    engine.dispose()
    shown = {n.split(":", 1)[1] for n in names if n.startswith("user:")}
    assert shown and not [n for n in shown if any("a" <= c.lower() <= "z" for c in n)], sorted(shown)
