"""Anchors: the chain's signed head, written where database writers cannot reach.

`citycockpit audit anchor` (and the worker's `audit_anchor` job) appends one JSON line to the anchor
file, or sends it to syslog: the head entry's id and hash, the time, the key id, and an HMAC over them
under that key. `audit verify` checks every anchor it is given: its HMAC (an anchor forged or edited
without the key fails), and that the anchored entry still has the anchored hash (a chain truncated or
rewritten below an anchored head fails, even by someone holding the key, as long as the anchor itself
is out of their reach). What this promises, and what not, is in docs/domains/auth.md."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from citycockpit.audit import service
from citycockpit.config import Settings
from citycockpit.core.keyring import KeyRing, ring_for
from citycockpit.ops.jobs import Job, JobResult

log = logging.getLogger("citycockpit.audit")

MARKER = "citycockpit-audit-anchor"  # the syslog message's prefix (and what to grep for in syslog)
_DOMAIN = "citycockpit-audit-anchor-v1"  # keeps an anchor's HMAC apart from an entry's


class AnchorError(ValueError):
    """An anchor line that cannot be read (its file and line named)."""


@dataclass(frozen=True)
class Anchor:
    entry_id: int | None
    hash: str
    anchored_at: str
    key_id: str
    hmac: str
    where: str = ""  # file and line, for messages

    def message(self) -> bytes:
        return json.dumps(
            [_DOMAIN, self.entry_id, self.hash, self.anchored_at, self.key_id], separators=(",", ":")
        ).encode("utf-8")

    def line(self) -> str:
        return json.dumps(
            {
                "entry_id": self.entry_id,
                "hash": self.hash,
                "anchored_at": self.anchored_at,
                "key_id": self.key_id,
                "hmac": self.hmac,
            },
            separators=(",", ":"),
        )


def anchor_file(settings: Settings) -> Path:
    return settings.audit_anchor_file or settings.data_dir / "audit-anchors.jsonl"


def sign_head(session: Session, *, now: datetime, ring: KeyRing | None = None) -> Anchor:
    """The signed head of the chain as it is now (under the current key)."""
    ring = ring or ring_for(session)
    entry_id, head_hash = service.chain_head(session)
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    unsigned = Anchor(entry_id, head_hash, at, ring.current_id, "")
    return replace(unsigned, hmac=ring.sign(ring.current_id, unsigned.message()))


def parse_anchors(lines: Iterable[str], source: str) -> list[Anchor]:
    """Anchors from an anchor file, or from syslog lines (the JSON after `citycockpit-audit-anchor`).
    Blank lines are skipped; any other unreadable line is an `AnchorError`."""
    anchors = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if MARKER in line:
            line = line[line.index(MARKER) + len(MARKER) :].strip()
        where = f"{source}, line {number}"
        try:
            data = json.loads(line)
            anchor = Anchor(
                entry_id=None if data["entry_id"] is None else int(data["entry_id"]),
                hash=str(data["hash"]),
                anchored_at=str(data["anchored_at"]),
                key_id=str(data["key_id"]),
                hmac=str(data["hmac"]),
                where=where,
            )
        except (ValueError, KeyError, TypeError):
            raise AnchorError(f"{where}: not an audit anchor") from None
        anchors.append(anchor)
    return anchors


def read_anchors(path: Path) -> list[Anchor]:
    """The anchors of a file (none when it does not exist yet)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return parse_anchors(fh, str(path))


def append_anchor(path: Path, anchor: Anchor) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(anchor.line() + "\n")


def send_to_syslog(anchor: Anchor) -> None:
    """Send the anchor to the local syslog (facility AUTH, so a remote collector can keep it)."""
    import syslog

    syslog.openlog("citycockpit", 0, syslog.LOG_AUTH)
    syslog.syslog(syslog.LOG_NOTICE, f"{MARKER} {anchor.line()}")


def verify(session: Session, anchors: list[Anchor], *, ring: KeyRing | None = None) -> service.ChainCheck:
    """The chain checked entry by entry (`service.verify_chain`), then against every anchor: each
    anchor's HMAC must match under the key it names, and the entry it anchors must still carry the
    anchored hash. The first failure is returned."""
    ring = ring or ring_for(session)
    own = snapshot(session)
    try:
        check = service.verify_chain(own, ring=ring)
        if not check.ok:
            return check
        problem = check_anchors(own, anchors, ring)
        if problem is not None:
            return replace(check, ok=False, first_bad_id=problem[0], code=problem[1], reason=problem[2])
        return replace(check, anchors_checked=len(anchors))
    finally:
        if own is not session:
            own.close()


def check_anchors(
    session: Session, anchors: list[Anchor], ring: KeyRing
) -> tuple[int | None, str, str] | None:
    """The first anchor that fails (its entry id, a code and why), or None: each anchor's HMAC must match under
    the key it names, and the entry it anchors must still carry the anchored hash."""
    for anchor in anchors:
        if ring.key(anchor.key_id) is None:
            return (
                anchor.entry_id,
                "anchor_unknown_key",
                (
                    f"anchor at {anchor.where} was signed with audit key {anchor.key_id!r}, which the key "
                    f"file {ring.source} does not hold"
                ),
            )
        if not _same(ring.sign(anchor.key_id, anchor.message()), anchor.hmac):
            return (
                anchor.entry_id,
                "anchor_forged",
                f"anchor at {anchor.where}: its HMAC does not match: the anchor was forged or edited",
            )
        if anchor.entry_id is None:
            continue  # the log was empty when anchored
        stored = service.chain_entry(session, anchor.entry_id)
        if stored is None or stored[0] != anchor.hash:
            return (
                anchor.entry_id,
                "anchor_mismatch",
                (
                    f"entry {anchor.entry_id}, anchored at {anchor.anchored_at} ({anchor.where}), "
                    + ("is missing" if stored is None else "no longer has the anchored hash")
                    + ": the chain was truncated or rewritten below an anchored head"
                ),
            )
    return None


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a, b)


def anchor_due(path: Path, *, now: datetime, every_minutes: int) -> bool:
    """Whether the anchor file's last anchor is `every_minutes` old or more (or there is none)."""
    if every_minutes <= 0:
        return False
    try:
        anchors = read_anchors(path)
    except AnchorError:
        return True  # an unreadable file: write a fresh anchor; verify reports the bad line
    if not anchors:
        return True
    last = datetime.fromisoformat(anchors[-1].anchored_at)
    return (now - last).total_seconds() >= every_minutes * 60


class AnchorRefused(RuntimeError):
    """The chain does not verify, so its head is not signed (the reason names the first bad entry)."""


def snapshot(session: Session) -> Session:
    """A read-only session on the same database that sees one consistent state throughout (PostgreSQL:
    REPEATABLE READ; SQLite: a deferred read transaction, a snapshot under WAL), so a head read after
    the walk matches it even while others write. A connection-bound session (a test's) is returned as
    it is."""
    from sqlalchemy import Connection, Engine

    bind = session.get_bind()
    if isinstance(bind, Connection) or not isinstance(bind, Engine):
        return session
    if bind.dialect.name == "postgresql":
        bind = bind.execution_options(isolation_level="REPEATABLE READ")
    else:
        bind = bind.execution_options(sqlite_begin="DEFERRED")
    return Session(bind=bind, expire_on_commit=False)


def anchor_head(session: Session, *, now: datetime, previous: list[Anchor]) -> Anchor:
    """Verify what the last anchor does not already vouch for, then sign the head. `previous` are the
    anchors written so far (the target file's): the walk starts after the newest one whose signature
    and entry still hold, so a scheduled anchor costs the entries since the last one. A chain that
    does not verify is refused (`AnchorRefused`), so a tampered head is never signed."""
    ring = ring_for(session)
    own = snapshot(session)
    try:
        problem = check_anchors(own, previous, ring)
        if problem is not None:
            raise AnchorRefused(
                f"the audit chain does not match an earlier anchor, so its head is not anchored: "
                f"entry {problem[0]}: {problem[2]}"
            )
        after = None
        for anchor in reversed(previous):
            stored = service.chain_entry(own, anchor.entry_id) if anchor.entry_id is not None else None
            if stored is not None:
                after = (anchor.entry_id, anchor.hash, stored[1])
                break
        check = service.verify_chain(own, ring=ring, after=after)  # type: ignore[arg-type]
        if not check.ok:
            raise AnchorRefused(
                f"the audit chain does not verify, so its head is not anchored: first bad entry id "
                f"{check.first_bad_id}: {check.reason}"
            )
        return sign_head(own, now=now, ring=ring)
    finally:
        if own is not session:
            own.close()


def anchor_job(settings: Settings) -> Job:
    """The worker's `audit_anchor` job for these settings: every `audit_anchor_minutes`, append the
    signed head to the anchor file (a chain that does not verify fails the job, logged and counted in
    /metrics, and nothing is signed)."""

    def audit_anchor(session: Session, *, now: datetime, calendar: object) -> JobResult:
        now = datetime.now(UTC)  # an anchor records when it was really signed, not the simulated day
        path = anchor_file(settings)
        if not anchor_due(path, now=now, every_minutes=settings.audit_anchor_minutes):
            return JobResult("audit_anchor", 0)
        anchor = anchor_head(session, now=now, previous=read_anchors(path))
        append_anchor(path, anchor)
        log.info("audit chain anchored at entry %s in %s", anchor.entry_id, path)
        return JobResult("audit_anchor", 1)

    return audit_anchor


def verify_configured(session: Session, settings: Settings) -> service.ChainCheck:
    """`verify` against the settings' anchor file (the API's and the audit page's check)."""
    try:
        found = read_anchors(anchor_file(settings))
    except AnchorError as exc:
        return service.ChainCheck(False, 0, None, str(exc), code="anchor_unreadable")
    return verify(session, found)
