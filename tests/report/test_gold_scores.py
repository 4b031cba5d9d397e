"""The extractor against hand-checked gold ledgers: the seed report and a corpus of other levels' reports."""

import pytest

from citycockpit.report.ledger import build_ledger
from citycockpit.report.score import name_overlap, score_ledger
from tests.report.conftest import CORPUS, SEED, gold_for

FIELDS = ("name", "measure", "value", "unit", "qualifier", "stretch")


def ledger_and_gold(path):
    return build_ledger(path.read_text(encoding="utf-8")), gold_for(path)


def test_the_seed_targets_are_exactly_right():
    ledger, gold = ledger_and_gold(SEED)
    assert [{k: t[k] for k in FIELDS} for t in ledger["targets"]] == gold["targets"]
    assert ledger["qualitative_targets"] == gold["qualitative_targets"]


@pytest.mark.parametrize("name", ["actuals", "commitments"])
def test_the_seed_actuals_and_commitments_reach_095_precision_and_recall(name):
    score = score_ledger(*ledger_and_gold(SEED))
    print(score.format())
    assert score.lists[name].precision >= 0.95, score.lists[name].spurious
    assert score.lists[name].recall >= 0.95, score.lists[name].missed


def test_the_seed_commitments_hang_under_their_tasks():
    assert score_ledger(*ledger_and_gold(SEED)).task_attachment >= 0.95


def test_the_seed_header_tasks_and_glossary_match_the_gold():
    score = score_ledger(*ledger_and_gold(SEED))
    assert score.report_fields_wrong == []
    assert (score.tasks.f1, score.glossary.f1) == (1.0, 1.0)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_each_corpus_report_scores_at_least_090_on_every_list(path):
    score = score_ledger(*ledger_and_gold(path))
    print(path.stem, score.format(), sep="\n")
    for name, s in score.lists.items():
        assert min(s.precision, s.recall) >= 0.9, (name, s.missed, s.spurious)
    assert score.qualitative.f1 >= 0.9
    assert score.report_fields_wrong == []
    assert score.tasks.f1 == 1.0
    assert score.task_attachment >= 0.9


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_each_corpus_report_has_its_targets_exactly_right_apart_from_name_wording(path):
    ledger, gold = ledger_and_gold(path)
    got = [{k: t[k] for k in FIELDS if k != "name"} for t in ledger["targets"]]
    assert got == [{k: t[k] for k in FIELDS if k != "name"} for t in gold["targets"]]
    assert all(
        name_overlap(t["name"], g["name"]) >= 0.8
        for t, g in zip(ledger["targets"], gold["targets"], strict=True)
    )


def test_the_scorer_counts_a_wrong_qualifier_as_a_miss_and_a_false_item():
    gold = {
        "targets": [
            {
                "name": "地区生产总值",
                "measure": "growth",
                "value": 5,
                "unit": "%",
                "qualifier": ">=",
                "stretch": False,
            }
        ]
    }
    predicted = {"targets": [dict(gold["targets"][0], qualifier="~")]}
    s = score_ledger(predicted, gold).lists["targets"]
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)


def test_the_scorer_accepts_a_reworded_name_but_not_another_noun():
    item = {"measure": "level", "value": 30, "unit": "个", "qualifier": "=", "stretch": False}
    gold = {"actuals": [dict(item, name="竣工项目")]}
    assert score_ledger({"actuals": [dict(item, name="项目竣工")]}, gold).lists["actuals"].tp == 1
    assert score_ledger({"actuals": [dict(item, name="老旧小区")]}, gold).lists["actuals"].tp == 0
