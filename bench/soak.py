"""Soak run: mixed reads and writes against a real `citycockpit serve` for N minutes, recording the
server's memory (RSS) and request latency per minute, to show whether either grows.

    python bench/soak.py --minutes 10 [--clients 8] [--database-url URL]

Without --database-url it builds a fresh demo SQLite database in a temporary folder. It prints one line
per minute and a verdict comparing the first and last minute."""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ops.servers import start_server  # noqa: E402

import citycockpit.models  # noqa: E402,F401  (every table mapped)
from citycockpit.auth import tokens  # noqa: E402
from citycockpit.core.actors import SystemActor  # noqa: E402
from citycockpit.core.clock import Clock  # noqa: E402
from citycockpit.db import make_engine, session_scope  # noqa: E402

SCOPES = [
    "org:read",
    "org:write",
    "report:read",
    "projects:read",
    "projects:update",
    "events:read",
    "events:kpi",
    "events:create",
    "screen:read",
]


def rss_kib(pid: int) -> int:
    total = 0
    for child in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cc-soak-"))
    url = args.database_url
    if not url:
        db = tmp / "demo.db"
        subprocess.run(
            [sys.executable, "-m", "citycockpit", "demo", "--no-serve", "--db", str(db)],
            check=True,
            capture_output=True,
        )
        url = f"sqlite:///{db}"
    engine = make_engine(url)
    from datetime import date
    from zoneinfo import ZoneInfo

    from citycockpit.auth.enums import Perm

    grantable = {p.value for p in Perm}
    with session_scope(engine) as session:
        secret = tokens.create_token(
            session,
            name="soak",
            scopes=[s for s in SCOPES if s in grantable],
            actor=SystemActor("soak"),
            now=Clock(zone=ZoneInfo("Asia/Shanghai"), today=date(2024, 9, 30)).now(),
        ).secret
    engine.dispose()
    # One load generator on one address: lift the per-address limit on anonymous (Open311) endpoints.
    server = start_server(url, tmp, extra_env={"CITYCOCKPIT_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000000"})
    headers = {"Authorization": f"Bearer {secret}"}
    latencies: dict[int, list[float]] = defaultdict(list)
    errors: dict[int, int] = defaultdict(int)
    statuses: dict[int, int] = defaultdict(int)
    started = time.monotonic()
    stop = threading.Event()
    reads = [
        "/api/v1/events?limit=20",
        "/api/v1/events/kpis?from=2024-09-01&to=2024-09-30",
        "/api/v1/org/departments",
        "/api/v1/reports",
        "/api/v1/projects?limit=20",
        "/api/v1/projects/completion?period=2024-09",
        "/api/v1/projects/lagging?period=2024-09",
    ]

    def client(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            i = 0
            while not stop.is_set():
                i += 1
                t0 = time.perf_counter()
                roll = rng.random()
                if roll < 0.15:
                    form = {
                        "api_key": secret,
                        "service_code": rng.choice(["E0102", "E0502", "C0107", "E0403"]),
                        "lat": f"{31.45 + rng.uniform(-0.05, 0.05):.5f}",
                        "long": f"{121.10 + rng.uniform(-0.05, 0.05):.5f}",
                        "description": f"压测上报 {n}-{i}：路边有暴露垃圾，请尽快处理",
                    }
                    r = http.post("/open311/v2/requests.json", data=form)
                elif roll < 0.2:
                    csv = f"code,name,kind\nSOAK{n}-{i % 50},压测单位{n}-{i % 50},委办局\n".encode()
                    r = http.post("/api/v1/org/import", files={"file": ("s.csv", csv, "text/csv")})
                else:
                    r = http.get(rng.choice(reads))
                minute = int((time.monotonic() - started) // 60)
                latencies[minute].append(time.perf_counter() - t0)
                statuses[r.status_code] += 1
                if r.status_code >= 400:
                    errors[minute] += 1

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
    for t in threads:
        t.start()
    rss: dict[int, int] = {}
    try:
        end = started + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(5)
            rss[int((time.monotonic() - started) // 60)] = rss_kib(server.process.pid)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        server.stop()
    print(f"soak: {args.minutes} min, {args.clients} clients, {url.split(':')[0]}")
    print("minute  requests  errors  p50 ms  p95 ms  p99 ms  rss MiB")
    for minute in sorted(latencies):
        values = sorted(latencies[minute])
        q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        print(
            f"{minute:>6}  {len(values):>8}  {errors[minute]:>6}  {q[49] * 1000:>6.1f}  {q[94] * 1000:>6.1f}  "
            f"{q[98] * 1000:>6.1f}  {rss.get(minute, 0) / 1024:>7.1f}"
        )
    print("statuses:", dict(sorted(statuses.items())))
    full = [m for m in sorted(latencies) if m < int(args.minutes)]
    if len(full) >= 2:
        first, last = full[0], full[-1]
        p95 = [statistics.quantiles(sorted(latencies[m]), n=100)[94] for m in (first, last)]
        growth = (rss.get(last, 0) - rss.get(first, 0)) / 1024
        print(f"first→last minute: p95 {p95[0] * 1000:.1f} → {p95[1] * 1000:.1f} ms, RSS {growth:+.1f} MiB")


if __name__ == "__main__":
    main()
