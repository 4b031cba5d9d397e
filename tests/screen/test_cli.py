"""`citycockpit screen …` through typer's runner, on a migrated SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from citycockpit import migrate
from citycockpit.cli import app
from citycockpit.db import make_engine

runner = CliRunner()


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "cli.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("CITYCOCKPIT_SECRET_KEY", "cli-secret-" + "z" * 40)
    monkeypatch.setenv("CITYCOCKPIT_DATA_DIR", str(tmp_path / "var"))
    return str(path)


def test_kiosk_create_prints_a_signed_url_and_revoke_ends_it(db_file: str) -> None:
    created = runner.invoke(
        app,
        [
            "screen",
            "kiosk",
            "create",
            "--name",
            "指挥中心大屏",
            "--base-url",
            "http://wall:8000",
            "--db",
            db_file,
        ],
    )
    assert created.exit_code == 0, created.output
    assert created.output.strip().startswith("http://wall:8000/screen/kiosk/1.")
    revoked = runner.invoke(app, ["screen", "kiosk", "revoke", "1", "--db", db_file])
    assert revoked.exit_code == 0, revoked.output
    listed = runner.invoke(app, ["screen", "kiosk", "list", "--db", db_file])
    assert "revoked" in listed.output


def test_kiosk_create_for_an_unknown_area_is_one_clear_error(db_file: str) -> None:
    result = runner.invoke(
        app, ["screen", "kiosk", "create", "--name", "x", "--area", "999999", "--db", db_file]
    )
    assert result.exit_code == 1 and "999999" in result.output
