"""Goals checks its own settings at start-up (config does not import goals): a status rule it does not
know, or a list without its catch-all, still stops the app, `serve`, `worker` and the goals commands
with the same message as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from citycockpit.app import create_app
from citycockpit.cli import app as cli_app
from citycockpit.config import Settings

UNKNOWN = "unknown rule(s) nope; known: done, overdue, not_reported, ahead, on_track, behind"


def _settings(tmp_path: Path, **goals: list[str]) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key="test-secret-key-" + "x" * 32, **goals)  # type: ignore[arg-type]


def test_loading_the_settings_does_not_import_goals() -> None:
    probe = (
        "import sys; from citycockpit.config import Settings; "
        "Settings(goals_task_rules=['done', 'behind'], goals_indicator_rules=['off_track']); "
        "print(sorted(m for m in sys.modules if m.startswith('citycockpit.goals')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_app_refuses_to_start_with_an_unknown_task_rule(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        create_app(_settings(tmp_path, goals_task_rules=["done", "nope", "behind"]))
    error = refused.value.errors()[0]
    assert (error["loc"], error["msg"]) == (("goals_task_rules",), f"Value error, {UNKNOWN}")
    assert str(refused.value).startswith("1 validation error for Settings\ngoals_task_rules\n")


def test_the_app_refuses_an_indicator_rule_list_without_its_catch_all(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        create_app(_settings(tmp_path, goals_indicator_rules=["no_data", "off_track", "met"]))
    assert refused.value.errors()[0]["msg"] == "Value error, the last rule must be the catch-all `off_track`"


@pytest.mark.parametrize(
    "command", [["goals", "status", "--period", "2024-06"], ["worker", "--once"], ["serve"]]
)
def test_a_bad_goals_rule_stops_the_commands_that_use_it_with_one_line(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYCOCKPIT_GOALS_TASK_RULES", '["done", "nope", "behind"]')
    monkeypatch.setenv("CITYCOCKPIT_DATA_DIR", str(tmp_path))
    db = [] if command == ["serve"] else ["--db", str(tmp_path / "never.db")]
    result = CliRunner().invoke(cli_app, [*command, *db])
    assert result.exit_code == 1
    assert " ".join(result.output.split()) == f"error: bad setting goals_task_rules: Value error, {UNKNOWN}"
    assert not (tmp_path / "never.db").exists()
