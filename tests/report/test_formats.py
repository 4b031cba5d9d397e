"""The seed report read back from the formats it is published in: the ledger must not depend on the format."""

import io

import docx
import pytest

from citycockpit.report.ledger import build_ledger
from citycockpit.report.read import read_report
from citycockpit.report.score import score_ledger
from tests.report.conftest import SEED, gold_for
from tests.report.pdfgen import report_pages, text_pdf


def score_of(data: bytes, filename: str):
    return score_ledger(build_ledger(read_report((data, filename)).text), gold_for(SEED))


@pytest.mark.parametrize("indent", [True, False], ids=["indented", "flush"])
def test_the_seed_as_a_wrapped_paged_pdf_scores_like_the_text(seed_text, indent):
    score = score_of(text_pdf(report_pages(seed_text, indent=indent)), "taicang.pdf")
    for name, s in score.lists.items():
        assert min(s.precision, s.recall) >= 0.95, (name, s.missed, s.spurious)
    assert score.report_fields_wrong == []
    assert score.tasks.f1 >= 0.85 and score.glossary.f1 == 1.0


def test_the_seed_as_a_docx_scores_like_the_text(seed_text):
    document = docx.Document()
    for line in seed_text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    score = score_of(buffer.getvalue(), "taicang.docx")
    assert [s.f1 for s in score.lists.values()] == [1.0, 1.0, 1.0]
    assert (score.tasks.f1, score.glossary.f1, score.report_fields_wrong) == (1.0, 1.0, [])


def test_the_seed_as_a_gbk_text_file_scores_like_the_utf8_one(seed_text):
    score = score_of(seed_text.encode("gb18030"), SEED.name)
    assert [s.f1 for s in score.lists.values()] == [1.0, 1.0, 1.0]
