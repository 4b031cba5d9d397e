"""The read replica: reads that may be a little stale go to a PostgreSQL streaming standby while it is up
and close behind the primary; everything else, and a caller who has just written, stays on the primary.

How far behind the replica is gets measured on the replica and cached for `replica_check_seconds`:
caught up (its replayed WAL position has reached the primary's current one) is no lag at all, however
long the primary has been idle; otherwise the lag is the time since the last transaction it replayed
(`pg_last_xact_replay_timestamp`), which keeps growing while its replay is stalled or paused."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request
from prometheus_client import Counter, Gauge
from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citycockpit.db import make_engine

if TYPE_CHECKING:
    from citycockpit.config import Settings

log = logging.getLogger("citycockpit.replica")

# A caller who wrote gets this cookie; while it lives, their reads go to the primary (read-your-own-writes).
WROTE_COOKIE = "cc_wrote"
_READ_METHODS = frozenset({"GET", "HEAD"})

READS = Counter(
    "citycockpit_replica_reads_total",
    "Reads that could go to the read replica, by where they went (replica, primary) and why",
    ["target", "reason"],
)
LAG = Gauge("citycockpit_replica_lag_seconds", "The read replica's lag at its last check (-1: down)")
STATE_CHANGES = Counter(
    "citycockpit_replica_state_changes_total",
    "Times the read replica's state changed (ok, lagging, paused, down), by the new state",
    ["state"],
)


@dataclass(frozen=True)
class ReplicaStatus:
    """The replica at its last check: `state` is `ok`, `lagging`, `paused` (replay paused beyond the lag
    limit) or `down`; `lag_seconds` None when down."""

    state: str
    lag_seconds: float | None
    checked_at: float  # time.monotonic()
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.state == "ok"


_LAG_SQL = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= CAST(:primary_lsn AS pg_lsn), "
    "EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp())), "
    "pg_is_wal_replay_paused()"
)


class ReadReplica:
    """Chooses, per request, between the replica's engine and none (the request's own primary session).

    Thread-safe: one thread measures at a time, the others use the last measure meanwhile."""

    def __init__(
        self,
        primary: Engine,
        replica: Engine,
        *,
        max_lag_seconds: float,
        check_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.engine = replica
        self.max_lag_seconds = max_lag_seconds
        self.check_seconds = check_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._status: ReplicaStatus | None = None

    @property
    def wrote_window_seconds(self) -> float:
        """How long after a write the writer reads from the primary: the oldest a used replica can be
        (its lag limit, plus how old the measure may be), so their write is on the replica after it."""
        return self.max_lag_seconds + self.check_seconds

    def status(self) -> ReplicaStatus:
        """The cached measure, renewed when older than `check_seconds`."""
        current = self._status
        now = self._monotonic()
        if current is not None and now - current.checked_at < self.check_seconds:
            return current
        if not self._lock.acquire(blocking=current is None):
            return current  # type: ignore[return-value]  # another thread is measuring
        try:
            fresh = self._measure()
            self._record(fresh)
            return fresh
        finally:
            self._lock.release()

    def mark_down(self, exc: BaseException) -> None:
        """A read found the replica unreachable between checks: use the primary until the next check."""
        self._record(ReplicaStatus("down", None, self._monotonic(), _one_line(exc)))

    def _measure(self) -> ReplicaStatus:
        now = self._monotonic()
        try:
            with self.primary.connect() as conn:
                primary_lsn = conn.execute(text("SELECT CAST(pg_current_wal_lsn() AS text)")).scalar_one()
        except Exception as exc:  # the primary is the app's own problem; without its position, no replica
            return ReplicaStatus("down", None, now, f"primary position unknown: {_one_line(exc)}")
        try:
            with self.engine.connect() as conn:
                in_recovery, caught_up, since_replay, paused = conn.execute(
                    _LAG_SQL, {"primary_lsn": primary_lsn}
                ).one()
        except Exception as exc:
            return ReplicaStatus("down", None, now, _one_line(exc))
        if not in_recovery:
            return ReplicaStatus("down", None, now, "not a standby (pg_is_in_recovery() is false)")
        lag = 0.0 if caught_up else float(since_replay if since_replay is not None else float("inf"))
        if lag <= self.max_lag_seconds:
            return ReplicaStatus("ok", lag, now)
        return ReplicaStatus("paused" if paused else "lagging", lag, now)

    def _record(self, fresh: ReplicaStatus) -> None:
        previous, self._status = self._status, fresh
        LAG.set(-1 if fresh.lag_seconds is None else min(fresh.lag_seconds, 1e9))
        if previous is not None and previous.state == fresh.state:
            return
        STATE_CHANGES.labels(fresh.state).inc()
        if fresh.usable:
            log.info("read replica in use (lag %.1f s)", fresh.lag_seconds or 0.0)
        else:
            lag = "" if fresh.lag_seconds is None else f" (lag {fresh.lag_seconds:.1f} s)"
            log.warning("read replica %s%s, reads go to the primary: %s", fresh.state, lag, fresh.detail)

    def engine_for(self, request: Request) -> Engine | None:
        """The replica's engine for this request's stale-tolerant reads, or None for the primary: a
        request that may write, a caller who wrote within the window, or a replica down or lagging."""
        if request.method not in _READ_METHODS:
            return self._count("primary", "write_request")
        if request.cookies.get(WROTE_COOKIE):
            return self._count("primary", "read_own_writes")
        status = self.status()
        if not status.usable:
            return self._count("primary", status.state)
        READS.labels("replica", "ok").inc()
        return self.engine

    @staticmethod
    def _count(target: str, reason: str) -> None:
        READS.labels(target, reason).inc()
        return None

    def dispose(self) -> None:
        self.engine.dispose()


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def build_replica(settings: Settings, primary: Engine) -> ReadReplica | None:
    """The read replica the settings name, or None (every read on the primary)."""
    url = settings.database_replica_url
    if not url:
        return None
    engine = make_engine(
        url, pool_size=settings.db_pool_size, connect_timeout_s=settings.replica_connect_timeout_s
    )
    return ReadReplica(
        primary,
        engine,
        max_lag_seconds=settings.replica_max_lag_seconds,
        check_seconds=settings.replica_check_seconds,
    )


class WroteCookieMiddleware:
    """After a request that may have written (any method but GET/HEAD/OPTIONS) and succeeded, set the
    short-lived cookie that keeps the caller's reads on the primary until the replica has their write."""

    def __init__(self, app: ASGIApp, *, window_seconds: float, secure: bool) -> None:
        self.app = app
        flags = "; Secure" if secure else ""
        self.header = (
            f"{WROTE_COOKIE}=1; Max-Age={max(1, int(window_seconds + 0.999))}; Path=/; HttpOnly; "
            f"SameSite=Lax{flags}"
        ).encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                message["headers"] = [*message.get("headers", []), (b"set-cookie", self.header)]
            await send(message)

        await self.app(scope, receive, _send)
