"""Group commit for Open311 intake: requests wait on one writer thread per server process, which
creates every request queued since its last transaction in a single transaction, then answers each.

Why: every intake writes an event, its first timeline row, duplicate proposals and a hash-chained audit
entry whose head row admits one writer at a time (SQLite has one writer anyway). One transaction per
request made the lock, not the CPU, the limit (≈ 40 requests/s); one per batch pays the lock, the
lookups and the commit once for all the requests that arrived meanwhile. A request is answered only
after its transaction committed, so a 201 is as durable as before; a batch that fails is retried one
request at a time, so one bad request cannot fail its neighbours.

The API key is checked inside the batch (no stale cache: a revoked token is refused at once), and each
key is rate limited per minute (`rate_limit_api_key_per_minute`, counted in the database like the
address limits); a request with a missing or wrong key counts against its address's anonymous limit."""

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

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth import ratelimit
from citycockpit.auth.enums import Perm
from citycockpit.auth.tokens import hash_token, principal_for_token
from citycockpit.core.errors import AppError, Forbidden, NotFound, ServiceUnavailable
from citycockpit.db import get_session
from citycockpit.events import intake
from citycockpit.events.errors import InvalidEventInput
from citycockpit.events.models import EventCategory
from citycockpit.events.sla import WorkCalendar

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
        try:
            with self._session() as session:
                outcomes = self._create(session, batch)
                session.commit()
        except Exception as exc:
            if len(batch) == 1:
                log.warning("intake request failed: %s", exc, exc_info=True)
                outcomes = [_failure(exc)]
            else:  # find the request that broke the batch: each alone in its own transaction
                for job in batch:
                    self._write([job])
                return
        self.batches += 1
        self.requests += len(batch)
        for job, outcome in zip(batch, outcomes, strict=True):
            _deliver(job, outcome)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session made the way request sessions are (a test's dependency override included)."""
        override = self.app.dependency_overrides.get(get_session)
        if override is None:
            with Session(self.app.state.engine, expire_on_commit=False) as session:
                yield session
            return
        sessions = override()
        try:
            yield next(sessions)
        finally:
            sessions.close()

    def _create(self, session: Session, batch: list[Job]) -> list[Any]:
        state = self.app.state
        now = state.clock.now()
        settings = state.settings
        outcomes: list[Any] = [None] * len(batch)
        principals = {}
        for key in {job.api_key for job in batch}:
            principal = principal_for_token(session, key, now=now) if key else None
            principals[key] = principal if principal and principal.can(Perm.EVENTS_CREATE) else None
        # Keys: bad ones count against the address's anonymous limit; good ones against their own.
        for i, job in enumerate(batch):
            if principals[job.api_key] is None:
                try:
                    ratelimit.hit(
                        session,
                        f"public:{job.ip}",
                        limit=settings.rate_limit_public_per_minute,
                        now=now,
                    )
                    outcomes[i] = Forbidden("api_key is missing, invalid or lacks the events:create scope")
                except ratelimit.RateLimited as exc:
                    outcomes[i] = exc
        per_key = Counter(job.api_key for job in batch if principals[job.api_key] is not None)
        allowed: dict[str, int] = {}
        for key, n in per_key.items():
            count = ratelimit.increment(session, f"key:{hash_token(key)[:32]}", now=now, amount=n)
            allowed[key] = max(0, settings.rate_limit_api_key_per_minute - (count - n))
        codes = {job.data.category_code for job in batch if job.data.category_code}
        names: dict[str, str] = dict(
            session.execute(
                select(EventCategory.code, EventCategory.name).where(
                    EventCategory.code.in_(codes), EventCategory.level == "minor"
                )
            ).all()  # type: ignore[arg-type]
        )
        submissions, positions = [], []
        for i, job in enumerate(batch):
            if outcomes[i] is not None:
                continue
            if allowed[job.api_key] <= 0:
                outcomes[i] = ratelimit.RateLimited(
                    f"api_key over its limit of {settings.rate_limit_api_key_per_minute} requests a minute",
                    retry_after=60 - now.second,
                )
                continue
            allowed[job.api_key] -= 1
            if job.data.category_code not in names:
                outcomes[i] = NotFound(f"Unknown service_code {job.data.category_code}")
                continue
            submissions.append(intake.Submission(job.data, principals[job.api_key], job.ip))
            positions.append(i)
        results = intake.create_events(
            session,
            submissions,
            now=now,
            calendar=_calendar(state),
            triage_threshold=float(settings.events_triage_threshold),
        )
        for i, result in zip(positions, results, strict=True):
            if isinstance(result, intake.Created):
                outcomes[i] = Accepted(result.public_id, names[result.category_code or ""])
            else:
                outcomes[i] = result
        return outcomes


def _calendar(state: Any) -> WorkCalendar:
    cached = getattr(state, "work_calendar", None)
    if cached is None:
        cached = WorkCalendar.from_settings(state.settings)
        state.work_calendar = cached
    return cached


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
