"""Fixed-window rate limits counted in the database, so several server processes share one count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from citycockpit.auth.models import RateLimitCounter
from citycockpit.core.dialect import upsert_insert
from citycockpit.core.errors import AppError


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: object) -> None:
        super().__init__(detail, retry_after=retry_after, **extra)
        self.retry_after = retry_after


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, UTC)


def increment(session: Session, key: str, *, now: datetime, window_seconds: int = 60, amount: int = 1) -> int:
    """Count `amount` hits for `key` in the current window and return the window's count.

    One atomic upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING) on both engines, so concurrent
    processes never lose a hit."""
    start = _window_start(now, window_seconds)
    stmt = upsert_insert(session, RateLimitCounter).values(key=key[:200], window_start=start, count=amount)
    stmt = stmt.on_conflict_do_update(
        index_elements=[RateLimitCounter.key, RateLimitCounter.window_start],
        set_={"count": RateLimitCounter.count + amount},
    ).returning(RateLimitCounter.count)
    count = int(session.execute(stmt).scalar_one())
    if count == amount:  # a new window: drop this key's old ones (cheap: primary-key range)
        session.execute(
            delete(RateLimitCounter).where(
                RateLimitCounter.key == key[:200], RateLimitCounter.window_start < start
            )
        )
    return count


def hit(session: Session, key: str, *, limit: int, now: datetime, window_seconds: int = 60) -> None:
    """Count a hit; refuse (429 `rate_limited`, Retry-After) once `limit` hits fell in this window."""
    count = increment(session, key, now=now, window_seconds=window_seconds)
    if count > limit:
        start = _window_start(now, window_seconds)
        retry = max(1, int((start + timedelta(seconds=window_seconds) - now).total_seconds() + 0.999))
        raise RateLimited(
            f"请求过于频繁，请 {retry} 秒后再试 (too many requests; retry in {retry} s)", retry_after=retry
        )


def purge_counters(session: Session, *, now: datetime, older_than: timedelta = timedelta(days=1)) -> int:
    result = session.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < now - older_than))
    return int(getattr(result, "rowcount", 0) or 0)
