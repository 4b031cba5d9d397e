"""Text as it comes in and as XML carries it out: `clean_text`, the one normalisation every intake path
applies to what a person or a source system typed, and `xml_safe`, which every XML writer applies to
whatever is stored.

Unicode normalisation is NFC, not NFKC. NFC only joins a letter and its combining marks into the one
code point they mean (e + ◌́ → é), so two spellings of one text compare and search alike. NFKC would
also fold compatibility characters, changing what citizens type: full-width digits and letters
(１２３号 → 123号, ＡＢＣ → ABC), full-width punctuation (，：？ → , : ?), circled numbers (① → 1) and
units (㎡ → m2). Those carry the reporter's meaning and layout and are kept as typed."""

from __future__ import annotations

import re
import unicodedata

# C0 controls other than tab and newline, DEL, lone surrogates (a JSON "\ud800" decodes to one; no
# database stores it as UTF-8) and the two noncharacters XML 1.0 forbids.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# What XML 1.0 §2.2 does not allow in a document: every C0 control but tab, LF and CR, surrogates and
# U+FFFE/U+FFFF (everything else, C1 controls included, is a legal Char).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """The text as stored: line breaks as LF (CR LF and a lone CR each become one LF), C0 control
    characters other than tab and LF removed, DEL and lone surrogates removed, then NFC.

    The one home of this rule: `events.intake.service.EventInput` applies it to every text field of
    every channel (JSON API, Open311, workbench form, citizen app, hotline and history imports)."""
    if not value:
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _UNWANTED.sub("", value))


def clean_optional(value: str | None) -> str | None:
    return None if value is None else clean_text(value)


def xml_safe(value: str) -> str:
    """`value` without the characters an XML 1.0 document cannot hold, so a writer's output parses
    whatever is stored (rows written before `clean_text` existed, or by hand)."""
    return _NOT_XML.sub("", value)
