"""Group commit for Open311 intake: requests wait on one writer thread per server process, which
takes every request queued since its last batch and answers each once its batch is committed.

Why: every intake writes an event, its first timeline row, duplicate proposals and a hash-chained audit
entry whose head row admits one writer at a time (SQLite has one writer anyway). One transaction per
request made the lock, not the CPU, the limit (≈ 40 requests/s); one per batch pays the lock, the
lookups and the commit once for all the requests that arrived meanwhile. A request is answered only
after its transaction committed, so a 201 is as durable as before; a batch that fails is retried one
request at a time, so one bad request cannot fail its neighbours.

A batch goes through three steps: admission (the API keys, looked up in the database, so a revoked
token is refused at once; each key limited per minute by `rate_limit_api_key_per_minute`, a missing
or wrong key counted against its address's anonymous limit) in a short transaction of its own, so the
counter rows are not held locked while events are written; preparation (categories, grids, routing,
the rows) in a read-only session, which takes no write lock; then one write transaction for the
inserts and the audit entries."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from citycockpit.auth import ratelimit
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.auth.tokens import hash_token, principal_for_token
from citycockpit.core.errors import AppError, Forbidden, NotFound, ServiceUnavailable
from citycockpit.db import get_session, reader
from citycockpit.events import intake
from citycockpit.events.api import app_calendar
from citycockpit.events.errors import InvalidEventInput

log = logging.getLogger("citycockpit.events.intake")

MAX_BATCH = 500  # requests per transaction
MAX_QUEUE = 20_000  # requests waiting; beyond it new ones are refused with 503 (back-pressure)
_STOP = object()


@dataclass
class Job:
    """One Open311 POST waiting for the writer."""

    api_key: str
    data: intake.EventInput
    ip: str | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


@dataclass
class _Batch:
    """Admitted requests prepared for insertion: refusals so far, the prepared events, the category
    names for the answers, and which request each prepared event answers."""

    now: Any
    outcomes: list[Any]
    prepared: intake.Prepared
    names: dict[str, str]
    positions: list[int]


@dataclass(frozen=True)
class Accepted:
    public_id: str
    category_name: str


class IntakeWriter:
    """The writer thread of one app (started on first use, stopped with the app)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._queue: queue.Queue[Any] = queue.Queue(MAX_QUEUE)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.requests = 0

    # ---- the request side --------------------------------------------------------------------

    async def submit(self, api_key: str, data: intake.EventInput, ip: str | None) -> Accepted:
        """Queue one request and wait for its outcome: `Accepted`, or the AppError refusing it."""
        loop = asyncio.get_running_loop()
        job = Job(api_key, data, ip, loop, loop.create_future())
        self._ensure_started()
        try:
            self._queue.put_nowait(job)
        except queue.Full as exc:
            raise ServiceUnavailable("Intake is overloaded; retry in a few seconds", retry_after=5) from exc
        outcome = await job.future
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _ensure_started(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 30) -> None:
        """Write what is queued, then stop the thread."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout)

    # ---- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            try:
                self._write(batch)
            except BaseException:  # never let the thread die with requests waiting
                log.exception("intake writer failed a batch of %d", len(batch))
                for job in batch:
                    _deliver(job, ServiceUnavailable("The request could not be stored; retry"))
            if stop:
                return

    def _write(self, batch: list[Job]) -> None:
        """Admit the batch (keys and limits, one short transaction of its own, so that the counter
        rows are not held locked while the events are written), then store what was admitted."""
        try:
            with self._session() as session:
                outcomes, admitted = self._admit(session, batch)
                session.commit()
        except Exception as exc:
            log.warning("intake admission failed: %s", exc, exc_info=True)
            for job in batch:
                _deliver(job, _failure(exc))
            return
        for job, outcome in zip(batch, outcomes, strict=True):
            if outcome is not None:
                _deliver(job, outcome)
        self.requests += len(batch)
        if admitted:
            self._store(admitted)

    def _store(self, admitted: list[tuple[Job, Principal]]) -> None:
        try:
            with self._session(read_only=True) as session:  # no write lock while rows are built
                batch = self._prepare(session, admitted)
            with self._session() as session:
                created = intake.insert_events(session, batch.prepared, now=batch.now)
                session.commit()
            outcomes = batch.outcomes
        except Exception as exc:
            if len(admitted) == 1:
                log.warning("intake request failed: %s", exc, exc_info=True)
                outcomes = [_failure(exc)]
            else:  # find the request that broke the batch: each alone in its own transaction
                for item in admitted:
                    self._store([item])
                return
        else:
            for i, result in zip(batch.positions, created, strict=True):
                if isinstance(result, intake.Created):
                    outcomes[i] = Accepted(result.public_id, batch.names[result.category_code or ""])
                else:
                    outcomes[i] = result
        self.batches += 1
        for (job, _), outcome in zip(admitted, outcomes, strict=True):
            _deliver(job, outcome)

    @contextmanager
    def _session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session made the way request sessions are (a test's dependency override included);
        `read_only` ones do not take SQLite's write lock."""
        override = self.app.dependency_overrides.get(get_session)
        if override is None:
            engine = self.app.state.engine
            with Session(reader(engine) if read_only else engine, expire_on_commit=False) as session:
                yield session
            return
        sessions = override()
        try:
            yield next(sessions)
        finally:
            sessions.close()

    def _admit(self, session: Session, batch: list[Job]) -> tuple[list[Any], list[tuple[Job, Principal]]]:
        """Check each request's key and count it against its limit: a refusal per refused request
        (None for the admitted ones) and the admitted requests with their principals."""
        now = self.app.state.clock.now()
        settings = self.app.state.settings
        outcomes: list[Any] = [None] * len(batch)
        principals: dict[str, Principal | None] = {}
        for key in {job.api_key for job in batch}:
            principal = principal_for_token(session, key, now=now) if key else None
            principals[key] = principal if principal and principal.can(Perm.EVENTS_CREATE) else None
        # Bad keys count against the address's anonymous limit; good ones against their own.
        for i, job in enumerate(batch):
            if principals[job.api_key] is None:
                try:
                    ratelimit.hit(
                        session, f"public:{job.ip}", limit=settings.rate_limit_public_per_minute, now=now
                    )
                    outcomes[i] = Forbidden("api_key is missing, invalid or lacks the events:create scope")
                except ratelimit.RateLimited as exc:
                    outcomes[i] = exc
        allowed: dict[str, int] = {}
        for key, n in Counter(job.api_key for job in batch if principals[job.api_key]).items():
            count = ratelimit.increment(session, f"key:{hash_token(key)[:32]}", now=now, amount=n)
            allowed[key] = max(0, settings.rate_limit_api_key_per_minute - (count - n))
        admitted = []
        for i, job in enumerate(batch):
            principal = principals[job.api_key]
            if outcomes[i] is not None or principal is None:
                continue
            if allowed[job.api_key] <= 0:
                outcomes[i] = ratelimit.RateLimited(
                    f"api_key over its limit of {settings.rate_limit_api_key_per_minute} requests a minute",
                    retry_after=60 - now.second,
                )
                continue
            allowed[job.api_key] -= 1
            admitted.append((job, principal))
        return outcomes, admitted

    def _prepare(self, session: Session, admitted: list[tuple[Job, Principal]]) -> _Batch:
        """Refusals for unknown service codes, and the rest checked, located and routed (reads only)."""
        state = self.app.state
        now = state.clock.now()
        outcomes: list[Any] = [None] * len(admitted)
        lookups = intake.Lookups(session)  # shared with prepare_events: each category read once
        names: dict[str, str] = {}
        submissions, positions = [], []
        for i, (job, principal) in enumerate(admitted):
            category = lookups.minor_category(job.data.category_code or "")
            if category is None:
                outcomes[i] = NotFound(f"Unknown service_code {job.data.category_code}")
                continue
            names[category.code] = category.name
            submissions.append(intake.Submission(job.data, principal, job.ip))
            positions.append(i)
        prepared = intake.prepare_events(
            session,
            submissions,
            now=now,
            calendar=app_calendar(state),
            triage_threshold=float(state.settings.events_triage_threshold),
            lookups=lookups,
        )
        return _Batch(now, outcomes, prepared, names, positions)


def _failure(exc: Exception) -> AppError:
    if isinstance(exc, AppError | InvalidEventInput):
        return exc
    return ServiceUnavailable("The request could not be stored; retry")


def _deliver(job: Job, outcome: Any) -> None:
    def _set() -> None:
        if not job.future.done():  # the client may have gone away
            job.future.set_result(outcome)

    try:
        job.loop.call_soon_threadsafe(_set)
    except RuntimeError:  # the event loop closed (server shutting down)
        pass


def writer_of(app: Any) -> IntakeWriter:
    writer = getattr(app.state, "intake_writer", None)
    if writer is None:
        writer = app.state.intake_writer = IntakeWriter(app)
    return writer
