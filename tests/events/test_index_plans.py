"""The readers whose speed hangs on an index of `events` read one (SQLite's EXPLAIN QUERY PLAN of the
statements they really run), so that dropping an index cannot silently turn one into a scan of the
whole table. Which index serves which reader: docs/domains/events-indexes.md.

SQLite keeps no statistics here, so its plans depend on the schema and the statement, not on the
rows: a handful of events shows the plan a city's millions get."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from citycockpit.events import queries
from citycockpit.events.analytics import kpis
from citycockpit.events.surges import service as surges
from citycockpit.events.surges.rule import SurgeRule
from tests.events.kpi_fixture import TZ
from tests.events.surge_traffic import GRID_A, TOWN_A, WATER, add_requests, import_surge_categories, steady


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by its statistics")


@contextmanager
def statements(db: Session) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the session's connection runs inside the block, with its parameters."""
    conn = db.connection()
    seen: list[tuple[str, Any]] = []

    def hook(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", hook)


def events_plans(db: Session, seen: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """(statement, the plan's lines that read `events`) of each statement that reads `events`."""
    out = []
    for statement, parameters in seen:
        if not re.search(r"\b(FROM|JOIN)\s+events\b", statement) or statement.lstrip().upper().startswith(
            "EXPLAIN"
        ):
            continue
        rows = db.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters)).all()
        out.append(
            (statement, [str(r[3]) for r in rows if re.search(r"\b(SCAN|SEARCH) events\b", str(r[3]))])
        )
    return out


def whole_table_scans(plans: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    return [(s, lines) for s, lines in plans if any(re.fullmatch(r"SCAN events", line) for line in lines)]


def test_the_list_sorted_by_handling_deadline_walks_its_index(db, sqlite_only, leader, clock) -> None:  # type: ignore[no-untyped-def]
    with statements(db) as seen:
        queries.list_events(db, leader.principal, queries.EventFilter(), sort="handle_due_at", limit=20)
    (page,) = [lines for s, lines in events_plans(db, seen) if "ORDER BY" in s]
    # the page is the index's first 20 entries: neither the table is read whole nor a sort is built
    assert page == ["SCAN events USING INDEX ix_events_handle_due"] or page == [
        "SCAN events USING COVERING INDEX ix_events_handle_due"
    ], page


def test_a_towns_kpis_for_today_read_no_whole_table(db, sqlite_only, city, clock) -> None:  # type: ignore[no-untyped-def]
    import_surge_categories(db, clock.now())
    add_requests(
        db,
        steady(clock.now() - timedelta(hours=2), clock.now(), 3.0),
        category=WATER,
        town=TOWN_A,
        grid=GRID_A,
    )
    today = clock.now().astimezone(TZ).date()
    f = kpis.KpiFilter(today, today, area=TOWN_A)
    with statements(db) as seen:
        result = kpis.compute_kpis(db, f, principal=None, zone=TZ, now=clock.now())
    assert result["counts"]["received"]["value"] == 6  # type: ignore[index]
    plans = events_plans(db, seen)
    assert len(plans) >= 5  # one read per anchor at least: received, three due instants, closed
    assert whole_table_scans(plans) == []
    # the due anchors read their own index, not a unit's whole history
    due = [
        lines
        for s, lines in plans
        if "sign_due_at >=" in s or "handle_due_at >=" in s or "close_due_at >=" in s
    ]
    assert due and all(
        any(re.search(r"INDEX ix_events_(sign|handle|close)_due\b", x) for x in lines) for lines in due
    )


def test_a_surges_events_are_linked_through_the_reported_at_index(db, sqlite_only, city, clock) -> None:  # type: ignore[no-untyped-def]
    import_surge_categories(db, clock.now())
    now = clock.now()
    for k in range(1, 5):  # a quiet past: one request in the same hours of each past week
        add_requests(db, [now - timedelta(weeks=k, minutes=30)], category=WATER, town=TOWN_A, grid=GRID_A)
    add_requests(db, steady(now - timedelta(hours=2), now, 15.0), category=WATER, town=TOWN_A, grid=GRID_A)
    with statements(db) as seen:
        run = surges.detect_surges(db, now=now, rule=SurgeRule())
    assert run.opened == 1
    (link,) = [lines for s, lines in events_plans(db, seen) if s.lstrip().upper().startswith("INSERT")]
    assert link == [
        "SEARCH events USING COVERING INDEX ix_events_surge_count (reported_at>? AND reported_at<?)"
    ]


def test_on_postgresql_the_overdue_list_can_read_the_index_of_events_being_handled_even_when_prepared(
    db, backend, leader, city, clock
) -> None:  # type: ignore[no-untyped-def]
    """The screen's overdue list asks for the most overdue events being handled: through
    ix_events_handle_due it walked every deadline ever set, the closed events' too (over a minute at
    50 M events); the partial index holds only the events being handled. A planner may use it only when
    the statement carries the predicate's very values, also in the generic plan of a prepared statement
    (which the driver switches to after five runs): Event.is_being_handled writes them into the SQL."""
    if backend != "postgresql":
        pytest.skip("the generic plan of a prepared statement is PostgreSQL's")
    from citycockpit.screen import queries as screen

    today = clock.now().astimezone(TZ).date()
    view = screen.View(leader.principal, "320585", "太仓市", "city", None, None, clock.now(), today, TZ)
    with statements(db) as seen:
        screen.alerts(db, view)
    (listing, params) = next((s, p) for s, p in seen if "ORDER BY events.handle_due_at" in s)
    assert "events.state IN ('dispatched', 'signed')" in listing
    conn = db.connection()
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    conn.exec_driver_sql(
        "SET LOCAL enable_seqscan = off"
    )  # a test's handful of rows: let the plan show the index
    conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    plan = "\n".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + listing, params).all())
    used = set(re.findall(r"Index (?:Only )?Scan(?: Backward)? using (\S+) on events", plan))
    partial = {
        name
        for (name,) in conn.exec_driver_sql(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indpred IS NOT NULL"
        ).all()
    }
    assert used and used <= partial, plan


def test_the_partial_index_and_the_rule_name_the_same_states() -> None:
    """The index's predicate is text (events/models.py BEING_HANDLED_SQL) and its migration froze the
    values: all three must say the same, or the planners stop using the index."""
    import importlib.util
    from pathlib import Path

    import citycockpit.migrations
    from citycockpit.events.enums import BEING_HANDLED, state_values
    from citycockpit.events.models import BEING_HANDLED_SQL, Event

    path = next(
        Path(citycockpit.migrations.__file__).parent.glob(
            "versions/*_a7c3e9f2d4b1_events_handling_due_partial_index.py"
        )
    )
    spec = importlib.util.spec_from_file_location("handling_due_migration", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    (index,) = [i for i in Event.__table__.indexes if i.name == "ix_events_handling_due"]
    assert str(index.dialect_options["sqlite"]["where"]) == BEING_HANDLED_SQL == migration.PREDICATE
    assert str(index.dialect_options["postgresql"]["where"]) == BEING_HANDLED_SQL
    assert BEING_HANDLED_SQL == "state IN ({})".format(
        ", ".join(f"'{v}'" for v in state_values(BEING_HANDLED))
    )
