"""ledger.py: the issue-4 JSON, which list each number goes to, and the traps named in the issue."""

import json

from citycockpit.report.ledger import build_ledger, extract_ledger, ledger_from_file

ITEM_KEYS = {"name", "measure", "value", "unit", "qualifier", "stretch", "quote", "confidence"}

SMALL_REPORT = """政府工作报告
——2024年1月5日在某县第十届人民代表大会第三次会议上
县长  李四
各位代表：
一、2023年工作回顾
过去一年，全县地区生产总值增长6.2%，新认定高新技术企业46家，位列全省县域第六、排名首位。规模以上工业产值增长8%。
二、2024年工作安排
主要预期目标是：地区生产总值增长6%以上，规模以上工业产值增长7%左右，居民收入增长与经济增长基本同步。
（一）加快产业发展。
培育创新主体。新认定高新技术企业50家，力争PM2.5年均浓度30微克/立方米以下、空气优良天数比例85%以上。
（二）办好民生实事。
补齐短板。98%以上矛盾纠纷就地化解，新建学校3所。
各位代表，让我们团结奋斗！
"""


def test_the_ledger_json_has_exactly_the_contract_shape(seed_text):
    ledger = build_ledger(seed_text)
    assert set(ledger) == {
        "report",
        "targets",
        "qualitative_targets",
        "actuals",
        "commitments",
        "tasks",
        "glossary",
    }
    assert set(ledger["report"]) == {"title", "region", "year", "review_year", "delivered_on", "speaker"}
    for name in ("targets", "actuals", "commitments"):
        for item in ledger[name]:
            assert set(item) == ITEM_KEYS
            assert item["measure"] in {"level", "growth", "share"}
            assert item["qualifier"] in {"=", ">=", ">", "<=", "~"}
            assert 0 < item["confidence"] <= 1
    child = ledger["tasks"][0]["children"][0]
    assert set(child) == {"title", "text", "commitments"}
    assert set(ledger["glossary"][0]) == {"term", "definition", "page"}
    json.dumps(ledger, ensure_ascii=False)


def test_task_children_point_at_their_commitments(seed_text):
    ledger = build_ledger(seed_text)
    child = ledger["tasks"][0]["children"][0]
    assert child["title"] == "全力抓好项目引建"
    assert [ledger["commitments"][i]["name"] for i in child["commitments"]] == [
        "实际使用外资",
        "三级重点项目",
    ]


def test_offsets_highlight_each_quote_in_the_cleaned_text(seed_ledger):
    for m in seed_ledger.actuals + seed_ledger.commitments + seed_ledger.targets:
        assert seed_ledger.text[m.quote_start : m.quote_end].strip() == m.quote
        assert m.quote_start <= m.start < m.end <= m.quote_end
    items = seed_ledger.to_json(offsets=True)["targets"]
    assert {"quote_start", "quote_end"} <= set(items[0])


def test_the_same_phrase_is_a_result_in_the_review_and_a_commitment_in_the_plan():
    ledger = build_ledger(SMALL_REPORT)
    assert [(i["name"], i["value"]) for i in ledger["actuals"] if i["name"] == "高新技术企业"] == [
        ("高新技术企业", 46)
    ]
    assert [(i["name"], i["value"]) for i in ledger["commitments"] if i["name"] == "高新技术企业"] == [
        ("高新技术企业", 50)
    ]


def test_ranks_are_not_amounts():
    values = [i["value"] for i in build_ledger(SMALL_REPORT)["actuals"]]
    assert values == [6.2, 46, 8]


def test_a_noun_with_yishang_keeps_it_and_the_qualifier_goes_with_the_number():
    targets = build_ledger(SMALL_REPORT)["targets"]
    assert [(t["name"], t["qualifier"]) for t in targets] == [
        ("地区生产总值", ">="),
        ("规模以上工业产值", "~"),
    ]


def test_a_target_without_a_number_is_kept_as_qualitative():
    assert build_ledger(SMALL_REPORT)["qualitative_targets"] == [{"text": "居民收入增长与经济增长基本同步"}]


def test_two_targets_under_one_stretch_word_are_both_stretch_commitments():
    commitments = build_ledger(SMALL_REPORT)["commitments"]
    assert [(c["name"], c["stretch"]) for c in commitments[1:3]] == [
        ("PM2.5年均浓度", True),
        ("空气优良天数比例", True),
    ]


def test_a_qualifier_before_its_noun_becomes_a_share_commitment_under_its_task():
    ledger = build_ledger(SMALL_REPORT)
    item = ledger["commitments"][3]
    assert (item["name"], item["measure"], item["value"], item["qualifier"]) == (
        "矛盾纠纷就地化解",
        "share",
        98,
        ">=",
    )
    assert ledger["tasks"][1]["children"][0]["commitments"] == [3, 4]


def test_the_header_of_a_small_report_is_read():
    report = build_ledger(SMALL_REPORT)["report"]
    assert report == {
        "title": "政府工作报告",
        "region": "某县",
        "year": 2024,
        "review_year": 2023,
        "delivered_on": "2024-01-05",
        "speaker": "李四",
    }


def test_a_stretch_sentence_in_the_review_is_not_a_result():
    text = SMALL_REPORT.replace("规模以上工业产值增长8%。", "规模以上工业产值增长8%，力争明年新增企业10家。")
    assert 10 not in [i["value"] for i in build_ledger(text)["actuals"]]


def test_money_secured_in_the_review_is_a_plain_result_and_keeps_its_sentence():
    text = SMALL_REPORT.replace("规模以上工业产值增长8%。", "积极争取上级补助资金3.5亿元，建成乡村公路12条。")
    actuals = build_ledger(text)["actuals"]
    assert [(i["value"], i["unit"], i["stretch"]) for i in actuals[2:]] == [
        (3.5, "亿元", False),
        (12, "条", False),
    ]


def test_low_confidence_items_are_listed_for_review(seed_ledger):
    low = seed_ledger.low_confidence(0.85)
    assert low and all(m.confidence < 0.85 for _, m in low)
    assert {name for name, _ in low} <= {"targets", "actuals", "commitments"}


def test_a_file_is_read_and_turned_into_a_ledger(tmp_path):
    path = tmp_path / "small.txt"
    path.write_bytes(SMALL_REPORT.encode("gbk"))
    assert len(ledger_from_file(path).commitments) == 5


def test_text_that_is_not_a_report_gives_an_empty_ledger_not_an_error():
    ledger = extract_ledger("这是一段普通的文字，没有任何数字。")
    assert (ledger.targets, ledger.actuals, ledger.commitments, ledger.tasks) == ([], [], [], [])


def test_a_target_list_with_one_target_per_line_is_read_to_its_end():
    text = SMALL_REPORT.replace(
        "主要预期目标是：地区生产总值增长6%以上，规模以上工业产值增长7%左右，居民收入增长与经济增长基本同步。",
        "主要预期目标是：\n1.地区生产总值增长6%以上；\n2.规模以上工业产值增长7%左右；\n3.居民收入增长与经济增长基本同步。",
    )
    ledger = build_ledger(text)
    assert [(t["name"], t["value"]) for t in ledger["targets"]] == [
        ("地区生产总值", 6),
        ("规模以上工业产值", 7),
    ]
    assert ledger["qualitative_targets"] == [{"text": "居民收入增长与经济增长基本同步"}]
    assert 6 not in [c["value"] for c in ledger["commitments"]]


def test_five_year_aims_are_neither_the_years_targets_nor_its_commitments():
    text = SMALL_REPORT.replace(
        "二、2024年工作安排\n",
        "二、今后五年奋斗目标\n今后五年的主要目标是：地区生产总值年均增长6.5%左右，到2028年突破900亿元。\n三、2024年工作安排\n",
    )
    ledger = build_ledger(text)
    assert [t["value"] for t in ledger["targets"]] == [6, 7]
    assert not {6.5, 900} & {c["value"] for c in ledger["commitments"]}


def test_a_past_target_quoted_in_the_review_is_not_a_result():
    text = SMALL_REPORT.replace("规模以上工业产值增长8%。", "固定资产投资增长5%—6%之间的预期目标圆满完成。")
    assert [i["value"] for i in build_ledger(text)["actuals"]] == [6.2, 46]


def test_a_result_compared_with_its_target_keeps_the_result_only():
    text = SMALL_REPORT.replace(
        "规模以上工业产值增长8%。", "规模以上工业产值增长8%，高于预期目标0.5个百分点。"
    )
    assert [i["value"] for i in build_ledger(text)["actuals"]] == [6.2, 46, 8]


def test_a_result_given_as_a_multiple_of_its_plan_is_not_a_result_of_its_own():
    text = SMALL_REPORT.replace("规模以上工业产值增长8%。", "完成植树造林4万亩，是计划任务的1.6倍。")
    assert [(i["value"], i["unit"]) for i in build_ledger(text)["actuals"]][2:] == [(4, "万亩")]


def test_sections_nest_task_areas_and_sub_tasks_under_the_plan(seed_ledger):
    sections = seed_ledger.sections()
    kinds = [s.kind for s in sections]
    assert kinds.count("review_area") == 5 and kinds.count("task_area") == 8 and kinds.count("task") == 26
    plan = kinds.index("plan")
    first_area = sections[kinds.index("task_area")]
    assert (first_area.parent, first_area.number) == (plan, "一")
    child = sections[kinds.index("task")]
    assert sections[child.parent] is first_area and child.title == "全力抓好项目引建"
    assert seed_ledger.text[sections[kinds.index("targets")].start :].startswith("地区生产总值增长5%以上")
    assert kinds[-1] == "glossary"


def test_items_lists_every_item_with_its_list_and_index(seed_ledger):
    items = seed_ledger.items()
    assert len(items) == len(seed_ledger.targets) + len(seed_ledger.actuals) + len(seed_ledger.commitments)
    assert items[0][:2] == ("targets", 0) and items[-1][0] == "commitments"


def test_a_pasted_targets_paragraph_alone_still_gives_its_targets():
    ledger = build_ledger("主要预期目标：地区生产总值增长5%，居民收入同步增长。")
    assert [(t["name"], t["value"]) for t in ledger["targets"]] == [("地区生产总值", 5)]
    assert ledger["qualitative_targets"] == [{"text": "居民收入同步增长"}]


def test_an_explanation_of_the_targets_restates_them_and_adds_no_commitment():
    text = SMALL_REPORT.replace(
        "（一）加快产业发展。",
        "提出上述预期目标，主要考虑是：经济增速预期目标6%以上，与潜在增长水平相适应。\n（一）加快产业发展。",
    )
    assert 6 not in [c["value"] for c in build_ledger(text)["commitments"]]


def test_a_targets_paragraph_may_say_development_targets():
    text = SMALL_REPORT.replace("主要预期目标是：", "今年经济社会发展目标是：")
    assert [t["value"] for t in build_ledger(text)["targets"]] == [6, 7]


def _with_targets(paragraphs: str) -> str:
    return SMALL_REPORT.replace(
        "主要预期目标是：地区生产总值增长6%以上，规模以上工业产值增长7%左右，居民收入增长与经济增长基本同步。\n",
        paragraphs,
    )


def test_the_targets_go_on_over_every_sentence_that_lists_one():
    ledger = build_ledger(
        _with_targets(
            "主要预期目标是：地区生产总值增长6%左右。外贸进出口总额增长4%以上；城镇新增就业3000人以上。"
            "城乡居民收入稳步增长。上述目标兼顾了需要与可能，经过努力可以实现。\n"
        )
    )
    assert [(t["name"], t["value"]) for t in ledger["targets"]] == [
        ("地区生产总值", 6),
        ("外贸进出口总额", 4),
        ("城镇新增就业", 3000),
    ]
    assert ledger["qualitative_targets"] == [{"text": "城乡居民收入稳步增长"}]


def test_the_targets_go_on_in_the_next_paragraph_when_it_opens_with_a_target():
    ledger = build_ledger(
        _with_targets(
            "主要预期目标是：地区生产总值增长6%左右。\n一般公共预算收入增长3.5%，居民消费价格涨幅2%左右。\n"
            "实现这些目标，必须付出艰苦努力，今年新建农贸市场4个。\n"
        )
    )
    assert [t["value"] for t in ledger["targets"]] == [6, 3.5, 2]
    assert 3.5 not in [c["value"] for c in ledger["commitments"]]


def test_a_plan_sentence_after_the_targets_is_not_one_of_them():
    ledger = build_ledger(
        _with_targets("主要预期目标是：地区生产总值增长6%左右。\n今年拟安排县级财政衔接资金5000万元。\n")
    )
    assert [t["value"] for t in ledger["targets"]] == [6]
    assert 5000 in [c["value"] for c in ledger["commitments"]]


def test_a_clause_saying_why_a_target_is_set_is_not_a_qualitative_target():
    ledger = build_ledger(
        _with_targets("主要预期目标是：地区生产总值增长6%左右，为实现“十五五”良好开局打下坚实基础。\n")
    )
    assert [t["value"] for t in ledger["targets"]] == [6]
    assert ledger["qualitative_targets"] == []


def test_a_paragraph_of_tasks_right_after_the_targets_does_not_continue_them():
    ledger = build_ledger(
        _with_targets("主要预期目标是：地区生产总值增长6%左右。\n新建城市道路12公里，改造老旧小区8个。\n")
    )
    assert [t["value"] for t in ledger["targets"]] == [6]
    assert {12, 8} <= {c["value"] for c in ledger["commitments"]}


ANNEXED_REPORT = """政府工作报告
——2025年1月8日在某市第九届人民代表大会第四次会议上
市长  王五
各位代表：
一、2024年工作回顾
过去一年，全市地区生产总值增长5.1%，新建公园12个。
二、2025年工作安排
主要预期目标是：地区生产总值增长5%左右。
（一）扩大有效投资。
抓好项目建设。新开工重大项目40个。
（二）增进民生福祉。
办好八件民生实事。今年继续办好群众期盼的实事，让百姓得到实惠。
各位代表，让我们团结奋斗！
附件1
名词解释
1.“两新”：设备更新和消费品以旧换新。
附件2
2025年市八件民生实事
一、改善出行条件。新增公交线路15条，改造背街小巷60条。
二、关爱一老一小。新增托位800个。
"""


def test_the_items_of_an_annex_of_projects_are_commitments_of_the_sub_task_announcing_it():
    ledger = build_ledger(ANNEXED_REPORT)
    commitments = ledger["commitments"]
    assert [c["value"] for c in commitments] == [40, 15, 60, 800]
    announcing = ledger["tasks"][1]["children"][0]
    assert announcing["title"] == "办好八件民生实事"
    assert [commitments[i]["value"] for i in announcing["commitments"]] == [15, 60, 800]


def test_an_annex_of_projects_is_no_part_of_the_glossary():
    ledger = build_ledger(ANNEXED_REPORT)
    assert [(g["term"], g["definition"]) for g in ledger["glossary"]] == [
        ("两新", "设备更新和消费品以旧换新。")
    ]


def test_what_the_region_has_today_is_not_a_commitment():
    ledger = build_ledger(
        _with_targets(
            "主要预期目标是：地区生产总值增长6%左右。\n"
            "我县有12个省级传统村落，还有4万留守老人，要新建乡村养老站10个。"
            "全县拥有5个国家级园区，今年新增标准厂房20万平方米，有机衔接6个产业片区。\n"
        )
    )
    values = [c["value"] for c in ledger["commitments"]]
    assert 12 not in values and 4 not in values and 5 not in values
    assert {10, 20, 6} <= set(values)


def test_an_aim_set_over_several_years_is_not_a_commitment_of_the_year():
    ledger = build_ledger(
        _with_targets(
            "主要预期目标是：地区生产总值增长6%左右。\n"
            "实施人才强县行动，用3—5年时间，引进高层次人才200名。今年新建人才公寓40套。\n"
        )
    )
    values = [c["value"] for c in ledger["commitments"]]
    assert 200 not in values and 40 in values


def test_a_sentence_saying_how_a_target_was_set_ends_the_list():
    ledger = build_ledger(
        _with_targets(
            "主要预期目标是：地区生产总值增长5.5%左右。一般公共预算收入增长3%。"
            "经济增长目标设定为5.5%左右，是一个积极稳妥的目标。\n"
        )
    )
    assert [(t["name"], t["value"]) for t in ledger["targets"]] == [
        ("地区生产总值", 5.5),
        ("一般公共预算收入", 3),
    ]


def test_a_target_explained_again_after_the_list_is_no_commitment_but_a_task_may_repeat_it():
    text = (
        "政府工作报告\n各位代表：\n一、2024年工作回顾\n过去一年，地区生产总值增长5.2%。\n"
        "二、2025年目标任务\n"
        "今年主要预期目标是：地区生产总值增长5%左右；城镇新增就业1.2万人以上。\n"
        "提出上述预期目标，综合考虑了各方面因素。城镇新增就业1.2万人以上，体现了稳就业的要求。\n"
        "（一）稳就业\n"
        "抓好重点群体就业。城镇新增就业1.2万人以上，开发公益性岗位300个。\n"
        "（二）扩投资\n"
        "抓好项目建设。新开工项目30个。\n"
    )
    commitments = [(c["name"], c["value"]) for c in build_ledger(text)["commitments"]]
    assert commitments.count(("城镇新增就业", 1.2)) == 1  # the task's, not the explanation's
    ledger = extract_ledger(text)
    task = ledger.tasks[0].children[0]
    assert [ledger.commitments[i].name for i in task.commitments][:1] == ["城镇新增就业"]


def test_the_nations_own_figures_and_what_the_region_has_are_no_commitments():
    text = (
        "政府工作报告\n各位代表：\n一、2024年工作回顾\n过去一年，地区生产总值增长5.2%。\n"
        "二、2025年目标任务\n"
        "（一）保障粮食安全\n"
        "稳定粮食生产。近14亿中国人的饭碗要牢牢端在自己手中，新建高标准农田100万亩。\n"
        "（二）扩大消费\n"
        "培育特色品牌。我区1100多种特色产品在全国有市场，新增地理标志产品5个。\n"
        "建设美好家园。同心协力建设56个民族共同团结奋斗的美好家园，创建示范村20个。\n"
    )
    commitments = [(c["name"], c["value"]) for c in build_ledger(text)["commitments"]]
    assert [value for _, value in commitments] == [100, 5, 20], commitments
