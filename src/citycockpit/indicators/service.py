"""Indicator feeds: series, stations, and values arriving by push, file or pull, all or nothing.

A delivery (a `Batch`) is checked row by row (unknown series or place, a time without a readable instant,
a value outside the series' physical range, one time twice with different values); any problem and
nothing of it is stored. A value already stored with the same figure is left alone (the push API is
idempotent on series, time and place); a different figure replaces it and the old one goes to
`indicator_revisions`. Every changed day is marked for recomputation, thresholds are checked on the
latest value of each place, and the batch is audited."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.dialect import upsert_insert
from citycockpit.core.tabular import ErrorList, ImportFailed, Row, RowError
from citycockpit.indicators import boards
from citycockpit.indicators.errors import (
    FeedCodeTaken,
    FeedNotFound,
    FeedNotGranted,
    InvalidFeed,
    InvalidTheme,
)
from citycockpit.indicators.models import (
    Alert,
    Batch,
    Feed,
    Mark,
    Revision,
    Station,
    Theme,
    Threshold,
    TokenFeed,
    Value,
)
from citycockpit.org.models import Area

CHUNK_ROWS = 5000  # rows checked and written together: memory stays flat whatever the file's size
LEVELS = ("warn", "alarm")
DIRECTIONS = ("above", "below")
STATION_LEVELS = ("national", "provincial", "town")
SOURCES = ("push", "file", "pull")
MONTHLY_RULES = ("mean", "sum", "last")
RESOLUTIONS = ("hour", "day")  # hourly means, or one figure a day stamped at the day's local midnight
MAX_AUDITED_REVISIONS = 50

VALUE_HEADERS = tabular.header_aliases(  # (key, header)
    [
        ("series", "series"),
        ("series", "指标"),
        ("series", "指标代码"),
        ("time", "time"),
        ("time", "时间"),
        ("time", "监测时间"),
        ("place", "station"),
        ("place", "place"),
        ("place", "站点"),
        ("place", "站点代码"),
        ("place", "地区"),
        ("value", "value"),
        ("value", "数值"),
        ("value", "浓度"),
    ]
)
STATION_HEADERS = tabular.header_aliases(
    [
        ("code", "code"),
        ("code", "站点代码"),
        ("name", "name"),
        ("name", "站点名称"),
        ("level", "level"),
        ("level", "级别"),
        ("lat", "lat"),
        ("lat", "纬度"),
        ("lon", "lon"),
        ("lon", "经度"),
        ("area", "area"),
        ("area", "所属地区"),
        ("area", "地区代码"),
    ]
)
STATION_LEVEL_WORDS = {"国控": "national", "省控": "provincial", "镇控": "town", "乡镇": "town"}


# ---------------------------------------------------------------- series


@dataclass(frozen=True)
class ThresholdIn:
    level: str
    direction: str
    limit_value: float


def create_feed(
    session: Session,
    *,
    code: str,
    name: str,
    unit: str | None = None,
    theme: str | None = None,
    pollutant: str | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    silence_minutes: int | None = None,
    goal_series_id: int | None = None,
    monthly_rule: str = "mean",
    resolution: str = "hour",
    thresholds: Iterable[ThresholdIn] = (),
    actor: Actor,
    now: datetime,
) -> Feed:
    """A new series other systems may feed; its code is what they name it by. A daily series
    (`resolution` day) takes one value a day, stamped at the day's local midnight."""
    code = code.strip()
    if not code or not name.strip():
        raise InvalidFeed("A series needs a code and a name")
    if min_value is not None and max_value is not None and min_value > max_value:
        raise InvalidFeed(f"The physical range of {code} is empty ({min_value} > {max_value})")
    if monthly_rule not in MONTHLY_RULES:
        raise InvalidFeed(f"monthly_rule must be one of {', '.join(MONTHLY_RULES)}")
    _check_resolution(resolution, code)
    if silence_minutes is not None and silence_minutes <= 0:
        raise InvalidFeed("silence_minutes must be positive")
    if session.scalar(select(Feed.id).where(Feed.code == code)) is not None:
        raise FeedCodeTaken(f"A series with code {code} already exists", series=code)
    feed = Feed(
        code=code,
        name=name.strip(),
        unit=unit,
        theme=theme,
        pollutant=pollutant,
        min_value=min_value,
        max_value=max_value,
        silence_minutes=silence_minutes,
        goal_series_id=goal_series_id,
        monthly_rule=monthly_rule,
        resolution=resolution,
        created_at=now,
    )
    session.add(feed)
    session.flush()
    limits = set_thresholds(session, feed, list(thresholds))
    audit.record(
        session,
        actor,
        "indicators.feed.create",
        "indicator_feed",
        feed.id,
        at=now,
        diff={
            "code": code,
            "range": [min_value, max_value],
            "silence_minutes": silence_minutes,
            "resolution": resolution,
            "thresholds": limits,
        },
    )
    return feed


def _check_resolution(resolution: str, code: str) -> None:
    if resolution not in RESOLUTIONS:
        raise InvalidFeed(f"The resolution of {code} must be hour or day, not {resolution!r}")


def set_thresholds(session: Session, feed: Feed, thresholds: list[ThresholdIn]) -> list[list[Any]]:
    """Replace the feed's thresholds (one per level and direction)."""
    seen = set()
    for t in thresholds:
        if t.level not in LEVELS or t.direction not in DIRECTIONS:
            raise InvalidFeed(f"A threshold is warn|alarm and above|below, not {t.level} {t.direction}")
        if (t.level, t.direction) in seen:
            raise InvalidFeed(f"Two {t.level} thresholds {t.direction}")
        seen.add((t.level, t.direction))
    session.execute(delete(Threshold).where(Threshold.feed_id == feed.id))
    for t in thresholds:
        session.add(
            Threshold(feed_id=feed.id, level=t.level, direction=t.direction, limit_value=t.limit_value)
        )
    session.flush()
    return [[t.level, t.direction, t.limit_value] for t in thresholds]


def change_thresholds(
    session: Session, code: str, thresholds: list[ThresholdIn], *, actor: Actor, now: datetime
) -> Feed:
    """Replace a series' thresholds (audited, old and new); alerts follow on the next delivery."""
    feed = get_feed(session, code)
    before = [
        [t.level, t.direction, t.limit_value]
        for t in session.scalars(select(Threshold).where(Threshold.feed_id == feed.id).order_by(Threshold.id))
    ]
    after = set_thresholds(session, feed, thresholds)
    audit.record(
        session,
        actor,
        "indicators.thresholds.change",
        "indicator_feed",
        feed.id,
        at=now,
        diff={"from": before, "to": after},
    )
    return feed


def get_feed(session: Session, code: str) -> Feed:
    feed = session.scalar(select(Feed).where(Feed.code == code))
    if feed is None:
        raise FeedNotFound(f"No indicator series with code {code}", series=code)
    return feed


def grant_feeds(session: Session, token_id: int, codes: list[str], *, actor: Actor, now: datetime) -> None:
    """Let an API token holding `indicators:write` write these series (and no other)."""
    feeds = [get_feed(session, c) for c in codes]
    held = set(session.scalars(select(TokenFeed.feed_id).where(TokenFeed.token_id == token_id)))
    for feed in feeds:
        if feed.id not in held:
            session.add(TokenFeed(token_id=token_id, feed_id=feed.id))
    session.flush()
    audit.record(
        session, actor, "indicators.token.grant", "api_token", token_id, at=now, diff={"series": codes}
    )


def check_writable(session: Session, principal: Principal, feed_ids: Iterable[int]) -> None:
    """A token writes only the series granted to it; a signed-in person with `indicators:write` any."""
    if principal.kind != "token":
        return
    wanted = set(feed_ids)
    granted = set(
        session.scalars(
            select(TokenFeed.feed_id).where(TokenFeed.token_id == principal.id, TokenFeed.feed_id.in_(wanted))
        )
    )
    missing = wanted - granted
    if missing:
        codes = sorted(session.scalars(select(Feed.code).where(Feed.id.in_(missing))))
        raise FeedNotGranted(f"This token may not write the series {', '.join(codes)}", series=codes)


# ---------------------------------------------------------------- stations


def import_stations(
    session: Session, data: bytes, filename: str, *, actor: Actor, now: datetime
) -> dict[str, int]:
    """Stations (code, name, level 国控/省控/镇控 or national/provincial/town, lat, lon, area code)
    from CSV or XLSX, all or nothing; a known code is updated."""
    headers, rows = tabular.stream_rows(data, filename, STATION_HEADERS)
    missing = [c for c in ("code", "name", "level") if c not in headers]
    if missing:
        raise ImportFailed([RowError(filename, 1, f"missing column(s): {', '.join(missing)}")])
    areas = set(session.scalars(select(Area.code)))
    existing = {s.code: s for s in session.scalars(select(Station))}
    errors = ErrorList()
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in rows:
        code, name = row.text("code"), row.text("name")
        level = STATION_LEVEL_WORDS.get(row.text("level"), row.text("level").lower())
        before = errors.total
        if not code or not name:
            errors.add(row.error("a station needs a code and a name"))
        if level not in STATION_LEVELS:
            errors.add(
                row.error(f"level {row.text('level')!r} is not a station level (国控, 省控 or 镇控)", "level")
            )
        lat, lon = _coordinate(row, "lat", -90, 90, errors), _coordinate(row, "lon", -180, 180, errors)
        area = row.text("area") or None
        if area is not None and area not in areas:
            errors.add(row.error(f"unknown area code {area}", "area"))
        if code in seen:
            errors.add(row.error(f"station {code} repeats row {seen[code]}", "code"))
        seen[code] = row.number
        if errors.total == before:
            parsed.append(
                {"code": code, "name": name, "level": level, "lat": lat, "lon": lon, "area_code": area}
            )
    errors.raise_if_any(what="stations file")
    if not parsed:
        raise ImportFailed([RowError(filename, None, "the file has no data rows")])
    created = updated = 0
    for item in parsed:
        station = existing.get(item["code"])
        if station is None:
            session.add(Station(**item, updated_at=now))
            created += 1
        else:
            for key, value in item.items():
                setattr(station, key, value)
            station.updated_at = now
            updated += 1
    session.flush()
    audit.record(
        session,
        actor,
        "indicators.stations.import",
        "stations",
        None,
        at=now,
        diff={"file": filename, "created": created, "updated": updated},
    )
    return {"created": created, "updated": updated}


def _coordinate(row: Row, key: str, low: float, high: float, errors: ErrorList) -> float | None:
    text = row.text(key)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.add(row.error(f"{key} {text!r} is not a number", key))
        return None
    if not low <= value <= high:
        errors.add(row.error(f"{key} {value} is outside {low}…{high}", key))
        return None
    return value


# ---------------------------------------------------------------- values


@dataclass
class RawValue:
    """One incoming value as delivered: the series code, time, place and value, not yet checked."""

    row: Row
    series: Any
    time: Any
    place: Any
    value: Any


@dataclass
class BatchResult:
    batch_id: int
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    alerts_raised: int = 0
    days_marked: int = 0
    revisions: list[dict[str, Any]] = field(default_factory=list)


def parse_instant(raw: Any, zone: ZoneInfo) -> datetime:
    """An instant from ISO 8601 text or a spreadsheet cell; without an offset it is in the city's zone
    (a date alone is local midnight). Raises ValueError with a readable reason."""
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        moment = datetime.combine(raw, time(0))
    else:
        text = str(raw or "").strip()
        if not text:
            raise ValueError("the time is empty")
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            raise ValueError(f"time {text!r} is not an ISO 8601 instant (2024-03-01T08:00+08:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _parse_number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("the value is not a number")
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = str(raw or "").strip().replace(",", "")
        if not text:
            raise ValueError("the value is empty")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"value {text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError("the value is not a finite number")
    return number


def ingest_values(
    session: Session,
    items: Iterable[RawValue],
    *,
    source: str,
    reference: str | None,
    principal: Actor,
    now: datetime,
    zone: ZoneInfo,
    what: str = "batch",
) -> BatchResult:
    """Store a delivery of values, all or nothing (see the module's docstring). A token may deliver only
    the series granted to it. Raises ImportFailed listing the problems by row."""
    if source not in SOURCES:
        raise InvalidFeed(f"unknown source {source}")
    feeds = {f.code: f for f in session.scalars(select(Feed))}
    places = {""} | set(session.scalars(select(Station.code))) | set(session.scalars(select(Area.code)))
    with session.begin_nested():
        batch = Batch(
            source=source,
            reference=(reference or "")[:255] or None,
            received_at=now,
            received_by=principal.display_name[:120],
        )
        session.add(batch)
        session.flush()
        result = BatchResult(batch.id)
        errors = ErrorList()
        marks: set[tuple[int, str, date]] = set()
        latest: dict[tuple[int, str], datetime] = {}
        used_feeds: set[int] = set()
        chunk: list[tuple[Row, Feed, str, datetime, float]] = []
        for item in items:
            parsed = _check_row(item, feeds, places, zone, errors)
            if parsed is None:
                continue
            used_feeds.add(parsed[1].id)
            chunk.append(parsed)
            if len(chunk) >= CHUNK_ROWS:
                _store_chunk(session, batch.id, chunk, errors, result, marks, latest, zone, write=not errors)
                chunk = []
        if chunk:
            _store_chunk(session, batch.id, chunk, errors, result, marks, latest, zone, write=not errors)
        if isinstance(principal, Principal):
            check_writable(session, principal, used_feeds)
        errors.raise_if_any(what=what)
        if not (result.created or result.revised or result.unchanged):
            raise ImportFailed(
                [RowError(reference or source, None, "the delivery holds no values")], what=what
            )
        batch.created, batch.revised, batch.unchanged = result.created, result.revised, result.unchanged
        _mark_days(session, marks, {f.id: f for f in feeds.values()})
        result.days_marked = len(marks)
        resolve_silence(session, used_feeds, actor=principal, now=now)
        result.alerts_raised = check_thresholds(session, list(latest), actor=principal, now=now)
        session.flush()
        audit.record(
            session,
            principal,
            "indicators.values.receive",
            "indicator_batch",
            batch.id,
            at=now,
            diff={
                "source": source,
                "reference": reference,
                "series": sorted(f.code for f in feeds.values() if f.id in used_feeds),
                "created": result.created,
                "revised": result.revised,
                "unchanged": result.unchanged,
                "revisions": result.revisions[:MAX_AUDITED_REVISIONS],
            },
        )
    return result


def _check_row(
    item: RawValue,
    feeds: dict[str, Feed],
    places: set[str],
    zone: ZoneInfo,
    errors: ErrorList,
) -> tuple[Row, Feed, str, datetime, float] | None:
    row = item.row
    ok = True
    code = str(item.series or "").strip()
    feed = feeds.get(code)
    if feed is None:
        errors.add(row.error(f"unknown series {code!r}", "series", code="unknown_series", series=code))
        ok = False
    place = str(item.place or "").strip()
    if place not in places:
        errors.add(
            row.error(f"unknown station or area {place!r}", "place", code="unknown_place", place=place)
        )
        ok = False
    try:
        moment = parse_instant(item.time, zone)
    except ValueError as exc:
        errors.add(row.error(str(exc), "time", code="bad_time"))
        ok = False
    try:
        number = _parse_number(item.value)
    except ValueError as exc:
        errors.add(row.error(str(exc), "value", code="bad_value"))
        return None
    if feed is not None and (
        (feed.min_value is not None and number < feed.min_value)
        or (feed.max_value is not None and number > feed.max_value)
    ):
        errors.add(
            row.error(
                f"value {number:g} is outside the physical range of {feed.code} "
                f"({_bound(feed.min_value)}…{_bound(feed.max_value)})",
                "value",
                code="out_of_range",
                value=number,
            )
        )
        ok = False
    if ok and feed is not None and feed.resolution == "day":
        local = moment.astimezone(zone)
        if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
            errors.add(
                row.error(
                    f"{feed.code} is a daily series: its time is a date (the day's local midnight), "
                    f"not {local.isoformat()}",
                    "time",
                    code="bad_time",
                )
            )
            ok = False
    if not ok or feed is None:
        return None
    return row, feed, place, moment, number


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _store_chunk(
    session: Session,
    batch_id: int,
    chunk: list[tuple[Row, Feed, str, datetime, float]],
    errors: ErrorList,
    result: BatchResult,
    marks: set[tuple[int, str, date]],
    latest: dict[tuple[int, str], datetime],
    zone: ZoneInfo,
    *,
    write: bool,
) -> None:
    """Check a chunk against itself and the stored values; write it unless an error was seen (then
    only the checks run, so every problem of the delivery is reported)."""
    mine: dict[tuple[int, str, datetime], tuple[float, int]] = {}
    for row, feed, place, moment, number in chunk:
        key = (feed.id, place, moment)
        if key in mine:
            if mine[key][0] != number:
                errors.add(
                    row.error(
                        f"{feed.code} {place or '-'} {moment.isoformat()} repeats row {mine[key][1]} with a "
                        f"different value ({mine[key][0]:g} there, {number:g} here)",
                        "value",
                        code="duplicate_time",
                    )
                )
            continue
        mine[key] = (number, row.number)
    if not mine:
        return
    feed_ids = {k[0] for k in mine}
    place_codes = {k[1] for k in mine}
    moments = [k[2] for k in mine]
    stored = {
        (fid, pc, _utc(at)): (vid, val, bid)
        for vid, fid, pc, at, val, bid in session.execute(
            select(
                Value.id, Value.feed_id, Value.place_code, Value.observed_at, Value.value, Value.batch_id
            ).where(
                Value.feed_id.in_(feed_ids),
                Value.place_code.in_(place_codes),
                Value.observed_at >= min(moments),
                Value.observed_at <= max(moments),
            )
        )
    }
    rows_of = {(feed.id, place, moment): row for row, feed, place, moment, _ in chunk}
    daily = {feed.id for _, feed, *_ in chunk if feed.resolution == "day"}
    new: list[dict[str, Any]] = []
    for key, (number, _n) in mine.items():
        old = stored.get(key)
        if old is not None and old[1] == number:
            result.unchanged += 1
            continue
        if old is not None and old[2] == batch_id:
            errors.add(
                rows_of[key].error(
                    f"{key[1] or '-'} {key[2].isoformat()} repeats an earlier row of this delivery with a "
                    f"different value ({old[1]:g} there, {number:g} here)",
                    "value",
                    code="duplicate_time",
                )
            )
            continue
        if not write or errors:
            continue
        if old is None:
            new.append(
                {
                    "feed_id": key[0],
                    "place_code": key[1],
                    "observed_at": key[2],
                    "value": number,
                    "batch_id": batch_id,
                }
            )
            result.created += 1
        else:
            session.execute(update(Value).where(Value.id == old[0]).values(value=number, batch_id=batch_id))
            session.add(
                Revision(
                    value_id=old[0],
                    old_value=old[1],
                    old_batch_id=old[2],
                    new_value=number,
                    batch_id=batch_id,
                )
            )
            result.revised += 1
            if len(result.revisions) < MAX_AUDITED_REVISIONS:
                result.revisions.append(
                    {
                        "series_id": key[0],
                        "place": key[1],
                        "time": key[2].isoformat(),
                        "from": old[1],
                        "to": number,
                    }
                )
        # the local day of the instant, and of the hour before it (an hourly value stamped at the end
        # of its hour, HJ 663-2013, belongs to that day): both are recomputed
        marks.add((key[0], key[1], key[2].astimezone(zone).date()))
        if key[0] not in daily:  # a daily value, stamped at its own day's midnight, is that day's only
            marks.add((key[0], key[1], (key[2] - timedelta(hours=1)).astimezone(zone).date()))
        if key[2] > latest.get((key[0], key[1]), datetime.min.replace(tzinfo=UTC)):
            latest[(key[0], key[1])] = key[2]
    if new and write and not errors:
        session.connection().execute(insert(Value), new)  # core executemany: no ORM bookkeeping
    session.flush()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _mark_days(session: Session, marks: set[tuple[int, str, date]], feeds: dict[int, Feed]) -> None:
    """Mark the changed days (and so their months) for recomputation; a mark already there is reset.
    What does not depend on the series (no pollutant, no goal) is born done."""
    rows = [
        {
            "feed_id": f,
            "place_code": p,
            "day": d,
            "is_aq_done": feeds[f].pollutant is None,
            "is_goal_done": feeds[f].goal_series_id is None,
        }
        for f, p, d in marks
    ]
    if not rows:
        return
    stmt = upsert_insert(session, Mark)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Mark.feed_id, Mark.place_code, Mark.day],
        set_={"is_aq_done": stmt.excluded.is_aq_done, "is_goal_done": stmt.excluded.is_goal_done},
    )
    # one statement compiled once, its parameters sent in batches (executemany): a multi-row VALUES
    # clause of thousands of rows costs more to compile than to run
    for start in range(0, len(rows), CHUNK_ROWS):
        session.connection().execute(stmt, rows[start : start + CHUNK_ROWS])


def values_from_rows(rows: Iterable[Row], *, series: str | None = None) -> Iterator[RawValue]:
    """RawValues from table rows (a file, a pull); `series` when the rows name none."""
    for row in rows:
        yield RawValue(
            row,
            row.values.get("series") or series,
            row.values.get("time"),
            row.values.get("place"),
            row.values.get("value"),
        )


def import_values_file(
    session: Session,
    data: bytes,
    filename: str,
    *,
    principal: Actor,
    now: datetime,
    zone: ZoneInfo,
    series: str | None = None,
    encoding: str = "utf-8",
) -> BatchResult:
    """Values from a CSV/XLSX file (series, time, station, value; the series column may be left out
    when `series` names it), read as a stream, all or nothing."""
    headers, rows = tabular.stream_rows(data, filename, VALUE_HEADERS, encoding=encoding)
    missing = [c for c in ("time", "value") if c not in headers]
    if "series" not in headers and series is None:
        missing.append("series")
    tabular.require_columns(filename, missing)
    return ingest_values(
        session,
        values_from_rows(rows, series=series),
        source="file",
        reference=filename,
        principal=principal,
        now=now,
        zone=zone,
        what="values file",
    )


# ---------------------------------------------------------------- alerts


def _level(value: float, limits: list[Threshold]) -> tuple[str, float] | None:
    crossed = [
        (t.level, t.limit_value)
        for t in limits
        if (t.direction == "above" and value > t.limit_value)
        or (t.direction == "below" and value < t.limit_value)
    ]
    alarms = [c for c in crossed if c[0] == "alarm"]
    chosen = alarms or crossed
    return chosen[0] if chosen else None


def check_thresholds(session: Session, pairs: list[tuple[int, str]], *, actor: Actor, now: datetime) -> int:
    """Hold each (series, place)'s latest value against the series' thresholds: raise an alert when one
    is crossed (or a worse one), resolve it when the value is back within them. Returns alerts raised."""
    if not pairs:
        return 0
    feed_ids = {f for f, _ in pairs}
    limits: dict[int, list[Threshold]] = {}
    for t in session.scalars(select(Threshold).where(Threshold.feed_id.in_(feed_ids))):
        limits.setdefault(t.feed_id, []).append(t)
    raised = 0
    for feed_id, place in pairs:
        if feed_id not in limits:
            continue
        last = session.execute(
            select(Value.value, Value.observed_at)
            .where(Value.feed_id == feed_id, Value.place_code == place)
            .order_by(Value.observed_at.desc())
            .limit(1)
        ).first()
        if last is None:
            continue
        crossed = _level(last.value, limits[feed_id])
        current = session.scalar(
            select(Alert).where(
                Alert.feed_id == feed_id,
                Alert.place_code == place,
                Alert.kind == "threshold",
                Alert.resolved_at.is_(None),
            )
        )
        if current is not None and (crossed is None or crossed[0] != current.level):
            current.resolved_at = now
            audit.record(
                session,
                actor,
                "indicators.alert.resolve",
                "indicator_alert",
                current.id,
                at=now,
                diff={"value": last.value},
            )
            current = None
        if crossed is not None and current is None:
            alert = Alert(
                feed_id=feed_id,
                place_code=place,
                kind="threshold",
                level=crossed[0],
                value=last.value,
                limit_value=crossed[1],
                observed_at=last.observed_at,
                raised_at=now,
            )
            session.add(alert)
            session.flush()
            audit.record(
                session,
                actor,
                "indicators.alert.raise",
                "indicator_alert",
                alert.id,
                at=now,
                diff={"level": crossed[0], "value": last.value, "limit": crossed[1], "place": place},
            )
            raised += 1
    return raised


def resolve_silence(session: Session, feed_ids: Iterable[int], *, actor: Actor, now: datetime) -> None:
    """Values arrived: the series' silence alerts are over."""
    for alert in session.scalars(
        select(Alert).where(
            Alert.feed_id.in_(set(feed_ids)), Alert.kind == "silence", Alert.resolved_at.is_(None)
        )
    ):
        alert.resolved_at = now
        audit.record(session, actor, "indicators.alert.resolve", "indicator_alert", alert.id, at=now, diff={})


# ---------------------------------------------------------------- what depends on the values


def pending_goal_months(session: Session) -> dict[int, set[tuple[int, int]]]:
    """{feed id: {(year, month)}}: the months of goal-linked series whose values changed since their
    goal actual was last computed (the goals domain's job recomputes them, then `finish_goal_marks`)."""
    out: dict[int, set[tuple[int, int]]] = {}
    for feed_id, day in session.execute(
        select(Mark.feed_id, Mark.day).where(Mark.is_goal_done.is_(False)).distinct()
    ):
        out.setdefault(feed_id, set()).add((day.year, day.month))
    return out


def finish_goal_marks(session: Session, feed_ids: Iterable[int]) -> None:
    """The goal actuals of these series are recomputed: their marks are done (and dropped when the air
    quality is done too)."""
    ids = list(feed_ids)
    session.execute(
        update(Mark).where(Mark.feed_id.in_(ids), Mark.is_goal_done.is_(False)).values(is_goal_done=True)
    )
    session.execute(delete(Mark).where(Mark.is_aq_done.is_(True), Mark.is_goal_done.is_(True)))


# ---------------------------------------------------------------- themes


THEME_KEYS = {
    "code",
    "name",
    "unit",
    "pollutant",
    "min",
    "max",
    "silence_minutes",
    "thresholds",
    "monthly_rule",
    "resolution",
}


def load_theme(session: Session, data: bytes, name: str, *, actor: Actor, now: datetime) -> dict[str, int]:
    """A theme's series, thresholds and board from YAML (`theme`, `name`, `series: [{code, name, unit,
    pollutant, min, max, silence_minutes, thresholds: [{level, direction, limit}]}]`, `board: {panels:
    [...]}` per indicators/boards.py): new series are created, known ones updated, the theme and its board
    stored (all audited). The whole file is checked first: any problem and nothing of it is stored. A
    theme is data: a new one needs no code."""
    doc = tabular.read_yaml(data, name)
    if not isinstance(doc, dict) or not isinstance(doc.get("series"), list) or not doc.get("theme"):
        raise InvalidFeed(f"{name}: a theme file has `theme` and a list of `series`")
    unknown_top = set(doc) - {"theme", "name", "position", "series", "board"}
    if unknown_top:
        raise InvalidTheme(f"{name}: unknown key(s) {', '.join(sorted(unknown_top))}")
    theme = str(doc["theme"])
    planned: list[tuple[str, dict[str, Any], list[ThresholdIn]]] = []
    for n, item in enumerate(doc["series"], start=1):
        if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
            raise InvalidFeed(f"{name}: series {n} needs a code and a name")
        unknown = set(item) - THEME_KEYS
        if unknown:
            raise InvalidFeed(
                f"{name}: series {item['code']} has unknown key(s) {', '.join(sorted(unknown))}"
            )
        try:
            limits = [
                ThresholdIn(str(t.get("level")), str(t.get("direction")), float(t.get("limit")))
                for t in item.get("thresholds") or []
            ]
        except (AttributeError, TypeError, ValueError) as exc:
            raise InvalidFeed(
                f"{name}: series {item['code']} has a threshold without a number limit"
            ) from exc
        fields = {
            "name": str(item["name"]),
            "unit": item.get("unit"),
            "theme": theme,
            "pollutant": item.get("pollutant"),
            "min_value": item.get("min"),
            "max_value": item.get("max"),
            "silence_minutes": item.get("silence_minutes"),
            "monthly_rule": item.get("monthly_rule", "mean"),
            "resolution": item.get("resolution", "hour"),
        }
        planned.append((str(item["code"]), fields, limits))
    board = None
    if doc.get("board") is not None:
        board = boards.check_board(doc["board"], name=name, series={code for code, _, _ in planned})
    created = updated = 0
    for code, fields, limits in planned:
        feed = session.scalar(select(Feed).where(Feed.code == code))
        if feed is None:
            create_feed(session, code=code, **fields, thresholds=limits, actor=actor, now=now)
            created += 1
            continue
        _check_resolution(str(fields["resolution"]), feed.code)
        for key, value in fields.items():
            setattr(feed, key, value)
        set_thresholds(session, feed, limits)
        audit.record(
            session,
            actor,
            "indicators.feed.update",
            "indicator_feed",
            feed.id,
            at=now,
            diff={
                "theme": theme,
                **fields,
                "thresholds": [[t.level, t.direction, t.limit_value] for t in limits],
            },
        )
        updated += 1
    _store_theme(session, theme, doc, board, actor=actor, now=now)
    session.flush()
    return {"created": created, "updated": updated, "panels": len(board["panels"]) if board else 0}


def _store_theme(
    session: Session,
    code: str,
    doc: dict[str, Any],
    board: dict[str, Any] | None,
    *,
    actor: Actor,
    now: datetime,
) -> Theme:
    title = str(doc.get("name") or code)
    position = doc.get("position", 0)
    if not isinstance(position, int):
        raise InvalidTheme(f"theme {code}: position is a whole number")
    row = session.scalar(select(Theme).where(Theme.code == code))
    if row is None:
        row = Theme(code=code, name=title, position=position, board=board, updated_at=now)
        session.add(row)
    else:
        row.name, row.position, row.board, row.updated_at = title, position, board, now
    session.flush()
    audit.record(
        session,
        actor,
        "indicators.theme.load",
        "indicator_theme",
        row.id,
        at=now,
        diff={"code": code, "name": title, "panels": [p["type"] for p in (board or {}).get("panels", [])]},
    )
    return row
