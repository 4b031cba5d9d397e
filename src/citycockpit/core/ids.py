"""Random identifiers made many times a second (an event's public id, an Open311 intake token).

They take their bytes from the operating system's generator, as `secrets` does, but 4 KiB at a time:
`secrets.token_hex` reads the generator once per call, and that system call lets go of the interpreter
lock, which the intake's event loop and its writer thread then hand back and forth (up to a switch
interval, 5 ms, each time) for every request. Keys, passwords and session cookies keep using `secrets`
directly: they are rare, and nothing of theirs should sit in a process-wide buffer."""

from __future__ import annotations

import os
import threading

POOL_BYTES = 4096


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._bytes = b""
        self._at = 0

    def take(self, n: int) -> bytes:
        if not 0 < n <= POOL_BYTES:
            raise ValueError(f"between 1 and {POOL_BYTES} random bytes at a time, not {n}")
        with self._lock:
            if self._at + n > len(self._bytes):
                self._bytes, self._at = os.urandom(POOL_BYTES), 0
            out = self._bytes[self._at : self._at + n]
            self._at += n
        return out


_POOL = _Pool()
# A forked child must not hand out the bytes its parent also hands out.
os.register_at_fork(after_in_child=_POOL._reset)


def random_hex(nbytes: int) -> str:
    """`nbytes` random bytes from the operating system's generator, as 2 × nbytes lowercase hex digits
    (what `secrets.token_hex(nbytes)` returns); no two calls share a byte."""
    return _POOL.take(nbytes).hex()
