"""Sentences → mentions: each quantity with what it measures, its measure kind, qualifier and stretch.

The name of a quantity is the shortest phrase of the text that says what is measured. It is usually
written just before the number (``城镇新增就业1.3万人``), sometimes after it (``98%以上矛盾纠纷就地化解``,
``新增8个抱团发展项目``), and sometimes only once for several numbers (``新开工保障性租赁住房3067套、基本建成2201套``;
``一般公共预算收入189.4亿元、其中税收收入160.3亿元，同比分别增长6.5%和9.8%``). A number that only qualifies
a noun (``引进注册资金2000万元以上产业项目292个``) is a modifier, not a mention.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from citycockpit.report.numbers import (
    GROWTH_NAME_ENDINGS,
    MEDAL_UNITS,
    POINT_UNITS,
    QUANTITY_RE,
    STRETCH_WORDS,
    Quantity,
    find_quantities,
    growth_sign,
    pre_qualifier,
    strip_pre_qualifier,
)

SENTENCE_END = "。！？\n"
# Measure words that can stand between a number and the noun it counts: 2个幸福河湖群, 8所学校.
CLASSIFIER_UNITS = frozenset(
    "个 家 座 所 条 项 套 名 位 处 批 只 台 辆 张 件 户 支 艘 架 栋 幢 种 款 对 期 组 轮".split()
)
CLAUSE_END = "，；：。！？\n,;"
_COUNT_UNITS = CLASSIFIER_UNITS | {"名", "人", "人次"}
_CONJUNCTIONS = ("和", "及", "与", "、", "以及")
_RANGE_WORDS = ("或", "至", "到", "～", "~", "-", "—", "－")

# Words that open a clause before the measured noun: scope, connectives and the verbs of reports.
# 全社会 is not among them: 全社会固定资产投资 and 全社会研发经费投入 are the statistics bureau's own names.
_LEAD_WORDS = sorted(
    """全市 全县 全区 全省 全州 全年 全域 各类 各项 计划 今年 当年 年内 其中 累计 合计 总计 共计 同时 此外 另外 并 首次
    同比 同口径 比上年 较上年
    新改扩建 新改建 新改造 改造提升 提档改造 提档升级 规划建设 基本建成 新开工 新认定 新招录 新推出 新组建 新培育
    优化调整 加快推进 完成了 实现了 完成 实现 新增 新建 开工 建成 建设 认定 引进 招引 引育 培育 推动 推进 力争 争取
    力求 努力 确保 达到 投用 启用 落实 实施 推广 招录 获评 创成 创建 打造 发放 兑付 办理 发布 举办 开展 接待 新辟
    优化 增设 淘汰 新设 惠及 减免 上线 推出 整治 治理 受理 组织 带动 吸引 解决 帮助 支持 扶持 围绕 加快 持续 深入
    进一步 大力 积极 着力 全力 全面 提档 改造 改建 扩建 拓展 开通 开设 设立 成立 组建 入选 获批 获得 为 对
    向 在 使 将 把 的 再 又 还 年均 预计 稳定 安排 拟 坚决 守住 守牢 严守 发行 开发 改扩建 连续 压减 压降 降低 减少 削减 缩减 提高 提升 增加""".split(),
    key=len,
    reverse=True,
)
_TRAIL_WORDS = sorted(
    """同比 同口径 比上年 较上年 比去年 较去年 分别 增长 增加 提高 提升 上升 上涨 下降 降低 减少 下滑 回落 压减 压降 缩减
    削减 达到 超过 跨过 超出 突破 升至 降至 缩短至 缩短到 增至 提高到 提升至 提高至 提升到 下降到 降低到 稳定在 保持在 控制在
    不低于 不少于 不超过 低于 高于 至少 约 近 逾 超 达 为 至 到 首次 累计 合计 共 全年 年均 均 了 的 已 规模为
    完成 实现 平均 实际 拟按 按 拟安排 安排 拟 再 保持 稳定 由 从 在 力争 争取 每人""".split(),
    key=len,
    reverse=True,
)
# Lead words that say nothing about what is measured; a verb (惠及, 接待, 完成) is put back when what is left
# is a bare noun that needs it (惠及居民, 接待游客, 完成投资).
_SCOPE_WORDS = frozenset(
    """全市 全县 全区 全省 全州 全年 全域 各类 各项 今年 当年 年内 其中 累计 合计 总计 共计 同时 此外 另外 并
    首次 同比 同口径 比上年 较上年 预计 连续 力争 争取 力求 努力 确保 为 对 向 在 使 将 把 的 再 又 还 年均 加快 持续
    深入 进一步 大力 积极 着力 全力 全面 稳定 拟 计划 坚决""".split()
)
_COMPARISON_RE = re.compile(
    r"^(?:分别)?(?:(?:比|较)(?:全国|全省|全市|全区|面上|同期)(?:平均)?(?:水平)?(?:高|低|快|慢)?|(?:高于|低于|快于|慢于|高出|领先|落后)\S*)$"
)
_MAY_HOLD_NUMBER_RE = re.compile(r"[0-9一二两三四五六七八九十百千万亿]")
_LEAD_RE = re.compile("|".join(map(re.escape, _LEAD_WORDS)))
_TRAIL_RE = re.compile("(?:" + "|".join(map(re.escape, _TRAIL_WORDS)) + ")+$")
# 3000亿元专项债券 / 1000亿元专项奖补资金: money followed by the noun that says what money it is.
_MONEY_NOUN_RE = re.compile(
    r"[^，；。、：（(]{1,14}(?:债券|专项债|国债|资金|基金|贷款|补贴|补助|奖补|经费|资本金|消费券)"
)
# 3亿元撬动社会资金 / 5亿元用于…补贴: a verb after the amount, not the money's name.
_NOT_A_NOUN = (
    "撬动",
    "带动",
    "拉动",
    "吸引",
    "用于",
    "支持",
    "引导",
    "的",
    "为",
    "对",
    "向",
    "在",
    "和",
    "及",
)
# 总投资12亿元的文体综合体主体封顶: the works an amount is spent on, up to their last head noun.
_WORKS_RE = re.compile(
    r"的([^，；。、：（(]{1,20}(?:项目|工程|综合体|基地|园区|中心|枢纽|电站|机场|港区|码头|通道|大桥|隧道|"
    r"铁路|公路|医院|学校|场馆)(?:[一二三四五六七八九十\d]+期|[\u4e00-\u9fff]{1,3}段)?)"
)
# Verbs that spend or raise money: a name before an amount that is only one of them says not what it is.
_MONEY_VERBS = (
    "投资",
    "投入",
    "发行",
    "安排",
    "筹措",
    "筹集",
    "筹资",
    "下达",
    "拨付",
    "投放",
    "设立",
    "统筹",
    "用好",
)
# 投资1.2亿元新建3个养老服务中心: the verbs that say what an amount of money pays for.
_SPENDING_VERBS = (
    "新建",
    "新改扩建",
    "改扩建",
    "建设",
    "建成",
    "改造",
    "实施",
    "办好",
    "办成",
    "完成",
    "打造",
    "购置",
    "支持",
)
_LEVERAGE_VERBS = ("撬动", "带动", "拉动", "吸引")
_WORDS_ENDING_IN_A_CONJUNCTION = ("惠及", "涉及", "普及", "波及", "顾及", "触及", "参与", "总和")
_COUNTED = {"户": "households", "人": "people", "名": "people"}
_PAIR_LINKS = ("", "、", "和", "及")
# Verbs that say how many people or households a measure reached (惠及2100多万人, 覆盖3000户).
_BENEFIT_VERBS = (
    "惠及",
    "覆盖",
    "服务",
    "带动",
    "帮助",
    "帮扶",
    "吸纳",
    "接待",
    "救助",
    "资助",
    "培训",
    "受益",
)
# Where a name written after its number ends: at 、等，；。 or an aside in brackets, but not at the
# administrative levels written in brackets (县（市、区）, 州（市）级儿童急诊学科), which are part of it.
_ADMIN_LEVELS_RE = re.compile(r"[（(][市区县州旗](?:、[市区县州旗]){0,2}[）)]")  # 县（市、区）
_CURRENT_VALUE_RE = re.compile(r"现行(?:标准)?\d+(?:\.\d+)?(?:%|‰|[万亿]?元)?的?")
_ALTERNATIVE_MEASURE_RE = re.compile(r"[（(][\u4e00-\u9fff]{1,2}[）)]")
_THRESHOLD_WORDS = frozenset("大关 关口 台阶 新台阶 规模 水平".split())
_BARE_NOUNS = frozenset("居民 游客 投资 面积 资金 群众 人员 人口 企业 项目 人数 对象 家庭 农户".split())
_LEVEL_LINKS = ("达", "达到", "为", "至", "到", "在", "是")
_GENERIC_NAMES = frozenset({"总数", "总量", "总额", "总计", "总规模", "规模", "总投资"})
_CHANGE_TO_RE = re.compile(
    r"(?:增加|提高|增长|上升|提升|扩大|下降|降低|减少|缩小|压缩|缩短)?(?:到|至)|[增降升]至"
)
# 按自然口径 / 按可比价格计算 / 同口径: the basis of a figure, never its name.
_BASIS_RE = re.compile(
    r"^(?:按|以)?(?:自然|可比|同|统计)?口径(?:计算)?|^(?:按|以)(?:可比价格?|现价|不变价)(?:计算)?"
    r"|^(?:比|较)(?:\d+|[一二两三四五六七八九十]+)年前|^(?:比|较)上(?:一)?(?:次|届|期)"
)
# 增速比城镇居民高2.4个百分点 / 利润增速高于行业平均水平33个百分点: the gap to another group's rate.
_GAP_RE = re.compile(
    r"(?:(?<!不)(?:高于|低于|快于|慢于|高出|低出)[^，；。、\d]{1,14}"
    r"|比(?!上年|去年|前年|同期|年初|预算)[^，；。、\d]{1,12}(?<![提降])(?:高|低|快|慢))$"
)
_TIME_LEAD_RE = re.compile(
    r"^(?:到|至|在|截至)?(?:20\d{2}年(?:底|末|前|内)?|“?十[一二三四五六七]五”?(?:末|期末|期间|时期))"
)
# "5%—6%之间的预期目标": a number that states a target being reported on, not a result.
# 完成林分优化提升200万亩任务 is the work itself: a bare 任务 straight after the number refers to nothing.
_TARGET_REFERENCE_RE = re.compile(
    r"^(?:之间|以内)?(?:(?:的)?(?:增长|预期|年度)?目标|的(?:增长|预期|年度)?任务|(?:预期|年度)任务)"
)
_RANGE_TAIL_RE = re.compile(r"^\s*[-—–－～~至到]\s*\d+(?:\.\d+)?\S{0,4}?(?=之间|的|目标|以内)")
_ENUM_MARK_RE = re.compile(r"^(?:\d{1,2}[.．、]|[（(][0-9一二三四五六七八九十]{1,3}[）)]|[①-⑳])\s*")
_LEADING_QUANTITY_RE = re.compile(rf"^(?:{QUANTITY_RE.pattern})")
# Where a noun written after its number ends: a list mark, 等 (not inside 高等/同等/中等… or 等级), a
# bracket (not a short one that is part of the noun: 57个县（市）整体经济增速快于全省).
_TRAILING_STOP_RE = re.compile(r"[、，；。]|(?<![高中初同平对均])等(?!级)|[（(](?![^）)]{1,3}[）)])")
# 均 after a list of indicators: each has the figure (入园率和普惠率均达到93%); not 人均/年均/平均.
_EACH_RE = re.compile(r"(?<![人年平])均(?:提高|增长|下降|降低|保持在|稳定在|为|在)?$")
# 光电子信息、汽车制造、大健康3大产业: the list is counted by the N大 that ends it.
_N_KINDS_RE = re.compile(r"(?P<n>\d)大(?P<kind>[\u4e00-\u9fff]{1,4})$")
# 在巴黎奥运会、残奥会上 / 在首届全国青少年三大球比赛中: the games medals are won at.
_GAMES_RE = re.compile(r"在(?:20\d{2}年)?(?:首届|第[^，；。]{1,4}届)?([^，；。在]{1,16}?(?:会|赛))(?:上|中)")
_DURATION_RE = re.compile(r"^(?:\d+|[一二两三四五六七八九十]+)(?:年|个月)")


@dataclass(slots=True)
class Mention:
    """A quantity found in the text, named and classified. Offsets refer to the cleaned report text."""

    name: str
    measure: str  # level | growth | share
    value: int | float
    unit: str
    qualifier: str
    stretch: bool
    quote: str
    confidence: float
    start: int
    end: int
    quote_start: int
    quote_end: int
    notes: list[str] = field(default_factory=list)

    def to_item(self, *, offsets: bool = False) -> dict[str, object]:
        item: dict[str, object] = {
            "name": self.name,
            "measure": self.measure,
            "value": self.value,
            "unit": self.unit,
            "qualifier": self.qualifier,
            "stretch": self.stretch,
            "quote": self.quote,
            "confidence": round(self.confidence, 2),
        }
        if offsets:
            item["quote_start"], item["quote_end"] = self.quote_start, self.quote_end
        return item


def split_spans(text: str, lo: int, hi: int, delimiters: str) -> list[tuple[int, int]]:
    """``[lo, hi)`` cut after each delimiter character; empty pieces are dropped."""
    spans, start = [], lo
    for i in range(lo, hi):
        if text[i] in delimiters:
            if i > start:
                spans.append((start, i))
            start = i + 1
    if hi > start:
        spans.append((start, hi))
    return spans


def extract_mentions(text: str, lo: int = 0, hi: int | None = None) -> list[Mention]:
    """All named quantities in ``text[lo:hi]``, sentence by sentence."""
    hi = len(text) if hi is None else hi
    mentions: list[Mention] = []
    for s_lo, s_hi in split_spans(text, lo, hi, SENTENCE_END):
        if _MAY_HOLD_NUMBER_RE.search(text, s_lo, s_hi):
            mentions.extend(_sentence_mentions(text, s_lo, s_hi))
    return mentions


def clean_name(region: str) -> str:
    """The measured noun in the text before a number: scope words, verbs and comparison words removed."""
    s = _ENUM_MARK_RE.sub("", region.strip())
    s = _CURRENT_VALUE_RE.sub("", s)  # 将…行业现行16%的税率降至13%: the value today is no part of the name
    if "等" in s:
        after = s.rsplit("等", 1)[1]
        if len(after) >= 2:
            s = after
    last_verb = ""
    changed = True
    while changed and s:
        changed = False
        s2 = s.lstrip("、，,和及与并且以的 ")
        m = (
            _LEADING_QUANTITY_RE.match(s2)
            or _DURATION_RE.match(s2)
            or _TIME_LEAD_RE.match(s2)
            or _BASIS_RE.match(s2)
        )
        if m and m.end() > 0 and not m.group(0).endswith(("以上", "以下")):  # keep 10亿元以上项目
            s2 = s2[m.end() :]
        lead = _LEAD_RE.match(s2)
        if lead and not s2.startswith(("新增就业", "新增城镇就业")):
            w = lead.group(0)
            s2 = s2[len(w) :]
            if w not in _SCOPE_WORDS:
                last_verb = w
        if s2 != s:
            s, changed = s2, True
    s = _TRAIL_RE.sub("", s)
    s = s.strip("、，, ")
    if not s.endswith(_WORDS_ENDING_IN_A_CONJUNCTION):  # 惠及, 参与: not a dangling 及/与
        s = s.strip("和及与")
    else:
        s = s.lstrip("和及与")
    if s in _BARE_NOUNS and last_verb:
        s = last_verb + s
    return s if len(s) >= 2 and not re.fullmatch(r"[\d.%]+", s) else ""


def _without_national_scope(name: str, unit: str) -> str:
    """全国 before a statistic is its scope (全国财政支出 → 财政支出), like 全省 and 全市. Before counted things
    it is their rank and part of their name (全国重点实验室15家, 全国文明城市3个), so it stays."""
    if name.startswith("全国") and unit not in CLASSIFIER_UNITS and name[2:3] not in "和及与、":
        return clean_name(name[2:])
    return name


def _name_length(s: str) -> int:
    """How much of ``s`` a noun written after its number takes: up to a stop (_TRAILING_STOP_RE: a comma,
    an 、, 等 that is not part of 高等/中等…) or a bracket, keeping a bracket of administrative levels whole
    (县（市、区）, 县（区）)."""
    i = 0
    while i < len(s):
        levels = _ADMIN_LEVELS_RE.match(s, i)
        if levels:
            i = levels.end()
            continue
        if s[i] in "（(" or _TRAILING_STOP_RE.match(s, i):
            break  # 社区养老中心（站）: any other bracket ends the noun
        i += 1
    return i


def _trailing_name(text: str, start: int, stop: int) -> tuple[str, int]:
    """A noun written after its number (``8个抱团发展项目``, ``98%以上矛盾纠纷就地化解``) and where it ends."""
    s = text[start:stop]
    alternative = _ALTERNATIVE_MEASURE_RE.match(s)  # 7万套（间）保障性租赁住房: 套 or 间, then the noun
    if alternative:
        s, start = s[alternative.end() :], start + alternative.end()
    s = s[: _name_length(s)]
    if "”" in s and "“" not in s[: s.index("”")]:
        s = s[: s.index("”")]  # “…、10家湖北实验室”为主体: the quoted list ends the noun
    if stop < len(text) and s.endswith(("和", "及", "与")) and not s.endswith(_WORDS_ENDING_IN_A_CONJUNCTION):
        s = s[:-1]  # 10条精品旅游线路和100家…: the conjunction before the next count is no part of the name
    consumed = start + len(s)
    s = s.lstrip("的")
    for w in ("目标", "任务", "工作"):
        if s.endswith(w) and len(s) > len(w) + 1:
            s = s[: -len(w)]
    if s in _THRESHOLD_WORDS or s.startswith(("任务", "目标")):
        return "", start  # 突破万亿元大关 / 试点33项任务全部落地: named by what comes before
    return (s, consumed) if len(s) >= 2 else ("", start)


def _sentence_mentions(text: str, s_lo: int, s_hi: int) -> list[Mention]:
    sentence = text[s_lo:s_hi]
    quantities = [_shift(q, s_lo) for q in find_quantities(sentence)]
    if not quantities:
        return []
    clauses = split_spans(text, s_lo, s_hi, CLAUSE_END) or [(s_lo, s_hi)]

    def clause_of(q: Quantity) -> tuple[int, int]:
        for c in clauses:
            if c[0] <= q.start < c[1]:
                return c
        return (q.start, q.end)

    by_clause: dict[tuple[int, int], list[Quantity]] = {}
    for q in quantities:
        by_clause.setdefault(clause_of(q), []).append(q)
    modifiers: set[int] = set()
    spends: dict[int, int] = {}  # an amount of money → the count after it that it pays for
    for qs in by_clause.values():
        for i in range(len(qs) - 2, -1, -1):
            between = text[qs[i].end : qs[i + 1].start].strip()
            if not between or "、" in between:
                continue
            if between.endswith(("和", "及", "与")) and qs[i].unit.lstrip("万亿") in CLASSIFIER_UNITS:
                continue  # 10条精品旅游线路和100家精品旅游景区: two counts in a list, neither qualifies the other
            if between in _CONJUNCTIONS:
                continue
            if _CHANGE_TO_RE.fullmatch(between):
                continue  # 由1620亿元增加到2350亿元: two levels, neither qualifies a noun
            if _pays_for(qs[i], qs[i + 1], between):
                spends[qs[i].start] = qs[i + 1].start
                continue
            if _leverages(qs[i], qs[i + 1], between):
                continue
            if between in _RANGE_WORDS:
                if qs[i + 1].start in modifiers:
                    modifiers.add(qs[i].start)
                continue
            if _two_counts(text, qs[i], qs[i + 1]):
                continue
            modifiers.add(qs[i].start)

    pair_list = _household_people_pairs(text, by_clause.values())
    pairs = {second.start: first for first, second in pair_list}
    pair_heads = {first.start: second for first, second in pair_list}
    mentions: list[Mention] = []
    group_names: dict[int, tuple[str, int]] = {}
    group_qualifiers: dict[int, str] = {}  # 分别…800亿斤、60亿斤、160亿斤以上: 以上 is said once for all
    prev_end: dict[tuple[int, int], int] = {}
    for q in quantities:
        clause = clause_of(q)
        if q.start in modifiers:
            continue
        name_lo = prev_end.get(clause, clause[0])
        prev_end[clause] = q.end
        bare_ok = False
        region = text[name_lo : q.start]
        pre_text = strip_pre_qualifier(region)
        notes: list[str] = []
        confidence = 0.9
        name_text = pre_text
        if clause in prev_end and name_lo != clause[0] and "、" in pre_text:
            # 跃上1.4万亿斤新台阶、亩产提升10.1斤: what follows the last number's words names this one
            name_text = pre_text.rsplit("、", 1)[1]
        name = _without_national_scope(clean_name(name_text), q.unit)
        source_quote_start = clause[0]
        following = [x.start for x in quantities if x.start > q.start and clause_of(x) == clause]
        stops = [clause[1], *following, *([q.noun_end] if q.noun_end is not None else [])]
        after, after_end = _trailing_name(text, q.end, min(stops))
        upper = _range_upper(text, q, quantities, clause_of)
        if upper is not None and not name:
            # 新增2—3家地方国企…: the lower bound of a range takes the name written after its upper bound
            upper_stops = [
                clause[1],
                *[x.start for x in quantities if x.start > upper.start and clause_of(x) == clause],
            ]
            after, _ = _trailing_name(text, upper.end, min(upper_stops))
            after_end = q.end
        # 帮扶120户350人稳定增收 / 搬迁安置58户、170人 / 6.1万户14.2万名监测对象: one group counted in
        # households and in people; both take the name written before the pair, else the one after it.
        head = pairs.get(q.start)
        if head is not None and mentions and mentions[-1].start == head.start:
            name, source_quote_start, after = mentions[-1].name, mentions[-1].quote_start, ""
            notes.append("pair")
        elif q.start in pair_heads and not name:
            second = pair_heads[q.start]
            name, _ = _trailing_name(
                text, second.end, min([clause[1], *[f for f in following if f > second.start]])
            )
            if name:
                notes.append("pair")
        if q.counted and q.unit == "次" and len(text[q.end : min(stops)].strip()) >= 2:
            after = text[q.end : min(stops)].strip()  # 两次出台奶牛、肉牛产业纾困政策: the whole action
            after_end = min(stops)
        noun = _amount_noun(text, q, name, min(stops))
        if noun is not None:
            after, after_end = noun
        elif q.unit.endswith("元") and text.startswith(_LEVERAGE_VERBS, q.end):
            after = ""  # 筹措30.5亿元撬动…贷款: what the money draws, not what it is
        if q.start in spends and _weak_amount_name(name):
            after = ""
            notes.append("named_by_next")  # 投资1.2亿元新建3个养老服务中心: named after the centres below
        ends_open = (
            pre_text.rstrip().endswith(("、", "和", "及", "等"))
            and not pre_text.rstrip().endswith(_WORDS_ENDING_IN_A_CONJUNCTION)
            or not name
            or len(name) <= 2
            or q.noun_end is not None  # 覆盖60多万困难群众: the people counted are named after the number
        )
        if (
            after
            and (
                noun is not None
                or q.counted  # 建成三座体育馆 / 三次下调贷款利率: the thing or action counted comes after
                or ends_open
                or q.unit.lstrip("万亿") in CLASSIFIER_UNITS
                and text[q.end : q.end + 1] not in "、，；。"
            )
        ):
            prev_end[clause] = after_end
            if q.is_chinese and not q.counted:
                continue  # 七十二家理想村: a Chinese numeral before a noun is part of a name
            bare_ok = True
            name, confidence = after, confidence - 0.1
            notes.append("name_after_number")
        if q.unit in MEDAL_UNITS:
            name = _medal_name(text[clause[0] : q.start], q.unit) or name
        if q.bare and not bare_ok:
            continue  # 10亿、50亿级项目: a bare 万/亿 that counts no noun after it
        if q.start in group_names:
            name, source_quote_start = group_names[q.start]
            notes.append("distributive")
            confidence -= 0.05
        elif "分别" in region or not name and growth_sign(pre_text.rstrip()):
            # 分别增长5%和7% / 接待游客2.73亿人次、实现收入4140亿元，增长18.6%和23.4%
            group = _distributive_group(text, q, by_clause[clause])
            if name:
                names = [(n, clause[0]) for n in _split_names(name, len(group))]
            else:
                names = _previous_names(mentions, len(group))
            if len(group) > 1 and len(names) == len(group):
                for member, named in zip(group, names, strict=True):
                    group_names[member.start] = named
                    if member.qualifier == "=" and pre_qualifier(text, q.start):
                        group_qualifiers[member.start] = q.qualifier  # 分别突破1.3万亿元、7000亿元
                name, source_quote_start = group_names[q.start]
                notes.append("distributive")
                confidence -= 0.05
            elif name:
                for member in group[1:]:
                    group_names[member.start] = (name, clause[0])
            group_qualifiers.update(_shared_qualifier(group))
        elif name and (pair := _named_pair(text, q, by_clause[clause], name)):
            # 城乡低保标准提高到不低于740元/月和485元/月: one value for each of the two things named.
            for member, pair_name in zip(pair, _split_names(name, 2), strict=True):
                group_names[member.start] = (pair_name, clause[0])
            group_qualifiers.update(_shared_qualifier(pair))
            name = group_names[q.start][0]
            notes.append("distributive")
            confidence -= 0.05
        previous = mentions[-1] if mentions else None
        if _COMPARISON_RE.match(pre_text.strip("、，, ")) or _is_gap(region, q):
            continue  # 高于全国0.4个百分点: a gap to another region's figure, not an indicator of its own
        if _is_streak_or_rank_change(text, q, region):
            continue  # 连续24个月保持两位数增长 / 全国排名上升3位: a streak or a rank, not an amount
        if not name and pre_text.rstrip().endswith(_BENEFIT_VERBS):
            # 惠及5700多万人次 / 改造老旧小区20个，惠及5000多户: how many a measure reached, named by its verb
            # after the measure's own name, not as another amount of the measure.
            name = next(v for v in _BENEFIT_VERBS if pre_text.rstrip().endswith(v))
            if previous is not None:
                name, source_quote_start = previous.name + name, previous.quote_start
            notes.append("name_is_verb")
            confidence -= 0.1
        if not name:
            if previous is None:
                continue
            name, source_quote_start = previous.name, previous.quote_start
            notes.append("name_inherited")
            # "545亿元，同比增长13.9%": the usual way to give an amount's growth; only a loose guess otherwise.
            confidence -= 0.05 if previous.measure == "level" and growth_sign(pre_text.rstrip()) else 0.15
        elif previous is not None and name.endswith("后") and len(name) > 2:
            name = name + previous.name  # 剔除留抵退税因素后增长4.6%: the same indicator on another basis
            notes.append("name_completed")
            confidence -= 0.05
        elif previous is not None and (name.startswith("占") or name in _GENERIC_NAMES):
            # 研发经费投入增长8.3%，占国内生产总值比重达到2.7% / 新增规模以上工业企业37家，总数达到415家
            name = previous.name + name
            source_quote_start = previous.quote_start
            notes.append("name_completed")
            confidence -= 0.05
        if (
            _TARGET_REFERENCE_RE.match(_RANGE_TAIL_RE.sub("", text[q.end : q.end + 20], count=1))
            or re.search(r"(?:预期|年度|计划)?目标|(?:计划|年度)任务的", region)
            or re.search(r"(?:预期|年度|计划)目标|目标任务", name)
        ):
            notes.append(
                "target_reference"
            )  # 高于预期目标0.2个百分点 / 5%—6%之间的预期目标 / 是计划任务的2.1倍
        if q.is_chinese:
            confidence -= 0.15
        if len(name) > 18:
            confidence -= 0.1
        measure, value = _measure(q, region, name, mentions, notes)
        stretch = _stretch(text, s_lo, q.start)
        quote_start = min(source_quote_start, clause[0])
        quote = text[quote_start : clause[1]].strip()
        shared = _shared_names(name, pre_text) or _each_subject(name, pre_text)
        for item_name in shared or [name]:
            mentions.append(
                Mention(
                    item_name,
                    measure,
                    value,
                    q.unit,
                    group_qualifiers.get(q.start, q.qualifier),
                    stretch,
                    quote,
                    max(0.1, min(confidence - (0.05 if shared else 0), 0.99)),
                    q.start,
                    q.end,
                    quote_start,
                    clause[1],
                    [*notes, "shared"] if shared else notes,
                )
            )
    name_at = {m.start: m.name for m in mentions}
    for m in mentions:
        if "named_by_next" in m.notes and spends[m.start] in name_at:
            m.name = name_at[spends[m.start]]
    return mentions


def _each_subject(name: str, pre_text: str) -> list[str]:
    """The subjects of ``A、B和C均提高…`` (均/都 before the verb) split on 、/和/与/及 (普及率 is one word):
    one name each, else none."""
    if not re.search(r"[均都][\u4e00-\u9fff]{0,3}$", pre_text.rstrip()):
        return []
    parts = [p for p in re.split(r"[、和与]|(?<![普涉惠波顾触])及", name) if p]
    return parts if len(parts) >= 2 and all(len(p) >= 2 for p in parts) else []


def _range_upper(
    text: str, q: Quantity, quantities: list[Quantity], clause_of: Callable[[Quantity], tuple[int, int]]
) -> Quantity | None:
    """The upper bound of the range whose lower bound is ``q`` (2—3家), if ``q`` is one."""
    if q.qualifier != ">=":
        return None
    nxt = next((x for x in quantities if x.start > q.start), None)
    if nxt is None or nxt.qualifier != "<=" or clause_of(nxt) != clause_of(q):
        return None
    return nxt if text[q.end : nxt.start].strip() in _RANGE_WORDS + ("－", "–") else None


def _is_gap(region: str, q: Quantity) -> bool:
    """A rate written as its gap to another group's or region's rate (高于全省经济增速0.4个百分点)."""
    return (q.is_percent or q.unit in POINT_UNITS) and bool(
        _GAP_RE.search(strip_pre_qualifier(region).rstrip())
    )


def _is_streak_or_rank_change(text: str, q: Quantity, region: str) -> bool:
    """连续24个月 / 连续12个季度 count months of a streak; 排名上升3位 is a change of rank."""
    if q.unit == "个" and region.rstrip().endswith("连续") and text.startswith(("月", "季度"), q.end):
        return True
    return q.unit == "位" and bool(re.search(r"(?:排名|位次)[^，；。]{0,4}$", region))


def _medal_name(before: str, unit: str) -> str:
    """``在巴黎奥运会上斩获8金4银`` → 巴黎奥运会金牌 / 巴黎奥运会银牌: the games the medals were won at."""
    games = _GAMES_RE.findall(before)
    return f"{games[-1]}{unit}牌" if games else ""


def _shared_names(name: str, pre_text: str) -> list[str]:
    """One figure for each indicator of a list: ``食品、药品抽检合格率均超99%`` (均 says each has it) or
    ``光电子信息、汽车制造、大健康3大产业迈入万亿级规模`` (as many as the N大 after them). Empty otherwise."""
    counted = _N_KINDS_RE.search(name)
    if counted:
        head, kinds = name[: counted.start()], counted.group("kind")
        parts = re.split(r"[、和与及]", head)
        if len(parts) == int(counted.group("n")) > 1 and all(len(p) >= 2 for p in parts):
            return [p + kinds for p in parts]
        return []
    if not _EACH_RE.search(pre_text.rstrip()):
        return []
    k = len(re.split(r"[、和与及]", name))
    names = _split_names(name, k) if k > 1 else []
    return names if len(set(names)) == k and all(len(n) >= 2 for n in names) else []


def _two_counts(text: str, first: Quantity, second: Quantity) -> bool:
    """``新增15家备案博物馆和29家类博物馆`` / ``770家优质企业融入6条区域共建产业链``: each count is followed by
    the noun it counts, so neither qualifies the other (``86个重大项目已开工74个`` ends on its count: the
    first names what the second counts)."""
    return (
        first.unit.lstrip("万亿") in _COUNT_UNITS
        and second.unit.lstrip("万亿") in _COUNT_UNITS
        and _is_noun_start(text[first.end : first.end + 1])
        and _is_noun_start(text[second.end : second.end + 1])
    )


def _is_noun_start(char: str) -> bool:
    return bool(char) and ("\u4e00" <= char <= "\u9fff" or char == "“")


def _pays_for(amount: Quantity, count: Quantity, between: str) -> bool:
    """``投资1.2亿元新建3个养老服务中心``: an amount of money spent (not a threshold like 亿元以上) on the
    count after it, a verb between them; neither qualifies a noun of the other."""
    return (
        amount.unit.endswith("元")
        and amount.qualifier in ("=", "~")
        and count.unit in CLASSIFIER_UNITS
        and between.startswith(_SPENDING_VERBS)
    )


def _leverages(amount: Quantity, other: Quantity, between: str) -> bool:
    """``投入财政资金3亿元撬动社会资金10亿元``: public money that draws other money; two amounts of their own."""
    return (
        amount.unit.endswith("元")
        and other.unit.endswith("元")
        and amount.qualifier in ("=", "~")
        and between.startswith(_LEVERAGE_VERBS)
    )


def _weak_amount_name(name: str) -> bool:
    """A name before an amount of money that does not say what the money is (投资, 追加发行, 总投资)."""
    return not name or len(name) <= 2 or name.endswith(_MONEY_VERBS) or name in _GENERIC_NAMES


def _amount_noun(text: str, q: Quantity, name: str, stop: int) -> tuple[str, int] | None:
    """The noun after an amount of money that names it, and where it ends: what the money is
    (``3000亿元专项债券``), or the works it is spent on when the name before says nothing
    (``总投资12亿元的文体综合体主体封顶`` → 文体综合体)."""
    if not q.unit.endswith("元"):
        return None
    money = _MONEY_NOUN_RE.match(text, q.end, stop)
    if money and not money.group(0).startswith(_NOT_A_NOUN):
        return money.group(0), money.end()
    works = _WORKS_RE.match(text, q.end, stop)
    if works and _weak_amount_name(name):
        return works.group(1), works.end()
    return None


def _household_people_pairs(text: str, clauses: Iterable[list[Quantity]]) -> list[tuple[Quantity, Quantity]]:
    """Counts that give one group in households and then in people, or the other way round, straight after
    each other (``120户350人``, ``58户、170人``, ``1.2万户和3.5万名``)."""
    pairs = []
    for qs in clauses:
        for first, second in itertools.pairwise(qs):
            units = {_COUNTED.get(first.unit.lstrip("万亿")), _COUNTED.get(second.unit.lstrip("万亿"))}
            if units == {"households", "people"} and text[first.end : second.start].strip() in _PAIR_LINKS:
                pairs.append((first, second))
    return pairs


def _split_names(name: str, k: int) -> list[str]:
    """Names for ``城乡居民人均可支配收入分别增长5%和7%`` or ``城镇、农村居民人均可支配收入分别…``."""
    if k == 2 and name.startswith("城乡") and len(name) > 3:
        return ["城镇" + name[2:], "农村" + name[2:]]
    if k >= 3 and re.fullmatch(rf"[\u4e00-\u9fff]{{{k}}}(?:产量|价格|数量|面积|总量)", name):
        return [c + name[k:] for c in name[:k]]  # 粮肉奶产量 → 粮产量, 肉产量, 奶产量
    parts = re.split(r"[、和与及]", name)
    if len(parts) != k or not all(parts):
        return [name] * k
    head_len = len(parts[0])
    last = parts[-1]
    if all(len(p) == head_len for p in parts[:-1]) and len(last) > head_len + 1:
        suffix = last[head_len:]  # 城镇、农村居民… → the shared 居民人均可支配收入
        return [p + suffix for p in parts[:-1]] + [last]
    return parts


def _shift(q: Quantity, offset: int) -> Quantity:
    noun_end = q.noun_end + offset if q.noun_end is not None else None
    return dataclasses.replace(q, start=q.start + offset, end=q.end + offset, noun_end=noun_end)


def _distributive_group(text: str, first: Quantity, clause_qs: list[Quantity]) -> list[Quantity]:
    group = [first]
    for q in clause_qs:
        if q.start <= first.start:
            continue
        if text[group[-1].end : q.start].strip() in _CONJUNCTIONS:
            group.append(q)
        else:
            break
    return group


def _named_pair(text: str, first: Quantity, clause_qs: list[Quantity], name: str) -> list[Quantity] | None:
    """Two values of one unit joined by 和/、 after a name of two things (城乡…, 散居和集中养育…): the pair."""
    group = _distributive_group(text, first, clause_qs)
    if len(group) != 2 or group[0].unit != group[1].unit:
        return None
    names = _split_names(name, 2)
    return group if names[0] != names[1] else None


def _shared_qualifier(group: list[Quantity]) -> dict[int, str]:
    """A qualifier written once for a group of values (不低于740元和485元, 800亿斤、60亿斤、160亿斤以上)
    goes to the members written without one."""
    said = {q.qualifier for q in group if q.qualifier != "="}
    if len(said) != 1 or not (group[0].qualifier != "=" or group[-1].qualifier != "="):
        return {}
    qualifier = said.pop()
    return {q.start: qualifier for q in group if q.qualifier == "="}


def _previous_names(mentions: list[Mention], k: int) -> list[tuple[str, int]]:
    names: list[tuple[str, int]] = []
    for m in reversed(mentions):
        if m.measure == "level" and all(m.name != n for n, _ in names):
            names.insert(0, (m.name, m.quote_start))
        if len(names) == k:
            break
    return names


def _measure(
    q: Quantity, region: str, name: str, mentions: list[Mention], notes: list[str]
) -> tuple[str, int | float]:
    """level, growth (with its sign) or share, from the verb before the number or the one opening the clause."""
    pre_text = strip_pre_qualifier(region)
    sign = growth_sign(pre_text.rstrip())
    if sign == 0 and (q.is_percent or q.unit in POINT_UNITS) and not region.rstrip().endswith(_LEVEL_LINKS):
        sign = _opening_verb_sign(pre_text)  # 压减一般性支出10%以上
    inherits = "distributive" in notes or "name_inherited" in notes
    if (
        sign == 0
        and inherits
        and mentions
        and mentions[-1].measure == "growth"
        and mentions[-1].unit == q.unit
    ):
        sign = -1 if mentions[-1].value < 0 else 1  # 增长6%左右，力争7%
    if q.unit in POINT_UNITS or q.unit == "倍" and sign:  # 网络货运量增长3.5倍
        return "growth", -q.value if sign < 0 else q.value
    if q.is_percent:
        if sign == 0 and name.endswith("降幅"):
            sign = -1  # 能耗降幅超过3%: a fall of more than 3%
        if sign or name.endswith(GROWTH_NAME_ENDINGS):
            return "growth", -q.value if sign < 0 else q.value
        return "share", q.value
    return "level", q.value


def _opening_verb_sign(pre_text: str) -> int:
    s = pre_text.lstrip("、，,和及与并且 ")
    for verb in ("压减", "压降", "降低", "减少", "削减", "缩减"):
        if s.startswith(verb):
            return -1
    for verb in ("提高", "提升", "增加"):
        if s.startswith(verb):
            return 1
    return 0


def _stretch(text: str, s_lo: int, pos: int, words: tuple[str, ...] = STRETCH_WORDS) -> bool:
    """力争/争取 reaches every number after it up to the next comma or semicolon (an 、 list stays inside)."""
    before = text[s_lo:pos]
    cut = max(before.rfind(c) for c in "，；,;")
    while cut > 0 and before[cut + 1 :].startswith(("其中", "并", "且")):  # 力争…50个以上，其中…不少于8个
        cut = max(before.rfind(c, 0, cut) for c in "，；,;")
    scope = before[cut + 1 :]
    return any(w in scope for w in words)
