"""On PostgreSQL the events table is partitioned by month: the migration turns a populated table into
a partitioned one and back without changing a row, an id or a KPI; the keys stay unique across
partitions, deletes still cascade to an event's children, and the worker creates months ahead."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citycockpit import migrate
from citycockpit.auth.enums import Role
from citycockpit.auth.permissions import perms_for
from citycockpit.auth.principal import Principal
from citycockpit.db import session_scope
from citycockpit.events.analytics import rollup
from citycockpit.events.intake import service as intake
from citycockpit.events.models import Event, EventTransition
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.events.storage import partitions
from tests.events.storage_fixture import (
    BEFORE_PARTITIONING,
    CLOCK,
    PARTITIONING,
    TZ,
    kpis_of,
    populated_city,
    relkind,
    snapshot,
)

CENTRE = Principal(id=None, name="分区测试", role=Role.DISPATCHER, perms=perms_for(Role.DISPATCHER))


@pytest.fixture(scope="module")
def city():  # type: ignore[no-untyped-def]
    with populated_city() as c:
        yield c


def _report(session: Session, key: str | None = None, external_id: str | None = None) -> Event:
    return intake.create_event(
        session,
        intake.EventInput(
            description="小区门口垃圾满溢，请尽快清运",
            category_code="E0102",
            channel="api",
            idempotency_key=key,
            external_id=external_id,
        ),
        actor=CENTRE,
        now=CLOCK.now(),
    )


def test_the_migration_partitions_a_populated_events_table_and_back_without_changing_a_row(city) -> None:
    engine = city.engine
    year = (date(2023, 1, 1), date(2023, 12, 31))
    before, kpis_2023 = snapshot(engine), kpis_of(engine, *year, use_rollups=False)
    assert before["events"][0] == 4800 and relkind(engine) == "r"

    migrate.upgrade(engine, PARTITIONING)
    assert relkind(engine) == "p"
    with Session(engine) as s:
        parts = partitions.list_partitions(s)
        months = [p.month for p in parts if p.month is not None]
        # every month holding events (Jan 2023 – Feb 2024), the current one and three ahead, and the default
        assert months[0] == date(2023, 1, 1) and date(2024, 2, 1) in months
        assert parts[-1].name == "events_pdefault"
        in_default = s.scalar(text("SELECT count(*) FROM events_pdefault"))
        per_partition = s.scalar(text("SELECT count(*) FROM events_p202306"))
        keys = s.scalar(text("SELECT count(*) FROM event_keys"))
    assert in_default == 0 and per_partition > 0 and keys == 4800
    assert snapshot(engine) == before
    assert kpis_of(engine, *year, use_rollups=False) == kpis_2023

    migrate.downgrade(engine, BEFORE_PARTITIONING)
    assert relkind(engine) == "r" and relkind(engine, "event_keys") is None
    assert snapshot(engine) == before
    assert kpis_of(engine, *year, use_rollups=False) == kpis_2023

    migrate.upgrade(engine)
    assert relkind(engine) == "p" and snapshot(engine) == before
    assert migrate.pending_model_changes(engine) == []  # the models are the newest revision's
    # the rollups computed on the partitioned table give the same KPIs as the events
    with session_scope(engine) as s:
        rollup.recompute_days(s, *year, zone=TZ, now=CLOCK.now())
    from_rollups = kpis_of(engine, *year)
    assert from_rollups.pop("source") == "rollup" and kpis_2023.pop("source") == "raw"
    assert from_rollups == kpis_2023


def test_a_new_event_gets_the_next_id_and_its_keys_stay_unique_across_partitions(city) -> None:
    engine = city.engine
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        top = s.scalar(select(func.max(Event.id)))
        event = _report(s, key="part-key-1", external_id="GD-2024-000001")
    assert event.id == top + 1
    with Session(engine) as s:
        keys = s.execute(
            text("SELECT public_id, idempotency_key FROM event_keys WHERE id = :i"), {"i": event.id}
        ).one()
    assert tuple(keys) == (event.public_id, "part-key-1")
    # the same key or external id again, even for an event of another month, is refused by event_keys
    for key, external in (("part-key-1", None), (None, "GD-2024-000001")):
        with Session(engine) as s, pytest.raises(IntegrityError):
            s.execute(
                text(
                    "UPDATE events SET idempotency_key = :k, external_id = :x, channel = 'api' "
                    "WHERE id = (SELECT min(id) FROM events)"
                ),
                {"k": key, "x": external},
            )
    with session_scope(engine) as s:
        same, created = intake.report_event_once(
            s,
            intake.EventInput(description="再次发送", category_code="E0102", idempotency_key="part-key-1"),
            actor=CENTRE,
            now=CLOCK.now(),
        )
    assert (same.id, created) == (event.id, False)


def test_deleting_an_event_still_deletes_its_timeline_and_its_key(city) -> None:
    engine = city.engine
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        victim = s.scalar(select(Event.id).where(Event.reported_day == date(2023, 5, 8)).limit(1))
        assert s.scalar(select(func.count()).where(EventTransition.event_id == victim)) > 0
        s.execute(delete(Event).where(Event.id == victim))
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(EventTransition.event_id == victim)) == 0
        assert s.scalar(text("SELECT count(*) FROM event_keys WHERE id = :i"), {"i": victim}) == 0


def test_moving_an_event_to_another_month_keeps_its_key_and_children(city) -> None:
    engine = city.engine
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        moved = s.scalar(select(Event.id).where(Event.reported_day == date(2023, 7, 3)).limit(1))
        children = s.scalar(select(func.count()).where(EventTransition.event_id == moved))
        s.execute(text("UPDATE events SET reported_day = '2023-08-03' WHERE id = :i"), {"i": moved})
    with Session(engine) as s:
        assert s.scalar(text("SELECT reported_day FROM event_keys WHERE id = :i"), {"i": moved}) == date(
            2023, 8, 3
        )
        assert s.scalar(text("SELECT count(*) FROM events_p202308 WHERE id = :i"), {"i": moved}) == 1
        assert s.scalar(select(func.count()).where(EventTransition.event_id == moved)) == children


def test_the_worker_job_creates_months_ahead_once_and_splits_a_month_out_of_the_default(city) -> None:
    engine = city.engine
    migrate.upgrade(engine)
    # an event of a month without a partition lands in the default partition
    with session_scope(engine) as s:
        s.execute(
            text("UPDATE events SET reported_day = '2031-01-15' WHERE id = (SELECT max(id) FROM events)")
        )
        stray = s.scalar(text("SELECT count(*) FROM events_pdefault"))
    assert stray == 1
    later = datetime(2030, 11, 20, 2, 0, tzinfo=CLOCK.now().tzinfo)
    with session_scope(engine) as s:
        first = partitions.partition_job(s, now=later, calendar=DEFAULT_CALENDAR)
    with session_scope(engine) as s:
        again = partitions.partition_job(s, now=later, calendar=DEFAULT_CALENDAR)
        names = {p.name for p in partitions.list_partitions(s)}
        left = s.scalar(text("SELECT count(*) FROM events_pdefault"))
        moved = s.scalar(text("SELECT count(*) FROM events_p203101"))
        keys = s.scalar(text("SELECT count(*) FROM event_keys WHERE reported_day = '2031-01-15'"))
        audited = s.scalar(
            text("SELECT count(*) FROM audit_entries WHERE action = 'event.partitions.create'")
        )
    assert (first.touched, again.touched) == (4, 0)  # Nov 2030 + three ahead; then nothing to do
    assert {"events_p203011", "events_p203012", "events_p203101", "events_p203102"} <= names
    assert (left, moved, keys, audited) == (0, 1, 1, 1)


def test_on_sqlite_the_partition_job_does_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        assert partitions.partition_job(s, now=CLOCK.now(), calendar=DEFAULT_CALENDAR).touched == 0
        assert partitions.list_partitions(s) == []
