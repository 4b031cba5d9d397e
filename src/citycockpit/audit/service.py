"""Write and verify the audit log. Every state-changing service call records one entry in its own
transaction; entries chain by hash so an edited or deleted entry is detected by `verify_chain`.

Each entry's hash is an HMAC-SHA256 under the current key of the key file (`core/keyring.py`), and the
entry records the key's id: someone who can write the database but not read the key file cannot
recompute the chain after editing it. Entries written before keys came (`key_id` NULL) keep their plain
SHA-256 hashes and verify as before; they must all come before the first keyed entry. What the chain
promises and what it does not is in docs/domains/auth.md ("The audit chain")."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry, AuditHead
from citycockpit.core.actors import Actor
from citycockpit.core.keyring import KeyRing, ring_for
from citycockpit.db import DriverStatement, RowsInsert

GENESIS = "0" * 64


_PLAIN = frozenset((str, int, float, bool, type(None)))


def _canonical(value: Any) -> Any:
    if type(value) in _PLAIN:  # most of a diff: returned as is, before the costlier checks below
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_canonical(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# Built once: `json.dumps` with options builds an encoder per call (what json.dumps(value, **same
# options) returns, byte for byte; tests/audit checks the chain and its stored diffs).
_HASH_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DIFF_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _entry_hash(prev_hash: str, entry: Any, key: bytes | None = None) -> str:
    """The entry's hash: `entry` is an AuditEntry, a row of its columns, or a dict of them. With `key`,
    an HMAC-SHA256 over the same fields plus the entry's key id; without, the old plain SHA-256."""
    get: Callable[[str], Any] = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name)
    fields = [
        prev_hash,
        get("at").astimezone(UTC).isoformat(timespec="microseconds"),
        get("actor_id"),
        get("actor_name"),
        get("action"),
        get("object_type"),
        get("object_id"),
        get("ip"),
        get("diff_json"),
    ]
    if key is not None:
        fields.append(get("key_id"))
    payload = _HASH_JSON.encode(fields).encode("utf-8")
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.digest(key, payload, "sha256").hex()  # hmac.new(...).hexdigest() in one C call


_HEAD = cast(Table, AuditHead.__table__)
# Built once: Core statements on the head's table (no ORM object to load, track and flush), so a
# batch pays the lock and the update, not the ORM's unit of work (one per intake batch, issue 24).
# Run through the driver, compiled once per dialect (every audit entry reads and writes the head).
_READ_HEAD = DriverStatement(select(_HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update())
_WRITE_HEAD = DriverStatement(
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_entry_id=bindparam("entry_id"), last_hash=bindparam("hash"))
)
# A declarative class's `__table__` is typed as any FromClause; this model's is its Table.
_ENTRIES = cast(Table, AuditEntry.__table__)
_INSERT_ENTRIES = RowsInsert(_ENTRIES, returning=("id",))


def _lock_head(session: Session) -> str:
    """Lock the head row for this transaction and return the last hash, read fresh.

    PostgreSQL: SELECT … FOR UPDATE makes a second writer wait until the first commits, then re-read
    the committed head (READ COMMITTED), so the chain never forks. SQLite: writers already hold the
    database lock (BEGIN IMMEDIATE). The row is read and written with Core statements, never as an
    ORM object, so no session can hand back a stale hash it loaded in an earlier transaction. The
    migration seeds the row, because FOR UPDATE cannot lock a missing row and two first writers would
    both insert it; it is only created here on a database emptied by hand."""
    head = _READ_HEAD.execute(session)
    last_hash = head[0][0] if head else None
    if last_hash is None:
        session.execute(insert(_HEAD).values(id=1, last_entry_id=None, last_hash=GENESIS))
        return GENESIS
    return str(last_hash)


@dataclass(frozen=True)
class Pending:
    """One entry to append with `record_many` (the arguments of `record`)."""

    actor: Actor
    action: str
    object_type: str
    object_id: object | None = None
    diff: dict[str, Any] | None = None
    ip: str | None = None
    at: datetime | None = None


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None = None,
    *,
    diff: dict[str, Any] | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> int:
    """Append one entry (who, what, which object, from where, JSON diff) to the chain and return its
    id. The address defaults to the actor's (a request's Principal carries it)."""
    return record_many(session, [Pending(actor, action, object_type, object_id, diff, ip, at)])[0]


def record_many(session: Session, pending: list[Pending]) -> list[int]:
    """Append several entries in order under one lock of the head and return their ids: the chain is
    the same as from that many `record` calls, for one head read, one multi-row INSERT and one head
    update (a batch of intake requests committed together audits every event this way)."""
    if not pending:
        return []
    ring = ring_for(session)
    key_id = ring.current_id
    key = ring.keys[key_id]
    prev = _lock_head(session)
    rows = []
    for item in pending:
        row = {
            "at": (item.at or datetime.now(UTC)).astimezone(UTC),
            "actor_id": item.actor.id,
            "actor_name": item.actor.display_name[:100],
            "action": item.action,
            "object_type": item.object_type,
            "object_id": None if item.object_id is None else str(item.object_id),
            "ip": item.ip if item.ip is not None else getattr(item.actor, "ip", None),
            "diff_json": _DIFF_JSON.encode(_canonical(item.diff or {})),
            "prev_hash": prev,
            "key_id": key_id,
        }
        row["hash"] = prev = _entry_hash(prev, row, key)
        rows.append(row)
    # One multi-row INSERT numbers its rows in the order given (SQLite and PostgreSQL alike), so the
    # ids follow the chain; RETURNING's own order is not asked for (SQLite would insert row by row).
    ids = sorted(entry_id for (entry_id,) in _INSERT_ENTRIES.execute(session, rows))
    _WRITE_HEAD.execute(session, {"entry_id": ids[-1], "hash": prev})
    return ids


def record_read(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None = None,
    *,
    diff: dict[str, Any] | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> int:
    """Append an entry for a *read* (the documented exception to "a GET never writes").

    A reading session (`db.reader`: every GET's) stays read-only: the entry is committed in a short
    write transaction of its own before the caller shows the data, so the read is on record whatever
    happens next (on SQLite the GET's DEFERRED reader could not take the write lock safely). A writing
    session (a POST's, a command's, a test's connection-bound one) gets the entry in its own
    transaction, which the caller commits: a second connection could wait on that session's lock. The
    chain stays linear either way: the entry is appended under the same head lock as every other (FOR
    UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    bind = session.get_bind()
    if isinstance(bind, Connection) or bind.get_execution_options().get("sqlite_begin") != "DEFERRED":
        return record(session, actor, action, object_type, object_id, diff=diff, ip=ip, at=at)
    writer = bind.execution_options(sqlite_begin="IMMEDIATE")
    with Session(bind=writer, expire_on_commit=False) as own:
        entry_id = record(own, actor, action, object_type, object_id, diff=diff, ip=ip, at=at)
        own.commit()
    return entry_id


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    keyed_from: int | None = None  # the first entry with an HMAC (entries before it are unkeyed)
    last_id: int | None = None
    last_hash: str = GENESIS
    anchors_checked: int = 0
    code: str | None = None  # what failed, for pages: `admin.audit.reason.<code>` in the i18n catalogues


_CHAIN_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor_id,
    AuditEntry.actor_name,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.ip,
    AuditEntry.diff_json,
    AuditEntry.prev_hash,
    AuditEntry.hash,
    AuditEntry.key_id,
)


def verify_chain(
    session: Session,
    *,
    batch: int = 5000,
    after: tuple[int, str, str | None] | None = None,
    ring: KeyRing | None = None,
) -> ChainCheck:
    """Walk the chain in id order; name the first entry whose hash or link does not match.

    An edited entry fails its own hash (an HMAC under the key its `key_id` names; the old plain SHA-256
    for the unkeyed entries, which may only come before the first keyed one); a deleted entry breaks
    the link of the one after it; a deleted tail no longer matches the head row. `after` = (entry id,
    hash, key id) of an entry already known good (an anchored one): the walk starts after it. Reads
    plain rows (not ORM objects), so the session's identity map is left alone and memory stays flat on
    a long log."""
    ring = ring or ring_for(session)
    prev_hash, last_id, cursor = GENESIS, None, 0
    keyed_from: int | None = None
    if after is not None:
        cursor, prev_hash, after_key = after
        last_id = cursor
        keyed_from = cursor if after_key is not None else None
    checked = 0

    def bad(entry_id: int | None, code: str, reason: str) -> ChainCheck:
        return ChainCheck(False, checked, entry_id, reason, keyed_from, last_id, prev_hash, code=code)

    while True:
        rows = session.execute(
            select(*_CHAIN_COLUMNS).where(AuditEntry.id > cursor).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != prev_hash:
                return bad(entry.id, "link_broken", "link broken: an entry before it was deleted or edited")
            if entry.key_id is None:
                if keyed_from is not None:
                    return bad(
                        entry.id,
                        "unkeyed_after_keyed",
                        f"an entry without a key after the keyed chain began (entry {keyed_from}): "
                        "the chain was rewritten",
                    )
                if _entry_hash(entry.prev_hash, entry) != entry.hash:  # type: ignore[arg-type]
                    return bad(entry.id, "edited", "content does not match its hash: the entry was edited")
            else:
                key = ring.key(entry.key_id)
                if key is None:
                    return bad(
                        entry.id,
                        "unknown_key",
                        f"made with audit key {entry.key_id!r}, which the key file "
                        f"{ring.source} does not hold",
                    )
                if _entry_hash(entry.prev_hash, entry, key) != entry.hash:  # type: ignore[arg-type]
                    return bad(
                        entry.id,
                        "hmac_mismatch",
                        "content does not match its HMAC: the entry was edited, or its hash recomputed "
                        "without the key",
                    )
                if keyed_from is None:
                    keyed_from = entry.id
            prev_hash, last_id = entry.hash, entry.id
            checked += 1
        cursor = rows[-1].id
    head = session.execute(
        select(AuditHead.last_entry_id, AuditHead.last_hash).where(AuditHead.id == 1)
    ).first()
    if head is not None and (head.last_entry_id != last_id or head.last_hash != prev_hash):
        return bad(
            head.last_entry_id,
            "tail_deleted",
            "the chain head names an entry that is missing: the tail was deleted",
        )
    return ChainCheck(True, checked, None, None, keyed_from, last_id, prev_hash)


def chain_entry(session: Session, entry_id: int) -> tuple[str, str | None] | None:
    """The stored hash and key id of one entry (None: no such entry)."""
    row = session.execute(select(AuditEntry.hash, AuditEntry.key_id).where(AuditEntry.id == entry_id)).first()
    return None if row is None else (row.hash, row.key_id)


def chain_head(session: Session) -> tuple[int | None, str]:
    """The head row: the last entry's id and hash (None and GENESIS on an empty log)."""
    row = session.execute(
        select(AuditHead.last_entry_id, AuditHead.last_hash).where(AuditHead.id == 1)
    ).first()
    return (None, GENESIS) if row is None else (row.last_entry_id, row.last_hash)


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None  # exact, or a prefix ending in "." (e.g. "auth.")
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(stmt: Any, f: AuditFilter) -> Any:
    if f.action:
        stmt = stmt.where(
            AuditEntry.action.startswith(f.action, autoescape=True)
            if f.action.endswith(".")
            else AuditEntry.action == f.action
        )
    if f.actor:
        stmt = stmt.where(AuditEntry.actor_name == f.actor)
    if f.object_type:
        stmt = stmt.where(AuditEntry.object_type == f.object_type)
    if f.object_id:
        stmt = stmt.where(AuditEntry.object_id == f.object_id)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until:
        stmt = stmt.where(AuditEntry.at < f.until)
    return stmt


def list_entries(
    session: Session, f: AuditFilter, *, offset: int = 0, limit: int = 50
) -> tuple[list[AuditEntry], int]:
    """Entries matching `f`, newest first, and how many match."""
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEntry), f)) or 0
    items = session.scalars(
        _filtered(select(AuditEntry), f).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(items), int(total)


def iter_entries(session: Session, f: AuditFilter, *, batch: int = 2000) -> Iterator[Any]:
    """Matching entries in chain order, as plain rows fetched in batches (for exports)."""
    cursor = 0
    while True:
        rows = session.execute(
            _filtered(select(*_CHAIN_COLUMNS), f)
            .where(AuditEntry.id > cursor)
            .order_by(AuditEntry.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        cursor = rows[-1].id
