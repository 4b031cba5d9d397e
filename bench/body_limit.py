"""Oversized bodies against a real `citycockpit serve`: the server's memory (RSS) before and after N
anonymous POSTs of a large JSON body, each streamed over a raw socket until the server answers, and how
many bytes each sent before that answer.

    python bench/body_limit.py [--requests 10] [--megabytes 50] [--chunked]

It builds a fresh SQLite database in a temporary folder. With the body limit a request is answered
413 (or 401) after its headers, so the client stops sending at the first socket buffer and the RSS does
not move; without it, each body is read whole before the 401. Loopback only, bounded in count."""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ops.servers import prepare_intake_database, start_server  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children (uvicorn's worker), in MB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("Pid", "0").strip()) == pid or int(fields.get("PPid", "0").strip()) == pid:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


def post_big(url: str, megabytes: int, *, chunked: bool) -> tuple[int, int, float]:
    """(status, bytes sent before the answer, seconds)."""
    parsed = urlparse(url)
    size = megabytes * 1024 * 1024
    started = time.perf_counter()
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as sock:
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
        head = (
            f"POST /api/v1/events HTTP/1.1\r\nHost: {parsed.hostname}\r\n"
            f"Content-Type: application/json\r\n{framing}\r\n\r\n"
        )
        sock.sendall(head.encode())
        piece = b'{"description": "' + b"a" * (1024 * 1024 - 20)
        sent = 0
        sock.setblocking(False)
        answer = b""
        while sent < size:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            chunk = piece[: min(len(piece), size - sent)]
            data = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
            try:
                sock.sendall(data)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
                continue
            sent += len(chunk)
        sock.setblocking(True)
        if chunked and sent >= size and not answer:
            sock.sendall(b"0\r\n\r\n")
        while b"\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--chunked", action="store_true", help="no Content-Length: the streaming counter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        url = f"sqlite:///{tmp / 'bench.db'}"
        prepare_intake_database(url)
        server = start_server(url, tmp)
        try:
            time.sleep(1)
            before = rss_mb(server.process.pid)
            print(f"server RSS before: {before:.0f} MB")
            for i in range(args.requests):
                status, sent, seconds = post_big(server.url, args.megabytes, chunked=args.chunked)
                print(f"request {i + 1}: {status} after {sent / 2**20:.1f} MB sent, {seconds * 1000:.0f} ms")
            time.sleep(1)
            after = rss_mb(server.process.pid)
            print(
                f"server RSS after {args.requests} × {args.megabytes} MB: {after:.0f} MB ({after - before:+.0f} MB)"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
