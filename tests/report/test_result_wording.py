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
