"""A reporter is masked by one rule, auth/pii's: every reader of an event shows a role without pii:read
(the leader) what `pii.shown` gives, and a role with it (the dispatcher) the reporter as given; the
readers that carry no reporter (the export, Open311) show neither."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from citycockpit.auth import pii
from tests.events.conftest import report

REPORTERS = [
    # name, phone, and how a role without pii:read must see them
    ("欧阳娜娜", "0512-53531234", "欧***", "0512-****1234"),
    ("李娜", "13812345678", "李*", "138****5678"),
    ("张", "12345", "*", "12345"),  # a one-character name; a service number is not personal
]


def _readers(client, persona, event) -> dict[str, tuple[str | None, str | None]]:  # type: ignore[no-untyped-def]
    """What each reader that shows a reporter shows this persona: (name, phone)."""
    seen = {}
    page = client.get("/api/v1/events?limit=500", headers=persona.headers).json()
    [item] = [i for i in page["items"] if i["id"] == event.id]
    seen["API list"] = (item["reporter_name"], item["reporter_phone"])
    one = client.get(f"/api/v1/events/{event.id}", headers=persona.headers).json()
    seen["API detail"] = (one["reporter_name"], one["reporter_phone"])
    html = client.get(f"/app/events/{event.public_id}", headers=persona.headers).text
    shown = re.search(r"<dt>(?:反映人|Reporter)</dt><dd>(\S+) (\S+)</dd>", html)
    assert shown is not None, html
    seen["event page"] = (shown.group(1), shown.group(2))
    return seen


def _without_reporter(client, persona, event) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The readers that must carry no reporter at all, as text."""
    book = load_workbook(io.BytesIO(client.get("/app/events?export=xlsx", headers=persona.headers).content))
    cells = " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row)
    base = f"/open311/v2/requests/{event.public_id}"
    return {
        "events export": cells,
        "Open311 JSON": client.get(f"{base}.json?extensions=true").text,
        "Open311 XML": client.get(f"{base}.xml?extensions=true").text,
    }


@pytest.mark.parametrize(("name", "phone", "masked_name", "masked_phone"), REPORTERS)
def test_every_reader_masks_a_reporter_as_auth_does(
    client, db, clock, categories, leader, dispatcher, name, phone, masked_name, masked_phone
):  # type: ignore[no-untyped-def]
    event = report(db, dispatcher.principal, clock.now(), reporter_name=name, reporter_phone=phone)
    db.flush()
    values = {"reporter_name": name, "reporter_phone": phone}
    assert pii.shown(leader.principal, values) == {
        "reporter_name": masked_name,
        "reporter_phone": masked_phone,
    }

    for persona in (leader, dispatcher):
        expected = tuple(pii.shown(persona.principal, values).values())
        seen = _readers(client, persona, event)
        assert seen == dict.fromkeys(seen, expected), persona.principal.role
        for reader, text in _without_reporter(client, persona, event).items():
            assert name not in text and phone not in text, reader
