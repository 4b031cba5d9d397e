"""Report files whose XML is malformed or declares entities, and PDFs whose streams expand past the
reader's limit, are refused as unreadable (a 4xx naming the file), never a 500."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from citycockpit.report.read import ReportReadError, read_report_bytes
from tests.report.pdfgen import _pdf, text_pdf

BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE w:document [\n<!ENTITY a "aaaaaaaaaa">\n'
    + b"".join(
        b'<!ENTITY %s "%s">\n' % (chr(98 + i).encode(), (b"&" + chr(97 + i).encode() + b";") * 10)
        for i in range(8)
    )
    + b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
)


def _docx_with(document_xml: bytes) -> bytes:
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("政府工作报告")
    document.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, document_xml if item.filename == "word/document.xml" else data)
    return out.getvalue()


@pytest.mark.parametrize(
    "document_xml",
    [
        b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body><w:p>",
        b"not xml at all \x00\x01",
        BILLION_LAUGHS,
    ],
    ids=["truncated", "garbage", "entity-expansion"],
)
def test_a_docx_with_malformed_xml_or_entities_is_unreadable(document_xml):  # type: ignore[no-untyped-def]
    with pytest.raises(ReportReadError) as info:
        read_report_bytes(_docx_with(document_xml), "bomb.docx")
    assert (info.value.code, info.value.status) == ("report_unreadable", 422)
    assert "bomb.docx" in info.value.detail


def _flate_bomb_pdf() -> bytes:
    """A one-page PDF with real text whose font's ToUnicode map is a FlateDecode stream expanding to
    80 MB (past pypdf's 75 MB limit) from ~80 KB: reading the text decodes it."""
    huge = zlib.compress(b" " * 80_000_000, 9)
    ops = (
        b"BT /F1 10.5 Tf 14 TL 50 800 Td <"
        + "政府工作报告".encode("utf-16-be").hex().encode()
        + b"> Tj T* ET"
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream",
            b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
            b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(huge) + huge + b"\nendstream",
        ]
    )


def test_a_pdf_whose_stream_expands_past_the_limit_is_unreadable():
    with pytest.raises(ReportReadError) as info:
        read_report_bytes(_flate_bomb_pdf(), "bomb.pdf")
    assert (info.value.code, info.value.status) == ("report_unreadable", 422)
    assert "bomb.pdf" in info.value.detail


def test_a_good_pdf_still_reads():
    text = read_report_bytes(
        text_pdf([["二〇二四年政府工作报告，全市地区生产总值增长百分之五以上。"] * 3]), "ok.pdf"
    ).text
    assert "政府工作报告" in text
