"""Numbers as government work reports write them: numerals, units, qualifiers and growth.

A *quantity* is a number followed by a unit (``1.3万人``, ``5%``, ``803.9万标箱``). The value is kept as
written and the unit keeps its 万/亿 prefix, so ``1.3万人`` is ``(1.3, "万人")``. Qualifiers come from the
words around the number: ``以上`` after it (≥), ``超`` before it (>), and so on. A qualifier only belongs to a
number when it touches the number and its unit — ``规模以上工业`` is a noun, not a qualifier.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

import cn2an

# Base units, without 万/亿 prefixes. Longer spellings must win over their prefixes ("人次" over "人").
BASE_UNITS = (
    "微克/立方米",
    "立方米/日",
    "吨/日",
    "吨/年",
    "PFLOPS",
    "EFLOPS",
    "PF",
    "P",  # 算力9.4万P: computing power in petaflops
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
    "辆次",
    "艘次",
    "架次",
    "户次",
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
    "批次",
    "批",
    "支",
    "块",
    "宗",
    "篇",
    "例",
    "笔",
    "份",
    "盏",
    "种",
    "款",
    "对",
    "列",
    "期",
    "组",
    "轮",
    "度",  # 外送电量3150亿度: kilowatt-hours as reports say them
    "倍",
    "金",  # 8金4银4铜: medals, only in such a run (see _is_medal)
    "银",
    "铜",
    "%",
    "‰",
)
PERCENT_UNITS = frozenset({"%", "‰"})
MEDAL_UNITS = frozenset({"金", "银", "铜"})
# 8金4银4铜 / 1金1银: at least two kinds of medal counted one after the other.
_MEDAL_RUN_RE = re.compile(r"\d+[金银铜](?:\d+[金银铜])+")
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
    ("跨过", ">"),
    ("超出", ">"),
    ("突破", ">"),
    ("跨越", ">"),
    ("跨过", ">"),
    ("破", ">"),
    ("迈上", ">="),
    ("迈入", ">="),
    ("跃上", ">="),
    ("跨上", ">="),
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
# A rate per period or per head is part of its unit: 740元/月, 30万吨/日, 600立方米/秒, 2万元/人.
_PER_ALT = "/(?:日|天|月|年|秒|小时|人)"
# 3万多亿元: 万…亿 split by 多/余 is 万亿 and more.
QUANTITY_RE = re.compile(
    rf"(?<![\d.．])(?:(?P<percent_word>百分之)(?P<pnum>{_ARABIC}|{_CHINESE})"
    rf"|(?P<num>{_ARABIC}|{_CHINESE})(?P<approx0>余|多)?(?P<mult>万(?:余|多)亿|{_MULTIPLIER})?(?P<approx>余|多)?"
    rf"(?P<unit>{_UNIT_ALT})(?P<per>{_PER_ALT})?)"
    rf"(?P<post>{_POST_ALT})?"
)
# 增长5%—6% / 增长5-6% / 增长6%－6.5% (a full-width hyphen) / 新建3至5所: a range gives its lower bound (≥)
# and its upper bound (≤).
RANGE_RE = re.compile(
    rf"(?<![\d.．A-Za-z])(?P<lo>{_ARABIC})(?P<lo_unit>%|个百分点)?\s*[-—–－～~至到]\s*(?P<hi>{_ARABIC})"
    rf"(?P<mult>{_MULTIPLIER})?(?P<unit>{_UNIT_ALT})"
)
# 突破万亿元 / 破亿 / 超千亿元 / 迈上万亿新台阶: a round amount written with its order of magnitude only,
# after a word that makes it a threshold; the unit is written as in the text (破亿 → 1 亿).
ROUND_AMOUNT_RE = re.compile(
    rf"(?P<word>突破|跨过|跨越|超过|迈上|迈入|跃上|跨上|破|超|近)"
    rf"(?:(?P<num>万亿|千亿|百亿|亿|万)(?P<unit>{_UNIT_ALT})?|(?P<hundreds>千|百)(?P<count_unit>{_UNIT_ALT}))"
    r"(?:级规模|规模|大关|新台阶|台阶)?(?=[，、；。！？\n,;]|$)"  # 突破万亿元大关: 大关 is no name
)
_DURATION_BEFORE_RE = re.compile(r"\d+(?:天|小时|个月|年|次)$")
_ROUND_VALUES = {
    "万亿": (1, "万亿"),
    "千亿": (1000, "亿"),
    "百亿": (100, "亿"),
    "亿": (1, "亿"),
    "万": (1, "万"),
    "千": (1000, ""),  # 均超千列: only with a unit
    "百": (100, ""),
}
# 冰雪运动参与人次超630万。/ 新增技能人才74万、专业人才8.1万: a bare 万/亿 ending its clause, named by
# the words before it; the unit is the multiplier as written.
BARE_AT_END_RE = re.compile(
    rf"(?<![\d.．A-Za-z])(?P<num>{_ARABIC})(?P<approx0>余|多)?(?P<mult>万亿|亿|万)(?P<approx>余|多)?"
    r"(?=[，、；。！？\n,;]|$)(?!、\d)"  # 10亿、50亿级项目: a list of sizes that name a noun
)
# 占全国1/4 / 占全国超4成 / 占比1/3以上: a share written as a fraction or in tenths (成), after 占 or 比重.
SHARE_FRACTION_RE = re.compile(
    r"(?P<lead>占(?:全国|全省|全市|全区|比|比重)?|比重|比例)(?P<pre>超过|超|近|约|达到|达)?"
    r"(?:(?P<n>\d{1,2})/(?P<d>\d{1,3})(?![\d/.])|(?P<tenths>[1-9])成)(?P<post>以上|以下|左右)?"
)
_COUNT_LIST_RE = re.compile(r"(?:\d[^、”“]{1,14}、){2,}\d[^、”“]{1,14}")
# Unit words that may start the noun after a bare 万/亿 (3万多家庭, 50亿金融资金).
_BARE_OK = ("家", "金", "银", "铜")
# 18.6万建档立卡贫困人口 / 4200多万居民: 万/亿 with no unit, straight before the noun it counts. The unit is
# then "万", or 万人 / 万户 when that noun names people or households (see COUNTED_NOUN_RE).
BARE_MULTIPLIER_RE = re.compile(
    rf"(?<![\d.．A-Za-z])(?P<num>{_ARABIC})(?P<approx0>余|多)?(?P<mult>万亿|亿|万)(?P<approx>余|多)?+"
    rf"(?=[\u4e00-\u9fff])(?!级|元|家(?!庭)|{'|'.join(u for u in _UNIT_ALT.split('|') if u not in _BARE_OK)})"
)
# 农村贫困人口减少1000万以上 / 开户数近1800万。: 万/亿 with no unit that ends its clause (after any 以上/左右) is
# an amount in 万 of what is named before it; the unit stays 万 (no noun says what is counted).
BARE_END_RE = re.compile(
    rf"(?<![\d.．A-Za-z])(?P<num>{_ARABIC})(?P<approx0>余|多)?(?P<mult>万亿|亿|万)(?P<approx>余|多)?"
    rf"(?P<post>{_POST_ALT})?(?=[，；。！？,;\n]|$)"
)
# 突破万亿元 / 稳定在千亿元以上 / 突破百亿 / 跨过万亿元大关: a magnitude written as a word is an amount (1 万亿元,
# 1000 亿元, 100 亿) after a verb of reaching, at the end of its clause or before 大关/台阶; 万亿级, 数千亿 and
# 超千亿元镇 (a class of towns) are not.
MAGNITUDE_RE = re.compile(
    rf"(?<![\d.．零〇一二两三四五六七八九十百千数几上])(?P<mag>[百千万])(?P<mult>亿)(?P<unit>元)?"
    rf"(?P<post>{_POST_ALT})?(?=[，；。！？,;、\n]|$|大关|关口|新?台阶)"
)
_REACHING_VERBS = ("突破", "超过", "超", "达到", "达", "跨过", "跨上", "稳定在", "保持在", "过", "逾")
# The noun a bare 万/亿 counts, when it ends in a word for people or households (of at most 10 characters,
# within its clause): 居民, 群众, 建档立卡贫困人口, 高校毕业生 are people; 农户, 家庭 are households.
_PEOPLE_WORDS = (
    "人口|人员|群众|居民|农民工|农民|职工|工人|在校生|学生|毕业生|儿童|老人|老年人|妇女|患者|游客|旅客|劳动力|"
    "残疾人|纳税人|参保人"
)
COUNTED_NOUN_RE = re.compile(
    rf"[^，；。！？、\n,;：（(]{{0,8}}(?:(?P<people>{_PEOPLE_WORDS})|(?P<households>农户|家庭|住户))"
)
# 7100万江淮儿女 / 4200万辽宁人民: a whole population named with pride, not an amount anyone delivered.
_POPULATION_RE = re.compile(r"[^，；。！？、\n,;]{0,6}?(?:儿女|人民)")
# Chinese numerals count things only in the contexts of _chinese_count ("Chinese counts" in the report
# domain's doc); elsewhere 一批, 两个维护, 三次产业, 四个方面 are words. Measure words a count may use:
COUNT_MEASURES = frozenset(
    "次 批次 批 座 条 个 所 家 项 处 场 名 件 套 台 辆 艘 架 张 部 间 栋 幢 户 支".split()
)
# Verbs that deliver countable things: 建成一座体育馆, 新建三条绿道, 出台五项措施, 分两批次解决.
COUNT_VERBS = tuple(
    sorted(
        """建成 新建 建设 改建 扩建 改扩建 新改扩建 开工 竣工 投用 投运 启用 开通 开设 新开 新辟 开辟 新增 增设 完成
        打通 改造 修建 建立 设立 成立 组建 新设 引进 举办 承办 召开 出台 制定 修订 发布 获得 获评 获批 创成 创建
        认定 新认定 培育 打造 办好 办成 落地 签约 下调 上调 分 推出""".split(),
        key=len,
        reverse=True,
    )
)
# Actions counted by 次 before them: 三次下调贷款利率, 两次提高最低工资标准.
COUNTED_ACTIONS = tuple(
    """下调 上调 降低 提高 调整 降准 降息 发放 出台 举办 召开 开展 组织 延长 扩大 启动 修订 发布""".split()
)
# 三次下调贷款利率 / 两次全面降准: 次 before a counted action, an adverb allowed in between.
_COUNTED_ACTION_RE = re.compile(rf"(?:全面|大幅|先后|连续|分别)?(?:{'|'.join(COUNTED_ACTIONS)})")
# Words between a count verb and its numeral (建成了三座, 累计新建五个) and before a clause's verb (全年…).
_COUNT_FILLERS = ("了", "共", "累计", "先后", "连续", "新")
_CLAUSE_OPENERS = re.compile(r"(?:全市|全县|全区|全省|全年|今年|年内|累计|共计|共|再|还|并|同时|此外)*")
# Nouns after a numeral and measure word that make a fixed term, not a count: 四个方面, 三次产业, 两位数.
_NOT_COUNTED_AFTER = ("方面", "层面", "环节", "维度", "阶段", "翻番", "大局", "产业", "分配", "创业", "性")
# Aspects a text is divided into (11个方面, 3个层面): never a count of things, in any numerals.
_PARTS_OF_A_WHOLE = ("方面", "层面", "维度")
# Before a numeral: ranks and determiners (第一, 每一次, 前三名, 这两个, 其中一个, 同一个, 唯一).
_NOT_COUNTED_BEFORE = "第每前这那哪其某逐唯单同头首任"
_CLAUSE_BREAK = "，；。！？：\n,;"
# Words ending in a count verb that are not one: 划分三个区域, 充分, 部分.
_NOT_A_COUNT_VERB = ("划分", "区分", "部分", "充分", "十分", "细分", "评分", "积分", "得分", "万分")
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
    counted: bool = False  # a Chinese numeral whose context makes it a count (建成三座, 三次下调)

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
    pending: list[int] = []  # starts of 一 that count only if their 、 list goes on with another count
    for m in RANGE_RE.finditer(text):
        unit = (m.group("mult") or "") + m.group("unit")
        if m.group("lo_unit") and m.group("lo_unit") != unit or _inside_quotes(text, m.start()):
            continue
        if _is_age_band(text, unit, m.end()):
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
            unit = mult + unit + (m.group("per") or "")
        if m.group("unit") in MEDAL_UNITS and (m.group("mult") or not _in_medal_run(text, m.start())):
            continue  # 50亿金融基金: 金 is a medal only in a run like 8金4银4铜
        try:
            value = parse_number(raw_num)
        except ValueError:
            continue
        small = value < 10 and not (m.group("mult") if not m.group("percent_word") else None)
        count = "no"
        if is_chinese and not m.group("percent_word") and not m.group("mult"):
            count = _chinese_count(text, m, value, found, pending)
        if count == "yes" and pending and found and found[-1].start == pending[-1]:
            found[-1] = dataclasses.replace(
                found[-1], counted=True
            )  # 建成一座体育馆、三条绿道: 一 counts too
            pending.pop()
        counted = count != "no"
        if is_chinese and not counted and (small or unit in PERCENT_UNITS and not m.group("percent_word")):
            # 一个半小时, 两所大学, 三大工程: small Chinese numerals are words, not amounts.
            continue
        if unit == "个" and text.startswith(_PARTS_OF_A_WHOLE, m.end()):
            continue  # 重点做好以下11个方面工作: the parts of the speech, not a count of anything delivered
        if unit.endswith("家") and text.startswith("庭", m.end("unit")):
            continue  # 3万多家庭: households, not 家 (firms); read as a bare 万 before its noun
        if _is_age_band(text, unit, m.end()):
            continue  # 65岁及以上失能老年人 / 3岁以下婴幼儿: the age of the people meant, not an amount
        if unit in TIME_UNITS and not m.group("post") and _is_cjk(text[m.end() : m.end() + 1]):
            continue  # 15分钟生活圈, 24小时自助服务: a duration that names a thing
        qualifier = _POST_MAP.get(m.group("post") or "", "")
        if not qualifier and (m.group("approx") or m.group("approx0") or approx_inside):
            qualifier = ">"
        if not qualifier:
            qualifier = (
                pre_qualifier(text, m.start())
                or _at_least_before_verb(text, m.start())
                or _bound_over_a_phrase(text, m.start())
                or "="
            )
        if count == "pending":
            pending.append(m.start())
        found.append(
            Quantity(
                value, unit, m.start(), m.end(), qualifier, is_chinese, m.group(0), counted=count == "yes"
            )
        )
        covered.append((m.start(), m.end()))
    found = [q for q in found if q.start not in pending]  # a lone 一 (建成一座体育馆) is "a", not a count
    for m in MAGNITUDE_RE.finditer(text):
        if any(lo <= m.start() < hi for lo, hi in covered) or _is_noise(text, m):
            continue
        if not text.endswith(_REACHING_VERBS, 0, m.start()):
            continue
        if m.group("mag") == "万":
            value, mult = 1, "万亿"
        else:
            value, mult = (100 if m.group("mag") == "百" else 1000), m.group("mult")
        qualifier = _POST_MAP.get(m.group("post") or "", "") or pre_qualifier(text, m.start()) or "="
        unit = mult + (m.group("unit") or "")
        found.append(Quantity(value, unit, m.start(), m.end(), qualifier, True, m.group(0), counted=True))
        covered.append((m.start(), m.end()))
    for m in BARE_END_RE.finditer(text):
        if any(lo <= m.start() < hi for lo, hi in covered) or _is_noise(text, m):
            continue
        qualifier = _POST_MAP.get(m.group("post") or "", "")
        if not qualifier:
            approx = m.group("approx") or m.group("approx0")
            qualifier = ">" if approx else pre_qualifier(text, m.start()) or "="
        value = parse_number(m.group("num"))
        found.append(Quantity(value, m.group("mult"), m.start(), m.end(), qualifier, False, m.group(0)))
        covered.append((m.start(), m.end()))
    for m in SHARE_FRACTION_RE.finditer(text):
        lo = m.start("pre") if m.group("pre") else m.start("n") if m.group("n") else m.start("tenths")
        if any(a <= lo < b for a, b in covered) or _inside_quotes(text, lo):
            continue
        share = _share_percent(m)
        qualifier = _POST_MAP.get(m.group("post") or "") or _PRE_MAP.get(m.group("pre") or "", "=")
        start = m.start("n") if m.group("n") else m.start("tenths")
        found.append(Quantity(share, "%", start, m.end(), qualifier, False, text[start : m.end()]))
        covered.append((start, m.end()))
    for m in ROUND_AMOUNT_RE.finditer(text):
        if any(lo <= m.start() + len(m.group("word")) < hi for lo, hi in covered) or _inside_quotes(
            text, m.start()
        ):
            continue
        if _DURATION_BEFORE_RE.search(text, max(0, m.start() - 6), m.start()):
            continue  # 用电负荷39天破亿: how often a threshold was passed, not an amount
        num = m.group("num") or m.group("hundreds")
        value, prefix = _ROUND_VALUES[num]
        word = m.group("word")
        qualifier = _PRE_MAP[word]
        found.append(
            Quantity(
                value,
                prefix + (m.group("unit") or m.group("count_unit") or ""),
                m.start() + len(word),
                m.end(),
                qualifier,
                False,
                m.group(0)[len(word) :],
            )
        )
        covered.append((m.start() + len(word), m.end()))
    for m in BARE_MULTIPLIER_RE.finditer(text):
        if any(lo <= m.start() < hi for lo, hi in covered) or _is_noise(text, m):
            continue
        if _POPULATION_RE.match(text, m.end()):
            continue
        if re.match(rf"(?:{_POST_ALT})的", text[m.end() : m.end() + 4]):
            continue  # 人口20万以上的县: a threshold that says which counties, not an amount
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
    for m in BARE_AT_END_RE.finditer(text):
        if any(lo <= m.start() < hi for lo, hi in covered) or _is_noise(text, m):
            continue
        qualifier = ">" if m.group("approx") or m.group("approx0") else pre_qualifier(text, m.start()) or "="
        found.append(
            Quantity(
                parse_number(m.group("num")),
                m.group("mult"),
                m.start(),
                m.end(),
                qualifier,
                False,
                m.group(0),
            )
        )
    return sorted(found, key=lambda q: q.start)


def _chinese_count(
    text: str, m: re.Match[str], value: int | float, found: list[Quantity], pending: list[int]
) -> str:
    """Whether a Chinese numeral and its measure word count something: "yes", "no", or "pending" for a 一
    that counts only if its 、 list goes on with another count.

    Chinese numerals are mostly words (一批, 两个维护, 三次产业, 四个方面), so only these contexts make a
    count: a count verb straight before it and its noun after it (建成三座体育馆, 分两批次解决); 次 before a
    counted action (三次下调贷款利率); the end of a clause opened by a count verb (新建城市绿道三条); or an
    item of a 、 list whose item before is a count (…、三条绿道、五个口袋公园). 一 counts only in such a
    list (建成一座体育馆、三条绿道); alone it is the article "a"."""
    start, end, unit, numeral = m.start(), m.end(), m.group("unit"), m.group("num")
    if unit not in COUNT_MEASURES or numeral == "二" or text.startswith(_NOT_COUNTED_AFTER, end):
        return "no"
    if start and text[start - 1] in _NOT_COUNTED_BEFORE:
        return "no"
    if start and text[start - 1] == "、":
        head = found[-1] if found else None
        counts = head is not None and (
            head.counted or head.start in pending or not head.is_chinese and head.unit in COUNT_MEASURES
        )
        listed = head is not None and re.fullmatch(r"[^，；。！？：\n,;、\d]{1,16}、", text[head.end : start])
        return "yes" if counts and listed else "no"
    before = text[max(0, start - 8) : start]
    for filler in _COUNT_FILLERS:
        if before.endswith(filler) and not before.endswith(COUNT_VERBS):
            before = before[: -len(filler)]
            break
    if before.endswith(_NOT_A_COUNT_VERB):
        return "no"
    noun_follows = _is_cjk(text[end : end + 1]) or text.startswith("“", end)  # 推出两批“…”清单
    if unit == "次" and _COUNTED_ACTION_RE.match(text, end):
        context = True  # 三次下调贷款利率
    elif noun_follows and before.endswith(COUNT_VERBS):
        context = True  # 建成三座体育馆
    elif noun_follows and before.endswith(("的", "等")) or not noun_follows and _ends_clause(text, end):
        # 出台支持民营经济的十条措施 / 建成…、…等十件民生实事 / 新建城市绿道三条
        clause = text[max(text.rfind(c, 0, start) for c in _CLAUSE_BREAK) + 1 : start]
        opener = _CLAUSE_OPENERS.match(clause)
        context = clause[opener.end() if opener else 0 :].startswith(COUNT_VERBS)
    else:
        context = False
    if not context:
        return "no"
    return "pending" if value == 1 else "yes"


def _is_age_band(text: str, unit: str, end: int) -> bool:
    """An age followed by the people it describes (60岁以上人口, 2-3岁幼儿), unlike 预期寿命79岁。"""
    return unit == "岁" and _is_cjk(text[end : end + 1])


def _share_percent(m: re.Match[str]) -> int | float:
    """The percentage a fraction (1/3 → 33.33) or tenths (4成 → 40) of SHARE_FRACTION_RE stand for."""
    if m.group("tenths"):
        return int(m.group("tenths")) * 10
    value = round(100 * int(m.group("n")) / int(m.group("d")), 2)
    return int(value) if value.is_integer() else value


def _in_medal_run(text: str, pos: int) -> bool:
    """Whether the count at ``pos`` belongs to a run of medal counts (斩获8金4银4铜)."""
    lo = pos
    while lo and (text[lo - 1].isdigit() or text[lo - 1] in MEDAL_UNITS):
        lo -= 1
    run = _MEDAL_RUN_RE.match(text, lo)
    return bool(run and run.start() <= pos < run.end())


def _ends_clause(text: str, pos: int) -> bool:
    return pos == len(text) or text[pos] in _CLAUSE_BREAK + "、"


def _at_least_before_verb(text: str, pos: int) -> str | None:
    """``每个乡镇至少办好1所`` / ``不少于新建3个``: 至少 before the verb of the count still bounds it."""
    return ">=" if re.search(r"(?:至少|不少于)[\u4e00-\u9fff]{1,2}$", text[max(0, pos - 4) : pos]) else None


_BOUND_OVER_A_PHRASE_RE = re.compile(r"(不低于|不少于|不超过|不高于)[^，；。、：\n]{1,24}的$")


def _bound_over_a_phrase(text: str, pos: int) -> str | None:
    """``不低于当地最低生活保障标准的1.6倍`` / ``不超过…原封顶线的20%``: the bound opens the phrase the number
    is a part of."""
    m = _BOUND_OVER_A_PHRASE_RE.search(text, max(0, pos - 30), pos)
    return _PRE_MAP[m.group(1)] if m else None


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
    if span.count("“") > span.count("”"):
        return not _quoted_count_list(text, lo + span.rfind("“") + 1)
    return span.count("《") > span.count("》")


def _quoted_count_list(text: str, start: int) -> bool:
    """“1家国家实验室、8个大科学装置、42家全国重点实验室”: a quoted list of three or more counts reports
    what was built, it is not a slogan."""
    end = text.find("”", start)
    return end > 0 and bool(_COUNT_LIST_RE.fullmatch(text, start, end))
