"""Score an extracted ledger against a hand-checked gold ledger: precision and recall per list.

An extracted item matches a gold item when measure, value, unit, qualifier and stretch are equal and the
names overlap: at least half of the shorter name's characters appear in the other (reviewers write
``竣工项目`` where the text says ``项目竣工``). Pairs are made greedily, best overlap first, one to one.
Commitments also record whether they hang under the same task area and sub-task as in the gold file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ITEM_LISTS = ("targets", "actuals", "commitments")
_IGNORED_CHARS = set("“”\"'‘’（）()、，,《》 ")


@dataclass(slots=True)
class ListScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: list[dict[str, Any]] = field(default_factory=list)
    spurious: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class LedgerScore:
    lists: dict[str, ListScore]
    qualitative: ListScore
    tasks: ListScore
    glossary: ListScore
    task_attachment: float  # share of matched commitments under the gold task and sub-task
    report_fields_wrong: list[str]
    names_exact: float = 1.0  # share of matched items whose name is exactly the gold name

    def format(self) -> str:
        rows = [f"{'list':<22}{'gold':>6}{'found':>7}{'P':>8}{'R':>8}{'F1':>8}"]
        named = [
            *self.lists.items(),
            ("qualitative_targets", self.qualitative),
            ("tasks", self.tasks),
            ("glossary", self.glossary),
        ]
        for name, s in named:
            rows.append(
                f"{name:<22}{s.tp + s.fn:>6}{s.tp + s.fp:>7}{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
            )
        rows.append(f"commitments under the right task: {self.task_attachment:.3f}")
        rows.append(f"matched items named exactly as in the gold: {self.names_exact:.3f}")
        rows.append(f"report fields wrong: {', '.join(self.report_fields_wrong) or 'none'}")
        return "\n".join(rows)


def name_overlap(a: str, b: str) -> float:
    """Share of the shorter name's characters found in the other name (0..1)."""
    sa, sb = set(a) - _IGNORED_CHARS, set(b) - _IGNORED_CHARS
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def _same_fields(p: dict[str, Any], g: dict[str, Any]) -> bool:
    return (
        p["measure"] == g["measure"]
        and abs(float(p["value"]) - float(g["value"])) < 1e-9
        and p["unit"] == g["unit"]
        and p["qualifier"] == g["qualifier"]
        and bool(p["stretch"]) == bool(g["stretch"])
    )


def match_items(
    predicted: list[dict[str, Any]], gold: list[dict[str, Any]]
) -> tuple[ListScore, list[tuple[int, int]]]:
    candidates = []
    for i, p in enumerate(predicted):
        for j, g in enumerate(gold):
            if _same_fields(p, g):
                overlap = name_overlap(p["name"], g["name"])
                if overlap >= 0.5:
                    candidates.append((overlap, -abs(i - j), i, j))
    candidates.sort(reverse=True)
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for _, _, i, j in candidates:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    score = ListScore(tp=len(pairs), fp=len(predicted) - len(pairs), fn=len(gold) - len(pairs))
    score.spurious = [p for i, p in enumerate(predicted) if i not in used_p]
    score.missed = [g for j, g in enumerate(gold) if j not in used_g]
    return score, pairs


def _match_texts(predicted: list[str], gold: list[str]) -> ListScore:
    remaining = list(gold)
    score = ListScore()
    for text in predicted:
        hit = next((g for g in remaining if g in text or text in g), None)
        if hit is None:
            score.fp += 1
            score.spurious.append({"text": text})
        else:
            remaining.remove(hit)
            score.tp += 1
    score.fn = len(remaining)
    score.missed = [{"text": g} for g in remaining]
    return score


def score_ledger(predicted: dict[str, Any], gold: dict[str, Any]) -> LedgerScore:
    """Compare a ledger JSON (issue-4 shape) with a gold ledger of the same shape."""
    lists = {}
    pairs_by_list = {}
    for name in ITEM_LISTS:
        lists[name], pairs_by_list[name] = match_items(predicted.get(name, []), gold.get(name, []))
    owner: dict[int, tuple[str, str]] = {}
    for task in predicted.get("tasks", []):
        for child in task["children"]:
            for index in child["commitments"]:
                owner[index] = (task["number"], child["title"])
    attached = [
        owner.get(i) == (gold["commitments"][j].get("task"), gold["commitments"][j].get("child"))
        for i, j in pairs_by_list["commitments"]
        if "task" in gold["commitments"][j]
    ]
    task_titles = [
        f"{t['number']}|{t['title']}|" + "/".join(c["title"] for c in t["children"])
        for t in predicted.get("tasks", [])
    ]
    gold_titles = [f"{t['number']}|{t['title']}|" + "/".join(t["children"]) for t in gold.get("tasks", [])]
    tasks = _exact(task_titles, gold_titles)
    glossary = _exact(
        [f"{g['term']}|{g['page']}" for g in predicted.get("glossary", [])],
        [f"{g['term']}|{g['page']}" for g in gold.get("glossary", [])],
    )
    qualitative = _match_texts(
        [q["text"] for q in predicted.get("qualitative_targets", [])],
        [q["text"] for q in gold.get("qualitative_targets", [])],
    )
    wrong = [k for k, v in gold.get("report", {}).items() if predicted.get("report", {}).get(k) != v]
    exact = [
        predicted[name][i]["name"] == gold[name][j]["name"]
        for name in ITEM_LISTS
        for i, j in pairs_by_list[name]
    ]
    return LedgerScore(
        lists,
        qualitative,
        tasks,
        glossary,
        sum(attached) / len(attached) if attached else 1.0,
        wrong,
        sum(exact) / len(exact) if exact else 1.0,
    )


def _exact(predicted: list[str], gold: list[str]) -> ListScore:
    remaining = list(gold)
    score = ListScore()
    for x in predicted:
        if x in remaining:
            remaining.remove(x)
            score.tp += 1
        else:
            score.fp += 1
            score.spurious.append({"text": x})
    score.fn = len(remaining)
    score.missed = [{"text": g} for g in remaining]
    return score
