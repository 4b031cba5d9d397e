"""The indicator feeds' worker jobs: silent feeds, scheduled pulls, and daily air quality (air.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import SystemActor
from citycockpit.core.tabular import ImportFailed, Row
from citycockpit.indicators import service
from citycockpit.indicators.errors import InvalidFeed
from citycockpit.indicators.models import Alert, Batch, Feed, Pull, Value
from citycockpit.ops.jobs import JobResult

WORKER = SystemActor("worker")
PULL_TIMEOUT_SECONDS = 10.0


def silence_job(session: Session, *, now: datetime, calendar: Any) -> JobResult:
    """A series with a `silence_minutes` that has received nothing for longer raises a silence alert
    (one until values arrive again)."""
    last = (
        select(Value.feed_id, func.max(Batch.received_at).label("at"))
        .join(Batch, Batch.id == Value.batch_id)
        .group_by(Value.feed_id)
        .subquery()
    )
    raised = 0
    for feed, at in session.execute(
        select(Feed, last.c.at)
        .outerjoin(last, last.c.feed_id == Feed.id)
        .where(Feed.silence_minutes.is_not(None))
    ):
        since = feed.created_at if at is None else at
        if now - since <= timedelta(minutes=feed.silence_minutes):
            continue
        open_alert = session.scalar(
            select(Alert.id).where(
                Alert.feed_id == feed.id, Alert.kind == "silence", Alert.resolved_at.is_(None)
            )
        )
        if open_alert is not None:
            continue
        alert = Alert(
            feed_id=feed.id, place_code="", kind="silence", level="warn", observed_at=at, raised_at=now
        )
        session.add(alert)
        session.flush()
        audit.record(
            session,
            WORKER,
            "indicators.alert.raise",
            "indicator_alert",
            alert.id,
            at=now,
            diff={"kind": "silence", "series": feed.code, "last_received_at": at},
        )
        raised += 1
    return JobResult("indicator_silence", raised)


def _items(pull: Pull, body: bytes) -> list[dict[str, Any]]:
    mapping = pull.mapping or {}
    if pull.format == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    data: Any = json.loads(body)
    for key in [k for k in str(mapping.get("items") or "").split(".") if k]:
        data = data[key]
    if not isinstance(data, list):
        raise ValueError("the answer's items are not a list")
    return [d for d in data if isinstance(d, dict)]


def run_pull(session: Session, pull: Pull, *, now: datetime, zone: ZoneInfo) -> int:
    """Fetch one pull's URL and store its values as a delivery from `pull`; returns values created or revised."""
    feed = session.get(Feed, pull.feed_id)
    assert feed is not None
    answer = httpx.get(pull.url, timeout=PULL_TIMEOUT_SECONDS)
    answer.raise_for_status()
    mapping = pull.mapping or {}
    items = _items(pull, answer.content)
    rows = (
        Row(
            pull.url,
            n,
            {
                "series": feed.code,
                "time": item.get(mapping.get("time", "time")),
                "place": item.get(mapping.get("place", "place"), "") if mapping.get("place", "place") else "",
                "value": item.get(mapping.get("value", "value")),
            },
        )
        for n, item in enumerate(items, start=1)
    )
    result = service.ingest_values(
        session,
        service.values_from_rows(rows),
        source="pull",
        reference=pull.url,
        principal=WORKER,
        now=now,
        zone=zone,
        what="pulled answer",
    )
    return result.created + result.revised


def pull_job(session: Session, *, now: datetime, calendar: Any) -> JobResult:
    """Run every active pull that is due; a failing one records its error and the others still run."""
    zone = calendar.zone
    stored = 0
    for pull in session.scalars(select(Pull).where(Pull.is_active.is_(True)).order_by(Pull.id)):
        last = pull.last_pulled_at
        if last is not None and now - last.astimezone(UTC) < timedelta(minutes=pull.every_minutes):
            continue
        try:
            with session.begin_nested():
                stored += run_pull(session, pull, now=now, zone=zone)
            pull.last_error = None
        except (httpx.HTTPError, ValueError, KeyError, ImportFailed) as exc:
            pull.last_error = str(exc)[:2000]
        pull.last_pulled_at = now
        session.flush()
    return JobResult("indicator_pulls", stored)


def add_pull(
    session: Session,
    *,
    code: str,
    url: str,
    format: str,
    mapping: dict[str, str],
    every_minutes: int = 60,
    actor: Any,
    now: datetime,
) -> Pull:
    """Schedule a pull of a series from another system's URL, with the field mapping."""
    feed = service.get_feed(session, code)
    if format not in ("json", "csv"):
        raise InvalidFeed("A pull reads json or csv")
    if not url.startswith(("http://", "https://")):
        raise InvalidFeed("A pull's URL is http:// or https://")
    pull = Pull(feed_id=feed.id, url=url, format=format, mapping=mapping, every_minutes=every_minutes)
    session.add(pull)
    session.flush()
    audit.record(
        session,
        actor,
        "indicators.pull.create",
        "indicator_pull",
        pull.id,
        at=now,
        diff={"series": code, "url": url, "format": format, "mapping": mapping},
    )
    return pull
