"""Pooled random identifiers: as random as `secrets.token_hex`, never the same bytes twice."""

from __future__ import annotations

import os
import re
import threading

import pytest

from citycockpit.core import ids


def test_random_hex_gives_lowercase_hex_of_twice_the_bytes_and_refuses_odd_sizes() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", ids.random_hex(16))
    assert re.fullmatch(r"[0-9a-f]{10}", ids.random_hex(5))
    for n in (0, -1, ids.POOL_BYTES + 1):
        with pytest.raises(ValueError, match="random bytes at a time"):
            ids.random_hex(n)


def test_values_drawn_across_many_refills_and_threads_never_repeat() -> None:
    drawn: list[str] = []

    def draw() -> None:
        values = [ids.random_hex(16) for _ in range(2_000)]  # 32 KB each: eight refills of the pool
        drawn.extend(values)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(drawn) == 8_000 == len(set(drawn))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_does_not_hand_out_its_parents_next_bytes() -> None:
    ids.random_hex(1)  # the pool holds bytes the parent will hand out next
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first value, then leave at once
        os.write(write, ids.random_hex(16).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert len(child) == 32 and child != ids.random_hex(16)
