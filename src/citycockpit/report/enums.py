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


QUALIFIERS = ("=", ">=", ">", "<=", "~")
