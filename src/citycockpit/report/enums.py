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


def number_text(value: float) -> str:
    """A figure as a report writes it: 5, 5.5, 1.2 (no trailing .0, no exponent)."""
    return f"{value:.6f}".rstrip("0").rstrip(".") if not float(value).is_integer() else str(int(value))


def value_text(measure: str | None, value: float | None, unit: str | None, qualifier: str | None) -> str:
    """An item's figure in the report's own notation: 增长5%以上 and 下降3%左右 (growth), 24微克/立方米以下
    and 超1000亿元 (a level), 86%以上 (a share); "" without a value. Every page, export and goal title that
    shows a ledger figure writes it through here, never as `>= 5 %`."""
    if value is None:
        return ""
    if measure == Measure.GROWTH:
        verb = "下降" if value < 0 else "增长"
        return verb + qualified_text(number_text(abs(value)) + (unit or "%"), qualifier)
    return qualified_text(number_text(value) + (unit or ""), qualifier)
