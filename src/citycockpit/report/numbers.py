"""Numbers as government work reports write them: numerals, units, qualifiers and growth.

A *quantity* is a number followed by a unit (``1.3万人``, ``5%``, ``803.9万标箱``). The value is kept as
written and the unit keeps its 万/亿 prefix, so ``1.3万人`` is ``(1.3, "万人")``. Qualifiers come from the
words around the number: ``以上`` after it (≥), ``超`` before it (>), and so on. A qualifier only belongs to a
number when it touches the number and its unit — ``规模以上工业`` is a noun, not a qualifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import cn2an

# Base units, without 万/亿 prefixes. Longer spellings must win over their prefixes ("人次" over "人").
BASE_UNITS = (
    "微克/立方米",
    "吨标准煤",
    "千瓦时",
    "平方公里",
    "平方米",
    "立方米",
    "标准箱",
    "个百分点",
    "百分点",
    "美元",
    "欧元",
    "港元",
    "元",
    "人次",
    "人",
    "户",
    "家",
    "个",
    "标箱",
    "吨",
    "公顷",
    "亩次",
    "亩",
    "公里",
    "千米",
    "米",
    "座",
    "套",
    "所",
    "项",
    "件",
    "条",
    "张",
    "辆",
    "艘",
    "架",
    "台",
    "场次",
    "场",
    "次",
    "名",
    "位",
    "处",
    "间",
    "栋",
    "幢",
    "床",
    "册",
    "部",
    "只",
    "头",
    "株",
    "棵",
    "斤",
    "公斤",
    "千克",
    "千瓦",
    "兆瓦",
    "个工作日",
    "工作日",
    "天",
    "小时",
    "分钟",
    "岁",
    "批",
    "支",
    "块",
    "宗",
    "篇",
    "例",
    "笔",
    "份",
    "盏",
    "%",
    "‰",
)
PERCENT_UNITS = frozenset({"%", "‰"})
TIME_UNITS = frozenset({"个工作日", "工作日", "天", "小时", "分钟"})
POINT_UNITS = frozenset({"个百分点", "百分点"})
_NO_MULTIPLIER = PERCENT_UNITS | POINT_UNITS

# Written before the number (after any growth verb): 超过5% / 达3.9% / 控制在24以内.
PRE_QUALIFIERS = (
    ("不低于", ">="),
    ("不少于", ">="),
    ("至少", ">="),
    ("不超过", "<="),
    ("不高于", "<="),
    ("控制在", "<="),
    ("低于", "<="),
    ("少于", "<="),
    ("超过", ">"),
    ("超出", ">"),
    ("突破", ">"),
    ("高于", ">"),
    ("多于", ">"),
    ("超", ">"),
    ("逾", ">"),
    ("大约", "~"),
    ("接近", "~"),
    ("将近", "~"),
    ("约", "~"),
    ("近", "~"),
    ("达到", "="),
    ("达", "="),
)
# Written after the unit: 5%以上 / 24微克/立方米以下 / 5%左右.
POST_QUALIFIERS = (
    ("及以上", ">="),
    ("以上", ">="),
    ("及以下", "<="),
    ("以下", "<="),
    ("以内", "<="),
    ("左右", "~"),
    ("上下", "~"),
)
STRETCH_WORDS = ("力争", "争取", "力求", "努力")
INCREASE_VERBS = ("增长", "增加", "提高", "提升", "上升", "上涨", "增")
DECREASE_VERBS = ("下降", "降低", "减少", "下滑", "回落", "压减", "压降", "缩减", "削减", "降", "减")
GROWTH_NAME_ENDINGS = ("增速", "增幅", "涨幅", "增长率", "降幅")

_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CHINESE = r"[一二两三四五六七八九十][零〇一二两三四五六七八九十百千]*(?:点[零〇一二三四五六七八九]+)?"
_MULTIPLIER = r"万亿|亿|万|千"
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(BASE_UNITS, key=len, reverse=True))
_POST_ALT = "|".join(re.escape(w) for w, _ in POST_QUALIFIERS)
# 3万多亿元: 万…亿 split by 多/余 is 万亿 and more.
QUANTITY_RE = re.compile(
    rf"(?<![\d.．])(?:(?P<percent_word>百分之)(?P<pnum>{_ARABIC}|{_CHINESE})"
    rf"|(?P<num>{_ARABIC}|{_CHINESE})(?P<approx0>余|多)?(?P<mult>万(?:余|多)亿|{_MULTIPLIER})?(?P<approx>余|多)?"
    rf"(?P<unit>{_UNIT_ALT}))"
    rf"(?P<post>{_POST_ALT})?"
)
# 增长5%—6% / 增长5-6% / 新建3至5所: a range gives its lower bound (≥) and its upper bound (≤).
RANGE_RE = re.compile(
    rf"(?<![\d.．A-Za-z])(?P<lo>{_ARABIC})(?P<lo_unit>%|个百分点)?\s*[-—–～~至到]\s*(?P<hi>{_ARABIC})"
    rf"(?P<mult>{_MULTIPLIER})?(?P<unit>{_UNIT_ALT})"
)
# 18.6万建档立卡贫困人口 / 4200多万居民: 万/亿 with no unit, straight before the noun it counts. The unit is
# then "万", or 万人 / 万户 when that noun names people or households (see COUNTED_NOUN_RE).
BARE_MULTIPLIER_RE = re.compile(
    rf"(?<![\d.．A-Za-z])(?P<num>{_ARABIC})(?P<approx0>余|多)?(?P<mult>万亿|亿|万)(?P<approx>余|多)?+"
    rf"(?=[\u4e00-\u9fff])(?!级|元|家(?!庭)|{_UNIT_ALT.replace('|家|', '|')})"
)
# The noun a bare 万/亿 counts, when it ends in a word for people or households (of at most 10 characters,
# within its clause): 居民, 群众, 建档立卡贫困人口, 高校毕业生 are people; 农户, 家庭 are households.
_PEOPLE_WORDS = (
    "人口|人员|群众|居民|农民工|农民|职工|工人|学生|毕业生|儿童|老人|老年人|妇女|患者|游客|旅客|劳动力"
)
COUNTED_NOUN_RE = re.compile(
    rf"[^，；。！？、\n,;：（(]{{0,8}}(?:(?P<people>{_PEOPLE_WORDS})|(?P<households>农户|家庭|住户))"
)
# 7100万江淮儿女 / 4200万辽宁人民: a whole population named with pride, not an amount anyone delivered.
_POPULATION_RE = re.compile(r"[^，；。！？、\n,;]{0,6}?(?:儿女|人民)")
_PRE_MAP = dict(PRE_QUALIFIERS)
_POST_MAP = dict(POST_QUALIFIERS)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit as found in a text, with character offsets into that text."""

    value: int | float
    unit: str
    start: int
    end: int  # after the unit and any trailing qualifier
    qualifier: str  # "=", ">=", ">", "<=", "~"
    is_chinese: bool
    raw: str
    bare: bool = False  # a 万/亿 with no unit: only an item when the noun it counts follows
    noun_end: int | None = None  # where the noun a bare 万/亿 counts ends (4200多万居民 → after 居民)

    @property
    def is_percent(self) -> bool:
        return self.unit in PERCENT_UNITS

    @property
    def is_points(self) -> bool:
        return self.unit in POINT_UNITS


@lru_cache(maxsize=512)
def parse_number(text: str) -> int | float:
    """Parse an Arabic or Chinese numeral as written: ``"1,200"`` → 1200, ``"3.9"`` → 3.9, ``"一千二百"`` → 1200.

    A trailing 万/亿 multiplies (``"1.3万"`` → 13000). Raises ValueError for anything else.
    """
    text = text.strip().replace(",", "")
    if not text:
        raise ValueError("empty number")
    factor = 1
    for suffix, mult in (("万亿", 10**12), ("亿", 10**8), ("万", 10**4)):
        if text.endswith(suffix) and len(text) > len(suffix):
            text, factor = text[: -len(suffix)], mult
            break
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        value: int | float = float(text) if "." in text else int(text)
    else:
        try:
            value = cn2an.cn2an(text, "smart")
        except (ValueError, KeyError, IndexError) as exc:
            raise ValueError(f"not a number: {text!r}") from exc
    value = value * factor
    if isinstance(value, float) and value.is_integer() and factor > 1:
        value = int(value)
    return value


def find_quantities(text: str) -> list[Quantity]:
    """Every number-with-unit in ``text``, with its qualifier; no judgement about what it measures.

    Numbers that are part of names (PM2.5, G60, 5+1), ranks (第22位, 前3名) and slogans in quotes are skipped.
    """
    found: list[Quantity] = []
    covered: list[tuple[int, int]] = []
    for m in RANGE_RE.finditer(text):
        unit = (m.group("mult") or "") + m.group("unit")
        if m.group("lo_unit") and m.group("lo_unit") != unit or _inside_quotes(text, m.start()):
            continue
        lo_end = m.start("lo") + len(m.group("lo")) + len(m.group("lo_unit") or "")
        found.append(
            Quantity(
                parse_number(m.group("lo")), unit, m.start(), lo_end, ">=", False, text[m.start() : lo_end]
            )
        )
        found.append(
            Quantity(parse_number(m.group("hi")), unit, m.start("hi"), m.end(), "<=", False, m.group(0))
        )
        covered.append((m.start(), m.end()))
    for m in QUANTITY_RE.finditer(text):
        if any(lo <= m.start() < hi for lo, hi in covered) or _is_noise(text, m):
            continue
        approx_inside = False
        if m.group("percent_word"):
            raw_num, unit, is_chinese = m.group("pnum"), "%", not m.group("pnum")[0].isdigit()
        else:
            raw_num, unit = m.group("num"), m.group("unit")
            is_chinese = not raw_num[0].isdigit()
            mult = m.group("mult") or ""
            if mult and unit in _NO_MULTIPLIER:
                continue
            if len(mult) == 3:  # 万多亿
                mult, approx_inside = "万亿", True
            unit = mult + unit
        try:
            value = parse_number(raw_num)
        except ValueError:
            continue
        small = value < 10 and not (m.group("mult") if not m.group("percent_word") else None)
        if is_chinese and (small or unit in PERCENT_UNITS and not m.group("percent_word")):
            # 一个半小时, 两所大学, 三大工程: small Chinese numerals are words, not amounts.
            continue
        if unit.endswith("家") and text.startswith("庭", m.end("unit")):
            continue  # 3万多家庭: households, not 家 (firms); read as a bare 万 before its noun
        if unit in TIME_UNITS and not m.group("post") and _is_cjk(text[m.end() : m.end() + 1]):
            continue  # 15分钟生活圈, 24小时自助服务: a duration that names a thing
        qualifier = _POST_MAP.get(m.group("post") or "", "")
        if not qualifier and (m.group("approx") or m.group("approx0") or approx_inside):
            qualifier = ">"
        if not qualifier:
            qualifier = pre_qualifier(text, m.start()) or "="
        found.append(Quantity(value, unit, m.start(), m.end(), qualifier, is_chinese, m.group(0)))
        covered.append((m.start(), m.end()))
    for m in BARE_MULTIPLIER_RE.finditer(text):
        if any(lo <= m.start() < hi for lo, hi in covered) or _is_noise(text, m):
            continue
        if _POPULATION_RE.match(text, m.end()):
            continue
        qualifier = ">" if m.group("approx") or m.group("approx0") else pre_qualifier(text, m.start()) or "="
        unit, noun_end = m.group("mult"), None
        noun = COUNTED_NOUN_RE.match(text, m.end())
        if noun:
            unit, noun_end = unit + ("人" if noun.group("people") else "户"), noun.end()
        found.append(
            Quantity(
                parse_number(m.group("num")),
                unit,
                m.start(),
                m.end(),
                qualifier,
                False,
                m.group(0),
                bare=True,
                noun_end=noun_end,
            )
        )
    return sorted(found, key=lambda q: q.start)


def pre_qualifier(text: str, pos: int) -> str | None:
    """The qualifier written right before position ``pos`` (超 → ">", 达 → "=", 控制在 → "<="), if any."""
    for word, qualifier in PRE_QUALIFIERS:
        if text.endswith(word, max(0, pos - len(word)), pos):
            return qualifier
    return None


def strip_pre_qualifier(text: str) -> str:
    """``text`` without a qualifier word at its end (``"增长超过"`` → ``"增长"``)."""
    for word, _ in PRE_QUALIFIERS:
        if text.endswith(word):
            return text[: -len(word)]
    return text


def growth_sign(before: str) -> int:
    """+1 if ``before`` ends with an increase verb, -1 for a decrease verb (下降/降低 …), 0 otherwise.

    ``before`` is the text just before a number, its pre-qualifier already removed. 降至/提高到 end in 至/到,
    so they give 0: they state a level, not a change.
    """
    before = before.rstrip("了")
    for prefix in ("同比", "比上年", "较上年", "年均", "分别"):
        if before.endswith(prefix):
            before = before[: -len(prefix)]
    for verb in DECREASE_VERBS:
        if before.endswith(verb):
            return -1
    for verb in INCREASE_VERBS:
        if before.endswith(verb):
            return 1
    return 0


def _is_noise(text: str, m: re.Match[str]) -> bool:
    start, end = m.start(), m.end()
    before = text[max(0, start - 2) : start]
    prev = before[-1:] if before else ""
    nxt = text[end : end + 1]
    if prev and (prev.isascii() and (prev.isalpha() or prev in "+-/_")):
        return True  # PM2.5, G60, T-5
    if prev in ("第", "前") or before.endswith("排名"):
        return True  # ranks: 第22位, 前3名
    if nxt in ("+", "强", "级") or (nxt.isascii() and nxt.isalpha()):
        return True  # 5+1, 500强, 百亿级
    return _inside_quotes(text, start)


def _is_cjk(char: str) -> bool:
    return bool(char) and "\u4e00" <= char <= "\u9fff"


def _inside_quotes(text: str, pos: int) -> bool:
    """True inside “…” or 《…》 opened in the same sentence: slogans and titles are names, not amounts."""
    lo = max(text.rfind("。", 0, pos), text.rfind("\n", 0, pos), 0)
    span = text[lo:pos]
    return span.count("“") > span.count("”") or span.count("《") > span.count("》")
