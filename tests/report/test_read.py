"""read.py: .txt in any Chinese encoding, real .docx and .pdf files, debris cleaning, and clear errors."""

import io

import docx
import pytest

from citycockpit.report.read import (
    MAX_REPORT_BYTES,
    ReportReadError,
    clean_text,
    read_report,
)
from tests.report.pdfgen import scanned_pdf, text_pdf

REPORT_LINES = [
    "政 府 工 作 报 告",
    "——2024年1月9日在太仓市第十七届人民代表大会第四次会议上",
    "市长  徐华东",
    "各位代表：",
    "全市地区生产总值同比增长5%以上，城镇新增就业1.3万人。",
]


def error_code(source):
    with pytest.raises(ReportReadError) as info:
        read_report(source)
    return info.value.code, str(info.value)


def test_a_utf8_text_file_is_read_from_its_path(tmp_path):
    path = tmp_path / "报告.txt"
    path.write_text("\n".join(REPORT_LINES), encoding="utf-8")
    doc = read_report(path)
    assert (doc.file_type, doc.encoding, doc.text.splitlines()[0]) == ("txt", "utf-8", "政府工作报告")


def test_a_gbk_text_file_is_detected_and_decoded():
    data = "\n".join(REPORT_LINES * 3).encode("gbk")
    doc = read_report((data, "report.txt"))
    assert doc.encoding == "gb18030"
    assert "城镇新增就业1.3万人" in doc.text


def test_a_gb18030_only_character_survives_decoding():
    data = ("\n".join(REPORT_LINES) + "\n㐀字见于GB18030。").encode("gb18030")
    assert "㐀字" in read_report((data, "report.txt")).text


def test_a_utf8_file_with_a_byte_order_mark_loses_the_mark():
    data = "\ufeff政府工作报告\n正文。".encode()
    assert read_report((data, "r.txt")).text.startswith("政府工作报告")


def test_a_real_docx_is_read_paragraph_by_paragraph():
    document = docx.Document()
    for line in REPORT_LINES:
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "指标", "增长5%"
    buffer = io.BytesIO()
    document.save(buffer)
    doc = read_report((buffer.getvalue(), "report.docx"))
    lines = doc.text.splitlines()
    assert (doc.file_type, lines[0], lines[2]) == ("docx", "政府工作报告", "市长  徐华东")
    assert "增长5%" in doc.text


def test_a_pdf_text_layer_is_read_and_page_numbers_are_dropped():
    pages = [REPORT_LINES, ["- 2 -", "这是第二页的一段文字。"]]
    doc = read_report((text_pdf(pages), "report.pdf"))
    assert doc.file_type == "pdf"
    assert doc.text.splitlines()[0] == "政府工作报告"
    assert "市长  徐华东" in doc.text.splitlines()
    assert "- 2 -" not in doc.text and "第二页" in doc.text


def test_pdf_lines_broken_at_the_page_width_are_joined_again():
    wrapped = [
        "今年全市地区生产总值增长5%以上，一般公共预算",
        "收入同口径增长4%以上，全社会固定资产投资增",
        "长5%左右。",
        "短标题",
        "第二段文字比较长，需要再写一些内容才能换行到下",
        "一行去。",
    ]
    text = read_report((text_pdf([wrapped]), "wrapped.pdf")).text
    assert "一般公共预算收入同口径增长4%以上，全社会固定资产投资增长5%左右。" in text
    assert "\n短标题\n" in text


def test_a_scanned_pdf_without_text_is_refused_with_its_own_code():
    code, message = error_code((scanned_pdf(), "scan.pdf"))
    assert code == "report_scanned_pdf"
    assert "scan.pdf" in message and "scan" in message


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert error_code(path)[0] == "report_empty"


def test_a_file_of_blank_lines_is_refused_as_empty():
    assert error_code((b"\n \r\n\t\n", "blank.txt"))[0] == "report_empty"


def test_binary_data_named_txt_is_refused():
    assert error_code((bytes(range(256)) * 40, "photo.txt"))[0] == "report_binary"


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(MAX_REPORT_BYTES + 1)
    code, message = error_code(path)
    assert code == "report_too_large" and "huge.txt" in message and "20 MB" in message


def test_an_old_word_file_is_an_unsupported_type():
    code, message = error_code((b"\xd0\xcf\x11\xe0 old word", "report.doc"))
    assert code == "report_unsupported_type" and ".doc" in message


def test_a_damaged_docx_is_unreadable():
    assert error_code((b"PK\x03\x04 not really a zip", "broken.docx"))[0] == "report_unreadable"


def test_a_damaged_pdf_is_unreadable():
    assert error_code((b"%PDF-1.4\n garbage without objects", "broken.pdf"))[0] == "report_unreadable"


def test_a_missing_path_is_unreadable_and_named(tmp_path):
    code, message = error_code(tmp_path / "nowhere.txt")
    assert code == "report_unreadable" and "nowhere.txt" in message


def test_a_file_without_a_suffix_is_recognised_by_its_content():
    assert read_report((text_pdf([REPORT_LINES]), "upload")).file_type == "pdf"


def test_cleaning_removes_bookmarks_page_numbers_and_spaced_titles():
    raw = "政 府 工 作 报 告\n[bookmark: _GoBack]12.P20  “术语”：说明。\n- 3 -\n第 4 页 共 20 页\n正文。"
    assert clean_text(raw) == "政府工作报告\n12.P20  “术语”：说明。\n正文。\n"


def test_cleaning_makes_full_width_digits_and_percent_half_width_but_keeps_chinese_punctuation():
    assert clean_text("增长５．５％，（预计）：“好”") == "增长5.5%，（预计）：“好”\n"


def test_cleaning_is_idempotent(seed_text):
    once = clean_text(seed_text)
    assert clean_text(once) == once


def test_a_speaker_line_with_a_name_is_not_mistaken_for_a_spaced_title():
    assert clean_text("市长  徐华东").strip() == "市长  徐华东"


def _numbered_docx(lines_with_levels):
    """A .docx whose headings carry Word's automatic numbering (一、 and （一）), as report drafts often do."""
    from docx.oxml import parse_xml

    document = docx.Document()
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering = document.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {w} w:abstractNumId="90">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
            "</w:abstractNum>"
        ),
    )
    numbering.append(parse_xml(f'<w:num {w} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for text, level in lines_with_levels:
        paragraph = document.add_paragraph(text)
        if level is not None:
            paragraph._p.get_or_add_pPr().append(
                parse_xml(f'<w:numPr {w}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
            )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_word_automatic_numbering_is_put_back_in_front_of_its_headings():
    data = _numbered_docx(
        [
            ("2023年工作回顾", 0),
            ("经济运行稳中向好。", 1),
            ("民生持续改善。", 1),
            ("2024年重点工作", 0),
            ("正文一段。", None),
        ]
    )
    lines = read_report((data, "numbered.docx")).text.splitlines()
    assert lines == [
        "一、2023年工作回顾",
        "（一）经济运行稳中向好。",
        "（二）民生持续改善。",
        "二、2024年重点工作",
        "正文一段。",
    ]


def test_a_pdf_that_spaces_out_every_character_is_read_as_normal_text():
    spaced = [" ".join(line) for line in REPORT_LINES]
    text = read_report((text_pdf([spaced]), "spaced.pdf")).text
    assert "全市地区生产总值同比增长5%以上，城镇新增就业1.3万人。" in text
    assert text.splitlines()[0] == "政府工作报告"


def test_a_subscript_on_a_line_of_its_own_is_joined_back_into_its_brackets():
    raw = "污染防治得到加强，细颗粒物（PM\n2.5\n）浓度继续下降，二氧化碳（CO\n2\n）排放下降。\n新的一段。\n"
    cleaned = clean_text(raw)
    assert (
        cleaned == "污染防治得到加强，细颗粒物（PM2.5）浓度继续下降，二氧化碳（CO2）排放下降。\n新的一段。\n"
    )
    assert clean_text(cleaned) == cleaned


def test_a_line_of_zero_width_debris_inside_a_sentence_is_taken_out_with_its_breaks():
    raw = "扩大失业保险返还等阶段性稳\n\u200b\n岗政策惠及范围。\n\u200b\n新的一段\u200b开头。\n"
    cleaned = clean_text(raw)
    assert cleaned == "扩大失业保险返还等阶段性稳岗政策惠及范围。\n\n新的一段开头。\n"
    assert clean_text(cleaned) == cleaned
