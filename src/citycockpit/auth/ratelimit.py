"""Fixed-window rate limits counted in the database, so several server processes share one count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Integer, Table, bindparam, delete
from sqlalchemy.orm import Session

from citycockpit.auth.models import RateLimitCounter
from citycockpit.auth.tokens import hash_token
from citycockpit.core.dialect import dialect_name, upsert_insert
from citycockpit.core.errors import AppError
from citycockpit.db import DriverStatement


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: object) -> None:
        super().__init__(detail, retry_after=retry_after, **extra)
        self.retry_after = retry_after


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, UTC)


_COUNTERS = cast(Table, RateLimitCounter.__table__)
# Built once per dialect (the intake writer counts every batch, every guarded request counts once):
# constructing the upsert cost more than running it; both run through the driver, compiled once.
_UPSERTS: dict[str, DriverStatement] = {}
_DROP_OLD = DriverStatement(
    delete(_COUNTERS).where(
        _COUNTERS.c.key == bindparam("key"), _COUNTERS.c.window_start < bindparam("start")
    )
)


def _upsert(session: Session) -> DriverStatement:
    dialect = dialect_name(session)
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        stmt = DriverStatement(
            upsert_insert(session, _COUNTERS)
            .values(key=bindparam("key"), window_start=bindparam("start"), count=bindparam("amount"))
            .on_conflict_do_update(
                index_elements=[_COUNTERS.c.key, _COUNTERS.c.window_start],
                set_={"count": _COUNTERS.c.count + bindparam("amount", type_=Integer())},
            )
            .returning(_COUNTERS.c.count)
        )
        _UPSERTS[dialect] = stmt
    return stmt


def increment(session: Session, key: str, *, now: datetime, window_seconds: int = 60, amount: int = 1) -> int:
    """Count `amount` hits for `key` in the current window and return the window's count.

    One atomic upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING) on both engines, so concurrent
    processes never lose a hit."""
    start = _window_start(now, window_seconds)
    # Core on the table, not the ORM class: nothing to track, and the intake writer counts every batch
    params = {"key": key[:200], "start": start, "amount": amount}
    ((count,),) = _upsert(session).execute(session, params)
    count = int(count)
    if count == amount:  # a new window: drop this key's old ones (cheap: primary-key range)
        _DROP_OLD.execute(session, params)
    return count


def allowance(
    session: Session, key: str, *, limit: int, now: datetime, hits: int = 1, window_seconds: int = 60
) -> int:
    """Count `hits` requests for `key` in the current window and say how many of them (the first
    ones) are within `limit`: `hits` while under it, then fewer, then 0. One upsert however many."""
    count = increment(session, key, now=now, window_seconds=window_seconds, amount=hits)
    return max(0, min(hits, limit - (count - hits)))


def retry_after(now: datetime, window_seconds: int = 60) -> int:
    """Whole seconds until the current window ends (at least 1)."""
    end = _window_start(now, window_seconds) + timedelta(seconds=window_seconds)
    return max(1, int((end - now).total_seconds() + 0.999))


def too_many(now: datetime, window_seconds: int = 60, detail: str | None = None) -> RateLimited:
    """The refusal of a request over its limit: 429 `rate_limited` with Retry-After."""
    retry = retry_after(now, window_seconds)
    return RateLimited(
        detail or f"too many requests; retry in {retry} s",
        retry_after=retry,
    )


def hit(session: Session, key: str, *, limit: int, now: datetime, window_seconds: int = 60) -> None:
    """Count a hit; refuse (429 `rate_limited`, Retry-After) once `limit` hits fell in this window."""
    if not allowance(session, key, limit=limit, now=now, window_seconds=window_seconds):
        raise too_many(now, window_seconds)


# What is counted: anonymous requests per client address, and requests per API key (Open311 intake).


def public_key(ip: str | None) -> str:
    return f"public:{ip}"


def token_key(secret: str) -> str:
    return f"key:{hash_token(secret)[:32]}"


def count_anonymous(session: Session, ip: str | None, *, limit: int, now: datetime, hits: int = 1) -> int:
    """Count `hits` anonymous requests (no caller recognised) from `ip` against `limit`
    (`rate_limit_public_per_minute`); how many of them are within it."""
    return allowance(session, public_key(ip), limit=limit, now=now, hits=hits)


def count_token(session: Session, secret: str, *, limit: int, now: datetime, hits: int = 1) -> int:
    """Count `hits` requests made with the API key `secret` against `limit`
    (`rate_limit_api_key_per_minute`); how many of them are within it."""
    return allowance(session, token_key(secret), limit=limit, now=now, hits=hits)


def count_apart(session: Session, count: Callable[[Session], int]) -> int:
    """Run `count` (a counter upsert) and make it stick, without making the caller's session a writer.

    A reading session (a GET's: `db.reader`) gets the count in a short write transaction of its own,
    committed at once: on SQLite its DEFERRED read transaction could not take the write lock safely,
    and a GET never commits its own session. Any other session (a POST's, a test's connection-bound
    one) counts in place and is committed here, as before: the count must stand even when the request
    is refused afterwards."""
    bind = session.get_bind()
    if isinstance(bind, Connection) or bind.get_execution_options().get("sqlite_begin") != "DEFERRED":
        result = count(session)
        session.commit()
        return result
    with Session(bind=bind.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False) as own:
        result = count(own)
        own.commit()
    return result


def purge_counters(session: Session, *, now: datetime, older_than: timedelta = timedelta(days=1)) -> int:
    result = session.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < now - older_than))
    return int(getattr(result, "rowcount", 0) or 0)
