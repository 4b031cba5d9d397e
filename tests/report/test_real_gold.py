"""The task trees and glossaries of the real reports with hand-checked gold (tests/report/gold/real).

Task areas with their sub-tasks exactly right, the areas' framing (opening statements, closing remarks)
left out; glossary terms as the gold writes them. Scored the way bench/report_gold_scores.py prints
them; the floors are what the extractor reaches now, so a change that loses areas or terms fails here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from citycockpit.report.ledger import ledger_from_file
from citycockpit.report.score import LedgerScore, score_ledger

HERE = Path(__file__).parent
GOLD = sorted((HERE / "gold" / "real").glob("*.json"))
TASK_TREES_RIGHT = 0.95  # of all the gold areas, children included (0.125 before framing was left out)


def _report(gold: Path) -> Path:
    return next(p for p in (HERE / "real").iterdir() if p.stem == gold.stem and p.suffix in (".docx", ".txt"))


@pytest.fixture(scope="module")
def scored() -> list[tuple[str, dict[str, Any], LedgerScore]]:
    """Each real report with gold, read and scored once for both tests: (name, gold, score)."""
    out = []
    for gold_path in GOLD:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        score = score_ledger(dict(ledger_from_file(_report(gold_path)).to_json()), gold)
        out.append((gold_path.stem, gold, score))
    return out


def test_the_real_reports_task_trees_are_right_with_their_sub_tasks(scored) -> None:  # type: ignore[no-untyped-def]
    right = total = 0
    worst = []
    for name, gold, score in scored:
        if "tasks" not in gold:
            continue
        right += score.tasks.tp
        total += len(gold["tasks"])
        worst.append((round(score.tasks.recall, 3), name))
    assert total >= 100, total
    assert right / total >= TASK_TREES_RIGHT, (right, total, sorted(worst)[:4])


def test_the_real_reports_glossaries_are_exactly_the_golds(scored) -> None:  # type: ignore[no-untyped-def]
    labelled = 0
    for name, gold, score in scored:
        if not gold.get("glossary"):
            continue
        labelled += len(gold["glossary"])
        assert (score.glossary.missed, score.glossary.spurious) == ([], []), name
    assert labelled >= 60, labelled
