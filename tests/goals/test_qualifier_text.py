"""Qualifier words (以上, 超, 以下, 左右) have one home, report.enums: every place goals writes a target
(a goal's title from a report item, a status reason, the bulletin) writes the same words, and the report
reader (report.numbers) reads each one back as the qualifier it was written for."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.goals import bulletin, evaluation, service
from citycockpit.goals.status import IndicatorFacts, Thresholds, target_text
from citycockpit.report.enums import QUALIFIERS, qualified_text
from citycockpit.report.numbers import find_quantities
from tests.goals.builders import add_actuals, make_goal, make_series

WRITTEN = {"=": "5%", ">=": "5%以上", ">": "超5%", "<=": "5%以下", "~": "5%左右"}


def _read_back(text: str) -> tuple[float, str, str]:
    [quantity] = find_quantities(text)
    return quantity.value, quantity.unit, quantity.qualifier


@pytest.mark.parametrize("qualifier", QUALIFIERS)
def test_each_qualifier_is_written_in_the_reports_words(qualifier: str) -> None:
    assert qualified_text("5%", qualifier) == WRITTEN[qualifier]


@pytest.mark.parametrize("qualifier", QUALIFIERS)
def test_a_target_written_by_goals_reads_back_as_its_own_qualifier(qualifier: str) -> None:
    facts = IndicatorFacts(
        as_of=date(2024, 6, 30), measure="growth", qualifier=qualifier, target=5, cumulative=True
    )
    item = SimpleNamespace(
        name="地区生产总值", value=5.0, unit="%", measure="growth", qualifier=qualifier, stretch=False
    )
    title = service.item_title(item)
    assert title == "地区生产总值增长" + WRITTEN[qualifier]
    assert _read_back(target_text(facts)) == _read_back(title) == (5, "%", qualifier)


def test_the_bulletin_writes_each_target_in_the_same_words(db: Session, clock: Clock, city) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    gdp = make_series(db, "地区生产总值", now=now)
    add_actuals(db, gdp, 2024, {6: (860.0, 5.2)}, now=now)
    for qualifier in QUALIFIERS:
        make_goal(
            db,
            now=now,
            title=f"目标{qualifier}",
            measure="growth",
            qualifier=qualifier,
            target_value=5,
            unit="%",
            series_id=gdp.id,
        )
    evaluation.evaluate_goals(db, "2024-06", today=date(2024, 9, 30), thresholds=Thresholds(), now=now)
    b = bulletin.build_bulletin(db, None, period="2024-06", today=date(2024, 9, 30))
    targets = {
        row.title.removeprefix("目标"): row.forecast.split("（目标")[1].rstrip("）")
        for group in b.by_area
        for row in group["rows"]
    }
    assert targets == {q: "增长" + text for q, text in WRITTEN.items()}  # a growth target says 增长
    assert {q: _read_back(text)[2] for q, text in targets.items()} == {q: q for q in QUALIFIERS}
