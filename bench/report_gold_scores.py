"""Print precision and recall per list for every hand-checked gold ledger: the seed and the test corpus,
then each real report of tests/report/real that has a gold file in tests/report/gold/real/<name>.json.

    PYTHONPATH=src python bench/report_gold_scores.py [-v]

``-v`` also lists the missed and spurious items. A real report's gold may label only some lists (targets,
actuals and commitments, say): only the lists its gold file holds are scored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from citycockpit.report.ledger import build_ledger
from citycockpit.report.read import read_report
from citycockpit.report.score import ITEM_LISTS, LedgerScore, ListScore, score_ledger

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "src" / "citycockpit" / "report" / "samples" / "taicang-2024-government-work-report.txt"
TESTS = ROOT / "tests" / "report"
REAL = TESTS / "real"
REAL_GOLD = TESTS / "gold" / "real"
OTHER_LISTS = ("qualitative_targets", "tasks", "glossary")


def real_reports() -> list[tuple[Path, Path]]:
    """``(report, gold)`` for every gold file of tests/report/gold/real with its report next to it."""
    pairs = []
    for gold in sorted(REAL_GOLD.glob("*.json")):
        report = next(
            (
                REAL / f"{gold.stem}{ext}"
                for ext in (".docx", ".txt")
                if (REAL / f"{gold.stem}{ext}").exists()
            ),
            None,
        )
        if report is None:
            print(
                f"!! {gold.relative_to(ROOT)}: no report tests/report/real/{gold.stem}.docx or .txt",
                file=sys.stderr,
            )
            continue
        pairs.append((report, gold))
    return pairs


def _other_list(score: LedgerScore, name: str) -> ListScore:
    return {"qualitative_targets": score.qualitative, "tasks": score.tasks, "glossary": score.glossary}[name]


def _format_real(score: LedgerScore, gold: dict[str, Any]) -> str:
    rows = [f"{'list':<22}{'gold':>6}{'found':>7}{'P':>8}{'R':>8}{'F1':>8}"]
    for name in (*ITEM_LISTS, *OTHER_LISTS):
        if name not in gold:
            continue
        s = score.lists[name] if name in ITEM_LISTS else _other_list(score, name)
        rows.append(
            f"{name:<22}{s.tp + s.fn:>6}{s.tp + s.fp:>7}{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
        )
    if gold.get("report"):
        rows.append(f"report fields wrong: {', '.join(score.report_fields_wrong) or 'none'}")
    return "\n".join(rows)


def _add(totals: dict[str, list[int]], name: str, s: ListScore, verbose: bool) -> None:
    t = totals.setdefault(name, [0, 0, 0])
    t[0], t[1], t[2] = t[0] + s.tp, t[1] + s.fp, t[2] + s.fn
    if verbose:
        for item in s.missed:
            print(f"   missed   {name}: {item}")
        for item in s.spurious:
            print(f"   spurious {name}: {item}")


def _print_totals(title: str, totals: dict[str, list[int]]) -> None:
    print(f"== {title} (micro-averaged)")
    for name, (tp, fp, fn) in totals.items():
        print(f"{name:<14} P {tp / max(tp + fp, 1):.3f}  R {tp / max(tp + fn, 1):.3f}  (gold {tp + fn})")


def main() -> None:
    verbose = "-v" in sys.argv[1:]
    reports = [(SEED, TESTS / "gold" / "taicang-2024.json")]
    reports += [(p, TESTS / "gold" / f"{p.stem}.json") for p in sorted((TESTS / "corpus").glob("*.txt"))]
    totals: dict[str, list[int]] = {}
    for report, gold_path in reports:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        score = score_ledger(build_ledger(read_report(report).text), gold)
        print(f"== {report.name}")
        print(score.format())
        for name, s in score.lists.items():
            _add(totals, name, s, verbose)
    _print_totals("corpus and seed together", totals)

    real = real_reports()
    if not real:
        print(f"== real reports: no gold file yet in {REAL_GOLD.relative_to(ROOT)}/")
        return
    real_totals: dict[str, list[int]] = {}
    for report, gold_path in real:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        score = score_ledger(build_ledger(read_report(report).text), gold)
        print(f"== real: {report.name}")
        print(_format_real(score, gold))
        for name in ITEM_LISTS:
            if name in gold:
                _add(real_totals, name, score.lists[name], verbose)
        for name in OTHER_LISTS:
            if name in gold and verbose:
                _add({}, name, _other_list(score, name), verbose)
    _print_totals(f"real reports with gold ({len(real)})", real_totals)


if __name__ == "__main__":
    main()
