"""Running periodic jobs: each in its own transaction, a failure rolled back, logged and recorded, and
every run upserted into `worker_job_runs` (what /metrics reports as each job's lag and failure). Which
jobs there are is citycockpit/worker.py's list; each domain writes its own."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from citycockpit.core.dialect import upsert_insert
from citycockpit.db import session_scope
from citycockpit.ops.metrics import GaugeProvider, Sample
from citycockpit.ops.models import WorkerJobRun

log = logging.getLogger("citycockpit.worker")


@dataclass
class JobResult:
    name: str
    touched: int


Job = Callable[..., JobResult]  # job(session, *, now, calendar) -> JobResult


@dataclass
class JobOutcome:
    """One job's run by `run_jobs_once`: what it touched, or why it failed."""

    name: str
    touched: int | None
    seconds: float
    error: str | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def run_jobs(engine: Engine, jobs: Sequence[tuple[str, Job]], clock: Any, calendar: Any) -> list[JobOutcome]:
    """Run every job once, each in its own transaction. A job that fails (the database gone for a
    moment, a lock, a bug) is rolled back, logged and recorded, and the jobs after it still run; each
    run is recorded in `worker_job_runs` for /metrics."""
    outcomes = []
    for name, job in jobs:
        started, clock_start = datetime.now(UTC), time.perf_counter()
        try:
            with session_scope(engine) as session:
                result = job(session, now=clock.now(), calendar=calendar)
            outcome = JobOutcome(name, result.touched, time.perf_counter() - clock_start)
        except Exception as exc:
            log.exception("worker job %s failed", name)
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            outcome = JobOutcome(name, None, time.perf_counter() - clock_start, error[:1000])
        try:
            with session_scope(engine) as session:
                record_run(session, outcome, started=started)
        except Exception:  # the database may be what failed: the next run records again
            log.exception("could not record the run of worker job %s", name)
        outcomes.append(outcome)
    return outcomes


def record_run(session: Session, outcome: JobOutcome, *, started: datetime) -> None:
    """Upsert the job's row of `worker_job_runs` (one statement: several workers may finish at once)."""
    table = WorkerJobRun
    finished = started + timedelta(seconds=outcome.seconds)
    failed = outcome.error is not None
    common: dict[str, Any] = {
        "last_started_at": started,
        "last_seconds": round(outcome.seconds, 3),
        "last_worker": worker_name(),
    }
    if failed:
        common.update(last_failed_at=finished, last_error=outcome.error)
    else:
        common.update(last_succeeded_at=finished, last_touched=outcome.touched)
    stmt = upsert_insert(session, table).values(job=outcome.name, runs=1, failures=int(failed), **common)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.job],
            set_={"runs": table.runs + 1, "failures": table.failures + int(failed), **common},
        )
    )


def _worker_lag(session: Session) -> Iterable[Sample]:
    now = datetime.now(UTC)
    for job, succeeded in session.execute(select(WorkerJobRun.job, WorkerJobRun.last_succeeded_at)):
        if succeeded is not None:
            yield Sample({"job": job}, (now - succeeded).total_seconds())


def _worker_failing(session: Session) -> Iterable[Sample]:
    rows = session.execute(
        select(WorkerJobRun.job, WorkerJobRun.last_succeeded_at, WorkerJobRun.last_failed_at)
    )
    for job, succeeded, failed in rows:
        failing = failed is not None and (succeeded is None or failed > succeeded)  # aware: UTCDateTime
        yield Sample({"job": job}, 1.0 if failing else 0.0)


PROVIDERS = [
    GaugeProvider(
        "citycockpit_worker_lag_seconds",
        "Seconds since a worker last completed the job",
        ("job",),
        _worker_lag,
    ),
    GaugeProvider(
        "citycockpit_worker_job_failing",
        "1 when the job's last run failed (its error is in worker_job_runs and the worker's log)",
        ("job",),
        _worker_failing,
    ),
]
