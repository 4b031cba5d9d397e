"""`citycockpit events …` and `citycockpit worker` through typer's runner, on a fresh SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from citycockpit.cli import app
from citycockpit.db import make_engine
from citycockpit.events.categories import shipped_categories_file
from citycockpit.events.models import Event, EventCategory
from tests.builders import sqlite_file_with_demo_org

runner = CliRunner()


@pytest.fixture
def dbfile(tmp_path: Path) -> str:
    return sqlite_file_with_demo_org(tmp_path)


def _count(db: str, stmt) -> int:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        value = conn.scalar(stmt)
    engine.dispose()
    return int(value or 0)


def test_categories_import_then_export_round_trips(dbfile: str, tmp_path: Path) -> None:
    source = tmp_path / "categories.yaml"
    source.write_bytes(shipped_categories_file())
    result = runner.invoke(app, ["events", "categories", "import", str(source), "--db", dbfile])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.csv"
    assert (
        runner.invoke(app, ["events", "categories", "export", "--out", str(out), "--db", dbfile]).exit_code
        == 0
    )
    again = runner.invoke(app, ["events", "categories", "import", str(out), "--db", dbfile])
    assert (again.exit_code, "0 created" in again.output) == (0, True)
    assert _count(dbfile, select(func.count()).select_from(EventCategory)) == 97


def test_a_bad_hotline_file_lists_its_rows_and_stores_nothing(dbfile: str, tmp_path: Path) -> None:
    source = tmp_path / "categories.yaml"
    source.write_bytes(shipped_categories_file())
    runner.invoke(app, ["events", "categories", "import", str(source), "--db", dbfile])
    bad = tmp_path / "hotline.csv"
    bad.write_text("工单编号,诉求内容,分类编码\nT1,路灯不亮,C0107\nT2,不知道,X1\n", encoding="utf-8")
    result = runner.invoke(app, ["events", "import", str(bad), "--db", dbfile])
    assert result.exit_code == 1
    assert "row 3" in result.output
    assert _count(dbfile, select(func.count()).select_from(Event)) == 0


def test_a_good_hotline_file_imports_and_the_worker_runs_once(dbfile: str, tmp_path: Path) -> None:
    source = tmp_path / "categories.yaml"
    source.write_bytes(shipped_categories_file())
    runner.invoke(app, ["events", "categories", "import", str(source), "--db", dbfile])
    good = tmp_path / "hotline.csv"
    good.write_text(
        "工单编号,受理时间,诉求类型,分类编码,诉求内容\nT1,2024-09-30 09:00,投诉,C0107,上海东路路灯不亮\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["events", "import", str(good), "--db", dbfile])
    assert (result.exit_code, "imported 1" in result.output) == (0, True)
    worker = runner.invoke(app, ["worker", "--once", "--db", dbfile])
    assert worker.exit_code == 0, worker.output
    assert "remind" in worker.output


def test_train_prints_per_category_figures_and_stores_the_auto_route_threshold(
    dbfile: str, tmp_path: Path
) -> None:
    from citycockpit.events.analytics.models import ClassifierModel

    source = tmp_path / "categories.yaml"
    source.write_bytes(shipped_categories_file())
    runner.invoke(app, ["events", "categories", "import", str(source), "--db", dbfile])
    generated = runner.invoke(
        app,
        [
            "events",
            "generate",
            "--events",
            "600",
            "--year",
            "2024",
            "--seed",
            "3",
            "--no-rollup",
            "--db",
            dbfile,
        ],
    )
    assert generated.exit_code == 0, generated.output
    result = runner.invoke(
        app,
        ["events", "train", "--no-words", "--target-precision", "0.9", "--db", dbfile],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    assert "auto-route threshold" in result.output and "target precision 90%" in result.output
    assert "precision" in result.output and "recall" in result.output
    assert _count(dbfile, select(func.count()).where(ClassifierModel.autoroute_threshold.is_not(None))) == 1


def test_history_imports_from_the_cli_and_a_second_run_names_each_stored_ticket(
    dbfile: str, tmp_path: Path
) -> None:
    source = tmp_path / "categories.yaml"
    source.write_bytes(shipped_categories_file())
    runner.invoke(app, ["events", "categories", "import", str(source), "--db", dbfile])
    good = tmp_path / "history.csv"
    good.write_bytes(
        "工单编号,受理时间,诉求内容,分类编码,承办单位,办结时间,满意度\n"
        "H1,2024-09-02 09:00,上海东路路灯不亮,C0107,CGJ,2024-09-03 10:00,满意\n".encode("gb18030")
    )
    first = runner.invoke(
        app, ["events", "import-history", str(good), "--encoding", "gb18030", "--db", dbfile]
    )
    assert (first.exit_code, "imported 1 history tickets" in first.output) == (0, True), first.output
    again = runner.invoke(
        app, ["events", "import-history", str(good), "--encoding", "gb18030", "--db", dbfile]
    )
    assert again.exit_code == 1
    assert "row 2 column 工单编号: ticket H1 is already stored" in again.output
    assert _count(dbfile, select(func.count()).select_from(Event)) == 1
