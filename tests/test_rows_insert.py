"""`db.RowsInsert` (the intake writer's driver-level multi-row INSERT) stores exactly what SQLAlchemy's
Core insert stores, column by column and value by value, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, insert

from citycockpit.audit.models import AuditEntry
from citycockpit.db import RowsInsert, UTCDateTime
from citycockpit.events.models import Event, EventTransition

EVENTS = cast(Table, Event.__table__)
ENTRIES = cast(Table, AuditEntry.__table__)
TRANSITIONS = cast(Table, EventTransition.__table__)
BEIJING = timezone(timedelta(hours=8))


def _event_rows(prefix: str) -> list[dict[str, Any]]:
    """Rows like the intake's: some columns given, the counters and flags left to their defaults."""
    base = datetime(2024, 9, 30, 18, 5, 7, 123456, tzinfo=BEIJING)  # not UTC: converted on the way in
    rows = []
    for i in range(3):
        at = base + timedelta(minutes=i)
        rows.append(
            {
                "public_id": f"{prefix}{i}",
                "version": 1,
                "channel": "open311",
                "request_type": None,
                "external_id": f"ext-{prefix}-{i}",
                "title": "路口有垃圾",
                "reporter_phone": "13800138000" if i else None,
                "is_test": i == 1,
                "lat": 30.2741 + i / 1000,
                "lon": 120.1551,
                "received_lat": 30.27,
                "received_lon": 120.15,
                "coord_system": "wgs84",
                "grid_code": "330102001001001",
                "category_code": "E0102",
                "department_id": None,
                "routing_rule": "按网格 (grid)",
                "routing_score": 0.75 if i else None,
                "needs_triage": i == 2,
                "state": "registered",
                "reported_at": at,
                "reported_day": date(2024, 9, 30),
                "registered_at": at.astimezone(UTC),
                "handle_due_at": None,
                "updated_at": at,
            }
        )
    return rows


def _stored(db, table: Table, ids: list[int], skip: set[str]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Every column of the rows as the driver reads it back (SQLite: the stored text, number or NULL)."""
    return _stored_by(db, table, "id", ids, skip=skip, order_by="id")


def test_events_inserted_by_the_driver_are_stored_as_the_core_insert_stores_them(db):
    old = dict(
        db.execute(insert(EVENTS).returning(EVENTS.c.public_id, EVENTS.c.id), _event_rows("OLD")).all()
    )
    new = dict(RowsInsert(EVENTS, returning=("public_id", "id")).execute(db, _event_rows("NEW")))
    assert sorted(new) == ["NEW0", "NEW1", "NEW2"]
    skip = {"id", "public_id", "external_id"}
    old_rows = _stored(db, EVENTS, [old[f"OLD{i}"] for i in range(3)], skip)
    new_rows = _stored(db, EVENTS, [new[f"NEW{i}"] for i in range(3)], skip)
    assert new_rows == old_rows
    assert old_rows[1]["is_test"][1] in (1, True) and old_rows[0]["rework_count"] == ("int", 0)


def test_audit_entries_inserted_by_the_driver_are_stored_as_the_core_insert_stores_them(db):
    def rows() -> list[dict[str, Any]]:
        at = datetime(2024, 9, 30, 10, 0, 0, 1, tzinfo=UTC)
        return [
            {
                "at": at + timedelta(seconds=i),
                "actor_id": None,
                "actor_name": "张三",
                "action": "event.report",
                "object_type": "event",
                "object_id": f"E{i}",
                "ip": "10.0.0.1" if i else None,
                "prev_hash": "0" * 64,
                "hash": f"{i:064d}",
                "key_id": "k1",
            }
            for i in range(4)
        ]  # diff_json left out: its default

    old = sorted(db.scalars(insert(ENTRIES).returning(ENTRIES.c.id), rows()))
    new = sorted(i for (i,) in RowsInsert(ENTRIES, returning=("id",)).execute(db, rows()))
    assert len(new) == 4 and new[0] > old[-1]
    assert _stored(db, ENTRIES, new, {"id"}) == _stored(db, ENTRIES, old, {"id"})


def test_many_rows_are_split_into_statements_under_the_bound_value_limit(db):
    class Small(RowsInsert):
        MAX_PARAMS = 50  # 12 columns with the default: 4 rows a statement

    rows = [
        {
            "at": datetime(2024, 9, 30, tzinfo=UTC),
            "actor_id": 7,
            "actor_name": "李四",
            "action": "event.report",
            "object_type": "event",
            "object_id": str(i),
            "ip": None,
            "prev_hash": "0" * 64,
            "hash": "1" * 64,
            "key_id": None,
        }
        for i in range(10)
    ]
    ids = [i for (i,) in Small(ENTRIES, returning=("id",)).execute(db, rows)]
    assert len(set(ids)) == 10
    stored = _stored(db, ENTRIES, sorted(ids), {"id", "at"})
    assert [r["object_id"][1] for r in stored] == [str(i) for i in range(10)]
    assert {r["diff_json"] for r in stored} == {("str", "{}")}


def test_rows_inserted_without_returning_are_stored_as_the_core_insert_stores_them(db):
    (event_id,) = db.execute(insert(EVENTS).returning(EVENTS.c.id), _event_rows("T")[:1]).one()

    def rows(note: str) -> list[dict[str, Any]]:
        return [
            {
                "event_id": event_id,
                "action": "report",
                "from_state": None,
                "to_state": "registered",
                "at": datetime(2024, 9, 30, 18, 0, i, tzinfo=BEIJING),
                "note": note,
                "department_id": None,
                "data_json": '{"channel": "热线"}',
                "actor_id": i or None,
                "actor_name": "市民",
                "actor_role": None,
            }
            for i in range(3)
        ]

    db.execute(insert(TRANSITIONS), rows("old"))
    assert RowsInsert(TRANSITIONS).execute(db, rows("new")) == []
    conn = db.connection()
    ids = [
        i for (i,) in conn.exec_driver_sql(f"SELECT id FROM event_transitions WHERE event_id = {event_id}")
    ]
    stored = _stored(db, TRANSITIONS, sorted(ids), {"id", "note"})
    assert len(stored) == 6
    assert stored[3:] == stored[:3]


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime(2024, 9, 30, 18, 5, 7, 123456, tzinfo=BEIJING),
        datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC),  # no microseconds: still written out
        datetime(999, 12, 31, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_the_fused_instant_conversion_is_sqlalchemys_chain_of_the_two(engine, value):
    column_type = UTCDateTime()
    ours = column_type.driver_processor(engine.dialect)
    theirs = column_type._cached_bind_processor(engine.dialect)
    assert theirs is not None
    assert (type(ours(value)), ours(value)) == (type(theirs(value)), theirs(value))


def test_the_fused_instant_conversion_refuses_a_naive_instant(engine):
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().driver_processor(engine.dialect)(datetime(2024, 9, 30, 10, 0))


def test_a_statement_run_through_the_driver_writes_and_reads_what_session_execute_does(db):
    """`db.DriverStatement` (the writer's fixed statements): the rate-limit counter's upsert stores the
    same row, with the same instant text, and returns the same count as the Core statement."""
    from citycockpit.auth import ratelimit
    from citycockpit.auth.models import RateLimitCounter

    counters = cast(Table, RateLimitCounter.__table__)
    start = datetime(2024, 9, 30, 2, 0, tzinfo=UTC)  # whole seconds: the text still carries microseconds
    upsert = ratelimit._upsert(db)
    for key in ("core", "driver"):
        params = {"key": key, "start": start, "amount": 3}
        if key == "core":
            first = db.execute(upsert.statement, params).scalar_one()
            second = db.execute(upsert.statement, params).scalar_one()
        else:
            ((first,),) = upsert.execute(db, params)
            ((second,),) = upsert.execute(db, params)
        assert (first, second) == (3, 6)
    stored = {r["key"][1]: r for r in _stored_by(db, counters, "key", ["core", "driver"])}
    assert {k: v for k, v in stored["driver"].items() if k != "key"} == {
        k: v for k, v in stored["core"].items() if k != "key"
    }
    assert stored["driver"]["count"] == ("int", 6)


def _stored_by(  # type: ignore[no-untyped-def]
    db, table: Table, column: str, values: list[Any], *, skip: set[str] = frozenset(), order_by: str = ""
) -> list[dict[str, Any]]:
    """The rows whose `column` is one of `values`, every column but `skip` as the driver reads it back."""
    names = [c.name for c in table.columns if c.name not in skip]
    conn = db.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"SELECT {', '.join(names)} FROM {table.name} WHERE {column} IN ({', '.join([mark] * len(values))})"
    got = conn.exec_driver_sql(sql + (f" ORDER BY {order_by}" if order_by else ""), tuple(values)).all()
    return [{n: (type(v).__name__, v) for n, v in zip(names, row, strict=True)} for row in got]


def test_a_statement_run_through_the_driver_converts_its_results_as_session_execute_does(db):
    from sqlalchemy import bindparam, select

    from citycockpit.db import DriverStatement

    (event_id,) = db.execute(insert(EVENTS).returning(EVENTS.c.id), _event_rows("R")[:1]).one()
    statement = select(EVENTS.c.id, EVENTS.c.reported_at, EVENTS.c.is_test, EVENTS.c.lat).where(
        EVENTS.c.id == bindparam("event_id"), EVENTS.c.channel.in_(["open311", "hotline"])
    )
    ours = DriverStatement(statement).execute(db, {"event_id": event_id})
    theirs = [tuple(r) for r in db.execute(statement, {"event_id": event_id})]
    assert ours == theirs
    assert [type(v) for v in ours[0]] == [type(v) for v in theirs[0]]
    assert ours[0][1].tzinfo is not None  # an aware UTC instant, as the column type gives it


def test_a_driver_statement_flushes_pending_orm_changes_first_as_session_execute_does(db):
    from sqlalchemy import select

    from citycockpit.db import DriverStatement

    entry = AuditEntry(
        at=datetime(2024, 9, 30, tzinfo=UTC),
        actor_name="王五",
        action="event.report",
        object_type="event",
        prev_hash="0" * 64,
        hash="2" * 64,
    )
    db.add(entry)
    found = DriverStatement(select(ENTRIES.c.actor_name).where(ENTRIES.c.hash == "2" * 64)).execute(db)
    assert found == [("王五",)]


def test_duplicate_proposals_inserted_by_the_driver_are_stored_as_the_core_insert_stores_them(db):
    from citycockpit.events.intake import duplicates
    from citycockpit.events.models import DuplicateProposal

    proposals = cast(Table, DuplicateProposal.__table__)
    ids = [
        i for _, i in db.execute(insert(EVENTS).returning(EVENTS.c.public_id, EVENTS.c.id), _event_rows("P"))
    ]

    def rows(event_id: int) -> list[dict[str, Any]]:
        return [
            {
                "event_id": event_id,
                "original_id": ids[0],
                "distance_m": 12.5,
                "hours_apart": 0.25,
                "status": "proposed",
                "proposed_at": datetime(2024, 9, 30, 8, 0, tzinfo=BEIJING),
                "decided_at": None,
                "decided_by": None,
            }
        ]

    db.execute(insert(proposals), rows(ids[1]))
    duplicates._INSERT_PROPOSALS.execute(db, rows(ids[2]))
    stored = {r["event_id"][1]: r for r in _stored_by(db, proposals, "event_id", ids[1:])}
    skip = {"id", "event_id"}
    assert {k: v for k, v in stored[ids[2]].items() if k not in skip} == {
        k: v for k, v in stored[ids[1]].items() if k not in skip
    }


def test_a_driver_statement_takes_in_lists_of_any_length_as_session_execute_does(db):
    from sqlalchemy import bindparam, select

    from citycockpit.db import DriverStatement

    ids = [
        i for _, i in db.execute(insert(EVENTS).returning(EVENTS.c.public_id, EVENTS.c.id), _event_rows("L"))
    ]
    statement = (
        select(EVENTS.c.id, EVENTS.c.registered_at)
        .where(EVENTS.c.id.in_(bindparam("ids", expanding=True)), EVENTS.c.reported_at >= bindparam("since"))
        .order_by(EVENTS.c.id)
    )
    ours = DriverStatement(statement)
    since = datetime(2024, 9, 30, 10, 6, 7, tzinfo=UTC)  # after the first row's instant, before the others'
    for wanted in ([ids[0]], ids, [ids[2], ids[1]], [], ids[:2]):
        params = {"ids": wanted, "since": since}
        assert ours.execute(db, params) == [tuple(r) for r in db.execute(statement, params)]
    assert [i for i, _ in ours.execute(db, {"ids": ids, "since": since})] == ids[1:]


def test_sql_text_run_through_the_driver_reads_what_a_typed_text_statement_reads(db):
    """`db.run_driver_sql` (the duplicate lookup's per-batch text): its literals escaped for the driver
    (a quote and a percent sign in one), its instants bound and read back as the column types do."""
    from sqlalchemy import bindparam, text

    from citycockpit.db import driver_marks, run_driver_sql

    rows = _event_rows("Q")
    rows[1]["title"] = "50% 的 'O型' 路灯不亮"
    ids = [i for _, i in db.execute(insert(EVENTS).returning(EVENTS.c.public_id, EVENTS.c.id), rows)]
    mark, literal = driver_marks(db.get_bind().dialect)
    since = datetime(2024, 9, 30, 10, 0, tzinfo=UTC)
    ours = run_driver_sql(
        db,
        f"SELECT events.id, events.reported_at, events.lat FROM events WHERE events.reported_at >= {mark}"
        f" AND events.title = '{literal(rows[1]['title'])}'",
        (since,),
        bind_types=(EVENTS.c.reported_at.type,),
        result_types=(EVENTS.c.id.type, EVENTS.c.reported_at.type, EVENTS.c.lat.type),
    )
    theirs = [
        tuple(r)
        for r in db.execute(
            text(
                "SELECT events.id, events.reported_at, events.lat FROM events WHERE events.reported_at >= :since AND events.title = :title"
            )
            .bindparams(bindparam("since", type_=EVENTS.c.reported_at.type))
            .columns(EVENTS.c.id, EVENTS.c.reported_at, EVENTS.c.lat),
            {"since": since, "title": rows[1]["title"]},
        )
    ]
    assert ours == theirs == [(ids[1], rows[1]["reported_at"].astimezone(UTC), rows[1]["lat"])]
