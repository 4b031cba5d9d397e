"""The synthetic city: a year of realistic events, written fast (numpy per batch, bulk inserts: one
executemany per batch on SQLite, COPY on PostgreSQL).

What makes it realistic: daily and weekly rhythms; seasons (summer storms flood roads, winter bursts
pipes, the Spring Festival week is quiet, wage arrears peak before it); towns weighted by density and
points scattered around grid centroids; channels by category tree (12345 hotline most); request types;
handling times drawn against each category's limits (most on time, some late, some extended, reworked
or returned); duplicates merged into their original; callbacks with ~98 % 满意+基本满意 and ~98 %
resolved locally; and a state mix consistent with "now" (recent events are still open).

Due times are *approximations* of the SLA clock (work hours spread over office days and weekends), so
that 1.66 M events take minutes, not hours; the live pipeline computes exact ones (events/sla.py).
Transitions (the timeline) are optional (`with_timeline`): 1.66 M events × ~7 rows is heavy.

What the city has and what its people write is city.py (with data/synthetic-city.yaml); how the rows
reach the database is bulk.py. This module holds how each event moves through the loop."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, func, select, text

from citycockpit.audit import service as audit
from citycockpit.core.actors import Actor
from citycockpit.core.errors import Unprocessable
from citycockpit.db import session_scope
from citycockpit.demo import bulk, city
from citycockpit.events.models import Event
from citycockpit.events.storage import partitions

REJECT_REASONS = ("not_in_scope", "false_report", "insufficient_info", "already_resolved")

STAGES = ("reported", "registered", "dispatched", "signed", "handled", "verified", "closed", "rated")
STAGE_ACTION = {
    "reported": ("report", None),
    "registered": ("register", "reported"),
    "dispatched": ("dispatch", "registered"),
    "signed": ("sign", "dispatched"),
    "handled": ("handle", "signed"),
    "verified": ("verify", "handled"),
    "closed": ("close", "verified"),
    "rated": ("rate", "closed"),
}


@dataclass
class GenerateResult:
    events: int
    transitions: int
    first_id: int
    last_id: int
    seconds: float = 0.0


def _wall_seconds(limit: np.ndarray, clock: np.ndarray) -> np.ndarray:
    """Approximate wall-clock seconds of a limit in its clock kind (codes: 0 urgent, 1 work hours,
    2 work days, 3 calendar days): 7.5 office hours a working day, 5 working days a week."""
    return np.select(
        [clock == 0, clock == 1, clock == 2],
        [limit * 3600.0, limit / 7.5 * 86400.0 * 1.4, limit * 86400.0 * 1.4],
        default=limit * 86400.0,
    )


CLOCK_CODES = {"urgent_hours": 0, "work_hours": 1, "work_days": 2, "calendar_days": 3}
UNIT_MINUTES = np.array([60.0, 60.0, 1440.0, 1440.0])


def generate_events(
    engine: Engine,
    *,
    n: int,
    year: int,
    now: datetime,
    zone: ZoneInfo,
    actor: Actor,
    county_code: str = "320585",
    seed: int | None = None,
    with_timeline: bool = False,
    batch_size: int = 50_000,
    on_progress: Callable[[int], None] | None = None,
    through_year: int | None = None,
) -> GenerateResult:
    """Write `n` synthetic events reported in `year` (or in `year` … `through_year`, shared by the
    years' days, up to `now` in this year), plus one audit entry for the run. Each batch commits on its
    own; ids follow the current maximum. A large load drops the secondary indexes once and rebuilds them
    once at the end, however many years it writes."""
    import time as _time

    started = _time.perf_counter()
    if n < 1:
        raise Unprocessable("Generate at least one event", field="events")
    last_year = through_year or year
    if last_year < year:
        raise Unprocessable(f"The last year {last_year} comes before the first {year}", field="through_year")
    today = now.astimezone(zone).date()
    if last_year > today.year:
        raise Unprocessable(f"{last_year} has not started yet (today is {today})", field="year")
    years = list(range(year, last_year + 1))
    days = np.array([(min(date(y, 12, 31), today) - date(y, 1, 1)).days + 1 for y in years])
    shares = np.round(np.concatenate([[0], np.cumsum(days)]) * n / days.sum()).astype(np.int64)
    counts = np.diff(shares).tolist()

    rebuild = n >= bulk.REBUILD_INDEXES_FROM
    if rebuild:
        bulk.drop_indexes(engine, with_timeline)
    written: list[tuple[int, int, int]] = []
    try:
        for i, (y, count) in enumerate(zip(years, counts, strict=True)):
            if count:
                written.append(
                    _write_year(
                        engine,
                        n=count,
                        year=y,
                        now=now,
                        zone=zone,
                        county_code=county_code,
                        seed=None if seed is None else seed + i,
                        with_timeline=with_timeline,
                        batch_size=batch_size,
                        on_progress=on_progress,
                    )
                )
    finally:
        if rebuild:
            bulk.create_indexes(engine, with_timeline)
    pg = engine.dialect.name == "postgresql"
    if pg:
        bulk.vacuum_analyze(engine, with_timeline)
    total_transitions = sum(w[0] for w in written)
    start_id, last_id = written[0][1], written[-1][2]

    with session_scope(engine) as session:
        if pg:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events))")
            )
        audit.record(
            session,
            actor,
            "events.generate",
            "events",
            None,
            diff={
                "events": n,
                "year": year,
                **({"through_year": last_year} if last_year != year else {}),
                "seed": seed,
                "with_timeline": with_timeline,
                "first_id": start_id,
                "last_id": last_id,
                "transitions": total_transitions,
            },
            at=now,
        )
    return GenerateResult(n, total_transitions, start_id, last_id, _time.perf_counter() - started)


def _write_year(
    engine: Engine,
    *,
    n: int,
    year: int,
    now: datetime,
    zone: ZoneInfo,
    county_code: str,
    seed: int | None,
    with_timeline: bool,
    batch_size: int,
    on_progress: Callable[[int], None] | None,
) -> tuple[int, int, int]:
    """One year's `n` events, batch by batch; returns (transitions, first id, last id)."""
    rng = np.random.default_rng(seed)
    local_now = now.astimezone(zone)
    first_day = date(year, 1, 1)
    last_day = min(date(year, 12, 31), local_now.date())
    pg = engine.dialect.name == "postgresql"
    profile = city.city_profile()
    hours_w = profile.hour_weights
    offset_s = int(local_now.utcoffset().total_seconds())  # type: ignore[union-attr]
    now_s = now.timestamp()

    with session_scope(engine) as session:
        ref = city.load_reference(session, county_code, profile)
        # On partitioned PostgreSQL the year's months get their own partitions first: history written
        # for a year without them would all land in the default partition, which no query by day prunes.
        partitions.ensure_months(session, [date(year, m, 1) for m in range(1, last_day.month + 1)])
        start_id = int(session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0) + 1
        keys = partitions.key_columns(session) if partitions.is_partitioned(session) else None
    cats = ref.cats
    run_tag = secrets.token_hex(2).upper()

    # When: days by rhythm and season, hours by the daily curve; today only up to now.
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    day_w = city.day_weights(days, rng, profile)
    if days[-1] == local_now.date():
        elapsed_today = hours_w[: local_now.hour].sum() + hours_w[local_now.hour] * local_now.minute / 60
        day_w[-1] *= elapsed_today / hours_w.sum()
    per_day = rng.multinomial(n, day_w / day_w.sum())
    day_index = np.repeat(np.arange(len(days)), per_day)
    midnight = np.array([datetime.combine(d, time(0), zone).timestamp() for d in days])
    hour_p = hours_w / hours_w.sum()
    secs_in_day = rng.choice(24, size=n, p=hour_p) * 3600 + rng.integers(0, 3600, size=n)
    reported = midnight[day_index] + secs_in_day
    reported = np.minimum(reported, now_s - rng.uniform(60, 3600, size=n))
    # What: category per day from that day's seasonal mix.
    cat_w = city.category_weights(cats, days, rng, profile)
    cat_idx = np.empty(n, dtype=np.int32)
    pos = 0
    for i, count in enumerate(per_day):
        if count:
            cat_idx[pos : pos + count] = rng.choice(len(cats), size=count, p=cat_w[i])
            pos += count
    order = np.argsort(reported, kind="stable")
    reported, cat_idx = reported[order], cat_idx[order]
    grid_idx = rng.choice(len(ref.grids), size=n, p=ref.grid_weights)

    cat_kind = np.array([c.kind for c in cats])
    cat_clock = np.array([CLOCK_CODES.get(c.clock_kind, 1) for c in cats])
    cat_sign = np.array([c.sign_limit for c in cats])
    cat_handle = np.array([c.handle_limit for c in cats])
    cat_verify = np.array([c.verify_limit for c in cats])
    cat_dept = np.array([ref.dept_ids.get(c.department or "", -1) for c in cats])
    # 属地管理: the town (区镇) handles most cases itself; the specialised city departments keep theirs.
    # Share handled by the town, per category:
    cat_local = np.array(
        [
            0.97
            if (c.clock_kind == "urgent_hours" or (c.department or "") in profile.specialised_departments)
            else 0.995
            for c in cats
        ]
    )
    grid_lat = np.array([g[1] for g in ref.grids])
    grid_lon = np.array([g[2] for g in ref.grids])
    grid_codes = [g[0] for g in ref.grids]
    town_dept = np.array([ref.town_depts.get(g[0][:9], -1) for g in ref.grids])
    local_depts = np.array(sorted(ref.town_depts.values()) or [-2])
    fallback_dept = ref.dept_ids.get("CGJ", next(iter(ref.dept_ids.values()), -1))
    pool_titles, pool_bodies, pool_addresses = city.text_pools(cats, rng, profile)

    def write_batches() -> int:
        total_transitions = 0
        for b0 in range(0, n, batch_size):
            b1 = min(n, b0 + batch_size)
            m = b1 - b0
            ids = np.arange(start_id + b0, start_id + b1)
            rep = reported[b0:b1].copy()
            ci = cat_idx[b0:b1]
            gi = grid_idx[b0:b1]
            kind = cat_kind[ci]
            clock = cat_clock[ci]
            hotline_kind = kind == "hotline"

            # Channel and request type
            u = rng.random(m)
            channel = np.where(
                hotline_kind,
                np.select([u < 0.84, u < 0.95], ["hotline", "app"], "web"),
                np.select(
                    [u < 0.36, u < 0.68, u < 0.80, u < 0.90, u < 0.95],
                    ["hotline", "patrol", "app", "video", "open311"],
                    "referral",
                ),
            )
            u = rng.random(m)
            rtype = np.where(
                hotline_kind,
                np.select(
                    [u < 0.45, u < 0.70, u < 0.88, u < 0.94],
                    ["consult", "help", "complaint", "report"],
                    "suggestion",
                ),
                np.select([u < 0.55, u < 0.75, u < 0.95], ["complaint", "report", "help"], "suggestion"),
            )
            rtype = np.where(np.isin(channel, ("patrol", "video")), None, rtype)

            # Where
            lat = grid_lat[gi] + rng.normal(0, 0.0015, m)
            lon = grid_lon[gi] + rng.normal(0, 0.0018, m)

            # Outcome paths
            u = rng.random(m)
            rejected = u < 0.025
            merged = (u >= 0.025) & (u < 0.055)
            direct = ~rejected & ~merged & (rtype == "consult") & (rng.random(m) < 0.7)
            looped = ~rejected & ~merged & ~direct

            # Duplicates: the previous looped event of the same category in the batch is the original.
            merged_into = np.full(m, -1, dtype=np.int64)
            last_of_cat: dict[int, int] = {}
            dup_count = np.zeros(m, dtype=np.int64)
            for i in range(m):
                c = int(ci[i])
                if merged[i]:
                    orig = last_of_cat.get(c)
                    if orig is None:
                        merged[i] = False
                        looped[i] = True
                        last_of_cat[c] = i
                    else:
                        merged_into[i] = orig
                        dup_count[orig] += 1
                elif looped[i]:
                    last_of_cat[c] = i
            has_orig = merged_into >= 0
            lat[has_orig] = lat[merged_into[has_orig]] + rng.normal(0, 0.0002, int(has_orig.sum()))
            lon[has_orig] = lon[merged_into[has_orig]] + rng.normal(0, 0.0002, int(has_orig.sum()))
            gi = np.where(has_orig, gi[np.maximum(merged_into, 0)], gi)

            nan = np.full(m, np.nan)
            registered = np.where(looped, rep + rng.exponential(1200, m) + 60, nan)
            # 直接办结 registers and closes at once (as the workflow does).
            registered = np.where(direct, rep + rng.uniform(60, 120, m), registered)
            dispatched_first = registered + rng.exponential(1800, m) + 60
            returned = looped & (rng.random(m) < 0.02)
            dispatched = np.where(
                returned, dispatched_first + rng.uniform(3600, 6 * 3600, m), dispatched_first
            )
            sign_wall = _wall_seconds(cat_sign[ci], clock)
            handle_limit = cat_handle[ci]
            extended = looped & (rng.random(m) < 0.025)
            handle_limit_total = np.where(extended, handle_limit * 2, handle_limit)
            handle_wall = _wall_seconds(handle_limit_total, clock)
            verify_wall = _wall_seconds(cat_verify[ci], clock)
            sign_due = dispatched + sign_wall
            handle_due = dispatched + handle_wall
            verify_due = handle_due + verify_wall
            close_due = verify_due
            late_sign = rng.random(m) < 0.04
            signed = dispatched + sign_wall * np.where(
                late_sign, rng.uniform(1.05, 3.0, m), rng.uniform(0.05, 0.9, m)
            )
            late_handle = rng.random(m) < 0.06
            frac = np.where(late_handle, rng.uniform(1.02, 2.0, m), rng.beta(2.2, 2.5, m) * 0.93 + 0.02)
            reworked = looped & (rng.random(m) < 0.015)
            frac = np.where(reworked, frac + 0.35, frac)
            handled = np.maximum(dispatched + handle_wall * frac, signed + 60)
            handle_minutes = frac * handle_limit_total * UNIT_MINUTES[clock]
            verified = handled + verify_wall * rng.uniform(0.05, 0.95, m)
            closed = np.where(looped, verified + rng.uniform(60, 1800, m), nan)
            closed = np.where(direct, rep + rng.uniform(120, 900, m), closed)
            escalated = looped & (rng.random(m) < 0.006)
            callback_p = np.where(np.isin(channel, ("hotline", "app", "web", "open311")), 0.8, 0.25)
            called = ~np.isnan(closed) & (rng.random(m) < callback_p)
            rated = np.where(called, closed + rng.uniform(3600, 48 * 3600, m), nan)
            rejected_at = np.where(rejected, np.minimum(rep + rng.uniform(300, 7200, m), now_s), nan)
            merged_at = np.where(has_orig, np.minimum(rep + rng.uniform(300, 3600, m), now_s), nan)

            # Not in the loop: no loop times.
            for arr in (
                dispatched_first,
                dispatched,
                signed,
                handled,
                verified,
                sign_due,
                handle_due,
                verify_due,
                close_due,
            ):
                arr[~looped] = np.nan
            # Truncate at now: a stage not reached yet is empty, and so is every stage after it.
            stage_times = {
                "reported": rep,
                "registered": registered,
                "dispatched": dispatched,
                "signed": signed,
                "handled": handled,
                "verified": verified,
                "closed": closed,
                "rated": rated,
            }
            chain_ok = np.ones(m, dtype=bool)
            for name in STAGES:
                t = stage_times[name]
                present = ~np.isnan(t)
                ok = present & (t <= now_s) & chain_ok
                t[~ok] = np.nan
                # A direct close skips the loop stages it never had.
                chain_ok = ok | (~present & direct)
            dispatched_first[np.isnan(dispatched)] = np.nan
            state = np.full(m, "reported", dtype=object)
            for name, label in (
                ("registered", "registered"),
                ("dispatched", "dispatched"),
                ("signed", "signed"),
                ("handled", "handled"),
                ("verified", "verified"),
                ("closed", "closed"),
                ("rated", "rated"),
            ):
                state[~np.isnan(stage_times[name])] = label
            state[rejected & ~np.isnan(rejected_at)] = "rejected"
            state[has_orig] = "merged"
            rej_valid = ~np.isnan(rejected_at)

            is_signed = ~np.isnan(signed)
            is_handled = ~np.isnan(handled)
            is_closed = ~np.isnan(closed)
            is_rated = ~np.isnan(rated)
            dept = np.where(
                (rng.random(m) < cat_local[ci]) & (town_dept[gi] > 0), town_dept[gi], cat_dept[ci]
            )
            dept = np.where(dept > 0, dept, fallback_dept)
            in_loop = ~np.isnan(dispatched)
            u = rng.random(m)
            satisfaction = np.select(
                [u < 0.04, u < 0.04 + 0.96 * 0.86, u < 0.04 + 0.96 * 0.98],
                ["unreachable", "satisfied", "basically_satisfied"],
                "unsatisfied",
            )
            last_time = np.fmax.reduce(
                [
                    rep,
                    registered,
                    dispatched,
                    signed,
                    handled,
                    verified,
                    closed,
                    rated,
                    rejected_at,
                    merged_at,
                ]
            )
            closed_on_time = closed <= close_due
            rework_count = np.where(reworked & is_handled, 1, 0)
            supervised = np.where(escalated & is_handled, handled, np.nan)

            # Texts: a pooled body per category, a prefix per channel, a caller for non-patrol channels
            pool_i = ci.astype(np.int64) * city.POOL + rng.integers(0, city.POOL, m)
            ch_list = channel.tolist()
            prefixes = profile.channel_prefixes
            prefix = np.array(
                [
                    prefixes.get(ch, ("",))[k % len(prefixes.get(ch, ("",)))]
                    for ch, k in zip(ch_list, rng.integers(0, 6, m).tolist(), strict=True)
                ],
                dtype=object,
            )
            descs = (prefix + pool_bodies[pool_i]).tolist()
            titles = pool_titles[pool_i].tolist()
            anonymous = np.isin(channel, ("patrol", "video"))
            caller = np.array(list(profile.surnames), dtype=object)[
                rng.integers(0, len(profile.surnames), m)
            ] + np.where(rng.random(m) < 0.5, "先生", "女士").astype(object)
            names = bulk.nullable(caller, ~anonymous)
            phones = bulk.nullable(
                rng.integers(13000000000, 19999999999, m).astype(str).astype(object), ~anonymous
            )
            cat_codes = [cats[j].code for j in ci]
            g_codes = [grid_codes[j] for j in gi]
            id_list = ids.tolist()
            ts = bulk.fmt_times
            cols: dict[str, list[Any]] = {
                "id": id_list,
                "public_id": [f"S{year % 100:02d}{run_tag}{b0 + i:08d}" for i in range(m)],
                "version": [1] * m,
                "channel": ch_list,
                "request_type": rtype.tolist(),
                "title": titles,
                "description": descs,
                "reporter_name": names,
                "reporter_phone": phones,
                "is_test": [False] * m,
                "lat": np.round(lat, 6).tolist(),
                "lon": np.round(lon, 6).tolist(),
                "address": pool_addresses[pool_i].tolist(),
                "grid_code": g_codes,
                "village_code": [g[:12] for g in g_codes],
                "town_code": [g[:9] for g in g_codes],
                "grid_method": ["centroid"] * m,
                "category_code": cat_codes,
                "major_code": [cats[j].major for j in ci],
                "category_kind": kind.tolist(),
                "priority": np.where(clock == 0, "urgent", "normal").tolist(),
                "department_id": bulk.nullable(dept, in_loop),
                "routing_source": bulk.nullable(np.full(m, "rule", dtype=object), in_loop),
                "routing_rule": bulk.nullable(np.array(cat_codes, dtype=object), in_loop),
                "needs_triage": [False] * m,
                "departments_seen": [None] * m,
                "state": state.tolist(),
                "reported_at": ts(rep),
                "reported_day": bulk.fmt_days(rep, offset_s),
                "registered_at": ts(registered),
                "rejected_at": ts(rejected_at),
                "merged_at": ts(merged_at),
                "dispatched_at": ts(dispatched),
                "first_dispatched_at": ts(np.where(in_loop, dispatched_first, np.nan)),
                "signed_at": ts(signed),
                "handled_at": ts(handled),
                "verified_at": ts(verified),
                "closed_at": ts(closed),
                "closed_day": bulk.fmt_days(closed, offset_s),
                "rated_at": ts(rated),
                "updated_at": ts(last_time),
                "clock_kind": bulk.nullable(
                    np.array([cats[j].clock_kind for j in ci], dtype=object), in_loop
                ),
                "sign_due_at": ts(np.where(in_loop, sign_due, np.nan)),
                "handle_due_at": ts(np.where(in_loop, handle_due, np.nan)),
                "verify_due_at": ts(np.where(in_loop, verify_due, np.nan)),
                "close_due_at": ts(np.where(in_loop, close_due, np.nan)),
                "handle_minutes": bulk.nullable(np.round(handle_minutes, 1), is_handled),
                "supervised_at": ts(supervised),
                "supervision_level": np.where(~np.isnan(supervised), 1, 0).tolist(),
                "rework_count": rework_count.tolist(),
                "return_count": np.where(returned & in_loop, 1, 0).tolist(),
                "extension_count": np.where(extended & in_loop, 1, 0).tolist(),
                "reopen_count": [0] * m,
                "reminder_count": np.where(late_handle & is_handled, 1, 0).tolist(),
                "department_count": np.where(in_loop, np.where(returned, 2, 1), 0).tolist(),
                "duplicate_count": dup_count.tolist(),
                "signed_on_time": bulk.nullable(signed <= sign_due, is_signed),
                "handled_on_time": bulk.nullable(handled <= handle_due, is_handled),
                "closed_on_time": bulk.nullable(closed_on_time | direct, is_closed & (in_loop | direct)),
                "closed_by_center": (direct & is_closed).tolist(),
                "resolved_locally": bulk.nullable(
                    ~escalated & ~direct & np.isin(dept, local_depts), is_closed
                ),
                "verified_onsite": bulk.nullable(np.ones(m, dtype=bool), ~np.isnan(verified)),
                "has_pending_extension": [False] * m,
                "reject_reason": bulk.nullable(
                    np.array(REJECT_REASONS, dtype=object)[rng.integers(0, 4, m)], rej_valid
                ),
                "result_text": bulk.nullable(
                    np.full(m, "已处置完毕，现场已恢复。", dtype=object), is_handled
                ),
                "satisfaction": bulk.nullable(satisfaction.astype(object), is_rated),
                "callback_reached": bulk.nullable(satisfaction != "unreachable", is_rated),
                "merged_into_id": bulk.nullable(merged_into + start_id + b0, has_orig),
            }
            rows = list(zip(*cols.values(), strict=True))
            transitions: list[tuple[Any, ...]] = []
            if with_timeline:
                transitions = _timeline_rows(stage_times, ids, dept, state, rejected_at, merged_at, pg)
            with session_scope(engine) as session:
                bulk.bulk_insert(session, "events", tuple(cols), rows, pg, keys=keys)
                if transitions:
                    bulk.bulk_insert(session, "event_transitions", TRANSITION_COLUMNS, transitions, pg)
            total_transitions += len(transitions)
            if on_progress:
                on_progress(m)

        return total_transitions

    return write_batches(), start_id, start_id + n - 1


TRANSITION_COLUMNS = ("event_id", "action", "from_state", "to_state", "at", "actor_name", "department_id")


def _timeline_rows(
    stage_times: dict[str, np.ndarray],
    ids: np.ndarray,
    dept: np.ndarray,
    state: np.ndarray,
    rejected_at: np.ndarray,
    merged_at: np.ndarray,
    pg: bool,
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    extra = {"rejected": ("reject", rejected_at), "merged": ("merge", merged_at)}
    for name in STAGES:
        t = stage_times[name]
        ok = ~np.isnan(t)
        if not ok.any():
            continue
        action, from_state = STAGE_ACTION[name]
        at = bulk.fmt_times(t[ok], pg)
        actor = (
            "系统生成" if name == "reported" else ("部门" if name in ("signed", "handled") else "指挥中心")
        )
        for eid, when, d in zip(ids[ok].tolist(), at, dept[ok].tolist(), strict=True):
            rows.append(
                (eid, action, from_state, name, when, actor, d if name in ("signed", "handled") else None)
            )
    for to_state, (action, times) in extra.items():
        ok = ~np.isnan(times) & (state == to_state)
        for eid, when in zip(ids[ok].tolist(), bulk.fmt_times(times[ok], pg), strict=True):
            rows.append((eid, action, "reported", to_state, when, "指挥中心", None))
    return rows


def generation_summary(engine: Engine) -> dict[str, object]:
    """A few distribution checks of what is in the events table (for the CLI and tests)."""
    with session_scope(engine, read_only=True) as session:
        by_channel = dict(session.execute(select(Event.channel, func.count()).group_by(Event.channel)).all())
        by_state = dict(session.execute(select(Event.state, func.count()).group_by(Event.state)).all())
    return {"by_channel": by_channel, "by_state": by_state}
