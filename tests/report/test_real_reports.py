"""Every real report of tests/report/real goes through `citycockpit report ingest` into a real SQLite file:
none crashes, none is refused, and each has its targets, its review (results) and its task tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citycockpit.cli import app as cli_app

pytestmark = pytest.mark.slow

REAL = Path(__file__).parent / "real"
REPORTS = sorted(p for p in REAL.iterdir() if p.suffix in (".docx", ".txt"))


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("real") / "reports.db"
    result = CliRunner().invoke(cli_app, ["db", "upgrade", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_the_real_corpus_holds_thirty_reports() -> None:
    assert len(REPORTS) == 30


@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_a_real_report_ingests_with_its_targets_review_and_task_tree(
    path: Path, sqlite_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ledger.json"
    result = CliRunner().invoke(
        cli_app, ["report", "ingest", str(path), "--json", str(out), "--db", str(sqlite_file)]
    )
    assert result.exit_code == 0, result.output
    ledger = json.loads(out.read_text(encoding="utf-8"))
    counts = {name: len(ledger[name]) for name in ("targets", "actuals", "commitments", "tasks")}
    assert min(counts["targets"], counts["actuals"], counts["tasks"]) > 0, counts
    assert all(task["children"] for task in ledger["tasks"]), [t["title"] for t in ledger["tasks"]]
