"""A reporter is masked by one rule, auth/pii's: every reader of an event shows a role without pii:read
(the leader) what `pii.masked` gives, and a role with it (the dispatcher) the reporter as given; the
readers that carry no reporter (the export, Open311) show neither. Every unmasked read writes one
`pii.read` audit entry per request; a masked one writes none."""

from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from citycockpit.audit.models import AuditEntry
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
    assert pii.masked(values) == {
        "reporter_name": masked_name,
        "reporter_phone": masked_phone,
    }

    for persona in (leader, dispatcher):
        expected = tuple((pii.masked(values) if persona is leader else values).values())
        seen = _readers(client, persona, event)
        assert seen == dict.fromkeys(seen, expected), persona.principal.role
        for reader, text in _without_reporter(client, persona, event).items():
            assert name not in text and phone not in text, reader


def _pii_reads(db) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "pii.read").order_by(AuditEntry.id)))


def test_every_unmasked_read_is_audited_once_per_request_and_a_masked_one_not_at_all(
    client, db, clock, categories, leader, dispatcher
):  # type: ignore[no-untyped-def]
    first = report(db, dispatcher.principal, clock.now(), reporter_name="李娜", reporter_phone="13812345678")
    second = report(db, dispatcher.principal, clock.now(), reporter_name="王强", reporter_phone="13912345678")
    db.flush()
    _readers(client, leader, first)
    assert _pii_reads(db) == []

    expected = {
        "API list": (None, {first.public_id, second.public_id}),
        "API detail": (first.public_id, None),
        "event page": (first.public_id, None),
    }
    calls = {
        "API list": lambda: client.get("/api/v1/events?limit=500", headers=dispatcher.headers),
        "API detail": lambda: client.get(f"/api/v1/events/{first.id}", headers=dispatcher.headers),
        "event page": lambda: client.get(f"/app/events/{first.public_id}", headers=dispatcher.headers),
    }
    for reader, call in calls.items():
        before = len(_pii_reads(db))
        assert call().status_code == 200, reader
        new = _pii_reads(db)[before:]
        assert len(new) == 1, (reader, [e.diff_json for e in new])
        [entry] = new
        object_id, ids = expected[reader]
        assert (entry.actor_name, entry.object_type, entry.object_id) == (
            "user:dispatcher",
            "event",
            object_id,
        )
        if ids is not None:
            assert ids <= set(json.loads(entry.diff_json)["ids"]), reader
        assert json.loads(entry.diff_json)["fields"] == ["reporter_name", "reporter_phone"]
