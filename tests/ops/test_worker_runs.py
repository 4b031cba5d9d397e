"""`citycockpit worker` records every job's run; a job that fails is rolled back, recorded and
reported, and the jobs after it still run (real databases, a real failure: a table the rollup job
reads is renamed away)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit import migrate
from citycockpit import worker as jobs
from citycockpit.cli import app
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.ops.jobs import PROVIDERS
from citycockpit.ops.models import WorkerJobRun
from tests.conftest import create_postgres_database, drop_postgres_database, with_audit_keys

CLOCK = fixed_clock("2024-09-30T10:00:00")
NAMES = [name for name, _ in jobs.JOBS]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own: the worker commits."""
    url = f"sqlite:///{tmp_path / 'w.db'}" if request.param == "sqlite" else create_postgres_database("wk")
    engine = with_audit_keys(make_engine(url))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


def _runs(engine: Engine) -> dict[str, WorkerJobRun]:
    with Session(engine) as session:
        return {r.job: r for r in session.scalars(select(WorkerJobRun))}


def _gauges(engine: Engine, name: str) -> dict[str, float]:
    provider = next(p for p in PROVIDERS if p.name == name)
    with Session(engine) as session:
        return {s.labels["job"]: s.value for s in provider.read(session)}


def _rename(engine: Engine, old: str, new: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_every_run_of_every_job_is_recorded(fresh: Engine) -> None:
    first = jobs.run_jobs_once(fresh, CLOCK, DEFAULT_CALENDAR)
    assert [(o.name, o.error) for o in first] == [(name, None) for name in NAMES]
    jobs.run_jobs_once(fresh, CLOCK, DEFAULT_CALENDAR)
    runs = _runs(fresh)
    assert sorted(runs) == sorted(NAMES)
    assert {(r.runs, r.failures, r.last_error) for r in runs.values()} == {(2, 0, None)}
    assert all(r.last_succeeded_at and r.last_worker for r in runs.values())
    assert set(_gauges(fresh, "citycockpit_worker_lag_seconds")) == set(NAMES)
    assert set(_gauges(fresh, "citycockpit_worker_job_failing").values()) == {0.0}


def test_a_failing_job_is_recorded_and_the_others_still_run(fresh: Engine) -> None:
    jobs.run_jobs_once(fresh, CLOCK, DEFAULT_CALENDAR)
    _rename(fresh, "event_rollup_days", "event_rollup_days_away")
    outcomes = {o.name: o for o in jobs.run_jobs_once(fresh, CLOCK, DEFAULT_CALENDAR)}
    assert outcomes["rollup"].error and "event_rollup_days" in outcomes["rollup"].error
    assert [name for name, o in outcomes.items() if o.error is None] == [n for n in NAMES if n != "rollup"]
    runs = _runs(fresh)
    assert (runs["rollup"].runs, runs["rollup"].failures) == (2, 1)
    assert runs["rollup"].last_error == outcomes["rollup"].error
    assert _gauges(fresh, "citycockpit_worker_job_failing") == {
        name: float(name == "rollup") for name in NAMES
    }

    _rename(fresh, "event_rollup_days_away", "event_rollup_days")  # repaired: the next run succeeds
    assert all(o.error is None for o in jobs.run_jobs_once(fresh, CLOCK, DEFAULT_CALENDAR))
    assert _gauges(fresh, "citycockpit_worker_job_failing")["rollup"] == 0.0
    assert _runs(fresh)["rollup"].failures == 1


def test_worker_once_exits_1_and_names_the_failed_job(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    engine = with_audit_keys(make_engine(f"sqlite:///{path}"))
    migrate.upgrade(engine)
    _rename(engine, "event_rollup_days", "event_rollup_days_away")
    engine.dispose()
    result = CliRunner().invoke(app, ["worker", "--once", "--db", str(path)])
    assert result.exit_code == 1, result.output
    assert "rollup" in result.output and "event_rollup_days" in result.output
    assert "escalate" in result.output  # the jobs before it ran and were listed
