"""The Open311 intake writer (group commit): requests arriving together are written together, each
answered with its own outcome; keys are checked in the batch and limited per key."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from citycockpit.audit import service as audit
from citycockpit.auth.models import ApiToken
from citycockpit.auth.tokens import revoke_token
from citycockpit.events.intake.writer import writer_of
from citycockpit.events.models import Event, EventTransition
from tests.events.conftest import TESTER, LiveIntake, open311_form, run_in_fresh_loop

URL = "/open311/v2/requests.json"


@pytest.fixture
def writer(live_intake: LiveIntake):  # type: ignore[no-untyped-def]
    return writer_of(live_intake.app)


def _count(live: LiveIntake, stmt) -> int:  # type: ignore[no-untyped-def]
    with live.session() as s:
        return int(s.scalar(stmt) or 0)


def test_requests_sent_together_share_transactions_and_each_gets_its_own_answer(live_intake, writer):
    app, api_key = live_intake.app, live_intake.api_key
    forms = [open311_form(api_key, description=f"路口有垃圾 第{i}处") for i in range(40)]
    forms += [
        open311_form(api_key, service_code="X9999"),
        open311_form(api_key, service_code="E01"),
    ]  # unknown, major class
    forms += [open311_form("cc_wrong"), open311_form("")]  # bad and missing key

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await asyncio.gather(*(http.post(URL, data=f) for f in forms))

    responses = run_in_fresh_loop(send_all)
    assert Counter(r.status_code for r in responses) == {201: 40, 404: 2, 403: 2}
    ids = [r.json()[0]["service_request_id"] for r in responses if r.status_code == 201]
    assert len(set(ids)) == 40
    with live_intake.session() as s:
        stored = s.scalars(select(Event.public_id).where(Event.public_id.in_(ids))).all()
        reports = s.scalar(
            select(func.count()).select_from(EventTransition).join(Event).where(Event.public_id.in_(ids))
        )
        chained = audit.verify_chain(s).ok
    assert sorted(stored) == sorted(ids)  # every 201 is in the database, once
    assert reports == 40
    assert writer.requests == len(forms) and writer.batches < writer.requests  # some were written together
    assert chained  # the batched audit entries chain like single ones


def test_a_valid_key_is_not_held_to_the_anonymous_address_limit(live_intake):
    client, api_key = live_intake.client, live_intake.api_key
    live_intake.app.state.settings.rate_limit_public_per_minute = 2
    assert [client.post(URL, data=open311_form(api_key)).status_code for _ in range(5)] == [201] * 5
    # A wrong key counts against the address: 403 until the anonymous limit, then 429.
    statuses = [client.post(URL, data=open311_form("cc_wrong")).status_code for _ in range(3)]
    assert statuses == [403, 403, 429]


def test_each_key_has_its_own_limit(live_intake):
    client, api_key = live_intake.client, live_intake.api_key
    live_intake.app.state.settings.rate_limit_api_key_per_minute = 3
    answers = [client.post(URL, data=open311_form(api_key)) for _ in range(4)]
    assert [r.status_code for r in answers] == [201, 201, 201, 429]
    assert int(answers[3].headers["retry-after"]) >= 1
    assert answers[3].json()[0]["code"] == 429
    other = live_intake.new_key("other app", ["events:create"])
    assert client.post(URL, data=open311_form(other)).status_code == 201


def test_a_batch_that_crosses_a_keys_limit_stores_only_the_requests_within_it(live_intake):
    app, api_key = live_intake.app, live_intake.api_key
    # The writer inserts first and counts after; a batch crossing the limit is rolled back and redone
    # with the limit decided first: the requests within it are stored once, the rest refused.
    app.state.settings.rate_limit_api_key_per_minute = 5
    forms = [open311_form(api_key, description=f"路口有垃圾 第{i}处") for i in range(8)]
    forms.append(open311_form(api_key, service_code="X9999"))  # unknown code, also counted against the key

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await asyncio.gather(*(http.post(URL, data=f) for f in forms))

    responses = run_in_fresh_loop(send_all)
    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] + statuses[404] == 5 and statuses[429] == 4
    ids = [r.json()[0]["service_request_id"] for r in responses if r.status_code == 201]
    assert _count(live_intake, select(func.count()).select_from(Event)) == len(ids) == statuses[201]
    assert _count(live_intake, select(func.count()).select_from(EventTransition)) == len(ids)
    with live_intake.session() as s:
        assert audit.verify_chain(s).ok


def test_a_revoked_key_is_refused_at_once(live_intake):
    client, secret = live_intake.client, live_intake.new_key("app", ["events:create"])
    assert client.post(URL, data=open311_form(secret)).status_code == 201
    with live_intake.session() as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "app"))
        revoke_token(s, token_id, actor=TESTER, now=live_intake.clock.now())
    r = client.post(URL, data=open311_form(secret))
    assert r.status_code == 403 and "api_key" in r.json()[0]["description"]


def test_a_body_that_is_not_a_form_gets_a_clear_400(client, api_key):
    r = client.post(URL, json=open311_form(api_key))
    assert r.status_code == 400
    assert "x-www-form-urlencoded" in r.json()[0]["description"]


def test_a_form_that_is_not_utf8_gets_a_clear_400(client, api_key, db):  # type: ignore[no-untyped-def]
    before = db.scalar(select(func.count()).select_from(Event))
    r = client.post(
        URL,
        content=b"api_key=" + api_key.encode() + b"&service_code=E0102&description=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400 and "UTF-8" in r.json()[0]["description"]
    assert db.scalar(select(func.count()).select_from(Event)) == before


def test_an_intake_key_records_its_last_use(live_intake) -> None:  # type: ignore[no-untyped-def]
    secret = live_intake.new_key("app", ["events:create"])
    used = select(ApiToken.last_used_at).where(ApiToken.name == "app")
    with live_intake.session() as s:
        assert s.scalar(used) is None
    assert live_intake.client.post(URL, data=open311_form(secret)).status_code == 201
    with live_intake.session() as s:
        assert s.scalar(used) == live_intake.clock.now()


def test_an_intake_key_used_within_the_minute_is_not_written_again(live_intake) -> None:  # type: ignore[no-untyped-def]
    """The batch's key lookup reads last_used_at: a key touched less than a minute ago costs its batch
    no UPDATE; a minute later it is touched again."""
    secret = live_intake.new_key("app", ["events:create"])
    used = select(ApiToken.last_used_at).where(ApiToken.name == "app")
    updates: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            updates.append(statement)

    first = live_intake.clock.now()
    sa_event.listen(live_intake.engine, "before_cursor_execute", record)
    try:
        assert live_intake.client.post(URL, data=open311_form(secret)).status_code == 201
        live_intake.clock.fixed = first + timedelta(seconds=30)
        assert live_intake.client.post(URL, data=open311_form(secret)).status_code == 201
        assert len(updates) == 1
        with live_intake.session() as s:
            assert s.scalar(used) == first
        live_intake.clock.fixed = first + timedelta(seconds=61)
        assert live_intake.client.post(URL, data=open311_form(secret)).status_code == 201
    finally:
        sa_event.remove(live_intake.engine, "before_cursor_execute", record)
    assert len(updates) == 2
    with live_intake.session() as s:
        assert s.scalar(used) == live_intake.clock.now()
