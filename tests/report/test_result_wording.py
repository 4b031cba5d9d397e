"""Wordings of last year's results seen on real reports: units, medals, multiples and secured money."""

import pytest

from citycockpit.report.extract import extract_mentions


def items(text):
    return [(m.name, m.measure, m.value, m.unit, m.qualifier) for m in extract_mentions(text)]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("上线政务大模型12款。", "款"),
        ("新结对友好城市3对。", "对"),
        ("开行货运班列800列。", "列"),
        ("举办读书沙龙6期。", "期"),
        ("完成国企重组5组。", "组"),
        ("抵御寒潮4轮。", "轮"),
        ("纳入集采的药品120种。", "种"),
        ("全年发电2800亿度。", "亿度"),
        ("跨海大桥日均车流量5万辆次。", "万辆次"),
        ("再生水处理能力12万吨/日。", "万吨/日"),
        ("智能算力达到3500PF。", "PF"),
    ],
)
def test_units_of_real_reports_are_read_with_their_number(text, unit):
    assert [i[3] for i in items(text)] == [unit]


def test_a_multiple_after_a_growth_verb_is_growth_in_times():
    assert items("快递业务量增长2.5倍。") == [("快递业务量", "growth", 2.5, "倍", "=")]


def test_medals_are_counted_by_kind_and_named_after_the_games():
    assert items("我市选手在全省运动会上夺得5金3银2铜。") == [
        ("全省运动会金牌", "level", 5, "金", "="),
        ("全省运动会银牌", "level", 3, "银", "="),
        ("全省运动会铜牌", "level", 2, "铜", "="),
    ]


def test_jin_after_a_bare_yi_is_not_a_medal():
    assert items("设立20亿金融稳定基金。") == [("金融稳定基金", "level", 20, "亿", "=")]


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("全县文旅收入首次突破百亿元。", ("文旅收入", "level", 100, "亿元", ">")),
        ("园区工业总产值跨过千亿元大关。", ("园区工业总产值", "level", 1000, "亿元", ">")),
        ("港口吞吐量破亿、居全省首位。", ("港口吞吐量", "level", 1, "亿", ">")),
        ("电子信息产业迈上万亿新台阶。", ("电子信息产业", "level", 1, "万亿", ">=")),
        ("开展便民服务超万场。", ("便民服务", "level", 1, "万场", ">")),
    ],
)
def test_a_round_amount_written_as_its_magnitude_is_a_threshold(text, item):
    assert items(text) == [item]


def test_a_round_amount_that_names_a_thing_or_counts_days_is_no_item():
    assert items("新增千亿级产业2个。") == [("千亿级产业", "level", 2, "个", "=")]
    assert [i[2] for i in items("电网负荷12天破亿。")] == []


def test_stepping_onto_a_level_is_at_least_that_level():
    assert items("全市经济总量迈上3000亿元台阶。") == [("经济总量", "level", 3000, "亿元", ">=")]


def test_students_counted_by_a_bare_wan_are_people():
    assert [i[3] for i in items("助学金惠及20多万在校生。")] == ["万人"]


def test_jun_after_a_list_of_indicators_gives_each_of_them_the_figure():
    assert items("城区和乡镇污水处理率均达到95%。") == [
        ("城区污水处理率", "share", 95, "%", "="),
        ("乡镇污水处理率", "share", 95, "%", "="),
    ]


def test_a_list_counted_by_n_da_gives_each_member_the_figure():
    assert [i[0] for i in items("纺织、食品2大产业迈上千亿级规模。")] == ["纺织产业", "食品产业"]


def test_an_average_is_not_a_list_shared_by_jun():
    assert [i[0] for i in items("农民人均收入年均增长7%。")] == ["农民人均收入"]


def test_a_bare_wan_ending_its_clause_is_named_by_the_words_before_it():
    assert items("新增注册志愿者12万、社区网格员3.5万。") == [
        ("注册志愿者", "level", 12, "万", "="),
        ("社区网格员", "level", 3.5, "万", "="),
    ]


def test_two_counts_each_followed_by_its_noun_are_both_items():
    assert items("新建12个口袋公园和30条健身步道。") == [
        ("口袋公园", "level", 12, "个", "="),
        ("健身步道", "level", 30, "条", "="),
    ]


def test_a_count_whose_noun_is_counted_again_at_the_clause_end_stays_a_modifier():
    assert [i[2] for i in items("40个民生项目已完工35个。")] == [35]


def test_a_noun_after_its_number_keeps_gaodeng_and_a_short_bracket():
    assert [i[0] for i in items("新增3所高等职业学校，12个县（区）通过义务教育优质均衡验收。")] == [
        "高等职业学校",
        "县（区）通过义务教育优质均衡验收",
    ]


def test_a_bracket_straight_after_the_unit_is_no_name():
    assert [i[0] for i in items("新建人才公寓500套（间）。")] == ["人才公寓"]


def test_a_quoted_list_of_counts_is_counted_and_a_quoted_slogan_is_not():
    assert items("形成“2个国家级孵化器、5家省级研究院、9个科创飞地”的布局。") == [
        ("国家级孵化器", "level", 2, "个", "="),
        ("省级研究院", "level", 5, "家", "="),
        ("科创飞地", "level", 9, "个", "="),
    ]
    assert items("实施“3个100”工程。") == []


@pytest.mark.parametrize(
    ("text", "value", "qualifier"),
    [
        ("光伏组件产量占全国1/5。", 20, "="),
        ("锂电池出口占全国超3成。", 30, ">"),
        ("茶叶产量占全国比重近1/3。", 33.33, "~"),
    ],
)
def test_a_share_written_as_a_fraction_or_in_tenths_is_a_percentage(text, value, qualifier):
    assert [(i[1], i[2], i[3], i[4]) for i in items(text)] == [("share", value, "%", qualifier)]


def test_a_fraction_outside_a_share_is_no_item():
    assert items("于2024/12/1起施行。") == []


def test_batches_put_out_with_a_quoted_noun_are_counted():
    assert items("推出三批“一件事一次办”事项清单。") == [("“一件事一次办”事项清单", "level", 3, "批", "=")]


def test_a_fall_named_by_jiangfu_is_negative_growth():
    assert items("单位产值水耗降幅超过4%。") == [("单位产值水耗降幅", "growth", -4, "%", ">")]


def test_a_second_figure_after_a_list_mark_is_named_by_the_words_after_it():
    assert [i[0] for i in items("蔬菜产量达到120万吨新高、单产提高35公斤。")] == ["蔬菜产量", "单产"]


def test_a_thousand_written_as_qian_with_a_unit_is_a_round_threshold():
    assert items("货运班列开行超千列。") == [("货运班列开行", "level", 1000, "列", ">")]


def test_a_counted_action_may_have_an_adverb_before_it():
    assert items("两次全面降息。") == [("全面降息", "level", 2, "次", "=")]


def test_a_gap_to_another_groups_rate_is_no_item_but_a_change_over_last_year_is():
    assert items("农民收入增长7%，增速比市民高1.5个百分点。") == [("农民收入", "growth", 7, "%", "=")]
    assert items("研发投入强度比上年提高0.3个百分点。") == [("研发投入强度", "growth", 0.3, "个百分点", "=")]


def test_streaks_and_rank_changes_are_no_items():
    assert items("连续18个月保持正增长，营商环境全国排名上升5位。") == []


def test_a_growth_over_an_earlier_time_takes_the_name_before_it():
    assert items("外资企业超900户、较5年前增长60%。") == [
        ("外资企业", "level", 900, "户", ">"),
        ("外资企业", "growth", 60, "%", "="),
    ]


def test_a_pair_of_growths_without_a_name_goes_to_the_two_amounts_before_it():
    assert [(i[0], i[2]) for i in items("全县接待游客800万人次、实现旅游收入90亿元，增长12%和15%。")][2:] == [
        ("接待游客", 12),
        ("旅游收入", 15),
    ]


def test_a_threshold_word_before_a_distributive_list_qualifies_each_figure():
    assert [i[4] for i in items("进口、出口分别突破900亿元、1200亿元。")] == [">", ">"]


def test_daguan_after_a_round_amount_is_not_its_name():
    assert items("外贸总额突破千亿元大关。") == [("外贸总额", "level", 1000, "亿元", ">")]
