"""Group commit for Open311 intake: requests wait on one batch writer per server process, which
takes every request queued since its last batch and answers each once its batch is committed.

The batch writer (`BatchWriter`) runs in a process of its own (`process.ProcessWriter`, the
`intake_writer` setting's default) or on a thread of the server's process (`ThreadWriter`); the two
transports share `Writer`: the submit, the limit of requests held unanswered, the hand-back. In its
own process the writer's Python work no longer takes turns with the event loop's for the one
interpreter lock, so the two use both cores of a small machine (docs/performance.md).

Why: every intake writes an event, its first timeline row, duplicate proposals and a hash-chained audit
entry whose head row admits one writer at a time (SQLite has one writer anyway). One transaction per
request made the lock, not the CPU, the limit (≈ 40 requests/s); one per batch pays the lock, the
lookups and the commit once for all the requests that arrived meanwhile. A request is answered only
after its transaction committed, so a 201 is as durable as before; a batch that fails is retried one
request at a time, so one bad request cannot fail its neighbours.

A batch goes through two steps. First, in a read-only session that takes no write lock: the API keys
are looked up (live, so a revoked token is refused at once) and the events of the requests with a key
are prepared (categories, grids, routing, the rows). Then one write transaction inserts the events,
their timeline rows, duplicate proposals and audit entries, and counts every request against its
per-minute limit: a key against `rate_limit_api_key_per_minute`, a missing or wrong key against its
address's anonymous limit. The counters are updated after the inserts, so the rows they lock are held
only for the end of the transaction, as the audit head is.

Keys are recognised, counted and touched by auth's own functions (`tokens.principals_for_tokens`,
`ratelimit.count_anonymous` and `count_token`, `tokens.touch_tokens` for the keys `touch_due_ids`
names): the batched forms of what the auth dependencies do for every other route, one query or update
per batch instead of per request. The writer's sessions are its own, on the app's engine, as in
production."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from citycockpit.auth import ratelimit
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.auth.tokens import principals_for_tokens, touch_due_ids, touch_tokens
from citycockpit.core import stamps
from citycockpit.core.errors import AppError, Forbidden, NotFound, ServiceUnavailable
from citycockpit.db import reader
from citycockpit.events.errors import InvalidEventInput
from citycockpit.events.intake import service as intake
from citycockpit.ops import metrics

log = logging.getLogger("citycockpit.events.intake")

MAX_BATCH = 500  # requests per transaction
_STOP = object()


@dataclass
class Submitted:
    """One Open311 POST as the writer takes it: the key it gave, its parsed input, its address."""

    api_key: str
    data: intake.EventInput
    ip: str | None


@dataclass
class Job(Submitted):
    """A submitted POST waiting for its outcome on its event loop."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


@dataclass
class _Plan:
    """A batch read and prepared: each request's refusal so far (None while it may go on), its
    principal (None for a missing or wrong key), the events prepared for the requests with a key and a
    known service code, which request each prepared event answers, and the category names."""

    now: Any
    outcomes: list[Any]
    principals: list[Principal | None]
    prepared: intake.Prepared
    positions: list[int]
    names: dict[str, str]


class _OverLimit(Exception):
    """A key went over its limit after its events were inserted: roll back, decide first, redo."""


@dataclass(frozen=True)
class Accepted:
    public_id: str
    category_name: str


class Writer:
    """What a transport to the batch writer shares: `submit` a POST and await its outcome, holding at
    most `intake_queue_limit` unanswered requests in this server process (beyond it new ones are
    refused 503 at once: back-pressure instead of unbounded memory and latency). A transport (the
    writer thread, `ThreadWriter`, or the writer process, `process.ProcessWriter`) sends jobs with
    `_send` and hands outcomes back with `_answer`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._limit = app.state.settings.intake_queue_limit
        self._held = 0  # submitted and not yet answered
        self._held_lock = threading.Lock()

    async def submit(self, api_key: str, data: intake.EventInput, ip: str | None) -> Accepted:
        """Queue one request and wait for its outcome: `Accepted`, or the AppError refusing it."""
        loop = asyncio.get_running_loop()
        with self._held_lock:
            if self._held >= self._limit:
                metrics.INTAKE_OVERLOADED.inc()
                raise ServiceUnavailable("Intake is overloaded; retry in a few seconds", retry_after=5)
            self._held += 1
        job = Job(api_key, data, ip, loop, loop.create_future())
        try:
            self._send(job)
        except BaseException:
            self._answered(1)
            raise
        outcome = await job.future
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def start(self, *, wait: bool = False) -> None:
        """Make the writer ready before the first request; `wait` until it is (raising if it cannot)."""
        raise NotImplementedError

    def _send(self, job: Job) -> None:
        raise NotImplementedError

    def _answer(self, outcomes: list[tuple[Job, Any]]) -> None:
        """Hand each job its outcome on its event loop (from the transport's thread)."""
        self._answered(len(outcomes))
        _deliver(outcomes)

    def _answered(self, count: int) -> None:
        with self._held_lock:
            self._held -= count

    def close(self, timeout: float = 30) -> None:
        """Write what is queued, then stop."""
        raise NotImplementedError


class ThreadWriter(Writer):
    """The batch writer on a thread of this process (started on first use, stopped with the app)."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.core = BatchWriter(app)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def batches(self) -> int:
        return self.core.batches

    @property
    def requests(self) -> int:
        return self.core.requests

    def _send(self, job: Job) -> None:
        self.start()
        self._queue.put(job)

    def start(self, *, wait: bool = False) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 30) -> None:
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout)

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
            outcomes, seconds = self.core.write_timed(batch)
            observe_batch(len(batch), seconds)
            self._answer(list(zip(batch, outcomes, strict=True)))
            if stop:
                return


class BatchWriter:
    """Writes batches of submitted POSTs on the app's engine: the same in the writer thread and in the
    writer process. `batches` counts committed transactions, `requests` the requests they held."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.batches = 0
        self.requests = 0

    def write_timed(self, batch: list[Submitted]) -> tuple[list[Any], float]:
        """Each request's outcome (never raises) and the seconds the batch took (for `observe_batch`
        in the server process, whose /metrics shows them)."""
        started = time.perf_counter()
        try:
            outcomes = self.write(batch)
        except BaseException:  # never let the writer die with requests waiting
            log.exception("intake writer failed a batch of %d", len(batch))
            outcomes = [not_stored() for _ in batch]
        return outcomes, time.perf_counter() - started

    def write(self, batch: list[Submitted]) -> list[Any]:
        """Each request's outcome. Read and prepare the batch in a read-only session (no write lock
        while keys are checked and rows built), then count the limits and store it in one write
        transaction."""
        try:
            with self._session(read_only=True) as session:
                plan = self._prepare(session, batch)
        except Exception as exc:
            log.warning("intake preparation failed: %s", exc, exc_info=True)
            return [_failure(exc) for _ in batch]
        self.requests += len(batch)
        try:
            try:
                outcomes = self._commit(batch, plan, decide_first=False)
            except _OverLimit:
                outcomes = self._commit(batch, plan, decide_first=True)
        except Exception as exc:
            if len(batch) > 1:  # find the request that broke the batch: each alone in its own transaction
                self.requests -= len(batch)
                return [outcome for job in batch for outcome in self.write([job])]
            log.warning("intake request failed: %s", exc, exc_info=True)
            outcomes = [_failure(exc)]
        self.batches += 1
        return outcomes

    def _commit(self, batch: list[Submitted], plan: _Plan, *, decide_first: bool) -> list[Any]:
        with self._session() as session:
            try:
                outcomes = self._store(session, batch, plan, decide_first=decide_first)
            except BaseException:
                session.rollback()
                raise
            session.commit()
        return outcomes

    def _store(
        self, session: Session, batch: list[Submitted], plan: _Plan, *, decide_first: bool
    ) -> list[Any]:
        """Insert the prepared events and count every request against its limit: a missing or wrong
        key against its address's anonymous limit (403, or 429 beyond it), a key against its own
        (429 beyond it). The counter rows are locked until the commit, so they are counted after the
        inserts, next to the audit head's lock: two processes then wait on each other only for the
        end of their transactions. Should a key go over its limit with its events already inserted
        (it takes `rate_limit_api_key_per_minute` requests within the minute), the caller rolls back
        and calls again with `decide_first`, which counts before inserting what is within the limit."""
        outcomes = list(plan.outcomes)
        keep = [True] * len(plan.positions)
        if decide_first:
            self._count(session, batch, plan, outcomes)
            keep = [outcomes[i] is None for i in plan.positions]
        created = intake.insert_events(session, plan.prepared.only(keep), now=plan.now)
        if not decide_first:
            self._count(session, batch, plan, outcomes)
            if any(outcomes[i] is not None for i in plan.positions):
                raise _OverLimit
        kept = [i for i, wanted in zip(plan.positions, keep, strict=True) if wanted]
        for i, result in zip(kept, created, strict=True):
            if isinstance(result, intake.Created):
                outcomes[i] = Accepted(result.public_id, plan.names[result.category_code or ""])
            else:
                outcomes[i] = result
        return outcomes

    def _count(self, session: Session, batch: list[Submitted], plan: _Plan, outcomes: list[Any]) -> None:
        """Count each request against its limit with auth's counters, setting the refusals (403 or
        429) in `outcomes`: one counter update per address and per key of the batch."""
        now, settings = plan.now, self.app.state.settings
        keyless = Counter(job.ip for job, p in zip(batch, plan.principals, strict=True) if p is None)
        within = {
            ip: ratelimit.count_anonymous(
                session, ip, limit=settings.rate_limit_public_per_minute, now=now, hits=n
            )
            for ip, n in sorted(keyless.items(), key=lambda item: str(item[0]))
        }
        touch_tokens(session, touch_due_ids(plan.principals), now=now)  # none while used within the minute
        limit = settings.rate_limit_api_key_per_minute
        keyed = Counter(job.api_key for job, p in zip(batch, plan.principals, strict=True) if p is not None)
        allowed = {
            key: ratelimit.count_token(session, key, limit=limit, now=now, hits=n)
            for key, n in sorted(keyed.items())
        }
        for i, job in enumerate(batch):
            if plan.principals[i] is None:
                if within[job.ip] > 0:
                    within[job.ip] -= 1
                    outcomes[i] = Forbidden("api_key is missing, invalid or lacks the events:create scope")
                else:
                    outcomes[i] = ratelimit.too_many(now)
            elif allowed[job.api_key] > 0:
                allowed[job.api_key] -= 1
            else:  # over the limit, even when its service code is unknown
                outcomes[i] = ratelimit.too_many(
                    now, detail=f"api_key over its limit of {limit} requests a minute"
                )

    @contextmanager
    def _session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session on the app's engine, made as request sessions are; `read_only` ones do not take
        SQLite's write lock."""
        engine = self.app.state.engine
        with Session(reader(engine) if read_only else engine, expire_on_commit=False) as session:
            yield session

    def _prepare(self, session: Session, batch: list[Submitted]) -> _Plan:
        """Recognise the keys with auth's lookup (live, so a revoked one is refused at once; one query
        for the batch) and prepare the events of the requests with a key: refusals for unknown service
        codes, the rest located and routed (reads only)."""
        state = self.app.state
        now = state.clock.now()
        stamps.read_all(session)  # the three stamps the batch's lookups check, in one read
        found = principals_for_tokens(session, [job.api_key for job in batch], now=now)
        principals = [
            p if p is not None and p.can(Perm.EVENTS_CREATE) else None
            for p in (found[job.api_key] for job in batch)
        ]
        outcomes: list[Any] = [None] * len(batch)
        lookups = intake.Lookups(session, whole=True)  # shared with prepare_events
        names: dict[str, str] = {}
        submissions, positions = [], []
        for i, (job, principal) in enumerate(zip(batch, principals, strict=True)):
            if principal is None:
                continue  # refused when counted against its address's limit (403 or 429)
            category = lookups.minor_category(job.data.category_code or "")
            if category is None:
                outcomes[i] = NotFound(f"Unknown service_code {job.data.category_code}")
                continue
            names[category.code] = category.name
            # Its fields were checked when it was parsed (open311._request_input), its category here,
            # and Open311 sends no grid code: every check of intake.validate_input has run, once.
            submissions.append(intake.Submission(job.data, principal, job.ip, category, checked=True))
            positions.append(i)
        prepared = intake.prepare_events(
            session,
            submissions,
            now=now,
            lookups=lookups,
            **intake.IntakeSettings.of_app(state).options(),
        )
        return _Plan(now, outcomes, principals, prepared, positions, names)


def _failure(exc: Exception) -> AppError:
    """What a request that failed alone is answered. A value the database refused (DataError: too
    long for its column, out of range) is the request's fault and fails the same way every time, so
    it is a 400, never a retryable 503: a client told to retry would retry forever."""
    if isinstance(exc, AppError | InvalidEventInput):
        return exc
    if isinstance(exc, DataError):
        return InvalidEventInput(
            "A value in the request is too long or out of range for the database",
            errors=["a value in the request is too long or out of range"],
        )
    return not_stored()


def not_stored() -> ServiceUnavailable:
    """The answer to a request the writer could not store, through no fault of the request: retry."""
    return ServiceUnavailable("The request could not be stored; retry")


def observe_batch(size: int, seconds: float) -> None:
    """A batch in the intake metrics (of the server process, where /metrics reads them)."""
    metrics.INTAKE_BATCH_SIZE.observe(size)
    metrics.INTAKE_BATCH_SECONDS.observe(seconds)


def _deliver(outcomes: list[tuple[Job, Any]]) -> None:
    """Hand each job its outcome on its event loop: one wake-up per loop for the whole batch (a
    `call_soon_threadsafe` per job cost a self-pipe write and a loop turn each)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Job, Any]]] = {}
    for job, outcome in outcomes:
        by_loop.setdefault(job.loop, []).append((job, outcome))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_set_results, pairs)
        except RuntimeError:  # the event loop closed (server shutting down)
            pass


def _set_results(pairs: list[tuple[Job, Any]]) -> None:
    for job, outcome in pairs:
        if not job.future.done():  # the client may have gone away
            job.future.set_result(outcome)


def writer_of(app: Any) -> Writer:
    """The app's intake writer (made with the app, `make_writer`; started on first use or with the
    app's lifespan)."""
    return app.state.intake_writer  # type: ignore[no-any-return]
