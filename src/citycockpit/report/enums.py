from enum import StrEnum


class ItemList(StrEnum):
    TARGET = "targets"
    QUALITATIVE_TARGET = "qualitative_targets"
    ACTUAL = "actuals"
    COMMITMENT = "commitments"


class ReviewState(StrEnum):
    """An item's review: machine output until a person confirms, edits or rejects it."""

    EXTRACTED = "extracted"
    CONFIRMED = "confirmed"
    EDITED = "edited"
    REJECTED = "rejected"


class Measure(StrEnum):
    LEVEL = "level"
    GROWTH = "growth"
    SHARE = "share"


# How a target writes each qualifier around its number, as (before, after): 5%以上 (>=), 超5% (>), 24以下
# (<=), 5%左右 (~), a bare 5% (=). report.numbers reads these words back to the same qualifier (its
# PRE_/POST_QUALIFIERS also read the synonyms: 及以上, 以内, 超过 …); goals writes targets with them.
QUALIFIER_WORDS: dict[str, tuple[str, str]] = {
    "=": ("", ""),
    ">=": ("", "以上"),
    ">": ("超", ""),
    "<=": ("", "以下"),
    "~": ("", "左右"),
}
QUALIFIERS = tuple(QUALIFIER_WORDS)


def qualified_text(number: str, qualifier: str | None) -> str:
    """A number (with its unit) written with its qualifier: ("5%", ">=") → 5%以上, ("5%", ">") → 超5%;
    no qualifier is a bare number."""
    before, after = QUALIFIER_WORDS.get(qualifier or "=", ("", ""))
    return f"{before}{number}{after}"
