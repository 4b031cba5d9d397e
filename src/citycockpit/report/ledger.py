"""Mentions → the report ledger: targets, qualitative targets, actuals, commitments, tasks and glossary.

Which list a number goes to depends on where it stands and on its verbs, not on its words: the same
``新认定高新技术企业`` is an actual in the review part and a commitment in the task part. The main expected
targets paragraph (主要预期目标) gives the targets; its clauses without a number are qualitative targets.
``Ledger.to_json()`` writes the JSON shape other tools read (see issue 4); offsets for highlighting quotes
are kept on the mentions and added to the JSON only when asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from citycockpit.report.extract import Mention, _stretch, extract_mentions, split_spans
from citycockpit.report.read import clean_text, read_report
from citycockpit.report.structure import GlossaryEntry, ReportStructure, parse_structure

LISTS = ("targets", "actuals", "commitments")
_ENUM_MARK_RE = re.compile(r"^(?:\d{1,2}[.．、]|[（(][0-9一二三四五六七八九十]{1,3}[）)])\s*")
# A clause of the target list that says why, not what: 为建设现代化强县打下坚实基础.
_EXPLANATION_RE = re.compile(r"^(?:为|以便|从而|进而|这|上述)|(?:打下|奠定|夯实)\S*基础")
# 用3—5年时间 / 用三年时间: the span of a several-year aim.
_YEARS_TIME_RE = re.compile(
    r"用(?:\d+|[一二两三四五六七八九十]+)(?:\s*[—\-－~～至到]\s*(?:\d+|[一二三四五六七八九十]))?年(?:左右)?的?时间"
)
# 争取 is not among them: in the review it reports money or support secured (争取中央资金2083亿元).
_FUTURE_WORDS = ("力争", "力求", "计划到", "预计今年", "今年将")
_REVIEW_STRETCH_WORDS = ("力争", "力求", "努力")
# A plan clause that says what the region has or is (我区有20个口岸, 还有63万失能老人, 拥有8个产业集群,
# 我国60岁以上人口已达2.5亿, 我区每年接待游客近3亿人次): the present state, which no one commits to.
_PRESENT_STATE_RE = re.compile(
    r"^(?:目前|当前|现在|同时)?(?:我国|我省|我区|我市|我县|我州|全国|全省|全区|全市|全县)?(?:目前|现)?"
    r"(?:有|拥有|还有|已有|共有)(?=[\d一二三四五六七八九十两近约超])"
    r"|^(?:我国|我省|我区|我市|我县|我州)[^，。；]*(?:已达|已经|已有|每年)"
    r"|^(?:我国|我省|我区|我市|我县|我州)(?=[\d近约超])"  # 我区1100多种“蒙”字标好产品
)
# The nation's own figures in a sentence's rhetoric (近14亿中国人的饭碗, 14亿多人民, 56个民族): no target.
_NATION_RE = re.compile(r"\d+(?:\.\d+)?亿多?(?:中国人|人民|各族人民|中华儿女)|56个民族")


class ItemJSON(TypedDict):
    name: str
    measure: str
    value: int | float
    unit: str
    qualifier: str
    stretch: bool
    quote: str
    confidence: float


class ReportMetaJSON(TypedDict):
    title: str
    region: str | None
    year: int | None
    review_year: int | None
    delivered_on: str | None
    speaker: str | None


class TaskChildJSON(TypedDict):
    title: str
    text: str
    commitments: list[int]


class TaskJSON(TypedDict):
    number: str
    title: str
    children: list[TaskChildJSON]


class GlossaryJSON(TypedDict):
    term: str
    definition: str
    page: int | None


class LedgerJSON(TypedDict):
    report: ReportMetaJSON
    targets: list[ItemJSON]
    qualitative_targets: list[dict[str, str]]
    actuals: list[ItemJSON]
    commitments: list[ItemJSON]
    tasks: list[TaskJSON]
    glossary: list[GlossaryJSON]


@dataclass(slots=True)
class QualitativeTarget:
    text: str
    start: int
    end: int


@dataclass(slots=True)
class TaskChild:
    title: str
    text: str
    start: int
    end: int
    commitments: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Task:
    number: str
    title: str
    start: int
    end: int
    children: list[TaskChild] = field(default_factory=list)


@dataclass(slots=True)
class Section:
    """A stored part of the report: review, targets, a task area or sub-task, glossary… (offsets into text)."""

    kind: str  # review | review_area | plan | targets | task_area | task | closing | glossary
    number: str | None
    title: str
    start: int
    end: int
    parent: int | None = None  # index of the enclosing section in the list


@dataclass(slots=True)
class Ledger:
    """Everything extracted from one report; offsets refer to ``text`` (the cleaned report)."""

    text: str
    structure: ReportStructure
    targets: list[Mention]
    qualitative_targets: list[QualitativeTarget]
    actuals: list[Mention]
    commitments: list[Mention]
    tasks: list[Task]
    glossary: list[GlossaryEntry]

    def to_json(self, *, offsets: bool = False) -> LedgerJSON:
        """The issue-4 JSON. ``offsets=True`` adds ``quote_start``/``quote_end`` to items (not in the contract)."""
        s = self.structure
        return {
            "report": {
                "title": s.title,
                "region": s.region,
                "year": s.year,
                "review_year": s.review_year,
                "delivered_on": s.delivered_on,
                "speaker": s.speaker,
            },
            "targets": [m.to_item(offsets=offsets) for m in self.targets],  # type: ignore[misc]
            "qualitative_targets": [{"text": q.text} for q in self.qualitative_targets],
            "actuals": [m.to_item(offsets=offsets) for m in self.actuals],  # type: ignore[misc]
            "commitments": [m.to_item(offsets=offsets) for m in self.commitments],  # type: ignore[misc]
            "tasks": [
                {
                    "number": t.number,
                    "title": t.title,
                    "children": [
                        {"title": c.title, "text": c.text, "commitments": list(c.commitments)}
                        for c in t.children
                    ],
                }
                for t in self.tasks
            ],
            "glossary": [{"term": g.term, "definition": g.definition, "page": g.page} for g in self.glossary],
        }

    def items(self) -> list[tuple[str, int, Mention]]:
        """Every item as ``(list name, index in that list, mention)``, in list order."""
        return [(name, i, m) for name in LISTS for i, m in enumerate(getattr(self, name))]

    def sections(self) -> list[Section]:
        """The report's parts, nested by ``parent``, for storing the report with its sections."""
        s = self.structure
        out: list[Section] = []

        def add(kind: str, number: str | None, title: str, start: int, end: int, parent: int | None) -> int:
            out.append(Section(kind, number, title, start, end, parent))
            return len(out) - 1

        if s.review_span:
            review = add("review", None, "工作回顾", *s.review_span, None)
            for area in s.review_areas:
                add("review_area", area.number, area.title, area.start, area.end, review)
        if s.plan_span:
            plan = add("plan", None, "目标任务", *s.plan_span, None)
            if s.targets_span:
                add("targets", None, "主要预期目标", *s.targets_span, plan)
            for area in s.task_areas:
                index = add("task_area", area.number, area.title, area.start, area.end, plan)
                for child in area.children:
                    add("task", None, child.title, child.start, child.end, index)
        closing = [p for p in s.paragraphs if p.part == "closing"]
        if closing:
            add("closing", None, "结束语", closing[0].start, closing[-1].end, None)
        appendix = [p for p in s.paragraphs if p.part == "appendix"]
        if appendix:
            add("glossary", None, appendix[0].text, appendix[0].start, appendix[-1].end, None)
        return out

    def low_confidence(self, threshold: float = 0.7) -> list[tuple[str, Mention]]:
        """Items a reviewer should look at first, with the list each is in."""
        return [(name, m) for name in LISTS for m in getattr(self, name) if m.confidence < threshold]


def extract_ledger(text: str) -> Ledger:
    """Build the ledger of a report's text (raw or already cleaned; it is cleaned again, idempotently)."""
    text = clean_text(text)
    structure = parse_structure(text)
    targets: list[Mention] = []
    qualitative: list[QualitativeTarget] = []
    if structure.targets_span is not None:
        lo, hi = structure.targets_span
        targets = extract_mentions(text, lo, hi)
        for c_lo, c_hi in split_spans(text, lo, hi, "，；;,。！？\n"):
            if not any(c_lo <= m.start < c_hi for m in targets):
                clause = _ENUM_MARK_RE.sub("", text[c_lo:c_hi].strip())
                if len(clause) >= 4 and not _EXPLANATION_RE.search(clause):
                    qualitative.append(QualitativeTarget(clause, c_lo, c_hi))
    actuals: list[Mention] = []
    commitments: list[Mention] = []
    targets_paras = {id(p) for p in structure.targets_paragraphs + structure.other_target_paragraphs}
    for p in structure.paragraphs:
        if p.part == "review":
            actuals.extend(
                _secured(text, m)
                for m in extract_mentions(text, p.start, p.end)
                if not _is_future(text, m) and "target_reference" not in m.notes
            )
        elif p.part in ("plan", "annex") and id(p) not in targets_paras:
            commitments.extend(
                m
                for m in extract_mentions(text, p.start, p.end)
                if not _is_long_term(text, m, structure.year)
                and "target_reference" not in m.notes
                and not _counts_annex(m, structure)
                and not _states_the_present(text, m)
                and not (p.part == "plan" and _restates_a_target(m, targets, structure))
            )
    tasks = []
    for area in structure.task_areas:
        task = Task(area.number, area.title, area.start, area.end)
        for child in area.children:
            spans = [(child.start, child.end), *child.annexes]
            indexes = [i for i, m in enumerate(commitments) if any(lo <= m.start < hi for lo, hi in spans)]
            task.children.append(TaskChild(child.title, child.text, child.start, child.end, indexes))
        tasks.append(task)
    return Ledger(text, structure, targets, qualitative, actuals, commitments, tasks, structure.glossary)


def build_ledger(text: str) -> dict[str, Any]:
    """The issue-4 JSON for a report's text."""
    return dict(extract_ledger(text).to_json())


def ledger_from_file(source: str | Path | tuple[bytes, str]) -> Ledger:
    """Read a .txt/.docx/.pdf report (path or ``(bytes, filename)``) and build its ledger.

    Raises ``ReportReadError`` (with a ``code``) for input that is not a readable report.
    """
    return extract_ledger(read_report(source).text)


def _is_long_term(text: str, m: Mention, year: int | None) -> bool:
    """``到2026年突破3000亿元`` in a plan for 2022, or ``用3—5年时间，培养引进10名…``, aims beyond the year: not one
    of its commitments."""
    sentence_start = max(text.rfind(c, 0, m.start) for c in "。！？\n") + 1
    before = text[sentence_start : m.start]
    years = [int(y) for y in re.findall(r"(?:到|至)(20\d{2})年", before)]
    return (
        bool(year and years and max(years) > year)
        or "今后五年" in before
        or bool(_YEARS_TIME_RE.search(before))
    )


def _counts_annex(m: Mention, structure: ReportStructure) -> bool:
    """``办好十件民生实事`` when an annex lists them: the count of the annex's projects (in the sub-task or the
    annex's own title) is a title; the projects listed are the commitments."""
    return m.unit in ("件", "项", "个") and any(m.name.endswith(a.key) for a in structure.annexes)


def _states_the_present(text: str, m: Mention) -> bool:
    clause_start = max(text.rfind(c, 0, m.start) for c in "，；。！？：\n") + 1
    if _NATION_RE.match(text, m.start):
        return True
    return _PRESENT_STATE_RE.search(text[clause_start : m.end]) is not None


def _restates_a_target(m: Mention, targets: list[Mention], structure: ReportStructure) -> bool:
    """A figure of the plan outside its task areas that is one of the year's targets again
    (城镇调查失业率5.5%左右, explained after the list of targets) is that target, not another commitment.
    Inside a task area, or an annex of its projects, the same figure is a task's (城镇新增就业50万人以上
    among the year's 实事)."""
    if any(area.start <= m.start < area.end for area in structure.task_areas):
        return False
    return any(
        (m.name, m.measure, m.value, m.unit, m.qualifier) == (t.name, t.measure, t.value, t.unit, t.qualifier)
        for t in targets
    )


def _secured(text: str, m: Mention) -> Mention:
    """In the review 争取 reports what was secured (积极争取中央支持资金2083亿元), not a stretch: a result
    whose only stretch word is 争取 is plain."""
    if m.stretch and not _stretch(text, _sentence_start(text, m.start), m.start, words=_REVIEW_STRETCH_WORDS):
        m.stretch = False
    return m


def _sentence_start(text: str, pos: int) -> int:
    return max(text.rfind(c, 0, pos) for c in "。！？\n") + 1


def _is_future(text: str, m: Mention) -> bool:
    """A review sentence that announces instead of reporting (力争…) is not a result."""
    sentence_start = _sentence_start(text, m.start)
    return (
        m.stretch
        and _stretch(text, sentence_start, m.start, words=_REVIEW_STRETCH_WORDS)
        or any(w in text[sentence_start : m.start] for w in _FUTURE_WORDS)
        or bool(re.search(r"(?:明年|今年)(?:要|将)", text[sentence_start : m.start]))
    )
