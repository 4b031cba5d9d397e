"""The intake writer process (`process.ProcessWriter` starts it): `python -m
citycockpit.events.intake.process_main FD`, FD its end of the socket pair.

It starts reading its socket before it imports the app (a few seconds), so the server never waits to
send; then it builds the server's app from the `Setup` frame, answers `ready`, and writes what arrives,
a batch at a time, until the server closes its end. This module imports only the standard library
before that: the heavy imports are the app's, made once the reader runs."""

from __future__ import annotations

import os
import pickle
import queue
import signal
import socket
import struct
import sys
import threading
from typing import Any

# A frame is a 4-byte length and a pickle (both ends are this code, started together).
HEADER = struct.Struct("!I")
RECEIVE_BYTES = 65536  # a read of the socket (a larger one allocates its whole size each time)


def frame(obj: Any) -> bytes:
    payload = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


class Frames:
    """Length-prefixed frames read from a blocking socket; `read` returns None at its end."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def read(self) -> bytes | None:
        buffer = self.buffer
        while True:
            if len(buffer) >= HEADER.size:
                (size,) = HEADER.unpack_from(buffer)
                end = HEADER.size + size
                if len(buffer) >= end:
                    payload = bytes(buffer[HEADER.size : end])
                    del buffer[:end]
                    return payload
            try:
                chunk = self.sock.recv(RECEIVE_BYTES)
            except OSError:
                return None
            if not chunk:
                return None
            buffer += chunk


def _receive(sock: socket.socket, inbox: queue.SimpleQueue[bytes | None]) -> None:
    frames = Frames(sock)
    while (payload := frames.read()) is not None:
        inbox.put(payload)
    inbox.put(None)


def main(fd: int) -> None:
    # Stopped by the server closing its end (after writing what it holds), never by a signal meant for
    # the server's process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Its metrics travel to the server with each answer (`observe_batch` there); in the server's
    # multiprocess metrics folder its own would only add a series of zeros under its pid.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    sock = socket.socket(fileno=fd)
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    first = _first_frame(sock)
    if first is None:
        return
    threading.Thread(target=_receive, args=(sock, inbox), name="intake-requests", daemon=True).start()
    setup = pickle.loads(first)

    import gc
    import importlib

    from citycockpit.db import checkpoint_in_background
    from citycockpit.events.intake import writer
    from citycockpit.ops.logs import configure_logging

    settings = setup.settings.model_copy(update={"database_url": setup.database_url})
    configure_logging(settings.log_format, settings.log_level)
    module, _, name = setup.factory.partition(":")
    create_app = getattr(importlib.import_module(module), name)  # the server's own (it names it)
    core = writer.BatchWriter(create_app(settings, clock=setup.clock))
    # this process's engine writes intake and nothing else: SQLite's checkpoints leave its commits
    checkpointer = checkpoint_in_background(core.app.state.engine)
    gc.freeze()  # as the server does: what is loaded by now lives as long as the process
    sock.sendall(frame(("ready",)))
    _serve(core, sock, inbox, writer.Submitted, writer.MAX_BATCH)
    if checkpointer is not None:
        checkpointer.stop()


def _first_frame(sock: socket.socket) -> bytes | None:
    """The setup frame, read before the reader thread starts (it is the only one sent before `ready`)."""
    header = _exactly(sock, HEADER.size)
    if header is None:
        return None
    return _exactly(sock, HEADER.unpack(header)[0])


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _serve(
    core: Any, sock: socket.socket, inbox: queue.SimpleQueue[bytes | None], submitted: Any, max_batch: int
) -> None:
    """Write every request that arrived since the last batch (at most `max_batch` at a time) and answer
    each, until the server's end closes and what it sent is written."""
    ended = False
    while not ended:
        first = inbox.get()
        if first is None:
            return
        items = pickle.loads(first)
        while len(items) < max_batch:
            try:
                more = inbox.get_nowait()
            except queue.Empty:
                break
            if more is None:
                ended = True
                break
            items += pickle.loads(more)
        for start in range(0, len(items), max_batch):
            chunk = items[start : start + max_batch]
            batches, requests = core.batches, core.requests
            outcomes, seconds = core.write_timed([submitted(key, data, ip) for _, key, data, ip in chunk])
            try:
                answers = pickle.dumps(outcomes, pickle.HIGHEST_PROTOCOL)
            except Exception:  # an outcome that does not pickle: answered as a failure to store
                answers = pickle.dumps([_portable(o) for o in outcomes], pickle.HIGHEST_PROTOCOL)
            message = (
                "batch",
                [item[0] for item in chunk],
                answers,  # a pickle of its own: should it not load, the ids are still known
                len(chunk),
                seconds,
                core.batches - batches,
                core.requests - requests,
            )
            try:
                sock.sendall(frame(message))
            except OSError:
                return  # the server is gone: what was written stays written


def _portable(outcome: Any) -> Any:
    try:
        pickle.dumps(outcome)
        return outcome
    except Exception:
        from citycockpit.events.intake.writer import not_stored

        return not_stored()


if __name__ == "__main__":
    main(int(sys.argv[1]))
