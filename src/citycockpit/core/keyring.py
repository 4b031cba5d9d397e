"""The audit chain's HMAC keys, kept in a file outside the database.

The key file (`audit_key_file`; default `<data_dir>/audit.key`, generated on first use with a warning)
holds one key per line, `key_id:hexkey`; blank lines and `#` comments are skipped; the last line is the
current key. Rotation appends a line: entries keep the id of the key they were made with, so older keys
must stay in the file for `audit verify`.

The ring travels with the engine (`attach`, an execution option), so each app and each command uses
the key of its own settings, never a process-wide one: tests build many apps with different data
folders against one database. A session finds it with `ring_for`."""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citycockpit.config import Settings

log = logging.getLogger("citycockpit.audit")

OPTION = "citycockpit_audit_keyring"  # the engine's execution option that carries the ring
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_KEY_BYTES = 16


class KeyFileError(ValueError):
    """The key file is unreadable or malformed; the message names the file and line."""


class KeyRingMissing(RuntimeError):
    """A session writes or verifies audit entries without a key ring (a programming error: every
    engine the app and the commands build carries one)."""


@dataclass(frozen=True, eq=False)
class KeyRing:
    """Keys by id in file order; the last is current."""

    keys: Mapping[str, bytes]
    current_id: str
    source: Path

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)

    def sign(self, key_id: str, message: bytes) -> str:
        """HMAC-SHA256 of `message` under the key `key_id` (hex)."""
        key = self.keys.get(key_id)
        if key is None:
            raise KeyError(key_id)
        return hmac.new(key, message, "sha256").hexdigest()


def parse_key_file(path: Path) -> KeyRing:
    """Read a key file; a malformed line is a `KeyFileError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"audit key file {path} cannot be read: {exc.strerror or exc}") from exc
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key_id, sep, hexkey = line.partition(":")
        key_id, hexkey = key_id.strip(), hexkey.strip()
        if not sep or not _KEY_ID.match(key_id):
            raise KeyFileError(
                f"audit key file {path}, line {number}: expected `key_id:hexkey` with a key id of "
                "1-32 letters, digits, `_`, `.` or `-`"
            )
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            raise KeyFileError(f"audit key file {path}, line {number}: the key is not hexadecimal") from None
        if len(key) < MIN_KEY_BYTES:
            raise KeyFileError(
                f"audit key file {path}, line {number}: the key has {len(key)} bytes; "
                f"at least {MIN_KEY_BYTES} are needed (32 recommended)"
            )
        if key_id in keys:
            raise KeyFileError(f"audit key file {path}, line {number}: key id {key_id!r} appears twice")
        keys[key_id] = key
    if not keys:
        raise KeyFileError(f"audit key file {path} holds no key")
    return KeyRing(keys, list(keys)[-1], path)


def new_key_line() -> str:
    """A fresh `key_id:hexkey` line: a random id (so keys of different data folders never share one)
    and 32 random bytes."""
    return f"k{secrets.token_hex(4)}:{secrets.token_hex(32)}\n"


def key_file_path(settings: Settings) -> Path:
    return settings.audit_key_file or settings.data_dir / "audit.key"


def load_keyring(settings: Settings) -> KeyRing:
    """The settings' key ring. With no `audit_key_file` set, `<data_dir>/audit.key` is used, and
    created on first use (mode 600) with a logged warning: keep it, and back it up apart from the
    database, or the chain can no longer be verified."""
    path = key_file_path(settings)
    if settings.audit_key_file is None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(new_key_line())
            log.warning(
                "no audit_key_file set: generated the audit chain's HMAC key in %s; keep it and back "
                "it up apart from the database (see docs/domains/auth.md)",
                path,
            )
    return parse_key_file(path)


def rotate_key(path: Path) -> str:
    """Append a new current key to the key file and return its id."""
    line = new_key_line()
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    with path.open("a", encoding="utf-8") as fh:
        if existing and not existing.endswith("\n"):
            fh.write("\n")
        fh.write(line)
    return line.split(":", 1)[0]


class RingSource:
    """The key ring of one settings' key file, read when first needed (so the default file is only
    generated when an entry is first written or checked) and then kept. `check()` reads an existing
    or configured file at start-up, so a malformed one stops the app or command with its message."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._ring: KeyRing | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return key_file_path(self._settings)

    def check(self) -> None:
        if self._settings.audit_key_file is not None or self.path.exists():
            self.get()

    def get(self) -> KeyRing:
        with self._lock:
            if self._ring is None:
                self._ring = load_keyring(self._settings)
            return self._ring


def attach(engine: Engine, source: RingSource | KeyRing) -> Engine:
    """The same engine (pool shared) carrying the key ring for every session bound to it."""
    return engine.execution_options(**{OPTION: source})


def same_keys(source: Engine, target: Engine) -> Engine:
    """`target` carrying `source`'s key ring, if it has one (a backup's copy checked with the keys of
    the database it was copied from)."""
    found = source.get_execution_options().get(OPTION)
    return target if found is None else target.execution_options(**{OPTION: found})


def ring_for(session: Session) -> KeyRing:
    """The key ring of the engine (or connection) the session is bound to."""
    found = session.info.get(OPTION)
    if found is None:
        found = session.get_bind().get_execution_options().get(OPTION)
    if found is None:
        raise KeyRingMissing(
            "this session's engine carries no audit key ring: build it with core.keyring.attach"
        )
    return found.get() if isinstance(found, RingSource) else found  # type: ignore[no-any-return]
