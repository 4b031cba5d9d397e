"""`citycockpit indicators …`: a shipped theme, stations and values from files, bad rows one line each."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit.cli import app
from citycockpit.indicators.models import Feed, Threshold, Value

runner = CliRunner()


def test_the_ecology_theme_stations_and_values_load_from_the_command_line(fresh_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, engine = fresh_db
    assert runner.invoke(app, ["indicators", "load-theme", "ecology", "--db", url]).exit_code == 0
    again = runner.invoke(app, ["indicators", "load-theme", "ecology", "--db", url])
    assert "created 0, updated 6" in again.output  # loading a theme twice updates, never duplicates
    stations = tmp_path / "stations.csv"
    stations.write_text(
        "站点代码,站点名称,级别,纬度,经度\nTC01,太仓监测站,国控,31.45,121.10\n", encoding="utf-8"
    )
    assert runner.invoke(app, ["indicators", "import-stations", str(stations), "--db", url]).exit_code == 0
    values = tmp_path / "pm25.csv"
    values.write_text(
        "时间,站点,数值\n2024-09-30 08:00,TC01,35\n2024-09-30 09:00,TC01,2000\n", encoding="utf-8"
    )
    bad = runner.invoke(app, ["indicators", "import-values", str(values), "--series", "pm25", "--db", url])
    assert bad.exit_code == 1 and "outside the physical range" in bad.output
    values.write_text(
        "时间,站点,数值\n2024-09-30 08:00,TC01,35\n2024-09-30 09:00,TC01,40\n", encoding="utf-8"
    )
    good = runner.invoke(app, ["indicators", "import-values", str(values), "--series", "pm25", "--db", url])
    assert good.exit_code == 0 and "created 2" in good.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Feed).where(Feed.theme == "ecology")) == 6
        assert session.scalar(select(func.count()).select_from(Threshold)) == 12
        assert session.scalar(select(func.count()).select_from(Value)) == 2


def test_the_safety_theme_loads_with_its_board_and_a_wrong_board_is_refused(fresh_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.indicators.models import Theme

    url, engine = fresh_db
    loaded = runner.invoke(app, ["indicators", "load-theme", "safety", "--db", url])
    assert loaded.exit_code == 0 and "series created 5, updated 0; board panels 5" in loaded.output
    wrong = tmp_path / "water.yaml"
    wrong.write_text(
        "theme: water\nname: 水务\nseries:\n  - {code: water_level, name: 河道水位}\n"
        "board:\n  panels:\n    - {type: gauge, title: 水位, at: [0, 0, 6, 4]}\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["indicators", "load-theme", str(wrong), "--db", url])
    assert refused.exit_code == 1 and "panel 1 has unknown type 'gauge'" in refused.output
    with Session(engine) as session:
        assert session.scalars(select(Theme.code)).all() == ["safety"]
        assert session.scalar(select(func.count()).select_from(Feed).where(Feed.code == "water_level")) == 0
