"""The parts of a government work report: header, review, plan (targets and tasks), closing, glossary.

Reports at every level share a skeleton. A header gives the title, the date and meeting (``——2024年1月9日在
太仓市第十七届人民代表大会第四次会议上``) and the speaker (``市长 徐华东``). A review part looks back on the past
year (``2023年政府工作回顾`` / ``一、2023年工作回顾``). A plan part (``2024年目标任务和主要工作`` /
``二、2024年经济社会发展总体要求和政策取向`` / ``三、2024年政府工作任务``) holds the main expected targets
(主要预期目标) and numbered task areas (``一、`` or ``（一）``) whose paragraphs open with a short lead sentence
(``全力抓好项目引建。``). An appendix may explain terms (``1.P4 “五大行动”：指……``). Numbering restarts in
each part, so areas are looked for inside their part only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from citycockpit.report.numbers import find_quantities

CN_NUMERAL = "一二三四五六七八九十"
_AREA_A_RE = re.compile(rf"^([{CN_NUMERAL}]{{1,3}})、")
_AREA_B_RE = re.compile(rf"^[（(]([{CN_NUMERAL}]{{1,3}})[）)]")
_SHI_HEAD_RE = re.compile(rf"^([{CN_NUMERAL}]{{1,3}})是")  # 一是聚焦全方位扩大内需，着力提消费促投资
_REVIEW_WORDS = ("回顾",)
_PLAN_WORDS = (
    "目标任务",
    "总体要求",
    "主要任务",
    "工作任务",
    "工作安排",
    "主要工作",
    "工作部署",
    "政策取向",
    "重点工作",
    "工作建议",
    "今年工作",
    "目标和任务",
    "总体思路",
    "工作思路",
    "主要目标",
    "发展目标",
)
# Weaker words that open the plan only in a heading that also names the coming year (今年 / 2024年).
_PLAN_WEAK_WORDS = ("目标", "任务", "工作")
_TARGETS_RE = re.compile(r"主要预期目标|主要目标|预期目标|发展目标")
_APPENDIX_RE = re.compile(
    r"^(?:附\s*件\s*\d*|附\s*录|名词解释|注\s*释|有关词.*说明|.*词语?解释|.*(?:词|名词).*说明)$"
)
_GLOSSARY_RE = re.compile(r"^(\d{1,3})\s*[.．、]\s*(?:[Pp]\s*(\d{1,3})\s*)?(.+)$")
_DATE_RE = re.compile(
    r"([0-9〇零一二三四五六七八九]{4})\s*年\s*([0-9一二三四五六七八九十]{1,3})\s*月\s*([0-9一二三四五六七八九十]{1,3})\s*日"
)
_MEETING_RE = re.compile(r"在(.{0,20}?)(?:第[^届]{1,5}届)?(全国)?人民代表大会")
_SPEAKER_RE = re.compile(
    r"^[^，。—\n]{0,16}?((?:代理?)?(?:总理|省长|市长|县长|区长|州长|盟长|旗长|主席))\s*([\u4e00-\u9fff·]{2,5})\s*$",
    re.M,
)
_REGION_FALLBACK_RE = re.compile(r"我代表([\u4e00-\u9fff]{2,12}?)人民政府")
_REGION_NAME_RE = re.compile(
    r"([\u4e00-\u9fff]{1,10}?(?:自治区|自治州|自治县|特别行政区|新区|省|市|县|区|州|旗|盟))"
)
_PARTY_COMMITTEE_RE = re.compile(r"中共([\u4e00-\u9fff]{2,10}?[省市县区州旗盟])委")


@dataclass(slots=True)
class Paragraph:
    """One paragraph (line) of the cleaned text with its offsets and the part it belongs to."""

    text: str
    start: int
    end: int
    part: str = "front"  # front | review | outlook | plan | closing | appendix | annex


@dataclass(slots=True)
class SubTask:
    """A paragraph of a task area; ``title`` is its lead sentence (``全力抓好项目引建``)."""

    title: str
    text: str
    start: int
    end: int
    annexes: list[tuple[int, int]] = field(default_factory=list)  # the annex of projects it announces
    led: bool = True  # its title is a lead sentence (or an enumerated item), not its first clause
    item: bool = False  # one of the ``一是…二是…`` items of a paragraph: never framing


@dataclass(slots=True)
class Annex:
    """An annex listing the year's projects (``附件1`` / ``2025年省十件民生实事``); ``key`` is what the sub-task
    that announces it calls them (``民生实事``), ``start``/``end`` span it from its heading."""

    title: str
    key: str
    start: int
    end: int


@dataclass(slots=True)
class TaskArea:
    """A numbered area (``一、聚力稳增长、调结构，打好经济发展组合拳。``) and its paragraphs."""

    number: str
    title: str
    start: int
    end: int
    children: list[SubTask] = field(default_factory=list)


@dataclass(slots=True)
class GlossaryEntry:
    term: str
    definition: str
    page: int | None


@dataclass(slots=True)
class ReportStructure:
    """Where each part of a report lies in its cleaned text, plus the header facts."""

    text: str
    title: str
    region: str | None
    year: int | None
    review_year: int | None
    delivered_on: str | None
    speaker: str | None
    speaker_title: str | None
    paragraphs: list[Paragraph]
    review_span: tuple[int, int] | None
    plan_span: tuple[int, int] | None
    targets: Paragraph | None
    targets_span: tuple[int, int] | None  # the target list inside the targets paragraph
    targets_paragraphs: list[Paragraph]  # the targets paragraph and any lines its list runs on to
    other_target_paragraphs: list[Paragraph]  # five-year or long-term aims: neither targets nor commitments
    review_areas: list[TaskArea]
    task_areas: list[TaskArea]
    glossary: list[GlossaryEntry]
    annexes: list[Annex] = field(default_factory=list)

    def part_at(self, offset: int) -> str:
        for p in self.paragraphs:
            if p.start <= offset < p.end:
                return p.part
        return "front"


def split_paragraphs(text: str) -> list[Paragraph]:
    paragraphs = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            paragraphs.append(Paragraph(stripped, pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return paragraphs


def parse_structure(text: str) -> ReportStructure:
    """Split cleaned report text into its parts; every offset refers to ``text``."""
    paragraphs = split_paragraphs(text)
    body_start = _body_start(paragraphs)
    header = paragraphs[:body_start]
    appendix_at = _appendix_start(paragraphs, body_start)
    parts = _part_starts(paragraphs, body_start, appendix_at)
    review_at, plan_at, plan_heads, outlook_at = (
        parts.review_at,
        parts.plan_at,
        parts.plan_heads,
        parts.outlook_at,
    )
    targets = None
    if plan_at is not None:
        targets = _targets_paragraph(paragraphs, plan_at, appendix_at)
    if targets is None:
        targets = _targets_paragraph(
            paragraphs, body_start if review_at is None else review_at + 1, appendix_at
        )
        if targets is not None and (plan_at is None or paragraphs.index(targets) < plan_at):
            plan_at = _plan_start_before(paragraphs, paragraphs.index(targets), parts, body_start)
            plan_heads.add(plan_at)
            if outlook_at is not None and outlook_at >= plan_at:
                outlook_at = None
    closing_at = _closing_start(paragraphs, plan_at, appendix_at)

    annex_ranges = _annex_ranges(paragraphs, appendix_at)
    for i, p in enumerate(paragraphs):
        if any(lo <= i < hi for lo, hi, _ in annex_ranges):
            p.part = "annex"
        elif i < body_start:
            p.part = "front"
        elif i >= appendix_at:
            p.part = "appendix"
        elif closing_at is not None and i >= closing_at:
            p.part = "closing"
        elif plan_at is not None and i >= plan_at:
            p.part = "plan"
        elif outlook_at is not None and i >= outlook_at:
            p.part = "outlook"
        elif review_at is not None and i >= review_at:
            p.part = "review"
    review_end = next(
        (i for i in (outlook_at, plan_at, closing_at) if i is not None and i > (review_at or 0)), appendix_at
    )
    review_ps = paragraphs[review_at:review_end] if review_at is not None else []
    plan_ps = paragraphs[plan_at : closing_at or appendix_at] if plan_at is not None else []
    task_areas = _areas(plan_ps, skip=[paragraphs[i] for i in plan_heads], targets=targets)
    annexes = [
        Annex(title, _annex_key(title), paragraphs[lo].start, paragraphs[hi - 1].end)
        for lo, hi, title in annex_ranges
    ]
    _attach_annexes(task_areas, annexes)
    review_areas = _areas(review_ps, skip=review_ps[:1], targets=None)

    header_text = "\n".join(p.text for p in header)
    # Spaces are dropped: 在青海省第十四届 人民代表大会 still names 青海省.
    joined_header = re.sub(r"\s+", "", header_text)
    delivered_on = _date(joined_header)
    region = _region(joined_header, text)
    speaker_title, speaker = _speaker(header_text)
    review_year = _year_in(paragraphs[review_at].text) if review_at is not None else None
    year = None
    for i in sorted(plan_heads):
        year = year or _year_in(paragraphs[i].text)
    if year is None and delivered_on:
        year = int(delivered_on[:4])
    if year is None and review_year:
        year = review_year + 1
    if review_year is None and year:
        review_year = year - 1
    title = _title(header) or "政府工作报告"
    targets_span = None
    targets_paragraphs: list[Paragraph] = []
    if targets is not None:
        lo, hi, targets_paragraphs = _targets_span(paragraphs, targets)
        targets_span = (lo, hi)
    return ReportStructure(
        text=text,
        title=title,
        region=region,
        year=year,
        review_year=review_year,
        delivered_on=delivered_on,
        speaker=speaker,
        speaker_title=speaker_title,
        paragraphs=paragraphs,
        review_span=(review_ps[0].start, review_ps[-1].end) if review_ps else None,
        plan_span=(plan_ps[0].start, plan_ps[-1].end) if plan_ps else None,
        targets=targets,
        targets_span=targets_span,
        targets_paragraphs=targets_paragraphs,
        other_target_paragraphs=[
            p
            for p in _target_candidates(paragraphs, plan_at or body_start, appendix_at)
            if p not in targets_paragraphs
        ],
        review_areas=review_areas,
        task_areas=task_areas,
        glossary=parse_glossary([p for p in paragraphs[appendix_at:] if p.part == "appendix"]),
        annexes=annexes,
    )


def lead_sentence(text: str, limit: int = 40) -> str | None:
    """The short opening sentence of a paragraph (``全力抓好项目引建。`` → ``全力抓好项目引建``), if it has one:
    one clause, or two short ones (up to 24 characters), or two without figures when more of the paragraph
    follows (a task with its figures, 实施重点工业项目80个，力争…, is no lead; a name with digits, 完善落实
    “1+N”政策措施，…, may be one)."""
    m = re.match(r"([^。！？]{2,%d})[。！？]".replace("%d", str(limit)), text)
    if m is None:
        return None
    lead = m.group(1)
    if "，" not in lead and "：" not in lead:
        return lead
    if len(lead) <= 24:
        return lead
    if lead.count("，") == 1 and "：" not in lead and text[m.end() :].strip() and not find_quantities(lead):
        return lead  # two clauses, no figures, and the paragraph goes on: 深入推进长三角一体化发展，更好服务…
    return None


def parse_glossary(paragraphs: list[Paragraph]) -> list[GlossaryEntry]:
    """Entries like ``1.P4 “五大行动”：指……``; a line without a number continues the previous definition."""
    entries: list[GlossaryEntry] = []
    pending = ""
    for p in paragraphs:
        line = pending + p.text
        m = _GLOSSARY_RE.match(line)
        body = m.group(3).strip() if m else ""
        term = _glossary_term(body)
        if m and term:
            page = int(m.group(2)) if m.group(2) else None
            entries.append(GlossaryEntry(term[0], term[1], page))
            pending = ""
        elif m and not pending and len(line) < 60:
            pending = line  # the term was broken over two lines (PDF): try again with the next line
        elif entries and not _APPENDIX_RE.match(p.text):
            entries[-1].definition += line
            pending = ""
    return entries


GLOSSARY_TERM_MAX_CHARS = 45
_OPENING_QUOTES, _CLOSING_QUOTES = "“「『", "”」』"


def _glossary_term(body: str) -> tuple[str, str] | None:
    """``(term, definition)`` of an entry's text: the term runs to the first colon outside quotes
    (``轨道交通“四网融合”：…``, ``“四旁”、“五边”：…``, ``“四新”产业：…``); a term that is one quotation
    (``“标准海”：…``) is given without its marks."""
    depth = 0
    straight = False  # inside "…"
    for i, ch in enumerate(body[: GLOSSARY_TERM_MAX_CHARS + 1]):
        if ch in _OPENING_QUOTES:
            depth += 1
        elif ch in _CLOSING_QUOTES:
            depth = max(0, depth - 1)
        elif ch == '"':
            straight = not straight
        elif ch in "：:" and depth == 0 and not straight:
            term, definition = body[:i].strip(), body[i + 1 :].strip()
            if not term:
                return None
            inner = term[1:-1]
            quoted = term[0] in _OPENING_QUOTES + '"' and term[-1] in _CLOSING_QUOTES + '"'
            if quoted and not any(q in inner for q in _OPENING_QUOTES + _CLOSING_QUOTES + '"'):
                term = inner.strip()
            return (term, definition) if term else None
    return None


def _body_start(paragraphs: list[Paragraph]) -> int:
    for i, p in enumerate(paragraphs[:15]):
        if p.text.startswith(("各位代表", "现在，我代表", "现在,我代表")):
            return i
    for i, p in enumerate(paragraphs[:15]):
        if len(p.text) > 60:
            return i
    return 0


# An unnumbered line with a comma, a colon or a list announcement is a sentence of the text, not a
# heading: 一年来的主要工作是： / 一年来，我们认真落实…省委工作安排，主要做了以下工作。
_SENTENCE_MARK_RE = re.compile(r"[，,：:；;！!？?]|以下|如下")


def _heading_text(text: str) -> str | None:
    """The heading of a paragraph: the whole line when short, else its numbered first sentence."""
    numbered = _AREA_A_RE.match(text) or _AREA_B_RE.match(text)
    if (
        len(text) <= 40
        and not re.search(r"[。；]\S", text)
        and (numbered or not _SENTENCE_MARK_RE.search(text))
    ):
        return text.rstrip("。")
    if _AREA_A_RE.match(text) or _AREA_B_RE.match(text):
        first = re.split(r"[。！？]", text, maxsplit=1)[0]
        if len(first) <= 60:
            return first
    return None


def _is_review_heading(text: str) -> bool:
    head = _heading_text(text)
    return head is not None and any(w in head for w in _REVIEW_WORDS)


def _is_plan_heading(text: str) -> bool:
    head = _heading_text(text)
    if head is None or len(head) > 40 or any(w in head for w in _REVIEW_WORDS):
        return False
    if any(w in head for w in _PLAN_WORDS):
        return True
    names_year = re.search(r"(?:20\d{2}年|今年|明年)", head) is not None
    return names_year and any(w in head for w in _PLAN_WEAK_WORDS) and len(head) <= 30


@dataclass(slots=True)
class _Parts:
    review_at: int | None
    plan_at: int | None
    plan_heads: set[int]
    outlook_at: int | None  # a five-year part between the review and the year's plan
    numbered: list[int]  # the 一、二、三、 part headings when the body opens with 一、


def _part_starts(paragraphs: list[Paragraph], body_start: int, end: int) -> _Parts:
    review_at = None
    plan_heads: set[int] = set()
    numbered = _numbered_parts(paragraphs, body_start, end)
    for i in range(body_start, end):
        text = paragraphs[i].text
        if review_at is None and not plan_heads and _is_review_heading(text):
            review_at = i
        elif _is_plan_heading(text) and (review_at is not None or i > body_start + 2):
            if _AREA_A_RE.match(text) or not plan_heads:
                plan_heads.add(i)
    if review_at is not None and review_at not in numbered[:1]:
        numbered = []  # 2023年政府工作回顾 then 一、二、…: those are areas of the review, not parts
    if review_at is None and numbered:
        review_at = numbered[0]  # 一、牢记殷殷嘱托，在接续奋斗中…取得新成效: the first part looks back
    if review_at is None:
        review_at = body_start + 1 if len(paragraphs) > body_start + 1 else None
    outlook_at = _outlook_head(paragraphs, plan_heads)
    if outlook_at is not None:
        plan_heads.discard(outlook_at)
    plan_at = min(plan_heads) if plan_heads else None
    return _Parts(review_at, plan_at, plan_heads, outlook_at, numbered)


def _numbered_parts(paragraphs: list[Paragraph], body_start: int, end: int) -> list[int]:
    """The report's parts are numbered when the body opens with a ``一、`` heading line: that heading and the
    ``二、`` ``三、`` … heading lines that follow in sequence (numbers restart inside a part, so an inner
    ``一、`` is not the next part). A report has two to five parts; more are areas, not parts."""
    first = next(
        (i for i in range(body_start, min(body_start + 4, end)) if _is_part_line(paragraphs[i].text)), None
    )
    if first is None or _AREA_A_RE.match(paragraphs[first].text).group(1) != "一":  # type: ignore[union-attr]
        return []
    heads = [first]
    for i in range(first + 1, end):
        m = _AREA_A_RE.match(paragraphs[i].text)
        if m and _is_part_line(paragraphs[i].text) and _cn_int(m.group(1)) == len(heads) + 1:
            heads.append(i)
    return heads if 2 <= len(heads) <= 5 else []


def _is_part_line(text: str) -> bool:
    """A ``一、`` heading standing alone on its line (not an area whose text follows on the same line)."""
    return bool(_AREA_A_RE.match(text)) and len(text) <= 40 and not re.search(r"[。；;]", text.rstrip("。"))


_MULTI_YEAR_RE = re.compile(r"五年|十[一二三四五六七]五|时期")


def _outlook_head(paragraphs: list[Paragraph], plan_heads: set[int]) -> int | None:
    """A plan-like heading about five years (``二、“十三五”时期发展成就和“十四五”时期主要目标任务``,
    ``二、今后五年奋斗目标和主要任务``) followed by the year's own plan heading is not the year's plan."""
    heads = sorted(plan_heads)
    for n, i in enumerate(heads[:-1]):
        head = _heading_text(paragraphs[i].text) or ""
        if _MULTI_YEAR_RE.search(head) and not re.search(r"20\d{2}年|今年", head):
            later = heads[n + 1]
            if re.search(r"20\d{2}年|今年", _heading_text(paragraphs[later].text) or ""):
                return i
    return None


def _plan_start_before(paragraphs: list[Paragraph], targets_at: int, parts: _Parts, body_start: int) -> int:
    """Where the plan starts when its heading was not recognised by its words: at the numbered part that
    holds the targets paragraph (``二、牢记历史使命，在中国式现代化建设中奋勇争先``), else at the targets
    and their preamble."""
    floor = body_start if parts.review_at is None else parts.review_at + 1
    enclosing = [i for i in parts.numbered if floor <= i <= targets_at]
    if enclosing:
        return enclosing[-1]
    plan_at = targets_at
    while plan_at > floor and (
        _is_preamble(paragraphs[plan_at - 1].text) or _is_bare_heading(paragraphs[plan_at - 1].text)
    ):
        plan_at -= 1
    return plan_at


def _is_bare_heading(text: str) -> bool:
    return len(text) <= 30 and not re.search(r"[。，；：]", text)


def _is_preamble(text: str) -> bool:
    return any(w in text[:80] for w in ("总体要求", "指导思想", "今年是", "今年政府工作"))


def _target_candidates(paragraphs: list[Paragraph], start: int, end: int) -> list[Paragraph]:
    out = []
    for p in paragraphs[start:end]:
        m = _TARGETS_RE.search(p.text)
        after = p.text[m.end() : m.end() + 6] if m else ""
        if m and re.search(r"[：:是为]", after) and not after.startswith(("完成", "实现")):  # 目标完成情况：…
            out.append(p)
    return out


def _targets_paragraph(paragraphs: list[Paragraph], start: int, end: int) -> Paragraph | None:
    """The paragraph that opens the main expected targets. The year's list wins over a five-year one."""
    candidates = _target_candidates(paragraphs, start, end)
    for p in candidates:
        before = p.text[: _TARGETS_RE.search(p.text).start()]  # type: ignore[union-attr]
        if not re.search(r"五年|今后|十四五|十五五|20[3-9]\d年", before):
            return p
    return candidates[0] if candidates else None


_ENUM_START_RE = re.compile(
    r"^(?:\d{1,2}[.．、]|[（(][0-9一二三四五六七八九十]{1,3}[）)]|[一二三四五六七八九十]{1,3}是)"
)


def _targets_span(paragraphs: list[Paragraph], p: Paragraph) -> tuple[int, int, list[Paragraph]]:
    """The target list: from the colon after 主要预期目标 over every sentence that goes on listing targets,
    to the end of the paragraph, and over the next paragraphs while they go on with the list.

    The list may also run over the next lines when each target has a line of its own (``地区生产总值增长6%左右；``).
    """
    m = _TARGETS_RE.search(p.text)
    assert m is not None
    window = p.text[m.end() : m.end() + 8]
    colon = re.search(r"[：:]", window) or re.search(r"是|为", window)
    lo = m.end() + (colon.end() if colon else 0)
    if "。" in p.text[lo:] or not p.text.rstrip().endswith(("；", ";", "，", ",", "：", ":")):
        return _sentence_list_span(paragraphs, p, lo)
    covered = [p]
    index = paragraphs.index(p)
    style = None
    for nxt in paragraphs[index + 1 : index + 16]:
        marker = _ENUM_START_RE.match(nxt.text)
        kind = _marker_kind(marker.group(0)) if marker else None
        previous = covered[-1].text.rstrip()
        if style is None and len(covered) == 1:
            style = kind
        if (
            len(nxt.text) > 120
            or (kind is None or kind != style)
            and not previous.endswith(("；", ";", "，", ",", "：", ":"))
        ):
            break
        if kind is not None and kind != style:
            break
        covered.append(nxt)
    hi = covered[-1].end
    if covered[-1].text.endswith("。"):
        hi -= 1
    return p.start + lo, hi, covered


# A sentence that no longer lists targets but speaks about them (上述目标，综合考虑了… / 实现全年目标，必须… /
# 经济增长目标设定为6%左右，是…).
_ABOUT_TARGETS_RE = re.compile(
    r"^(?:上述|这些|以上|这样|确定|提出|实现|为实现|为此|围绕|综合|做好|当前|今年是|同时|因此|对此)"
    r"|预期目标|目标(?:设定|确定|定)为|我们|必须|拟|安排|(?<![主重需首])要"
)
_SENTENCE_RE = re.compile(r"[^。！？]+[。！？]?")
# A paragraph that opens with the verb of a task (新建城市道路12公里) is work to do, not a further target; an
# indicator opens with its noun (一般公共预算收入…, 城镇新增就业…).
_TASK_VERB_RE = re.compile(
    r"^(?:新建|新改建|新开工|建成|建设|实施|推进|推动|开工|完成|加快|打造|改造|引进|培育|落实|开展|组织|举办|深化|强化|"
    r"持续|全力|着力|坚持|加强|提升|优化|实现|确保|力争|争取)"
)


def _is_list_sentence(sentence: str) -> bool:
    """A sentence that goes on with a target list: short clauses, no talk about the targets."""
    s = sentence.strip().rstrip("。！？")
    if not s or _ABOUT_TARGETS_RE.search(s):
        return False
    return all(len(c) <= 40 for c in re.split(r"[，；,;]", s))


def _list_end(text: str, lo: int) -> tuple[int, bool]:
    """Where a target list whose first sentence starts at ``lo`` ends (before the period of its last
    sentence), and whether it runs to the end of ``text``."""
    hi = lo
    for n, m in enumerate(_SENTENCE_RE.finditer(text, lo)):
        if n > 0 and not _is_list_sentence(m.group(0)):
            return hi, False
        hi = m.end() - 1 if m.group(0).endswith(("。", "！", "？")) else m.end()
    return hi, True


def _holds_quantity(text: str) -> bool:
    return re.search(r"\d", re.sub(r"\d{4}年", "", text)) is not None


def _sentence_list_span(
    paragraphs: list[Paragraph], p: Paragraph, lo: int
) -> tuple[int, int, list[Paragraph]]:
    """``主要预期目标是：地区生产总值增长5.5%左右。规上工业增加值增长6.5%左右；…。上述目标，综合考虑了…``: the
    list runs over the sentences that go on listing, and on into the next paragraph when that paragraph opens
    with another target sentence (no heading, no talk about the targets)."""
    hi, to_end = _list_end(p.text, lo)
    covered, end = [p], p.start + hi
    index = paragraphs.index(p)
    for nxt in paragraphs[index + 1 : index + 6]:
        first = _SENTENCE_RE.match(nxt.text)
        if (
            not to_end
            or first is None
            or _ENUM_START_RE.match(nxt.text)
            or _AREA_A_RE.match(nxt.text)
            or nxt.text.startswith("各位代表")
            or not _holds_quantity(first.group(0))
            or not _is_list_sentence(first.group(0))
            or _TASK_VERB_RE.match(first.group(0))
        ):
            break
        hi, to_end = _list_end(nxt.text, 0)
        covered.append(nxt)
        end = nxt.start + hi
    return p.start + lo, end, covered


def _marker_kind(marker: str) -> str:
    if marker[0].isdigit():
        return "digit"
    return "bracket" if marker[0] in "（(" else "shi"


def _closing_start(paragraphs: list[Paragraph], plan_at: int | None, end: int) -> int | None:
    if plan_at is None:
        return None
    for i in range(end - 1, plan_at, -1):
        if paragraphs[i].text.startswith("各位代表") and i >= end - 4:
            return i
    return None


def _appendix_start(paragraphs: list[Paragraph], body_start: int) -> int:
    for i in range(body_start, len(paragraphs)):
        text = paragraphs[i].text
        if _APPENDIX_RE.match(text) and len(text) <= 30:
            rest = paragraphs[i + 1 : i + 4]
            if any(_GLOSSARY_RE.match(p.text) for p in rest) or text.startswith(("附", "名词解释", "注")):
                return i
    return len(paragraphs)


# An annex of the year's projects: 附件1 / 2025年省十件民生实事, 附表 重点民生项目 (heading and title on one
# line or two). Its items are commitments of the sub-task that announces it, not glossary entries.
_ANNEX_HEAD_RE = re.compile(r"^附\s*[件表]\s*\d*\s*[：:]?\s*(.*)$")
_PROJECT_LIST_RE = re.compile(r"实事|项目|工程")
_ANNEX_COUNT_RE = re.compile(
    rf"^(?:20\d{{2}}年)?(?:全?[省市县区州旗])?(?:\d+|[{CN_NUMERAL}]+)?(?:件|项|个|大)?"
)


def _annex_ranges(paragraphs: list[Paragraph], appendix_at: int) -> list[tuple[int, int, str]]:
    """``(heading paragraph, end, title)`` of each annex listing projects."""
    heads = [i for i in range(appendix_at, len(paragraphs)) if _is_appendix_head(paragraphs[i].text)]
    ranges = []
    for n, i in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(paragraphs)
        m = _ANNEX_HEAD_RE.match(paragraphs[i].text)
        if m is None:
            continue
        title, first = m.group(1).strip(), i + 1
        if not title and first < end and len(paragraphs[first].text) <= 30:
            title, first = paragraphs[first].text, first + 1
        if _PROJECT_LIST_RE.search(title) and first < end:
            ranges.append((i, end, title))
    return ranges


def _is_appendix_head(text: str) -> bool:
    return len(text) <= 30 and (
        _APPENDIX_RE.match(text) is not None or _ANNEX_HEAD_RE.match(text) is not None
    )


def _annex_key(title: str) -> str:
    """What a sub-task calls an annex's projects: its title without year, scope and count
    (``2025年省十件民生实事`` → 民生实事, ``2025年10件惠民实事`` → 惠民实事)."""
    return _ANNEX_COUNT_RE.sub("", title.strip('“”"')).strip('“”"') or title


def _attach_annexes(areas: list[TaskArea], annexes: list[Annex]) -> None:
    """Hang each annex under the sub-task that announces it: the first whose title names its projects,
    else the first whose text does."""
    children = [c for a in areas for c in a.children]
    for annex in annexes:
        owner = next((c for c in children if annex.key in c.title), None) or next(
            (c for c in children if annex.key in c.text), None
        )
        if owner is not None:
            owner.annexes.append((annex.start, annex.end))


def _areas(
    paragraphs: list[Paragraph], *, skip: list[Paragraph], targets: Paragraph | None
) -> list[TaskArea]:
    """Numbered areas inside one part. ``一、`` areas are used when there are several, else ``（一）`` ones
    (failing those, ``一是…`` lines standing alone as headings) plus a ``一、`` part after them (政府自身建设),
    whose own ``（一）`` headings are its sub-tasks. The part's own headings (``skip``) are no areas."""
    skipped = {id(p) for p in skip} | {id(targets)}
    body = [p for p in paragraphs if id(p) not in skipped]
    heads_a = [p for p in body if _AREA_A_RE.match(p.text) and not _is_plan_heading(p.text)]
    heads = heads_a
    if len(heads_a) < 2:
        before_a = [p for p in body if not heads_a or p.start < heads_a[0].start]
        lower = [p for p in before_a if _AREA_B_RE.match(p.text) and _heading_text(p.text)]
        lower = _without_guidance_heads(lower, skip)
        lower = lower or [p for p in before_a if _is_shi_heading(p.text)]
        heads = sorted(lower + heads_a, key=lambda p: p.start)
    areas: list[TaskArea] = []
    for n, head in enumerate(heads):
        m = _AREA_A_RE.match(head.text) or _AREA_B_RE.match(head.text) or _SHI_HEAD_RE.match(head.text)
        assert m is not None
        title_full = _heading_text(head.text) or head.text
        title = title_full[m.end() :].rstrip("。").strip()
        next_start = heads[n + 1].start if n + 1 < len(heads) else None
        body = [
            p for p in paragraphs if p.start > head.start and (next_start is None or p.start < next_start)
        ]
        area = TaskArea(m.group(1), title, head.start, body[-1].end if body else head.end)
        rest = head.text[len(title_full) :].lstrip("。").strip()
        if rest:
            offset = head.text.find(rest)
            heading_rest = _subtasks(rest, head.start + offset)
            if body:  # the heading's own paragraph states the area; its sub-tasks are the paragraphs after
                for c in heading_rest:
                    c.led = c.led and c.item
            area.children.extend(heading_rest)
        pieces = []
        for p in body:
            if _is_plan_heading(p.text) or p.text.startswith("各位代表"):
                break
            pieces.append((p, _subtasks(p.text, p.start)))
        area.children.extend(c for _, split in _owning_their_parts(pieces) for c in split)
        area.children = _without_framing(_run_on_split(area.children))
        areas.append(area)
    return areas


# What a plan turns to after its last tasks, trailing an area's sub-tasks without a heading of its own:
# national defence, Hong Kong, Macao and Taiwan, foreign affairs, drafting the next five-year plan.
_PLAN_CLOSING_RE = re.compile(r"国防|军队|港澳|台湾|外交|“十[五六七]五”规划|十[五六七]五规划")
# The speaker's resolve closing an area (``…硬道理。我们要全力以赴拼经济…``; a plan's last catch-all,
# ``…需要各方齐心协力。我们将积极支持工会、共青团…``, runs to 250 characters).
_WE_RESOLVE = r"我们(?:[都也还更就]|一定)?(?:要|将|必须)"  # 我们要 / 我们将 / 我们都要 / 我们一定要
_RESOLVE_RE = re.compile(f"^{_WE_RESOLVE}")
_RESOLVE_IN_RE = re.compile(f"(?:^|[，；]){_WE_RESOLVE}")  # 面对…的问题，我们要…
RESOLVE_MAX_CHARS = 400


def _plainly_led(child: SubTask) -> bool:
    """An enumerated item, or opens with a lead sentence of one clause (``大力提振消费。``; ``坚持…，…。``
    states a stance)."""
    return child.item or (child.led and "，" not in child.title)


# A stance or remark is a sentence or two (协同推进降碳减污扩绿增长，积极建设美丽中国先行区。…: 43–85
# characters in the real reports); a sub-task with a two-clause lead runs on (深入推进长三角一体化发展，更好
# 服务和融入国家发展战略。主动对接…: 190 and more).
STANCE_MAX_CHARS = 100


def _is_stance(child: SubTask) -> bool:
    """A short paragraph whose lead has two clauses: the area's stance or a remark, not a sub-task."""
    return not _plainly_led(child) and len(child.text) <= STANCE_MAX_CHARS


def _opens_unlike_the_rest(children: list[SubTask]) -> bool:
    """A short one-clause opening (``打铁必须自身硬。…``) before sub-tasks whose leads all have two clauses
    (``坚持依法行政，建设法治政府。``): the area's opening statement."""
    first, rest = children[0], children[1:]
    return (
        _plainly_led(first)
        and not first.item
        and len(first.text) <= STANCE_MAX_CHARS
        and all(c.led and not _plainly_led(c) for c in rest)
    )


def _without_framing(children: list[SubTask]) -> list[SubTask]:
    """An area's sub-tasks without its framing, where its sub-tasks open with lead sentences
    (``大力提振消费。推进…``):

    - the paragraphs with no lead sentence (the area's opening statement, ``全面贯彻…，…，…。``; a remark
      between or after its sub-tasks), where at least two have one;
    - a short opening stance of two clauses (``协同推进降碳减污扩绿增长，积极建设美丽中国先行区。``)
      before sub-tasks of one (``突出抓好黄河大保护。``), and a short closing remark of two after them
      (``让人民过上幸福生活，是我们的头等大事。``); a long paragraph with a two-clause lead is a sub-task;
    - a short one-clause opening (``打铁必须自身硬。…``) before sub-tasks whose leads all have two;
    - a closing resolve after the last one (``高质量发展是新时代硬道理。我们要…``, up to RESOLVE_MAX_CHARS;
      or a lead and one sentence that resolves, ``改革开放是…法宝。面对…，我们要…。``), and any paragraph
      whose lead is the speaker's (``我们将更加自觉落实全过程人民民主，…``);
    - what the plan turns to after its tasks, trailing the last ones (``大力支持国防和军队现代化``,
      ``科学编制“十五五”规划是今年的一项重大任务``).

    An area whose paragraphs have no lead sentences keeps them all: each is then a sub-task titled by its
    first clause."""
    spoken = [c for c in children if not c.item and _RESOLVE_RE.match(c.title)]
    if spoken and len(spoken) < len(children):
        children = [c for c in children if c not in spoken]  # 我们将更加自觉落实…: the speaker, no task
    led = [c for c in children if c.led]
    kept = led if len(led) >= 2 else children
    if len(kept) > 2 and sum(1 for c in kept if _plainly_led(c)) >= 2:
        if _is_stance(kept[0]):
            kept = kept[1:]
        if _is_stance(kept[-1]):
            kept = kept[:-1]
    if len(kept) > 2 and _opens_unlike_the_rest(kept):
        kept = kept[1:]
    if len(kept) > 2:
        last = kept[-1]
        after_lead = last.text[len(last.title) :].lstrip("。！？ ")
        sentences = [x for x in re.split(r"(?<=[。！？!])", after_lead) if x.strip()]
        resolve = _RESOLVE_RE.match(after_lead) or (  # …法宝。面对前进中的问题，我们要…。 and no more
            len(sentences) == 1 and _RESOLVE_IN_RE.search(sentences[0])
        )
        if len(last.text) <= RESOLVE_MAX_CHARS and resolve:
            kept = kept[:-1]
    while len(kept) > 2 and _PLAN_CLOSING_RE.search(kept[-1].title):
        kept = kept[:-1]
    return kept


# A plan part that sets the general requirements (二、2025年总体要求 / …总体要求和政策取向): its （一）（二）
# points are guidance, not task areas, when a later part lists the tasks (三、2025年重点任务).
_GUIDANCE_HEAD_RE = re.compile(r"总体要求|政策取向|指导思想|总体思路")


def _without_guidance_heads(heads: list[Paragraph], part_heads: list[Paragraph]) -> list[Paragraph]:
    parts = sorted(part_heads, key=lambda p: p.start)
    dropped: set[int] = set()
    for n, part in enumerate(parts):
        title = _heading_text(part.text) or ""
        if not _AREA_A_RE.match(part.text) or not _GUIDANCE_HEAD_RE.search(title) or "任务" in title:
            continue
        end = parts[n + 1].start if n + 1 < len(parts) else None
        if end is None:
            continue
        dropped |= {id(h) for h in heads if part.start < h.start < end}
    kept = [h for h in heads if id(h) not in dropped]
    return kept if len(kept) >= 2 else heads


def _is_shi_heading(text: str) -> bool:
    """``一是聚焦全方位扩大内需，着力提消费促投资`` standing alone as a short line is an area heading."""
    return bool(_SHI_HEAD_RE.match(text)) and len(text) <= 40 and not re.search(r"[。；;]", text.rstrip("。"))


_SUBTASK_MARK_RE = re.compile(rf"^(?:\d{{1,2}}[.．、]|[（(](?:\d{{1,2}}|[{CN_NUMERAL}]{{1,3}})[）)])\s*")
_ENUMERATED_RE = re.compile(r"(?:^|(?<=[。；]))([一二三四五六七八九十]{1,2})是")


def _subtasks(text: str, start: int) -> list[SubTask]:
    """One sub-task per paragraph, or one per ``一是…二是…`` item when a paragraph enumerates them (and
    does not open with a lead sentence of its own, whose parts they are)."""
    marks = list(_ENUMERATED_RE.finditer(text))
    if len(marks) < 2 or marks[0].group(1) != "一":
        return [_subtask(text, start)]
    if _lists_its_own_parts(text[: marks[0].start()]):
        return [_subtask(text, start)]
    out = []
    for n, m in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(text)
        piece = text[m.end() : end]
        out.append(_subtask(piece, start + m.end(), item=True))
    if marks[0].start() > 0:
        out.insert(0, _subtask(text[: marks[0].start()], start))
    return out


def _owning_their_parts(
    pieces: list[tuple[Paragraph, list[SubTask]]],
) -> list[tuple[Paragraph, list[SubTask]]]:
    """Among sub-task paragraphs (two or more with a one-clause lead), a paragraph whose lead alone comes
    before its 一是…二是… (着眼促进人的现代化，今年再办好15件民生实事。一是…) is one sub-task and the items its parts."""
    single = sum(1 for _, split in pieces if len(split) == 1 and _plainly_led(split[0]))
    if single < 2:
        return pieces
    return [
        (p, [_subtask(p.text, p.start)] if len(split) > 1 and split[0].led and not split[0].item else split)
        for p, split in pieces
    ]


def _lists_its_own_parts(before: str) -> bool:
    """The text before ``一是`` is a sub-task of its own, a lead sentence and more (``办好十件民生实事。今年
    我省…。一是…``): the items are its parts. A lead alone (``重点抓好三方面工作。一是…``) announces them."""
    lead = lead_sentence(before)
    return lead is not None and bool(before[len(lead) :].strip("。！？ "))


# A paragraph opening with its own enumerator (``一是坚持政治引领，…。``): the item's title is what follows.
_OWN_ENUMERATOR_RE = re.compile(r"^[一二三四五六七八九十]{1,2}是(?=\S)")


def _subtask(text: str, start: int, *, item: bool = False) -> SubTask:
    """A sub-task titled by its lead sentence; failing one, by its first clause (``led`` False) unless it
    is an enumerated item (``item``: the ``一是…`` pieces of a paragraph)."""
    marker = _SUBTASK_MARK_RE.match(text) or _OWN_ENUMERATOR_RE.match(text)
    title = lead_sentence(text[marker.end() :] if marker else text)
    led = title is not None or item
    if title is None:
        title = _first_clause(text[marker.end() :] if marker else text)
    return SubTask(title, text, start, start + len(text), led=led, item=item)


_SENTENCE_RE = re.compile(r"[^。！？]+[。！？]?")
INLINE_LEAD_CHARS = (4, 24)


def _run_on_split(children: list[SubTask]) -> list[SubTask]:
    """An area written as one run-on paragraph (with at most a remark after it) holds its sub-tasks inside:
    split it at its inline leads, unless it opens with a one-clause lead of its own; a single paragraph that
    does open so (``加快“一带一路”核心区建设。…实施自贸试验区提升战略。…扩大与周边国家地区务实合作。…``)
    splits too when two more leads follow, its opening lead the first sub-task."""
    if len(children) == 1 and _plainly_led(children[0]):
        only = children[0]
        return _inline_subtasks(only.text, only.start, opening=only.title) or children
    if len(children) <= 2 and not any(_plainly_led(c) for c in children):
        return [piece for c in children for piece in (_inline_subtasks(c.text, c.start) or [c])]
    return children


def _inline_subtasks(text: str, start: int, *, opening: str | None = None) -> list[SubTask]:
    """The sub-tasks of an area written as one paragraph (``（一）…。坚持…，…。精准发力扩大有效投资。扎实
    开展…。千方百计促进消费需求。…``): each starts at a sentence of one short clause and runs to the next;
    what comes before the first is the area's framing (a sub-task without a lead, which `_without_framing`
    drops), or with `opening` (the paragraph's own lead) the first sub-task. None unless at least two
    such sentences are found after the start."""
    low, high = INLINE_LEAD_CHARS
    leads = [
        m
        for m in _SENTENCE_RE.finditer(text)
        if m.start() > 0
        and low <= len(m.group().rstrip("。！？")) <= high
        and not re.search(r"[，；：,;:]", m.group())
        and m.group().endswith("。")
    ]
    if len(leads) < 2:
        return []
    out = []
    if opening is not None:
        out.append(SubTask(opening, text[: leads[0].start()], start, start + leads[0].start()))
    elif leads[0].start() > 0:
        out.append(
            SubTask(_first_clause(text), text[: leads[0].start()], start, start + leads[0].start(), led=False)
        )
    for n, m in enumerate(leads):
        end = leads[n + 1].start() if n + 1 < len(leads) else len(text)
        out.append(SubTask(m.group().rstrip("。"), text[m.start() : end], start + m.start(), start + end))
    return out


def _first_clause(text: str) -> str:
    return re.split(r"[，。；！？]", text, maxsplit=1)[0][:30]


def _cn_int(s: str) -> int:
    if s.isdigit():
        return int(s)
    digits = {
        "〇": 0,
        "零": 0,
        "一": 1,
        "二": 2,
        "三": 3,
        "四": 4,
        "五": 5,
        "六": 6,
        "七": 7,
        "八": 8,
        "九": 9,
    }
    if len(s) == 4:  # 二〇二四
        return int("".join(str(digits[c]) for c in s))
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)
    return digits[s]


def _date(header: str) -> str | None:
    m = _DATE_RE.search(header)
    if not m:
        return None
    try:
        y, mo, d = (_cn_int(g) for g in m.groups())
    except KeyError:
        return None
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _region(header: str, text: str) -> str | None:
    m = _MEETING_RE.search(header)
    if m:
        if m.group(2):
            return "全国"
        region = re.sub(r"^\d{4}年\d{1,2}月\d{1,2}日", "", m.group(1)).strip()
        if region:
            return region
    m = _REGION_FALLBACK_RE.search(text[:3000])
    if m and m.group(1) not in ("省", "市", "县", "区"):
        return m.group(1)
    if "代表国务院" in text[:3000]:
        return "全国"
    title = header.split("——")[0]
    m = _REGION_NAME_RE.match(re.sub(r"^\d{4}年", "", title))
    if m and "政府" not in m.group(1) and "报告" not in m.group(1):
        return m.group(1)
    m = _PARTY_COMMITTEE_RE.search(text[:20000])
    return m.group(1) if m else None


def _speaker(header: str) -> tuple[str | None, str | None]:
    m = _SPEAKER_RE.search(header)
    return (m.group(1), m.group(2)) if m else (None, None)


# A line a newspaper or website puts above a reprinted report (来源：福建日报): not the report's title.
_SOURCE_LINE_RE = re.compile(r"^(?:来源|稿源|作者|编辑|责任编辑|发布时间|发布日期|记者)\s*[：:]")


def _title(header: list[Paragraph]) -> str | None:
    for p in header:
        if (
            p.text.startswith(("—", "-", "（", "("))
            or _SPEAKER_RE.search(p.text)
            or _DATE_RE.search(p.text)
            or _SOURCE_LINE_RE.match(p.text)
        ):
            continue
        if "报告" in p.text or len(p.text) <= 30:
            return p.text
    return None


def _year_in(text: str) -> int | None:
    m = re.search(r"(20\d{2})年", text)
    return int(m.group(1)) if m else None
