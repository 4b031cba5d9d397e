"""Sustained Open311 POST throughput and latency with C concurrent clients against a real
`citycockpit serve` subprocess.

Usage: PYTHONPATH=src python bench/events_intake.py --db URL [--clients 50] [--seconds 30] [--workers 1]
       [--rate R] [--callers N] [--boundaries]
       (R requests/s offered on a fixed schedule; latency counted from each scheduled time)
The database is migrated, given the demo organisation and categories if empty (with `--boundaries` also
the demo's area boundaries through the GIS import, so every point is located by point-in-polygon; without
them the grids have centroids only and a point goes to the nearest), and an API token with events:create
is created for the run. The server and this script share a data folder (its audit key)."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select

from citycockpit import migrate
from citycockpit.auth.tokens import create_token
from citycockpit.config import Settings
from citycockpit.core import keyring
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events import categories
from citycockpit.events.models import Event, EventCategory
from citycockpit.org import boundaries as org_boundaries
from citycockpit.org import service as org

ACTOR = SystemActor("bench")
TEXTS = [
    "小区门口垃圾堆放两天无人清理",
    "人行道上有摊贩占道经营",
    "路灯不亮已经一周",
    "井盖松动有异响",
    "道路积水严重",
]


def _processes() -> list[tuple[int, str, list[str]]]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, rest = f.read().rsplit(")", 1)
        except OSError:
            continue
        out.append((int(entry), head.split("(", 1)[1], rest.split()))
    return out


def _seconds(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (uvicorn's workers)."""
    return sum(_seconds(f) for p, _, f in _processes() if p == pid or int(f[1]) == pid)


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (0 when none runs here)."""
    return sum(_seconds(f) for _, name, f in _processes() if name == "postgres")


def prepare(url: str, data_dir: str, *, with_boundaries: bool = False) -> str:
    settings = Settings(data_dir=data_dir, audit_key_file=None)
    engine = keyring.attach(make_engine(url), keyring.RingSource(settings))
    migrate.upgrade(engine)
    now = fixed_clock("2024-09-30T10:00:00").now()
    demo_data = resources.files("citycockpit.demo").joinpath("data")
    with session_scope(engine) as s:
        if not s.scalar(select(func.count()).select_from(EventCategory)):
            data = demo_data.joinpath("taicang-org.yaml").read_bytes()
            org.import_org(s, data, "taicang-org.yaml", actor=ACTOR, now=now)
            categories.import_categories(
                s, categories.shipped_categories_file(), "c.yaml", actor=ACTOR, now=now
            )
            if with_boundaries:
                name = "taicang-boundaries.geojson"
                check = org_boundaries.check_boundaries(s, demo_data.joinpath(name).read_bytes(), name)
                org_boundaries.store_boundaries(s, check, accept_warnings=False, actor=ACTOR, now=now)
        token = create_token(
            s, name=f"bench-{time.time():.0f}", scopes=["events:create"], actor=ACTOR, now=now
        )
    engine.dispose()
    return token.secret


def _bodies(key: str, n: int = 20_000, callers: int = 0) -> list[bytes]:
    """Pre-encoded form bodies, so the load generator spends its CPU on sending, not on encoding. Enough
    of them that places repeat about as often as in a city (a few events in ten have an open one of
    their category within 50 m): with a few hundred, every request was a duplicate of dozens. With
    `callers`, each body carries one of that many phone numbers, so repeated requests (重复诉求) are
    looked up and linked as at a hotline."""
    out = []
    for _ in range(n):
        form = {
            "api_key": key,
            "service_code": random.choice(["E0102", "E0502", "C0107", "C0101", "E0403"]),
            "lat": f"{31.45 + random.uniform(-0.05, 0.05):.6f}",
            "long": f"{121.13 + random.uniform(-0.05, 0.05):.6f}",
            "description": random.choice(TEXTS),
        }
        if callers:
            form["phone"] = f"139{random.randrange(callers):08d}"
        out.append(urlencode(form).encode())
    return out


async def client(
    host: str,
    port: int,
    bodies: list[bytes],
    until: float,
    latencies: list[float],
    statuses: dict[int, int],
    interval: float | None = None,
) -> None:
    """One keep-alive HTTP/1.1 connection (a minimal client: httpx costs more CPU per request than the
    server's intake, which would measure the load generator on 2 cores).

    Without `interval` it posts back to back (closed loop: the figure is the most the server does).
    With it, it posts on a fixed schedule, one request every `interval` seconds, and a request's latency
    runs from its scheduled time, so time spent waiting behind a slow answer counts (no coordinated
    omission): the figure is the latency at that offered rate."""
    reader, writer = await asyncio.open_connection(host, port)
    scheduled = time.perf_counter() + (random.uniform(0, interval) if interval else 0)
    head = (
        "POST /open311/v2/requests.json HTTP/1.1\r\nHost: {h}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {n}\r\n\r\n"
    )
    try:
        while time.perf_counter() < until:
            body = random.choice(bodies)
            if interval:
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                t = scheduled
                scheduled += interval
            else:
                t = time.perf_counter()
            writer.write(head.format(h=host, n=len(body)).encode() + body)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run(
    host: str,
    port: int,
    key: str,
    clients: int,
    seconds: float,
    rate: float | None = None,
    callers: int = 0,
) -> tuple[list[float], dict[int, int], float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    bodies = _bodies(key, callers=callers)
    start = time.perf_counter()
    until = start + seconds
    interval = clients / rate if rate else None
    await asyncio.gather(
        *(client(host, port, bodies, until, latencies, statuses, interval) for _ in range(clients))
    )
    return latencies, statuses, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="offered load in requests/s, spread over the clients on a fixed schedule (0: back to back)",
    )
    parser.add_argument(
        "--callers",
        type=int,
        default=0,
        help="give each request one of this many phone numbers, so repeated requests are linked (0: none)",
    )
    parser.add_argument(
        "--boundaries",
        action="store_true",
        help="load the demo's area boundaries, so points are located by polygon (a fresh database only)",
    )
    parser.add_argument("--data-dir", default="", help="the server's data folder (default: a fresh one)")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="cc-intake-bench-")
    key = prepare(args.db, data_dir, with_boundaries=args.boundaries)
    if not args.port:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            args.port = sock.getsockname()[1]
    env = {
        **os.environ,
        "CITYCOCKPIT_DATABASE_URL": args.db,
        "CITYCOCKPIT_DATA_DIR": data_dir,
        "CITYCOCKPIT_TODAY": "2024-09-30",
        # one load generator on one address: lift the per-address limit on anonymous endpoints
        "CITYCOCKPIT_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000000",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "citycockpit",
            "serve",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.perf_counter() + 90
        while time.perf_counter() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        engine = make_engine(args.db)
        with session_scope(engine, read_only=True) as s:
            before = s.scalar(select(func.count()).select_from(Event))
        cpu_before, own_before = tree_cpu_seconds(server.pid), time.process_time()
        pg_before = postgres_cpu_seconds()
        latencies, statuses, elapsed = asyncio.run(
            run("127.0.0.1", args.port, key, args.clients, args.seconds, args.rate or None, args.callers)
        )
        server_cpu, own_cpu = tree_cpu_seconds(server.pid) - cpu_before, time.process_time() - own_before
        pg_cpu = postgres_cpu_seconds() - pg_before
        with session_scope(engine, read_only=True) as s:
            after = s.scalar(select(func.count()).select_from(Event))
            repeats = s.scalar(select(func.count()).select_from(Event).where(Event.repeat_of_id.is_not(None)))
            methods = dict(
                s.execute(select(Event.grid_method, func.count()).group_by(Event.grid_method)).all()
            )
    finally:
        server.terminate()
        server.wait(10)
    ok = statuses.get(201, 0) + statuses.get(200, 0)
    lat = sorted(latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * (len(lat) - 1)))] * 1000  # noqa: E731
    offered = f"offered {args.rate:,.0f} req/s on a schedule" if args.rate else "back to back"
    print(
        f"{engine.dialect.name}, {args.clients} clients ({offered}), {args.workers} server worker(s), "
        f"{elapsed:.1f} s"
    )
    print(
        f"requests {len(lat):,}  statuses {statuses}  events stored {after - before:,}  "
        f"repeated requests linked (all runs) {repeats:,}  grids found by (all runs) {methods}"
    )
    print(
        f"server CPU {server_cpu:.1f} s ({server_cpu / max(1, len(lat)) * 1000:.2f} ms a request), "
        f"PostgreSQL CPU {pg_cpu:.1f} s, load generator CPU {own_cpu:.1f} s, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"throughput {ok / elapsed:,.0f} req/s  p50 {statistics.median(lat) * 1000:.1f} ms  p95 {p(0.95):.1f} ms  p99 {p(0.99):.1f} ms"
    )


if __name__ == "__main__":
    main()
