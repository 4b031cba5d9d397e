"""numbers.py: numerals, units, qualifiers, growth verbs; and how extract.py names what they measure."""

import pytest

from citycockpit.report.extract import extract_mentions
from citycockpit.report.numbers import find_quantities, growth_sign, parse_number


def only(text):
    found = find_quantities(text)
    assert len(found) == 1, found
    q = found[0]
    return q.value, q.unit, q.qualifier


def items(text):
    return [(m.name, m.measure, m.value, m.unit, m.qualifier, m.stretch) for m in extract_mentions(text)]


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1.3", 1.3),
        ("1,200", 1200),
        ("5", 5),
        ("十二", 12),
        ("一千二百", 1200),
        ("两万", 20000),
        ("3.5万", 35000),
        ("1.3万亿", 1_300_000_000_000),
        ("二十三", 23),
    ],
)
def test_numerals_parse_as_written(written, value):
    assert parse_number(written) == value


def test_a_word_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        parse_number("若干")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("城镇新增就业1.3万人", (1.3, "万人", "=")),
        ("一般公共预算收入189.4亿元", (189.4, "亿元", "=")),
        ("实际使用外资5.34亿美元", (5.34, "亿美元", "=")),
        ("集装箱吞吐量803.9万标箱", (803.9, "万标箱", "=")),
        ("货物吞吐量2.75亿吨", (2.75, "亿吨", "=")),
        ("粮食总产量38.6万吨", (38.6, "万吨", "=")),
        ("PM2.5年均浓度24微克/立方米", (24, "微克/立方米", "=")),
        ("高标准农田1.88万亩", (1.88, "万亩", "=")),
        ("造林700亩", (700, "亩", "=")),
        ("污水管网51公里", (51, "公里", "=")),
        ("污水管网38千米", (38, "千米", "=")),
        ("充电站40座", (40, "座", "=")),
        ("人才公寓3365套", (3365, "套", "=")),
        ("学校8所", (8, "所", "=")),
        ("国家标准68项", (68, "项", "=")),
        ("惠及居民4800户", (4800, "户", "=")),
        ("新增产业载体154万平方米", (154, "万平方米", "=")),
        ("柴油车1500辆", (1500, "辆", "=")),
        ("专线3条", (3, "条", "=")),
        ("床位300张", (300, "张", "=")),
        ("接待游客750万人次", (750, "万人次", "=")),
        ("活动3000场次", (3000, "场次", "=")),
        ("企业10家", (10, "家", "=")),
        ("项目3个", (3, "个", "=")),
        ("专项资金5376.7万元", (5376.7, "万元", "=")),
        ("教师389名", (389, "名", "=")),
        ("增长5%", (5, "%", "=")),
        ("提高0.2个百分点", (0.2, "个百分点", "=")),
        ("粮食产量1.3万亿斤", (1.3, "万亿斤", "=")),
        ("增长百分之五十", (50, "%", "=")),
        ("新增学位一千二百个", (1200, "个", "=")),
        ("新增就业五万人", (5, "万人", "=")),
    ],
)
def test_each_unit_keeps_its_prefix_and_the_value_as_written(text, expected):
    assert only(text) == expected


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("增长5%以上", ">="),
        ("达到90%及以上", ">="),
        ("不低于3000人", ">="),
        ("不少于20所", ">="),
        ("营收超1400亿元", ">"),
        ("超过60%", ">"),
        ("首次突破1亿吨", ">"),
        ("诉求166万余件", ">"),
        ("24微克/立方米以下", "<="),
        ("控制在3.5%以内", "<="),
        ("控制在3.2%", "<="),
        ("不超过5%", "<="),
        ("增长5%左右", "~"),
        ("约45亿元", "~"),
        ("近200家", "~"),
        ("达3.9%", "="),
        ("达到2.6%", "="),
        ("5.5%", "="),
    ],
)
def test_qualifiers_before_and_after_the_number(text, qualifier):
    assert only(text)[2] == qualifier


def test_a_qualifier_after_the_unit_wins_over_one_before_it():
    assert only("居民消费价格涨幅控制在3%左右")[2] == "~"


@pytest.mark.parametrize(
    "text",
    [
        "规模以上工业产值",
        "苏州市级以上人才",
        "较大及以上事故",
        "位列全省第2位",
        "排名前3名",
        "世界500强",
        "“5+1”轨道交通",
        "G60科创走廊",
        "220千伏变电站",
        "一个半小时",
        "两所大学",
        "“十个百万”",
        "连续八年",
        "2024年1月9日",
        "《行动计划（2023—2025）》",
        "10亿、50亿级项目",
    ],
)
def test_nouns_ranks_names_dates_and_slogans_hold_no_quantity(text):
    assert find_quantities(text) == []


@pytest.mark.parametrize(
    ("before", "sign"),
    [
        ("增长", 1),
        ("同比增长", 1),
        ("提高", 1),
        ("下降", -1),
        ("降低", -1),
        ("减少", -1),
        ("降至", 0),
        ("提高到", 0),
        ("达", 0),
    ],
)
def test_growth_verbs_give_a_sign_and_target_levels_do_not(before, sign):
    assert growth_sign(before) == sign


def test_a_decrease_is_negative_growth():
    assert items("单位地区生产总值能耗下降3%。") == [("单位地区生产总值能耗", "growth", -3, "%", "=", False)]


def test_falling_to_a_value_is_a_level_not_a_decrease():
    assert items("PM2.5平均浓度降至31微克/立方米。")[0][1:3] == ("level", 31)


def test_a_reduction_verb_that_opens_the_clause_makes_negative_growth():
    assert items("压减一般性支出10%以上。") == [("一般性支出", "growth", -10, "%", ">=", False)]


@pytest.mark.parametrize(
    ("text", "measure"),
    [
        ("工业投资增长10%。", "growth"),
        ("城镇调查失业率5.5%左右。", "share"),
        ("办件满意度98%。", "share"),
        ("占规上产值比重达75.5%。", "share"),
        ("居民消费价格涨幅3%左右。", "growth"),
        ("研发经费投入强度提高0.2个百分点。", "growth"),
        ("森林覆盖率提高到41%。", "share"),
        ("实际使用外资5.34亿美元。", "level"),
    ],
)
def test_percentages_are_growth_shares_or_rates(text, measure):
    assert items(text)[0][1] == measure


def test_a_distributive_sentence_gives_each_indicator_its_own_growth():
    text = "完成一般公共预算收入189.4亿元、其中税收收入160.3亿元，同比分别增长6.5%和9.8%。"
    assert items(text) == [
        ("一般公共预算收入", "level", 189.4, "亿元", "=", False),
        ("税收收入", "level", 160.3, "亿元", "=", False),
        ("一般公共预算收入", "growth", 6.5, "%", "=", False),
        ("税收收入", "growth", 9.8, "%", "=", False),
    ]


def test_a_distributive_sentence_over_urban_and_rural_splits_the_name():
    names = [i[0] for i in items("城乡居民人均可支配收入分别增长5.0%和7.3%。")]
    assert names == ["城镇居民人均可支配收入", "农村居民人均可支配收入"]


def test_a_distributive_sentence_over_a_list_shares_the_suffix():
    names = [i[0] for i in items("城镇、农村居民人均可支配收入分别增长5.1%和7.0%。")]
    assert names == ["城镇居民人均可支配收入", "农村居民人均可支配收入"]


def test_an_enumeration_names_each_count():
    text = "新增国家级专精特新“小巨人”企业12家、省独角兽（潜在）企业10家。"
    assert [(i[0], i[2]) for i in items(text)] == [
        ("国家级专精特新“小巨人”企业", 12),
        ("省独角兽（潜在）企业", 10),
    ]


def test_an_enumeration_without_a_second_noun_repeats_the_first():
    names = [i[0] for i in items("新开工保障性租赁住房3067套、基本建成2201套。")]
    assert names == ["保障性租赁住房", "保障性租赁住房"]


def test_a_growth_in_the_next_clause_belongs_to_the_amount_before_it():
    assert items("完成全社会固定资产投资545亿元，同比增长13.9%。")[1][:3] == (
        "全社会固定资产投资",
        "growth",
        13.9,
    )


def test_a_qualifier_and_number_before_their_noun_name_the_noun_after():
    assert items("98%以上矛盾纠纷就地化解。") == [("矛盾纠纷就地化解", "share", 98, "%", ">=", False)]


def test_a_count_before_its_noun_takes_the_noun_after_it():
    assert items("建成5个“慧种地”无人农场。")[0][0] == "“慧种地”无人农场"


def test_a_number_that_only_qualifies_a_noun_is_not_an_item():
    text = "引进注册资金2000万元以上产业项目292个。"
    assert items(text) == [("注册资金2000万元以上产业项目", "level", 292, "个", "=", False)]


def test_a_chinese_numeral_inside_a_proper_name_is_not_an_item():
    assert items("阿尔卑斯度假区、七十二家理想村开业。") == []


def test_one_stretch_word_covers_both_targets_of_its_clause():
    text = "力争PM2.5年均浓度24微克/立方米以下、空气优良天数比例86%以上，空气质量排名保持全省领先。"
    assert items(text) == [
        ("PM2.5年均浓度", "level", 24, "微克/立方米", "<=", True),
        ("空气优良天数比例", "share", 86, "%", ">=", True),
    ]


def test_stretch_stops_at_the_next_clause():
    assert [i[5] for i in items("力争新增企业6家，新建道路20公里。")] == [True, False]


def test_a_second_target_under_stretch_takes_the_name_and_growth_of_the_first():
    assert items("地区生产总值增长6%左右，力争7%。")[1] == ("地区生产总值", "growth", 7, "%", "=", True)


def test_comparison_bases_are_not_names():
    names = [
        i[0]
        for i in items(
            "一般公共预算收入同口径增长4%，规上汽车零部件企业产值同比增长7%，比上年提高2个百分点。"
        )
    ]
    assert names[:2] == ["一般公共预算收入", "规上汽车零部件企业产值"]
    assert "同比" not in names[2] and "比上年" not in names[2]


def test_a_share_written_after_its_subject_borrows_the_subject():
    assert items("全社会研发经费投入增长8.3%，占国内生产总值比重达到2.7%。")[1][:2] == (
        "全社会研发经费投入占国内生产总值比重",
        "share",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("增长5%—6%", [(5, "%", ">="), (6, "%", "<=")]),
        ("增长6-7%", [(6, "%", ">="), (7, "%", "<=")]),
        ("新建改扩建学校10—12所", [(10, "所", ">="), (12, "所", "<=")]),
    ],
)
def test_a_range_gives_its_lower_and_upper_bound(text, expected):
    assert [(q.value, q.unit, q.qualifier) for q in find_quantities(text)] == expected


def test_duo_before_a_multiplier_means_more_than():
    assert only("发放各类补贴资金3000多万元") == (3000, "万元", ">")


def test_a_change_from_one_level_to_another_keeps_both_levels():
    assert [i[:3] for i in items("地区生产总值由1620亿元增加到2350亿元。")] == [
        ("地区生产总值", "level", 1620),
        ("地区生产总值", "level", 2350),
    ]


def test_a_year_at_the_start_of_a_clause_is_not_part_of_the_name():
    assert items("预计到2026年地区生产总值突破3000亿元。")[0][:3] == ("地区生产总值", "level", 3000)


@pytest.mark.parametrize(
    "text", ["地区生产总值增长5.4%，高于全国0.4个百分点。", "地区生产总值增长5.4%，比全省高0.4个百分点。"]
)
def test_a_gap_to_another_regions_figure_is_not_an_item(text):
    assert [i[2] for i in items(text)] == [5.4]


def test_a_scope_word_before_a_count_is_not_a_comparison():
    assert [i[2] for i in items("全市1265家规模以上工业企业实现产值3210亿元。")] == [3210]


@pytest.mark.parametrize("text", ["建设15分钟便民生活圈", "提供24小时自助服务", "打造1小时通勤圈"])
def test_a_duration_that_names_a_thing_is_not_a_quantity(text):
    assert find_quantities(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("审批时间缩短至6天。", (6, "天", "=")), ("办结时限压缩至3个工作日以内", (3, "个工作日", "<="))],
)
def test_a_duration_that_is_measured_is_a_quantity(text, expected):
    assert only(text) == expected


def test_a_basis_phrase_is_not_a_name():
    text = "一般公共预算收入26.1亿元，按自然口径下降8.5%、扣除留抵退税因素后增长5.2%。"
    assert [i[:3] for i in items(text)] == [
        ("一般公共预算收入", "level", 26.1),
        ("一般公共预算收入", "growth", -8.5),
        ("扣除留抵退税因素后一般公共预算收入", "growth", 5.2),
    ]


def test_a_bare_wan_before_the_noun_it_counts_is_an_amount():
    assert items("1.2万小微主体获得首贷。")[0][1:4] == ("level", 1.2, "万")


def test_a_bare_wan_before_people_counts_people_and_the_name_stops_at_them():
    assert items("18.6万建档立卡贫困人口全部脱贫。")[0][:4] == ("建档立卡贫困人口", "level", 18.6, "万人")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全年为2600多万城乡居民代缴保费。", ("城乡居民", "level", 2600, "万人", ">")),
        ("易地搬迁惠及3万余户家庭。", ("家庭", "level", 3, "万户", ">")),
        ("共有5万多家庭住进新房。", ("家庭", "level", 5, "万户", ">")),
    ],
)
def test_duo_or_yu_around_a_bare_wan_means_more_than(text, expected):
    assert items(text)[0][:5] == expected


def test_a_whole_population_named_with_pride_is_not_an_amount():
    assert items("3000万三秦儿女奋勇争先，800万本地人民倍受鼓舞。") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500余家商户受益。", (500, "家", ">")),
        ("送医下乡服务超过1200万人次。", (1200, "万人次", ">")),
        ("全年减税降费2万多亿元。", (2, "万亿元", ">")),
    ],
)
def test_more_than_written_with_yu_duo_or_chaoguo_is_kept(text, expected):
    assert [(i[2], i[3], i[4]) for i in items(text)] == [expected]


def test_how_many_a_measure_reached_is_named_by_its_verb():
    text = "新建社区食堂60个，惠及3万多人。"
    assert items(text)[1][:5] == ("社区食堂惠及", "level", 3, "万人", ">")


def test_how_many_a_measure_reached_alone_in_its_sentence_keeps_the_verb():
    assert items("门诊费用实现异地直接结算，惠及900多万人次。")[0][:4] == ("惠及", "level", 900, "万人次")


def test_a_bare_yi_that_counts_no_noun_is_not_an_amount():
    assert items("推动10亿、50亿级项目集群持续壮大。") == []


def test_a_scope_word_is_dropped_but_an_official_name_is_kept_whole():
    text = "全县全社会固定资产投资增长8%左右，全市全社会用电量增长6%。"
    assert [i[0] for i in items(text)] == ["全社会固定资产投资", "全社会用电量"]


def test_the_whole_country_is_a_scope_before_a_statistic():
    assert items("全国一般公共预算支出增长4%。")[0][0] == "一般公共预算支出"


def test_the_whole_country_is_part_of_the_name_of_counted_things():
    assert items("新增全国重点实验室3家。")[0][0] == "全国重点实验室"


@pytest.mark.parametrize(
    "text",
    ["结对帮扶85户230人实现增收。", "异地安置42户、135人。", "易地搬迁1.1万户和4.2万人。"],
)
def test_households_and_people_of_one_group_are_two_items_with_one_name(text):
    found = items(text)
    assert [i[3][-1] for i in found] == ["户", "人"]
    assert found[0][0] == found[1][0] and found[0][0]


def test_a_pair_written_before_its_noun_takes_the_noun_for_both():
    found = items("3200户9600名受灾群众住进新居。")
    assert [(i[0][:4], i[2], i[3]) for i in found] == [("受灾群众", 3200, "户"), ("受灾群众", 9600, "名")]


def test_two_counts_of_other_things_keep_their_own_names():
    assert [i[0] for i in items("新建幼儿园6所、2400个学位。")] == ["幼儿园", "学位"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("增发2000亿元特别国债。", ("特别国债", "亿元")),
        ("市财政另行安排800万元创业补贴。", ("创业补贴", "万元")),
        ("总投资8亿元的滨江文化中心主体完工。", ("滨江文化中心", "亿元")),
        ("计划投资26亿元的沿江快速路二期工程北段建成通车。", ("沿江快速路二期工程北段", "亿元")),
    ],
)
def test_an_amount_before_its_noun_is_named_by_that_noun(text, expected):
    assert [(i[0], i[3]) for i in items(text)] == [expected]


def test_an_amount_spent_on_a_count_is_an_item_named_like_the_count():
    assert [i[:4] for i in items("投资3.5亿元改扩建4所乡镇卫生院。")] == [
        ("乡镇卫生院", "level", 3.5, "亿元"),
        ("乡镇卫生院", "level", 4, "所"),
    ]


def test_a_threshold_amount_before_a_count_still_only_qualifies_it():
    assert [i[2:4] for i in items("总投资5亿元以上新建项目20个。")] == [(20, "个")]


def test_money_that_draws_other_money_gives_two_amounts():
    found = items("投入财政资金2亿元撬动社会资本6亿元。")
    assert [i[2] for i in found] == [2, 6]
    assert found[0][0].endswith("财政资金")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今年央行两次下调存款准备金率。", [("下调存款准备金率", 2, "次")]),
        ("分三批次完成危房改造。", [("完成危房改造", 3, "批次")]),
        ("年内新建社区食堂五个。", [("社区食堂", 5, "个")]),
        ("出台支持个体工商户发展的十条措施。", [("措施", 10, "条")]),
        ("累计建成了三座污水处理厂。", [("污水处理厂", 3, "座")]),
    ],
)
def test_a_chinese_numeral_with_a_measure_word_counts_in_a_count_context(text, expected):
    assert [(i[0], i[2], i[3]) for i in items(text)] == expected


def test_a_chinese_one_counts_in_a_list_of_counts():
    found = items("年内建成一座游泳馆、四条健身步道、六个街心花园。")
    assert [(i[0], i[2], i[3]) for i in found] == [
        ("游泳馆", 1, "座"),
        ("健身步道", 4, "条"),
        ("街心花园", 6, "个"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "一是稳增长，二是保民生。",
        "实施一批重点工程。",
        "推进长三角一体化发展。",
        "一些企业经营困难。",
        "一方面扩大内需，另一方面稳定外需。",
        "深化两岸融合发展，做好三农工作。",
        "坚持四个全面，做到两个维护。",
        "位列全省第一，实现第三次翻番。",
        "编制十四五规划。",
        "推动三次产业协调发展。",
        "重点抓好以下五个方面工作。",
        "出口保持两位数增长。",
        "建成一座体育馆。",
        "实施二次供水改造。",
        "划分三个片区。",
        "珍惜每一次进步，一举两得，三令五申。",
        "习近平总书记两次莅临考察。",
        "用好国内国际两个市场。",
    ],
)
def test_chinese_numerals_in_words_idioms_and_ranks_count_nothing(text):
    assert items(text) == []


def test_people_counted_by_a_bare_wan_are_named_after_the_number_even_with_a_name_before():
    assert items("低保政策覆盖60多万困难群众。")[0][:4] == ("困难群众", "level", 60, "万人")


def test_a_verb_ending_in_ji_keeps_its_last_character():
    assert items("城乡居民医保惠及4200多万人。")[0][0] == "城乡居民医保惠及"


def test_a_classifier_with_wan_still_counts_the_noun_after_it():
    assert items("长期护理保险试点惠及1.2万个家庭。")[0][0] == "家庭"


def test_a_level_written_with_zai_does_not_keep_zai_in_its_name():
    assert items("物价涨幅在2.5%左右。")[0][:3] == ("物价涨幅", "growth", 2.5)


def test_a_range_written_with_a_full_width_hyphen_gives_both_bounds():
    assert items("全县财政收入增长4%－4.5%") == [
        ("财政收入", "growth", 4, "%", ">=", False),
        ("财政收入", "growth", 4.5, "%", "<=", False),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全年接待游客800万以上，", ("接待游客", "level", 800, "万", ">=", False)),
        ("快递业务量近3亿。", ("快递业务量", "level", 3, "亿", "~", False)),
        ("帮扶对象力争达到20万", ("帮扶对象", "level", 20, "万", "=", True)),
    ],
)
def test_a_bare_wan_ending_its_clause_is_an_amount_of_what_is_named_before(text, expected):
    assert items(text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("每月补贴标准达到300元/月", (300, "元/月")),
        ("新增供水能力5万吨/日", (5, "万吨/日")),
        ("泵站排涝能力80立方米/秒", (80, "立方米/秒")),
    ],
)
def test_a_rate_per_period_keeps_its_period_in_the_unit(text, expected):
    assert [i[2:4] for i in items(text)] == [expected]


def test_a_qualifier_said_once_for_two_named_values_goes_to_both():
    assert items("城乡特困供养标准提高到不低于900元/月和700元/月") == [
        ("城镇特困供养标准", "level", 900, "元/月", ">=", False),
        ("农村特困供养标准", "level", 700, "元/月", ">=", False),
    ]


def test_a_qualifier_said_once_after_a_distributive_list_goes_to_every_value():
    assert items("茶果菜产量分别稳定在12万吨、30万吨、55万吨以上。") == [
        ("茶产量", "level", 12, "万吨", ">=", False),
        ("果产量", "level", 30, "万吨", ">=", False),
        ("菜产量", "level", 55, "万吨", ">=", False),
    ]


def test_a_circled_list_number_is_no_part_of_a_name():
    assert items("③新建口袋公园20个")[0][0] == "口袋公园"


@pytest.mark.parametrize("noun", ["纳税人", "残疾人", "参保人"])
def test_taxpayers_disabled_people_and_the_insured_counted_by_a_bare_wan_are_people(noun):
    assert items(f"让约30万{noun}享受新政策。")[0][2:5] == (30, "万人", "~")


def test_the_aspects_a_speech_is_divided_into_are_not_a_count():
    assert items("今年要着力抓好以下7个方面的工作。") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电子信息产业营收突破万亿元大关。", ("电子信息产业营收", "level", 1, "万亿元", ">", False)),
        ("力争数字经济规模稳定在千亿元以上。", ("数字经济规模", "level", 1000, "亿元", ">=", True)),
        ("农产品网络零售额突破百亿。", ("农产品网络零售额", "level", 100, "亿", ">", False)),
        ("规上工业产值跨过千亿元，", ("规上工业产值", "level", 1000, "亿元", ">", False)),
    ],
)
def test_a_magnitude_written_as_a_word_after_a_verb_of_reaching_is_an_amount(text, expected):
    assert items(text) == [expected]


@pytest.mark.parametrize("text", ["打造万亿级新能源产业。", "带动数千亿元社会投资。", "培育超千亿元县3个。"])
def test_a_magnitude_word_that_names_a_class_is_not_an_amount(text):
    assert [i for i in items(text) if i[3] in ("万亿元", "亿元")] == []


def test_two_counts_joined_by_he_are_both_items():
    assert [i[:4] for i in items("新建5条健身步道和12个口袋公园，")] == [
        ("健身步道", "level", 5, "条"),
        ("口袋公园", "level", 12, "个"),
    ]


def test_the_lower_bound_of_a_range_takes_the_name_written_after_the_upper():
    assert [i[0] for i in items("力争新增4—6家企业进入全国百强。")] == ["企业进入全国百强"] * 2


def test_at_least_before_the_verb_of_a_count_bounds_it():
    assert items("每个街道至少建成1个社区食堂。")[0][2:5] == (1, "个", ">=")


@pytest.mark.parametrize(
    "text", ["为80岁以上老人发放高龄津贴。", "鼓励托育机构招收2-3岁幼儿。", "关爱14岁以下留守儿童。"]
)
def test_an_age_that_describes_the_people_meant_is_not_an_amount(text):
    assert [i for i in items(text) if i[3] == "岁"] == []


def test_a_life_expectancy_in_years_is_still_an_amount():
    assert items("人均预期寿命提高到80.2岁。")[0][2:4] == (80.2, "岁")


def test_administrative_levels_in_brackets_stay_in_a_name_written_after_its_number():
    assert items("推动28个县（市、区）建成数字乡村示范点，")[0][0] == "县（市、区）建成数字乡村示范点"
    assert items("新建5个社区养老中心（站），")[0][0] == "社区养老中心"


def test_an_alternative_measure_word_in_brackets_is_skipped_before_the_noun():
    assert items("新筹集2000套（间）人才公寓，")[0][0] == "人才公寓"


def test_the_end_of_a_five_year_plan_before_a_total_is_no_part_of_its_name():
    assert [i[0] for i in items("新增公租房300套，“十四五”末总量达到5000套。")] == ["公租房", "公租房总量"]


def test_the_current_value_inside_a_name_is_no_part_of_it():
    assert items("将城乡居民医保现行520元的补助标准提高到550元")[0][0] == "城乡居民医保补助标准"


def test_a_task_counted_by_its_amount_is_the_work_not_a_reference_to_a_target():
    assert items("今年完成高标准农田建设30万亩任务。")[0][:4] == ("高标准农田建设", "level", 30, "万亩")


def test_a_number_before_the_years_task_still_refers_to_the_target():
    (mention,) = extract_mentions("城镇新增就业超额完成5万人年度任务。")
    assert "target_reference" in mention.notes


def test_a_task_counted_by_its_amount_is_no_reference_to_a_target():
    (mention,) = extract_mentions("今年完成高标准农田建设30万亩任务。")
    assert "target_reference" not in mention.notes


def test_a_bound_that_opens_the_phrase_a_number_ends_bounds_it():
    assert items("补助标准不低于当地低保标准的30%。")[0][2:5] == (30, "%", ">=")


def test_a_bare_wan_threshold_before_de_says_which_places_and_is_no_amount():
    assert items("在6个常住人口10万以上的镇建设文化中心，") == [
        ("常住人口10万以上的镇建设文化中心", "level", 6, "个", "=", False)
    ]


def test_what_is_held_firmly_is_named_after_its_number():
    assert items("坚决守住30万亩永久基本农田。")[0][0] == "永久基本农田"


def test_a_change_said_once_for_several_subjects_with_jun_gives_one_item_each():
    assert [(i[0], i[2]) for i in items("城乡燃气、供水普及率和污水处理率均提高2个百分点。")] == [
        ("城乡燃气", 2),
        ("供水普及率", 2),
        ("污水处理率", 2),
    ]
