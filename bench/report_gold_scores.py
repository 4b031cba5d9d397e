"""Print precision and recall per list for every hand-checked gold ledger (the seed and the test corpus).

    PYTHONPATH=src python bench/report_gold_scores.py [-v]

``-v`` also lists the missed and spurious items.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from citycockpit.report.ledger import build_ledger
from citycockpit.report.read import read_report
from citycockpit.report.score import score_ledger

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "src" / "citycockpit" / "report" / "samples" / "taicang-2024-government-work-report.txt"
TESTS = ROOT / "tests" / "report"


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
            t = totals.setdefault(name, [0, 0, 0])
            t[0], t[1], t[2] = t[0] + s.tp, t[1] + s.fp, t[2] + s.fn
            if verbose:
                for item in s.missed:
                    print(f"   missed   {name}: {item}")
                for item in s.spurious:
                    print(f"   spurious {name}: {item}")
    print("== corpus and seed together (micro-averaged)")
    for name, (tp, fp, fn) in totals.items():
        print(f"{name:<14} P {tp / max(tp + fp, 1):.3f}  R {tp / max(tp + fn, 1):.3f}  (gold {tp + fn})")


if __name__ == "__main__":
    main()
