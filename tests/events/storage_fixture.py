"""A PostgreSQL database of its own with the demo organisation, the shipped categories and generated
events over fourteen months (January 2023 to February 2024, with their timelines and rollups), for
the partitioning and archive tests. Built at the revision before partitioning, so the migration runs
on a populated database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from citycockpit import migrate
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.demo.generate import generate_events
from citycockpit.events import categories
from citycockpit.events.analytics import kpis, rollup
from citycockpit.org import service as org
from tests.conftest import create_postgres_database, drop_postgres_database, with_audit_keys

TZ = ZoneInfo("Asia/Shanghai")
CLOCK = fixed_clock("2024-03-01T10:00:00")
ACTOR = SystemActor("test")
BEFORE_PARTITIONING = "d5b8e2f14a67"
PARTITIONING = "e2a9c4f1b7d3"
CHILDREN = (
    "event_transitions",
    "event_duplicate_proposals",
    "event_objections",
    "event_assists",
    "event_photos",
    "event_surge_alert_events",
)


@dataclass
class City:
    engine: Engine
    url: str


@contextmanager
def populated_city(
    events_2023: int = 4000, events_2024: int = 800, *, at_head: bool = False
) -> Iterator[City]:
    """The city at the revision before partitioning, or (`at_head`) migrated to the newest and with
    the rollups of every day of its events computed."""
    url = create_postgres_database("part")
    engine = with_audit_keys(make_engine(url))
    try:
        migrate.upgrade(engine, BEFORE_PARTITIONING)
        org_file = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
        with session_scope(engine) as s:
            org.import_org(s, org_file, "taicang-org.yaml", actor=ACTOR, now=CLOCK.now())
            categories.import_categories(
                s, categories.shipped_categories_file(), "categories.yaml", actor=ACTOR, now=CLOCK.now()
            )
        for year, n, seed in ((2023, events_2023, 5), (2024, events_2024, 6)):
            generate_events(
                engine,
                n=n,
                year=year,
                now=CLOCK.now(),
                zone=TZ,
                actor=ACTOR,
                seed=seed,
                with_timeline=True,
                batch_size=2000,
            )
        if at_head:
            migrate.upgrade(engine)
            rollup.recompute_range(
                lambda: session_scope(engine), date(2023, 1, 1), date(2024, 2, 29), zone=TZ, now=CLOCK.now()
            )
        yield City(engine, url)
    finally:
        engine.dispose()
        drop_postgres_database(url)


def snapshot(engine: Engine) -> dict[str, Any]:
    """What must not change when the storage changes: counts, ids, a checksum of every event row
    (ordered by id) and of each child table, and the id sequence's position."""
    with engine.connect() as conn:
        q = conn.execute
        out: dict[str, Any] = {
            "events": tuple(q(text("SELECT count(*), min(id), max(id), sum(id) FROM events")).one()),
            "rows_md5": q(text("SELECT md5(string_agg(e::text, '|' ORDER BY e.id)) FROM events e")).scalar(),
            "sequence": q(text("SELECT last_value FROM events_id_seq")).scalar(),
        }
        for table in CHILDREN:
            out[table] = tuple(
                q(
                    text(f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t")
                ).one()
            )  # noqa: E501
    return out


def kpis_of(engine: Engine, first: date, last: date, *, use_rollups: bool = True) -> dict[str, Any]:
    with Session(engine) as s:
        values = kpis.compute_kpis(
            s, kpis.KpiFilter(first, last), principal=None, zone=TZ, now=CLOCK.now(), use_rollups=use_rollups
        )
    values.pop("as_of")
    return values


def relkind(engine: Engine, name: str = "events") -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:n)"), {"n": name}
        ).scalar()
