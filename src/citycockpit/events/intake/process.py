"""The intake writer in a process of its own (the `intake_writer` setting's default, `process`).

Why: the batch writer is Python work (building rows, the duplicate lookup, the audit entries) that, on
a thread, takes turns with the event loop for the one interpreter lock, so a server process used one
core however many the machine had, and each hand-over of the lock cost both sides (docs/performance.md,
"Open311 intake, fifth round"). In a process of its own the writer runs beside the event loop.

How: the server process starts `python -m citycockpit.events.intake.process_main` with one end of a
socket pair and sends it, first, what it needs to build the same app (the settings, the database URL
of the app's engine, the clock, the app's factory); the child builds it with that factory (so its
engine, audit key ring, calendar and classifier are the app's own) and answers `ready`. Then each event-loop turn's POSTs go
over as one frame (the ids, keys, parsed inputs and addresses); the child writes what arrived since its
last batch with the same `BatchWriter` as the writer thread, and sends back each request's outcome
(`Accepted` or the error refusing it), the batch's size and seconds (observed here, where /metrics
reads them). A thread of the server reads the answers and hands them to the event loops.

A frame is a 4-byte length and a pickle; both ends are this code at the same version, started
together, over a socket pair no one else holds.

The child ignores SIGINT and SIGTERM: it stops when the server closes its end (after the server's
requests are answered, `close`), or when the server dies (the end closes with it), always after
writing what it holds. Should it die, the requests it held are answered 503 (retry) and the next POST
starts another."""

from __future__ import annotations

import asyncio
import itertools
import logging
import pickle
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from citycockpit.db import is_sqlite, is_sqlite_file
from citycockpit.events.intake.process_main import Frames, frame
from citycockpit.events.intake.writer import Job, ThreadWriter, Writer, not_stored, observe_batch

log = logging.getLogger("citycockpit.events.intake")

START_TIMEOUT_S = 120  # building the app in the child: imports, the engine, the classifier


@dataclass
class Setup:
    """What the child needs to build the server's app: the app's factory (`module:function`, called
    with the settings and the clock), its settings, the URL of its engine (which may be a test's, not
    the settings' own) and its clock."""

    factory: str
    settings: Any
    database_url: str
    clock: Any


@dataclass
class _Child:
    """One writer process and what it holds: the jobs sent to it by id, the ones still to send."""

    process: subprocess.Popen[bytes]
    sock: socket.socket
    jobs: dict[int, Job] = field(default_factory=dict)
    outbox: list[tuple[Any, ...]] = field(default_factory=list)
    flushing: set[asyncio.AbstractEventLoop] = field(default_factory=set)
    ready: threading.Event = field(default_factory=threading.Event)
    closing: bool = False
    dead: bool = False
    reader: threading.Thread | None = None
    send_lock: threading.Lock = field(default_factory=threading.Lock)


def make_writer(app: Any) -> Writer:
    """The intake writer the app's settings name: a process of its own or a thread."""
    return ProcessWriter(app) if app.state.settings.intake_writer == "process" else ThreadWriter(app)


class ProcessWriter(Writer):
    """The server side: sends each event-loop turn's POSTs to the writer process in one frame and
    hands the outcomes back. `batches` and `requests` count, as the thread's do, the committed
    transactions and the requests they held."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._lock = threading.Lock()  # the child and its jobs
        self._ids = itertools.count(1)
        self._child: _Child | None = None
        self.batches = 0
        self.requests = 0

    # ---- the child ---------------------------------------------------------------------------

    def start(self, *, wait: bool = False) -> None:
        """Start the writer process unless it runs; `wait` until it is ready to write (a server's
        start-up: it takes no request before its intake can be stored), raising if it could not
        start."""
        with self._lock:
            child = self._started()
        if wait and not child.ready.wait(START_TIMEOUT_S):
            raise RuntimeError(f"the intake writer process was not ready within {START_TIMEOUT_S} s")
        if wait and child.dead:
            raise RuntimeError("the intake writer process could not start; its error is in the log above")

    def _started(self) -> _Child:
        """The running child, started if there is none (called with the lock held)."""
        child = self._child
        if child is not None and not child.dead:
            return child
        url = self.app.state.engine.url
        if is_sqlite(url) and not is_sqlite_file(url):
            raise RuntimeError(
                "intake_writer=process needs a database another process can open, not an in-memory "
                "SQLite one; set intake_writer=thread"
            )
        ours, theirs = socket.socketpair()
        process = subprocess.Popen(
            [sys.executable, "-m", "citycockpit.events.intake.process_main", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
        )
        theirs.close()
        settings = self.app.state.settings
        setup = Setup(
            self.app.state.app_factory,
            settings.model_copy(update={"database_replica_url": None}),  # the writer reads the primary
            url.render_as_string(hide_password=False),
            self.app.state.clock,
        )
        ours.sendall(frame(setup))
        child = self._child = _Child(process, ours)
        child.reader = threading.Thread(
            target=self._receive, args=(child,), name="intake-answers", daemon=True
        )
        child.reader.start()
        return child

    # ---- the request side --------------------------------------------------------------------

    def _send(self, job: Job) -> None:
        with self._lock:
            child = self._started()
            job_id = next(self._ids)
            child.jobs[job_id] = job
            child.outbox.append((job_id, job.api_key, job.data, job.ip))
            schedule = job.loop not in child.flushing
            if schedule:
                child.flushing.add(job.loop)
        if schedule:  # the loop's other POSTs of this turn go in the same frame
            job.loop.call_soon(self._flush, child, job.loop)

    def _flush(self, child: _Child, loop: asyncio.AbstractEventLoop | None) -> None:
        with self._lock:
            child.flushing.discard(loop)  # type: ignore[arg-type]
            items, child.outbox = child.outbox, []
        if not items:
            return
        try:
            with child.send_lock:
                child.sock.sendall(frame(items))
        except OSError:
            pass  # the child is gone: its reader answers what it held (`_receive`)

    # ---- the answers -------------------------------------------------------------------------

    def _receive(self, child: _Child) -> None:
        """The reader thread of one child: its answers until its end, then its leftovers refused."""
        frames = Frames(child.sock)
        while (payload := frames.read()) is not None:
            message = pickle.loads(payload)
            if message[0] == "ready":
                child.ready.set()
                continue
            _, ids, answers, size, seconds, batches, requests = message
            try:
                outcomes = pickle.loads(answers)
            except Exception:  # never leave requests waiting (whether they were stored is in the log)
                log.exception(
                    "the intake writer process's answers to %d requests could not be read", len(ids)
                )
                outcomes = [not_stored() for _ in ids]
            observe_batch(size, seconds)
            with self._lock:
                self.batches += batches
                self.requests += requests
                answered = [
                    (child.jobs.pop(i), o) for i, o in zip(ids, outcomes, strict=True) if i in child.jobs
                ]
            self._answer(answered)
        code = child.process.wait()
        with self._lock:
            child.dead = True
            if self._child is child:
                self._child = None
            left = list(child.jobs.values())
            child.jobs.clear()
            child.outbox.clear()
        child.ready.set()
        child.sock.close()
        if not child.closing:
            log.error(
                "the intake writer process ended (exit status %s); %d requests it held are answered 503 "
                "and the next request starts another",
                code,
                len(left),
            )
        if left:
            self._answer([(job, not_stored()) for job in left])

    def close(self, timeout: float = 30) -> None:
        """Send what is still to send, let the child write it and answer, then wait for it to end."""
        with self._lock:
            child, self._child = self._child, None
        if child is None:
            return
        child.closing = True
        self._flush(child, None)
        try:
            child.sock.shutdown(socket.SHUT_WR)  # the child writes what it holds, answers, and ends
        except OSError:
            pass
        if child.reader is not None:
            child.reader.join(timeout)
        try:
            child.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("the intake writer process did not end within %s s; killed", timeout)
            child.process.kill()
            child.process.wait()
