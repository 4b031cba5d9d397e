"""Deliveries of values: idempotent, revisions kept, bad rows refused with nothing stored; the push API
with a token limited to its series."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.auth import tokens
from citycockpit.core.clock import Clock
from citycockpit.core.tabular import ImportFailed
from citycockpit.indicators import service
from citycockpit.indicators.models import Batch, Mark, Revision, Value
from tests.indicators.builders import ACTOR, deliver, make_feed, make_station


def _count(db: Session, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def air(db: Session, clock: Clock, city):  # type: ignore[no-untyped-def]
    make_station(db, "TC01", now=clock.now())
    return make_feed(db, "pm25", now=clock.now())


def test_values_keep_their_provenance(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    deliver(db, [("pm25", "2024-09-30T08:00+08:00", "TC01", 35)], now=clock.now())
    value, batch = db.execute(select(Value, Batch).join(Batch, Batch.id == Value.batch_id)).one()
    assert (value.observed_at.isoformat(), value.value) == ("2024-09-30T00:00:00+00:00", 35.0)
    assert (batch.source, batch.received_by, batch.received_at) == ("push", "test", clock.now())


def test_a_time_without_offset_is_in_the_citys_zone(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    deliver(db, [("pm25", "2024-09-30 08:00", "TC01", 35)], now=clock.now())
    assert db.scalar(select(Value.observed_at)).isoformat() == "2024-09-30T00:00:00+00:00"


def test_sending_the_same_values_again_changes_nothing(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    rows = [("pm25", "2024-09-30T08:00+08:00", "TC01", 35), ("pm25", "2024-09-30T09:00+08:00", "TC01", 40)]
    deliver(db, rows, now=clock.now())
    again = deliver(db, rows, now=clock.now())
    assert (again.created, again.unchanged, _count(db, Value)) == (0, 2, 2)


def test_a_changed_value_is_revised_and_the_old_one_kept_and_audited(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    first = deliver(db, [("pm25", "2024-09-30T08:00+08:00", "TC01", 35)], now=clock.now())
    later = deliver(
        db, [("pm25", "2024-09-30T08:00+08:00", "TC01", 38)], now=clock.now() + timedelta(hours=1)
    )
    revision = db.scalar(select(Revision))
    assert (later.revised, revision.old_value, revision.new_value, revision.old_batch_id) == (
        1,
        35,
        38,
        first.batch_id,
    )
    entry = db.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "indicators.values.receive")
        .order_by(AuditEntry.id.desc())
    )
    assert entry is not None
    assert [(r["from"], r["to"]) for r in json.loads(entry.diff_json)["revisions"]] == [(35.0, 38.0)]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (("pm25", "2024-09-30T08:00+08:00", "TC01", 1500), "outside the physical range"),
        (("pm25", "2024-09-30T08:00+08:00", "XX99", 35), "unknown station or area 'XX99'"),
        (("pm99", "2024-09-30T08:00+08:00", "TC01", 35), "unknown series 'pm99'"),
        (("pm25", "yesterday", "TC01", 35), "is not an ISO 8601 instant"),
        (("pm25", "2024-09-30T08:00+08:00", "TC01", "n/a"), "is not a number"),
    ],
)
def test_a_bad_row_is_refused_by_row_and_nothing_is_stored(
    db: Session, clock: Clock, air, row, reason
) -> None:  # type: ignore[no-untyped-def]
    good = ("pm25", "2024-09-30T07:00+08:00", "TC01", 30)
    with pytest.raises(ImportFailed) as caught:
        deliver(db, [good, row], now=clock.now())
    assert caught.value.row_errors[0].row == 2 and reason in caught.value.row_errors[0].reason
    assert (_count(db, Value), _count(db, Batch), _count(db, Mark)) == (0, 0, 0)


def test_one_time_twice_with_different_values_is_refused(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    rows = [("pm25", "2024-09-30T08:00+08:00", "TC01", 35), ("pm25", "2024-09-30T00:00Z", "TC01", 36)]
    with pytest.raises(ImportFailed) as caught:
        deliver(db, rows, now=clock.now())
    assert "repeats row 1 with a different value" in caught.value.row_errors[0].reason
    assert _count(db, Value) == 0


def test_one_time_twice_across_chunks_is_refused(db: Session, clock: Clock, air, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service, "CHUNK_ROWS", 1)  # the second row is checked against the stored first
    rows = [("pm25", "2024-09-30T08:00+08:00", "TC01", 35), ("pm25", "2024-09-30T08:00+08:00", "TC01", 36)]
    with pytest.raises(ImportFailed) as caught:
        deliver(db, rows, now=clock.now())
    assert "repeats an earlier row of this delivery" in caught.value.row_errors[0].reason
    assert _count(db, Value) == 0


def test_changed_values_mark_their_days_for_recomputation(db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    deliver(
        db,
        [("pm25", "2024-09-29T23:30+08:00", "TC01", 35), ("pm25", "2024-09-30T01:00+08:00", "TC01", 5)],
        now=clock.now(),
    )
    assert sorted(str(d) for d in db.scalars(select(Mark.day))) == ["2024-09-29", "2024-09-30"]


# ---------------------------------------------------------------- the push API


def _token(db: Session, clock: Clock, scopes: list[str]) -> str:
    return tokens.create_token(db, name="环境监测平台", scopes=scopes, actor=ACTOR, now=clock.now()).secret


def test_a_token_pushes_values_of_a_series_granted_to_it(client, db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    secret = _token(db, clock, ["indicators:write"])
    token_id = db.scalar(select(tokens.ApiToken.id).where(tokens.ApiToken.name == "环境监测平台"))
    service.grant_feeds(db, token_id, ["pm25"], actor=ACTOR, now=clock.now())
    body = {"values": [{"time": "2024-09-30T08:00+08:00", "station": "TC01", "value": 35}]}
    r = client.post(
        "/api/v1/indicators/pm25/values", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert (r.status_code, r.json()["created"]) == (200, 1)
    again = client.post(
        "/api/v1/indicators/pm25/values", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 1)
    assert db.scalar(select(Batch.received_by).order_by(Batch.id.desc()).limit(1)) == "token:环境监测平台"


def test_a_token_may_not_push_a_series_not_granted_to_it(client, db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    secret = _token(db, clock, ["indicators:write"])
    body = {"values": [{"time": "2024-09-30T08:00+08:00", "station": "TC01", "value": 35}]}
    r = client.post(
        "/api/v1/indicators/pm25/values", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert (r.status_code, r.json()["code"]) == (403, "indicator_feed_not_granted")
    assert _count(db, Value) == 0


def test_a_token_without_the_scope_is_refused(client, db: Session, clock: Clock, air) -> None:  # type: ignore[no-untyped-def]
    secret = _token(db, clock, ["indicators:read"])
    body = {"values": [{"time": "2024-09-30T08:00+08:00", "station": "TC01", "value": 35}]}
    r = client.post(
        "/api/v1/indicators/pm25/values", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 403


def test_a_pushed_batch_with_a_bad_row_answers_422_by_row(
    client, db: Session, clock: Clock, air, supervisor
) -> None:  # type: ignore[no-untyped-def]
    body = {
        "values": [
            {"time": "2024-09-30T08:00+08:00", "station": "TC01", "value": 35},
            {"time": "2024-09-30T09:00+08:00", "station": "TC01", "value": -3},
        ]
    }
    r = client.post("/api/v1/indicators/pm25/values", json=body, headers=supervisor.headers)
    assert (r.status_code, r.json()["errors"][0]["row"]) == (422, 2)
    assert _count(db, Value) == 0


def test_an_unknown_series_is_404(client, db: Session, clock: Clock, air, supervisor) -> None:  # type: ignore[no-untyped-def]
    body = {"values": [{"time": "2024-09-30T08:00+08:00", "station": "TC01", "value": 35}]}
    r = client.post("/api/v1/indicators/nope/values", json=body, headers=supervisor.headers)
    assert (r.status_code, r.json()["code"]) == (404, "indicator_feed_not_found")
