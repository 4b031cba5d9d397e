"""A report item's task as the report states it: the clause that holds the item, trimmed to its verb phrase,
so a supervision office reads 新认定独角兽培育企业12家 where the bare ledger says 独角兽培育企业 12 家.

The clause is the item's quote. The stretch word (力争/争取 …) and opening connectives are dropped (the
stretch flag is its own field). A clause that lists several quantities joined by 、 (新认定高新技术企业465家、
独角兽培育企业12家) gives each item its own piece, led by the verb the list shares."""

from __future__ import annotations

import re

from citycockpit.report.extract import _LEAD_RE, _SCOPE_WORDS
from citycockpit.report.numbers import STRETCH_WORDS

# Words that open a clause without belonging to the task: connectives, time and the speaker's modal verbs.
_OPENERS = (
    "同时",
    "并且",
    "其中",
    "今年",
    "全年",
    "年内",
    "我们",
    "要",
    "将",
    "并",
    "还",
    "再",
    "确保",
    *STRETCH_WORDS,
)
_NUMBER = re.compile(r"[0-9０-９]|[一二两三四五六七八九十百千万]+[个家座条所项批次名人户]")
_TRAILING = "，,；;。：:、 "
MAX_TITLE = 60


def _strip_openers(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for word in _OPENERS:
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word) :], True
    return text


def _overlap(a: str, b: str) -> int:
    return len(set(a) & set(b))


def _lead_verb(piece: str) -> str:
    """The verbs that open the first piece of a list (新认定, 完成, 新改造提升): the report's lead words
    (report.extract) read from the start, without the scope words that say nothing of the task."""
    verb, rest = "", piece
    if rest.startswith("新") and _LEAD_RE.match(rest, 1):  # 新 before a verb: 新招引, 新引进
        verb, rest = "新", rest[1:]
    while (match := _LEAD_RE.match(rest)) and match.end() > 0:
        word = match.group(0)
        if word not in _SCOPE_WORDS:
            verb += word
        rest = rest[match.end() :]
    return verb


def task_title(quote: str, name: str) -> str | None:
    """The task phrase of the item named `name` in its clause `quote`, or None when the clause does not hold
    the name (the caller then writes the name and figure itself)."""
    clause = _strip_openers(quote.strip().strip(_TRAILING))
    if not clause or not name:
        return None
    pieces = [p for p in clause.split("、") if p]
    if len(pieces) > 1 and all(_NUMBER.search(p) for p in pieces):
        best = max(range(len(pieces)), key=lambda i: (name in pieces[i], _overlap(pieces[i], name), -i))
        piece = pieces[best]
        if best > 0:
            if not _lead_verb(piece):  # a piece with a verb of its own keeps it (…8所学校、新增学位5625个)
                piece = _lead_verb(pieces[0]) + piece
        clause = piece
    if name not in clause and _overlap(clause, name) < max(2, len(set(name)) // 2):
        return None
    if len(clause) > MAX_TITLE:
        return None
    return clause
