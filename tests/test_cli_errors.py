"""How every command fails: a missing or unmigrated database, a missing input file, a missing output
folder, and the help of every command. Each case walks the whole command tree, so a new command is
covered the day it is added. The real CLI, through typer's runner, on real SQLite files."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from citycockpit.cli import app

runner = CliRunner()

# Commands that may make a new database: `db upgrade`, `db restore` (into a new file) and `demo`.
# `serve` is left out of the walk because, were the check to break, it would start serving.
CREATE_DATABASES = {"db upgrade", "db restore", "demo", "serve"}
# A value for each required parameter, by name, so that every command gets as far as its database.
VALUES = {
    "period": "2024-06",
    "year": "2024",
    "name": "测试",
    "role": "admin",
    "password": "Kiosk-pass-2024!",
    "since": "2024-01-01",
    "reason": "补报",
    "revision": "base",
    "username": "zhang",
    "report_id": "1",
    "link_id": "1",
    "token_id": "1",
    "message": "add a table",
    "as_user": "zhang",
    "theme": "ecology",
    "series_name": "PM2.5年均浓度",
    "before": "2023",
}


def _leaves(command=None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    command = command or typer.main.get_command(app)
    for name, sub in command.commands.items():
        if getattr(sub, "commands", None):
            yield from _leaves(sub, (*path, name))
        else:
            yield " ".join((*path, name)), sub


def _is_path(param) -> bool:  # type: ignore[no-untyped-def]
    return bool(param.type_descriptor.is_path) and param.name != "db"


def _is_input(param) -> bool:  # type: ignore[no-untyped-def]
    return param.param_type_name == "argument" and param.metavar == "FILE"


def _args(command, tmp_path: Path, *, skip: object = None) -> list[str]:  # type: ignore[no-untyped-def]
    """Arguments that fill every required parameter (existing input files, outputs in tmp_path)."""
    args: list[str] = []
    for param in command.params:
        if param is skip or not (param.required or (_is_path(param) and param.param_type_name == "argument")):
            continue
        if _is_path(param):
            if _is_input(param):
                value = tmp_path / f"{param.name}.xlsx"
                value.write_bytes(b"x")
            else:
                value = tmp_path / f"{param.name}-out.xlsx"
            text = str(value)
        else:
            text = VALUES[param.name]
        args += [text] if param.param_type_name == "argument" else [param.opts[0], text]
    return args


LEAVES = dict(_leaves())


@pytest.mark.parametrize("path", sorted(set(LEAVES) - CREATE_DATABASES))
def test_a_command_on_a_missing_database_says_so_in_one_line_and_creates_nothing(
    path: str, tmp_path: Path
) -> None:
    missing = tmp_path / "typo.db"
    extra = ["--once"] if path == "worker" else []
    result = runner.invoke(app, [*path.split(), *_args(LEAVES[path], tmp_path), *extra, "--db", str(missing)])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert lines == [
        f"error: the database {missing} does not exist; run `citycockpit db upgrade --db {missing}` first"
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".db", ".db-wal", ".db-shm")) == []


def test_without_db_the_default_database_is_named_with_how_to_choose_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CITYCOCKPIT_DATABASE_URL", raising=False)
    monkeypatch.setenv("CITYCOCKPIT_DATA_DIR", str(tmp_path / "var"))
    result = runner.invoke(app, ["goals", "list"])
    assert result.exit_code == 1
    assert "citycockpit.db does not exist" in result.output
    assert "--db or CITYCOCKPIT_DATABASE_URL" in result.output
    assert not (tmp_path / "var").exists()


def test_a_database_without_a_schema_is_not_initialised(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = runner.invoke(app, ["report", "list", "--db", str(empty)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: the database {empty} is not initialised (it has no schema); "
        f"run `citycockpit db upgrade --db {empty}` first"
    )


def test_a_database_behind_the_newest_schema_is_named_with_its_revision(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    assert runner.invoke(app, ["db", "downgrade", "--db", str(db), "--", "-1"]).exit_code == 0
    result = runner.invoke(app, ["goals", "list", "--db", str(db)])
    assert result.exit_code == 1
    assert "is at schema revision" in result.output and "db upgrade --db" in result.output
    assert "upgrade needed" in runner.invoke(app, ["db", "current", "--db", str(db)]).output


def test_db_upgrade_creates_the_database_the_others_refuse(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    assert runner.invoke(app, ["db", "current", "--db", str(db)]).exit_code == 1
    assert not db.exists()
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    assert runner.invoke(app, ["goals", "list", "--db", str(db)]).exit_code == 0


def test_a_postgresql_database_that_does_not_exist_is_one_line() -> None:
    url = os.environ.get("CITYCOCKPIT_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("CITYCOCKPIT_TEST_POSTGRES_URL is not set")
    missing = url.rsplit("/", 1)[0] + "/citycockpit_no_such_database"
    result = runner.invoke(app, ["goals", "list", "--db", missing])
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot open the database postgresql+psycopg://")
    assert len(result.output.strip().splitlines()) == 1


PATH_PARAMS = sorted(
    (path, param.name) for path, command in LEAVES.items() for param in command.params if _is_path(param)
)


@pytest.mark.parametrize(("path", "name"), PATH_PARAMS)
def test_a_missing_input_file_or_output_folder_is_one_line_and_exit_1(
    path: str, name: str, tmp_path: Path
) -> None:
    command = LEAVES[path]
    param = next(p for p in command.params if p.name == name)
    where = tmp_path / "no-such-folder" / "file.xlsx"
    given = [str(where)] if param.param_type_name == "argument" else [param.opts[0], str(where)]
    db = tmp_path / "never.db"
    result = runner.invoke(
        app, [*path.split(), *given, *_args(command, tmp_path, skip=param), "--db", str(db)]
    )
    assert result.exit_code == 1, result.output
    expected = (
        f"error: file not found: {where}"
        if _is_input(param)
        else f"error: the folder {where.parent} does not exist; create it first or write file.xlsx elsewhere"
    )
    assert result.output.strip().splitlines() == [expected]
    assert not db.exists()


def test_an_input_that_is_a_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["org", "import", str(tmp_path), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tmp_path} is a folder; give a file"


@pytest.mark.parametrize("path", ["", *sorted(LEAVES), "db", "goals", "events catalogue"])
def test_help_shows_no_value_type_after_a_flag(path: str) -> None:
    result = runner.invoke(app, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output and "Show this message" in result.output


def test_a_fake_pdf_is_our_one_line_without_pypdf_warnings_before_it(tmp_path: Path) -> None:
    """In a real process, where nothing has set up logging and pypdf's warnings would reach stderr."""
    db = tmp_path / "r.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    fake = tmp_path / "report.pdf"
    fake.write_bytes(b"%PDF-1.4\nthis is not a PDF\n")
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "citycockpit", "report", "ingest", str(fake), "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"error: {fake.name}: the PDF is damaged and cannot be read"]
    assert logging.getLogger("pypdf").propagate is True


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2024-02", "error: no goal has a status for 2024-02: nothing to report"),
        ("2099-01", "error: 2099-01 has not begun"),
    ],
)
def test_goals_bulletin_of_an_empty_or_future_month_writes_no_file(
    period: str, message: str, tmp_path: Path
) -> None:
    db = tmp_path / "g.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    out = tmp_path / "b.html"
    result = runner.invoke(app, ["goals", "bulletin", "--period", period, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.startswith(message) and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
    # asked for, a preview of a future month gets past the month rule (and meets the empty one here)
    preview = runner.invoke(
        app, ["goals", "bulletin", "--period", "2099-01", "--preview", "--out", str(out), "--db", str(db)]
    )
    assert preview.output.startswith("error: no goal has a status for 2099-01")


def test_goals_and_projects_refuse_a_bad_month_in_the_same_words(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    out = str(tmp_path / "o.xlsx")
    commands = [
        ["goals", "status", "--period", "2024-13"],
        ["goals", "bulletin", "--period", "2024-13", "--out", out],
        ["goals", "lock", "2024-13"],
        ["goals", "reminders", "--period", "2024-13"],
        ["projects", "report", "--period", "2024-13"],
        ["projects", "export", "--period", "2024-13", "--out", out],
    ]
    outputs = {" ".join(c[:2]): runner.invoke(app, [*c, "--db", str(db)]) for c in commands}
    assert {k: (r.exit_code, r.output.strip()) for k, r in outputs.items()} == dict.fromkeys(
        outputs, (1, "error: '2024-13' is not a month (YYYY-MM)")
    )


def test_an_unknown_revision_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["db", "downgrade", "nosuch", "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.strip() == "error: migration: Can't locate revision identified by 'nosuch'"
