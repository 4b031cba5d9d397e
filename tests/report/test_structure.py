"""structure.py: header facts, parts, task areas and sub-tasks, glossary, across report levels."""

from citycockpit.report.read import clean_text
from citycockpit.report.structure import lead_sentence, parse_structure
from tests.report.conftest import CORPUS


def corpus(stem):
    path = next(p for p in CORPUS if p.stem == stem)
    return parse_structure(clean_text(path.read_text(encoding="utf-8")))


def test_the_seed_header_gives_title_region_date_and_speaker(seed_text):
    s = parse_structure(clean_text(seed_text))
    assert (s.title, s.region, s.delivered_on, s.speaker, s.speaker_title) == (
        "政府工作报告",
        "太仓市",
        "2024-01-09",
        "徐华东",
        "市长",
    )
    assert (s.year, s.review_year) == (2024, 2023)


def test_the_review_ends_where_the_plan_begins(seed_text):
    text = clean_text(seed_text)
    s = parse_structure(text)
    assert text[s.review_span[0] :].startswith("2023年政府工作回顾")
    assert text[s.plan_span[0] :].startswith("2024年目标任务和主要工作")
    assert s.review_span[1] < s.plan_span[0]


def test_heading_numbers_restart_and_each_part_keeps_its_own_areas(seed_text):
    s = parse_structure(clean_text(seed_text))
    assert [a.number for a in s.review_areas] == list("一二三四五")
    assert [a.number for a in s.task_areas] == list("一二三四五六七八")
    assert s.review_areas[0].title == "坚持质效优先，经济运行回升向好"
    assert s.task_areas[0].title == "聚力稳增长、调结构，打好经济发展组合拳"


def test_sub_tasks_are_the_lead_sentences_of_the_area_paragraphs(seed_text):
    s = parse_structure(clean_text(seed_text))
    assert [c.title for c in s.task_areas[0].children] == [
        "全力抓好项目引建",
        "持续扩大有效需求",
        "加快推动产业升级",
        "全面强化企业服务",
    ]
    assert s.task_areas[0].children[0].text.startswith("全力抓好项目引建。坚持大抓项目")


def test_the_targets_span_is_the_list_after_the_colon(seed_text):
    text = clean_text(seed_text)
    s = parse_structure(text)
    span = text[s.targets_span[0] : s.targets_span[1]]
    assert span.startswith("地区生产总值增长5%以上") and span.endswith("完成上级下达的约束性指标任务")


def test_the_glossary_keeps_term_page_and_definition(seed_text):
    glossary = parse_structure(clean_text(seed_text)).glossary
    assert len(glossary) == 13
    assert (glossary[0].term, glossary[0].page) == ("五大行动", 4)
    assert glossary[11].term == "‘十个百万’拥军实事项目"
    assert glossary[6].definition.startswith("聚焦城市运行中的重点问题")


def test_a_county_report_uses_bracketed_task_areas_and_a_glossary_without_pages():
    s = corpus("county-yunxi-2025")
    assert [(a.number, a.title) for a in s.task_areas] == [
        ("一", "坚定不移抓产业强县域"),
        ("二", "坚定不移抓城乡促融合"),
        ("三", "坚定不移抓民生增福祉"),
    ]
    assert [(g.term, g.page) for g in s.glossary] == [("一网通办", None), ("专精特新", None)]
    assert s.glossary[0].definition.endswith("全程网办。")  # a wrapped definition is joined


def test_a_city_report_with_a_chinese_date_and_unnumbered_parts_is_parsed():
    s = corpus("city-jiangzhou-2023")
    assert (s.title, s.region, s.delivered_on, s.speaker, s.year, s.review_year) == (
        "政府工作报告",
        "江州市",
        "2023-01-10",
        "王建平",
        2023,
        2022,
    )
    assert [a.title for a in s.task_areas] == ["全力扩大有效投资", "全力推动创新发展", "全力增进民生福祉"]


def test_a_province_report_adds_its_numbered_self_building_part_as_a_task_area():
    s = corpus("province-donghai-2024")
    assert [a.number for a in s.task_areas] == ["一", "二", "三", "四"]
    assert s.task_areas[-1].title == "全面加强政府自身建设"


def test_a_national_report_has_region_all_country_and_two_plan_parts():
    s = corpus("national-2026")
    assert (s.region, s.speaker, s.speaker_title, s.year) == ("全国", "张明远", "总理", 2026)
    assert s.text[s.plan_span[0] :].startswith("二、2026年经济社会发展总体要求和政策取向")
    assert len(s.task_areas) == 3


def test_a_lead_sentence_is_short_and_a_long_first_sentence_is_not_one():
    assert lead_sentence("全力抓好项目引建。坚持大抓项目。") == "全力抓好项目引建"
    assert (
        lead_sentence(
            "坚持依法行政，严格落实过紧日子要求，压减一般性支出10%以上，以政府过紧日子换取群众好日子。"
        )
        is None
    )
    # two clauses without figures, and the paragraph goes on: a lead; alone, or with figures: not one
    assert (
        lead_sentence("深入推进长三角一体化发展，更好服务和融入国家发展战略。主动对接上海。")
        == "深入推进长三角一体化发展，更好服务和融入国家发展战略"
    )
    assert lead_sentence("深入推进长三角一体化发展，更好服务和融入国家发展战略。") is None
    assert lead_sentence("实施重点工业项目80个，力争新增规模以上工业企业50家以上。建成投产30个。") is None


def test_a_report_without_part_headings_starts_its_plan_at_the_targets_paragraph():
    text = clean_text(
        "政府工作报告\n各位代表：\n过去一年，地区生产总值增长6%，新增企业20家。\n"
        "今年政府工作的总体要求是：坚持稳中求进。\n主要预期目标是：地区生产总值增长5%左右。\n"
        "一、抓项目。\n新建道路10公里。\n二、惠民生。\n新建学校3所。\n"
    )
    s = parse_structure(text)
    assert text[s.plan_span[0] :].startswith("今年政府工作的总体要求")
    assert [a.title for a in s.task_areas] == ["抓项目", "惠民生"]


def test_a_paragraph_that_enumerates_with_yishi_erishi_gives_one_sub_task_each():
    s = corpus("district-linjiang-2024")
    assert [c.title for c in s.task_areas[1].children] == ["推动制造业提质", "培育现代服务业"]


def test_a_plan_heading_named_by_its_year_and_aims_is_recognised():
    s = corpus("district-linjiang-2024")
    assert s.text[s.plan_span[0] :].startswith("二、2024年工作总体思路和主要目标")
    assert s.targets is not None


def test_without_a_meeting_line_the_region_comes_from_the_title_or_the_party_committee():
    titled = parse_structure(
        clean_text("临江区2024年政府工作报告\n各位代表：\n现在，我代表区人民政府，向大会报告工作。\n")
    )
    committee = parse_structure(
        clean_text(
            "政府工作报告\n各位代表：\n现在，我代表市人民政府，向大会报告工作。\n过去一年，在中共白河市委的坚强领导下，我们攻坚克难。\n"
        )
    )
    assert (titled.region, committee.region) == ("临江区", "白河市")


THEMED_PARTS = """政府工作报告
——2025年1月8日在青禾县第九届人民代表大会第四次会议上
县长  宋一帆
各位代表：
现在，我代表县人民政府，向大会报告工作，请予审议。
一、砥砺奋进，青禾发展迈上新台阶
过去一年的主要工作是：
（一）产业实力稳步增强。新落户工业企业24家，规模以上工业产值增长7.1%。
（二）民生底色更加温暖。新建村级养老服务站12个。
二、勇毅前行，奋力开创青禾新局面
今年全县经济社会发展的主要预期目标是：地区生产总值增长5.5%左右，城镇新增就业2600人以上。
（一）做强实体经济。新建标准厂房8万平方米。
（二）提升城乡品质。改造农村公路60公里。
三、锻造实干为民的政府
（一）坚持依法行政。行政复议纠错率保持在10%以下。
（二）力行节用裕民。一般性支出压减5%。
各位代表，让我们携手同行，共创青禾美好明天！
"""


def test_numbered_parts_named_by_their_theme_still_give_review_and_plan():
    text = clean_text(THEMED_PARTS)
    s = parse_structure(text)
    assert text[s.review_span[0] :].startswith("一、砥砺奋进")
    assert text[s.plan_span[0] :].startswith("二、勇毅前行")
    assert s.targets is not None and s.targets.text.startswith("今年全县")


def test_a_line_announcing_the_review_list_is_no_plan_heading():
    text = clean_text(
        THEMED_PARTS.replace("过去一年的主要工作是：", "一年来，我们认真落实县委工作安排，主要做了以下工作。")
    )
    s = parse_structure(text)
    assert text[s.plan_span[0] :].startswith("二、勇毅前行")
    assert s.part_at(text.index("新落户工业企业")) == "review"


def test_the_bracketed_headings_of_a_later_numbered_part_are_its_sub_tasks():
    s = parse_structure(clean_text(THEMED_PARTS))
    assert [(a.number, a.title) for a in s.task_areas] == [
        ("一", "做强实体经济"),
        ("二", "提升城乡品质"),
        ("三", "锻造实干为民的政府"),
    ]
    assert [c.title for c in s.task_areas[2].children] == ["坚持依法行政", "力行节用裕民"]


def test_the_review_heading_is_not_one_of_the_review_areas():
    s = parse_structure(clean_text(THEMED_PARTS))
    assert [a.title for a in s.review_areas] == ["产业实力稳步增强", "民生底色更加温暖"]


def test_short_yishi_lines_standing_alone_are_the_task_areas():
    text = clean_text(
        THEMED_PARTS.replace("（一）做强实体经济。新建", "一是做强实体经济，壮大工业底盘\n新建").replace(
            "（二）提升城乡品质。改造", "二是提升城乡品质，建设美丽家园\n改造"
        )
    )
    s = parse_structure(text)
    assert [(a.number, a.title) for a in s.task_areas][:2] == [
        ("一", "做强实体经济，壮大工业底盘"),
        ("二", "提升城乡品质，建设美丽家园"),
    ]
    assert s.task_areas[0].children[0].text.startswith("新建标准厂房")


def test_a_five_year_part_before_the_years_plan_is_neither_review_nor_plan():
    text = clean_text(
        THEMED_PARTS.replace(
            "二、勇毅前行，奋力开创青禾新局面\n",
            "二、“十五五”时期主要目标任务\n到2030年，全县森林覆盖率达到45%，常住人口城镇化率提高到62%。\n"
            "三、2025年重点工作\n",
        ).replace("三、锻造实干为民的政府", "四、锻造实干为民的政府")
    )
    s = parse_structure(text)
    assert s.part_at(text.index("森林覆盖率")) == "outlook"
    assert text[s.plan_span[0] :].startswith("三、2025年重点工作")
    assert text[s.review_span[0] : s.review_span[1]].endswith("新建村级养老服务站12个。")


def test_a_stray_space_in_the_meeting_line_does_not_end_the_region():
    s = parse_structure(
        clean_text(THEMED_PARTS.replace("青禾县第九届人民代表大会", "青禾县第九届 人民代表大会"))
    )
    assert s.region == "青禾县"


def test_a_source_line_above_a_reprinted_report_is_not_its_title():
    s = parse_structure(clean_text("来源：青禾日报\n" + THEMED_PARTS))
    assert (s.title, s.region, s.delivered_on) == ("政府工作报告", "青禾县", "2025-01-08")
    assert s.text[s.review_span[0] :].startswith("一、砥砺奋进")


def test_numbered_areas_under_an_unnumbered_review_heading_are_not_parts():
    text = clean_text(
        "政府工作报告\n各位代表：\n现在，我代表镇人民政府，向大会报告工作。\n过去一年工作回顾\n"
        "一、项目建设提速增效\n新开工产业项目30个。\n二、民生保障更加有力\n新增城镇就业5000人。\n"
        "今年政府工作的总体要求是：坚持稳中求进。\n主要预期目标是：地区生产总值增长6%左右。\n"
        "（一）抓项目。新建道路10公里。\n（二）惠民生。新建幼儿园2所。\n"
    )
    s = parse_structure(text)
    assert s.part_at(text.index("5000人")) == "review"
    assert text[s.plan_span[0] :].startswith("今年政府工作的总体要求")
    assert [a.title for a in s.review_areas] == ["项目建设提速增效", "民生保障更加有力"]


def test_the_points_of_a_general_requirements_part_are_not_task_areas():
    text = (
        "政府工作报告\n各位代表：\n一、2024年工作回顾\n过去一年，地区生产总值增长5.2%，新建学校6所。\n"
        "二、2025年总体要求\n主要预期目标是：地区生产总值增长5%左右。\n"
        "（一）坚持以改革为牵引，激发发展活力。深化重点领域改革。\n"
        "（二）坚持以人民为中心，办好民生实事。兜牢民生底线。\n"
        "三、2025年重点任务\n"
        "（一）扩大有效需求\n抓好项目建设。新开工项目30个。\n"
        "（二）培育新兴产业\n壮大数字经济。新增规上企业50家。\n"
    )
    structure = parse_structure(text)
    assert [(a.number, a.title) for a in structure.task_areas] == [
        ("一", "扩大有效需求"),
        ("二", "培育新兴产业"),
    ]


def _children(text: str) -> list[list[str]]:
    return [[c.title for c in area.children] for area in parse_structure(text).task_areas]


PLAN_HEAD = (
    "政府工作报告\n各位代表：\n一、2024年工作回顾\n过去一年，地区生产总值增长5.2%。\n二、2025年主要任务\n"
)


def test_an_areas_opening_statement_and_closing_resolve_are_no_sub_tasks():
    text = PLAN_HEAD + (
        "（一）全方位扩大内需\n"
        "全面贯彻中央决策部署，加快推动改革举措落地见效，进一步增强发展内生动力。\n"
        "大力提振消费。推进提振消费专项行动，全年新增限上企业100家。\n"
        "提高投资效益。抓好重大项目建设，新开工项目30个。\n"
        "壮大经营主体。新增规上工业企业50家。\n"
        "高质量发展是硬道理。我们要全力以赴拼经济。\n"
        "（二）加快绿色转型\n"
        "协同推进降碳减污扩绿增长，积极建设美丽先行区。\n"
        "突出抓好黄河大保护。治理河道20公里。\n"
        "突出抓好清洁能源建设。新增光伏装机100万千瓦。\n"
        "让人民过上幸福生活，是我们的头等大事。\n"
        "（三）加强政府自身建设\n"
        "加快推动政府治理能力现代化。完善政务服务体系。\n"
        "我们将更加自觉落实全过程人民民主，依法接受人大监督，主动接受政协民主监督。\n"
    )
    assert _children(text) == [
        ["大力提振消费", "提高投资效益", "壮大经营主体"],
        ["突出抓好黄河大保护", "突出抓好清洁能源建设"],
        ["加快推动政府治理能力现代化"],
    ]


def test_paragraphs_without_lead_sentences_stay_sub_tasks_titled_by_their_first_clause():
    text = PLAN_HEAD + (
        "（一）扩大有效需求\n"
        "全力抓好项目建设，新开工项目30个，完成投资100亿元。\n"
        "持续提振消费，扩大汽车家电等大宗消费，社会消费品零售总额增长6%。\n"
    )
    assert _children(text) == [["全力抓好项目建设", "持续提振消费"]]


def test_an_area_written_as_one_paragraph_splits_at_its_inline_lead_sentences():
    text = PLAN_HEAD + (
        "（一）在扩大内需上持续加力，巩固向好态势。坚持供需两端协同发力，让内需成为主动力。"
        "精准发力扩大有效投资。全年实施亿元以上项目1600个，投资增长7%左右。"
        "千方百计促进消费需求。积极培育新的消费增长点，社会消费品零售总额增长7%左右。\n"
        "（二）在科技创新上开拓进取。加快打造科技创新高地。建设实验室10家。着力构建现代化产业体系。培育产业集群5个。\n"
    )
    assert _children(text)[0] == ["精准发力扩大有效投资", "千方百计促进消费需求"]


def test_a_run_on_paragraph_under_its_heading_splits_at_its_inline_leads():
    text = PLAN_HEAD + (
        "（一）保障和改善民生\n"
        "坚持保基本、守底线、补短板，尽力而为、量力而行，不断提高公共服务质效。推进高质量充分就业。"
        "城镇新增就业70万人以上，强化重点群体就业帮扶。鼓励支持各类创业。新建创业孵化基地20个，发放创业担保贷款。\n"
        "支持国防和军队现代化建设，加强国防教育、国防动员和双拥共建工作。\n"
        "（二）稳定粮食生产\n"
        "一体推进农业现代化和农村现代化。稳定粮食播种面积，抓好油料生产。深入实施种业振兴行动。推进乡村建设行动。\n"
        "（三）扩大内需\n"
        "把恢复和扩大消费摆在优先位置。多渠道增加城乡居民收入。稳定汽车等大宗消费，推动生活服务消费恢复。\n"
    )
    assert _children(text) == [
        ["推进高质量充分就业", "鼓励支持各类创业"],  # its opening statement is framing
        [
            "一体推进农业现代化和农村现代化",
            "深入实施种业振兴行动",
            "推进乡村建设行动",
        ],  # its opening lead is one
        ["把恢复和扩大消费摆在优先位置"],  # one lead after the opening: a paragraph of its own
    ]


def test_a_sub_task_with_its_own_lead_keeps_its_enumerated_parts_and_a_yishi_paragraph_drops_its_mark():
    text = PLAN_HEAD + (
        "（一）保障和改善民生\n"
        "完善就业优先政策。城镇新增就业10万人。\n"
        "办好十件民生实事。今年的实事项目由群众票选产生。一是提升养老服务水平；二是扎实推进污水治理；三是为青少年提供心理健康服务。\n"
        "（二）扩大有效需求\n"
        "重点抓好两方面工作。一是抓项目，新开工项目30个；二是促消费，新增限上企业100家。\n"
        "（三）加强政府自身建设\n"
        "一是坚持政治引领，永葆对党忠诚的政治品格。加强党的建设。\n"
        "二是坚持依法行政，努力建设法治政府。推进严格规范公正文明执法。\n"
    )
    assert _children(text) == [
        ["完善就业优先政策", "办好十件民生实事"],
        ["重点抓好两方面工作", "抓项目", "促消费，新增限上企业100家"],
        ["坚持政治引领，永葆对党忠诚的政治品格", "坚持依法行政，努力建设法治政府"],
    ]


def test_a_glossary_term_runs_to_the_first_colon_outside_its_quotation_marks():
    from citycockpit.report.structure import Paragraph, parse_glossary

    lines = [
        "名词解释",
        "1.轨道交通“四网融合”：干线铁路、城际铁路、市域（郊）铁路和城市轨道交通的融合。",
        "2.“四新”产业：发展促进经济适度多元的新产业，包括：科技研发和高端制造产业。",
        "3.“标准海”：划定的适养海域。",
        "4.“两重”、“两新”：“两重”即重大战略实施，“两新”即设备更新。",
        "5.“2+3”园区：昆明、曲靖承接产业转移园。",
        '6."小学期"制度：开学前7天定为教师培训"小学期"。',
        "7.零碳园区：园区内碳排放与吸收相抵。",
    ]
    entries = parse_glossary([Paragraph(line, 0, len(line), "appendix") for line in lines])
    assert [(e.term, e.definition[:6]) for e in entries] == [
        ("轨道交通“四网融合”", "干线铁路、城"),
        ("“四新”产业", "发展促进经济"),
        ("标准海", "划定的适养海"),
        ("“两重”、“两新”", "“两重”即重"),
        ("“2+3”园区", "昆明、曲靖承"),
        ('"小学期"制度', "开学前7天定"),
        ("零碳园区", "园区内碳排放"),
    ]


def test_long_sub_tasks_with_two_clause_leads_are_kept_where_short_stances_are_not():
    body = (
        "主动对接上海，推进长三角科创共同体建设，共建产业创新联盟，深化园区合作共建，推动公共服务便利共享。"
        * 3
    )
    text = PLAN_HEAD + (
        "（一）增强区域协调发展整体效能\n"
        f"深入推进长三角一体化发展，更好服务和融入国家发展战略。{body}\n"
        f"加快皖北地区全面振兴。{body}\n"
        f"加强各区域协调联动。{body}\n"
        f"深入实施城市功能品质活力提升行动，增强城市竞争力。{body}\n"
    )
    assert _children(text) == [
        [
            "深入推进长三角一体化发展，更好服务和融入国家发展战略",
            "加快皖北地区全面振兴",
            "加强各区域协调联动",
            "深入实施城市功能品质活力提升行动，增强城市竞争力",
        ]
    ]


def test_what_a_plan_turns_to_after_its_tasks_trails_no_area_as_its_sub_task():
    text = PLAN_HEAD + (
        "（一）筑牢安全底线\n"
        "防范化解重点领域风险。有序置换政府存量隐性债务。\n"
        "加强和创新社会治理。坚持和发展新时代“枫桥经验”。\n"
        "强化安全生产监管。深入推进安全生产治本攻坚。\n"
        "大力支持国防和军队现代化。深化全民国防教育，巩固军政军民团结。\n"
        "科学编制“十五五”规划是今年的一项重大任务。要深入分析新的阶段性特征。\n"
        "在现代化建设中奋勇争先需要各方齐心协力。我们将积极支持工会、共青团、妇联等群团组织更好发挥作用，"
        "做好关心下一代、老龄、民族和宗教等工作，繁荣发展哲学社会科学、档案、史志、参事等事业，"
        "提升新型智库服务决策能力，用心用情用力做好军民融合、国防动员、国防教育和退役军人服务保障等工作。\n"
        "（二）办好民生实事\n"
        "加强军地协作和双拥工作。支持国防和军队现代化建设。\n"
        "办好十件民生实事。今年的实事项目由群众票选产生。\n"
        "健全社会保障体系。提高城乡居民基础养老金。\n"
    )
    assert _children(text) == [
        ["防范化解重点领域风险", "加强和创新社会治理", "强化安全生产监管"],
        ["加强军地协作和双拥工作", "办好十件民生实事", "健全社会保障体系"],  # not trailing: a sub-task
    ]


def test_a_short_one_clause_opening_before_two_clause_sub_tasks_is_the_areas_opening_statement():
    text = PLAN_HEAD + (
        "（一）全面提升政府治理水平\n"
        "打铁必须自身硬。各级政府必须牢记使命、锻造忠诚品格。\n"
        "坚持依法行政，建设法治政府。自觉运用法治思维和法治方式推动工作。\n"
        "坚持执政为民，树牢宗旨意识。把为民造福作为最大政绩。\n"
        "坚持务实担当，锤炼过硬作风。坚决反对形式主义、官僚主义。\n"
    )
    assert _children(text) == [
        ["坚持依法行政，建设法治政府", "坚持执政为民，树牢宗旨意识", "坚持务实担当，锤炼过硬作风"]
    ]


def test_a_closing_of_a_lead_and_one_resolve_sentence_is_framing_a_sub_task_saying_we_will_is_not():
    text = PLAN_HEAD + (
        "（一）深化改革扩大开放\n"
        "推动标志性改革落地见效。发挥经济体制改革牵引作用。\n"
        "扩大高水平对外开放。高水平协同推进共建“一带一路”。\n"
        "打造一流营商环境。坚持法治安商、平等亲商。\n"
        "改革开放是重要法宝。面对前进中的问题，我们要坚持有效市场、有为政府一体发力。\n"
        "（二）办好体育盛会\n"
        "完善现代旅游业体系。推进文旅深度融合。\n"
        "加强优秀传统文化传承。保护历史文化名城。\n"
        "办好十五运会。这是今年的一件大事，我们要高标准做好筹办工作。广泛开展全民健身活动。提升青少年体质。\n"
    )
    assert _children(text) == [
        ["推动标志性改革落地见效", "扩大高水平对外开放", "打造一流营商环境"],
        ["完善现代旅游业体系", "加强优秀传统文化传承", "办好十五运会"],
    ]


def test_the_heading_paragraphs_own_statement_is_framing_when_sub_task_paragraphs_follow():
    text = PLAN_HEAD + (
        "（一）更加注重保障和改善民生。用心用情用力解决人民群众急难愁盼问题。把民生实事办到群众心坎上。\n"
        "促进高质量充分就业。实施重点领域就业支持计划。\n"
        "持续完善社会保障。健全灵活就业人员社保制度。\n"
        "繁荣发展文体事业。实施新时代艺术创作工程。\n"
        "让人民过上幸福生活是头等大事。不管遇到什么困难，我们都要把民生实事办好。\n"
        "（二）扩大有效投资。抓好项目建设。新开工项目30个。\n"
    )
    assert _children(text) == [
        ["促进高质量充分就业", "持续完善社会保障", "繁荣发展文体事业"],
        ["抓好项目建设"],  # nothing follows the heading's paragraph: its statement is the sub-task
    ]


def test_a_sub_task_whose_lead_alone_comes_before_its_items_owns_them_among_sub_tasks():
    text = PLAN_HEAD + (
        "（一）加快发展民生社会事业\n"
        "推动高质量充分就业。实施重点群体就业支持计划。\n"
        "提升全民健康水平。推进医疗卫生强基工程。\n"
        "着眼促进人的现代化，今年再办好15件民生实事。一是新建改造50个社区养老工程、50个区域养老服务中心；"
        "二是免费送戏下乡1万场，建设一批城市书房、文化驿站等新型公共文化空间；"
        "三是为2万名高危人群提供免费筛查，新建改造城市老旧小区供热管网300公里。\n"
        "（二）深化改革开放\n"
        "坚持和落实“两个毫不动摇”，促进各类所有制经济优势互补、共同发展。做强做优国资国企。\n"
        "完善落实“1+N”政策措施，打造内陆地区对外开放新高地。提升平台功能。\n"
        "贯彻落实全国统一大市场建设指引，构建高标准市场体系。完善市场经济基础制度。\n"
    )
    assert _children(text) == [
        ["推动高质量充分就业", "提升全民健康水平", "着眼促进人的现代化，今年再办好15件民生实事"],
        [  # a name with digits (“1+N”) is no figure: the two-clause lead stands
            "坚持和落实“两个毫不动摇”，促进各类所有制经济优势互补、共同发展",
            "完善落实“1+N”政策措施，打造内陆地区对外开放新高地",
            "贯彻落实全国统一大市场建设指引，构建高标准市场体系",
        ],
    ]
