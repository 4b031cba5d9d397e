"""Sustained Open311 POST throughput and latency with C concurrent clients against a real
`citycockpit serve` subprocess, beside the bare ceiling of the same machine in the same run.

Usage: PYTHONPATH=src python bench/events_intake.py --db URL [--case spread|burst|both] [--against
       both|ours|ceiling] [--clients 50] [--seconds 15] [--workers 1] [--rate R] [--callers N]
       [--rounds N] (N alternated pairs of runs: the median ratio)
       [--unpartitioned] (PostgreSQL: events as one plain table, the partitioning undone)
       (R requests/s offered on a fixed schedule; latency counted from each scheduled time)

Each case runs the bare ceiling app (bench/intake_ceiling.py: parse the form, insert one SQLite row) and
then `citycockpit serve`, with the same client and server options, and prints the ratio. `spread`: posts
over the city in five categories; `burst`: every post within a few metres of one spot in one category
(one incident reported by hundreds of callers). The database is migrated (with `--boundaries` also given
the demo's area boundaries through the GIS import), given the demo organisation
and categories if empty, and an API token with events:create is created for the run."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
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
from citycockpit.events.models import DuplicateProposal, Event, EventCategory
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


def undo_partitioning(engine: Any) -> None:
    """PostgreSQL: make `events` one plain table again with the partitioning migration's own downgrade
    step (the schema stays at head otherwise), to compare intake with and without partitions."""
    versions = Path(migrate.__file__).parent / "migrations" / "versions"
    spec = importlib.util.spec_from_file_location(
        "partitioning", next(versions.glob("*_e2a9c4f1b7d3_events_partitioned_by_month.py"))
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with engine.begin() as conn:
        module._unpartition(conn)


def prepare(url: str, data_dir: str, *, with_boundaries: bool = False, unpartitioned: bool = False) -> str:
    # the server's own key ring (CITYCOCKPIT_DATA_DIR/audit.key), so both chain the same audit log
    settings = Settings(data_dir=Path(data_dir), audit_key_file=None)
    engine = keyring.attach(make_engine(url), keyring.RingSource(settings))
    migrate.upgrade(engine)
    if unpartitioned:
        undo_partitioning(engine)
    now = fixed_clock("2024-09-30T10:00:00").now()
    with session_scope(engine) as s:
        if not s.scalar(select(func.count()).select_from(EventCategory)):
            demo_data = resources.files("citycockpit.demo").joinpath("data")
            data = demo_data.joinpath("taicang-org.yaml").read_bytes()
            org.import_org(s, data, "taicang-org.yaml", actor=ACTOR, now=now)
            categories.import_categories(
                s, categories.shipped_categories_file(), "c.yaml", actor=ACTOR, now=now
            )
            if with_boundaries:  # the demo's real boundaries: every point located by point-in-polygon
                name = "taicang-boundaries.geojson"
                check = org_boundaries.check_boundaries(s, demo_data.joinpath(name).read_bytes(), name)
                org_boundaries.store_boundaries(s, check, accept_warnings=False, actor=ACTOR, now=now)
        token = create_token(
            s, name=f"bench-{time.time():.0f}", scopes=["events:create"], actor=ACTOR, now=now
        )
    engine.dispose()
    return token.secret


BURST_CATEGORY = "C0101"  # 上水井盖: a burst main under a manhole, reported by hundreds of passers-by


def _bodies(key: str, n: int = 20_000, callers: int = 0, case: str = "spread") -> list[bytes]:
    """Pre-encoded form bodies, so the load generator spends its CPU on sending, not on encoding.

    `spread`: enough of them that places repeat about as often as in a city (a few events in ten have
    an open one of their category within 50 m): with a few hundred, every request was a duplicate of
    dozens. `burst`: every request within ~3 m of one spot (new each run) in one category, as when
    hundreds of callers report the same incident. With `callers`, each body carries one of that many
    phone numbers, so repeated requests (重复诉求) are looked up and linked as at a hotline."""
    out = []
    spot = (31.45 + random.uniform(-0.05, 0.05), 121.13 + random.uniform(-0.05, 0.05))
    for _ in range(n):
        if case == "burst":
            code = BURST_CATEGORY
            lat, lon = spot[0] + random.uniform(-2e-5, 2e-5), spot[1] + random.uniform(-2e-5, 2e-5)
        else:
            code = random.choice(["E0102", "E0502", "C0107", "C0101", "E0403"])
            lat, lon = 31.45 + random.uniform(-0.05, 0.05), 121.13 + random.uniform(-0.05, 0.05)
        form = {
            "api_key": key,
            "service_code": code,
            "lat": f"{lat:.6f}",
            "long": f"{lon:.6f}",
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
    case: str = "spread",
) -> tuple[list[float], dict[int, int], float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    bodies = _bodies(key, callers=callers, case=case)
    start = time.perf_counter()
    until = start + seconds
    interval = clients / rate if rate else None
    await asyncio.gather(
        *(client(host, port, bodies, until, latencies, statuses, interval) for _ in range(clients))
    )
    return latencies, statuses, time.perf_counter() - start


@dataclass
class Result:
    """One load run against one server."""

    name: str
    requests: int
    ok: int
    statuses: dict[int, int]
    elapsed: float
    server_cpu: float
    client_cpu: float
    pg_cpu: float
    p50: float
    p95: float
    p99: float

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed

    def line(self) -> str:
        return (
            f"{self.name:<12} {self.throughput:>7,.0f} req/s  p50 {self.p50:6.1f} ms  p95 {self.p95:6.1f} ms  "
            f"p99 {self.p99:6.1f} ms  statuses {self.statuses}  server CPU "
            f"{self.server_cpu / max(1, self.requests) * 1000:.2f} ms/request  load generator CPU "
            f"{self.client_cpu:.1f} s"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess, once its /healthz answers; terminated afterwards."""
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 90
        while time.perf_counter() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise SystemExit(f"the server exited ({server.returncode}): {' '.join(command)}")
            time.sleep(0.3)
        yield server
    finally:
        server.terminate()
        server.wait(10)


def measure(name: str, server: subprocess.Popen[bytes], port: int, key: str, args: Any, case: str) -> Result:
    cpu_before, own_before = tree_cpu_seconds(server.pid), time.process_time()
    pg_before = postgres_cpu_seconds()
    latencies, statuses, elapsed = asyncio.run(
        run("127.0.0.1", port, key, args.clients, args.seconds, args.rate or None, args.callers, case)
    )
    server_cpu, own_cpu = tree_cpu_seconds(server.pid) - cpu_before, time.process_time() - own_before
    lat = sorted(latencies) or [0.0]
    p = lambda q: lat[min(len(lat) - 1, int(q * (len(lat) - 1)))] * 1000  # noqa: E731
    return Result(
        name,
        len(latencies),
        statuses.get(201, 0) + statuses.get(200, 0),
        statuses,
        elapsed,
        server_cpu,
        own_cpu,
        postgres_cpu_seconds() - pg_before,
        statistics.median(lat) * 1000,
        p(0.95),
        p(0.99),
    )


def run_ceiling(args: Any, case: str, workdir: str) -> Result:
    """The bare app (bench/intake_ceiling.py) under the same server options as `citycockpit serve`."""
    port = _free_port()
    env = {**os.environ, "CEILING_DB": os.path.join(workdir, f"ceiling-{case}.db")}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "intake_ceiling:create_app",
        "--app-dir",
        os.path.dirname(os.path.abspath(__file__)),
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--proxy-headers",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with serving(command, env, port) as server:
        return measure("bare ceiling", server, port, "-", args, case)


def run_ours(args: Any, case: str, key: str) -> Result:
    port = _free_port()
    env = {
        **os.environ,
        "CITYCOCKPIT_DATABASE_URL": args.db,
        "CITYCOCKPIT_DATA_DIR": args.data_dir,
        "CITYCOCKPIT_TODAY": "2024-09-30",
        # one load generator on one address: lift the per-address limit on anonymous endpoints
        "CITYCOCKPIT_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000000",
    }
    command = [
        sys.executable,
        "-m",
        "citycockpit",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    engine = make_engine(args.db)
    with session_scope(engine, read_only=True) as s:
        before = s.scalar(select(func.count()).select_from(Event))
        proposals_before = s.scalar(select(func.count()).select_from(DuplicateProposal))
    with serving(command, env, port) as server:
        result = measure("citycockpit", server, port, key, args, case)
    with session_scope(engine, read_only=True) as s:
        after = s.scalar(select(func.count()).select_from(Event))
        proposals = s.scalar(select(func.count()).select_from(DuplicateProposal))
        repeats = s.scalar(select(func.count()).select_from(Event).where(Event.repeat_of_id.is_not(None)))
    engine.dispose()
    print(
        f"  ({engine.dialect.name}: events stored {after - before:,}, duplicate proposals "
        f"{proposals - proposals_before:,}, repeated requests linked (all runs) {repeats:,}, "
        f"PostgreSQL CPU {result.pg_cpu:.1f} s)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--data-dir", default="var/bench-intake", help="the server's data directory (its audit key)"
    )
    parser.add_argument("--case", choices=["spread", "burst", "both"], default="both")
    parser.add_argument(
        "--against",
        choices=["both", "ours", "ceiling"],
        default="both",
        help="both: the bare ceiling app, then citycockpit, in each case (the ratio is printed)",
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the ceiling and ours alternately this many times and print the median ratio "
        "(on a shared machine one pair of runs can differ by a third)",
    )
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
    parser.add_argument(
        "--unpartitioned",
        action="store_true",
        help="PostgreSQL: undo the monthly partitioning of events after migrating (a fresh database only)",
    )
    args = parser.parse_args()
    key = (
        prepare(args.db, args.data_dir, with_boundaries=args.boundaries, unpartitioned=args.unpartitioned)
        if args.against != "ceiling"
        else "-"
    )
    cases = ["spread", "burst"] if args.case == "both" else [args.case]
    offered = f"offered {args.rate:,.0f} req/s on a schedule" if args.rate else "back to back"
    print(
        f"{args.clients} clients ({offered}), {args.workers} server worker(s), {args.seconds:.0f} s a run, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    with tempfile.TemporaryDirectory(prefix="intake-ceiling-") as workdir:
        for case in cases:
            print(f"case {case}:")
            ratios = []
            for round_ in range(1, args.rounds + 1):
                if args.rounds > 1:
                    print(f" round {round_} (load average {os.getloadavg()[0]:.2f}):")
                ceiling = run_ceiling(args, case, workdir) if args.against != "ours" else None
                if ceiling:
                    print("  " + ceiling.line())
                ours = run_ours(args, case, key) if args.against != "ceiling" else None
                if ours:
                    print("  " + ours.line())
                if ceiling and ours:
                    ratios.append(ours.throughput / ceiling.throughput)
                    print(
                        f"  ratio {ratios[-1]:.2f}x the bare ceiling's throughput "
                        f"(p99 {ours.p99:.0f} ms against {ceiling.p99:.0f} ms)"
                    )
            if len(ratios) > 1:
                print(
                    f"  median ratio of {len(ratios)} alternated rounds {statistics.median(ratios):.2f}x "
                    f"(from {min(ratios):.2f}x to {max(ratios):.2f}x)"
                )
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
