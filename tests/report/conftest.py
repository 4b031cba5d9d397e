import json
from pathlib import Path

import pytest

from citycockpit.report.ledger import extract_ledger

HERE = Path(__file__).parent
SEED = (
    HERE.parents[1] / "src" / "citycockpit" / "report" / "samples" / "taicang-2024-government-work-report.txt"
)
CORPUS = sorted((HERE / "corpus").glob("*.txt"))


def gold_for(report: Path) -> dict:
    name = "taicang-2024" if report == SEED else report.stem
    return json.loads((HERE / "gold" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_ledger(seed_text):
    return extract_ledger(seed_text)
