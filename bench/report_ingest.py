"""Time reading and extracting government work reports.

    PYTHONPATH=src python bench/report_ingest.py [--batch 100]

Prints the time to read + extract the seed report, the time to read + extract + store it in a fresh SQLite
database through the service the CLI and API use (target: under 1 s after import), and the throughput on a
batch of reports made of the seed and the test corpus, each read from its own file.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import citycockpit.models  # noqa: F401  (every table mapped)
from citycockpit import migrate
from citycockpit.core.actors import SystemActor
from citycockpit.db import make_engine, session_scope
from citycockpit.report import service
from citycockpit.report.ledger import extract_ledger
from citycockpit.report.read import read_report

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "src" / "citycockpit" / "report" / "samples" / "taicang-2024-government-work-report.txt"
CORPUS = sorted((ROOT / "tests" / "report" / "corpus").glob("*.txt"))


def ingest(path: Path) -> int:
    ledger = extract_ledger(read_report(path).text)
    return len(ledger.targets) + len(ledger.actuals) + len(ledger.commitments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100, help="reports in the throughput batch")
    args = parser.parse_args()

    start = time.perf_counter()
    items = ingest(SEED)
    first = time.perf_counter() - start
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        ingest(SEED)
        runs.append(time.perf_counter() - start)
    print(f"seed report: {SEED.stat().st_size / 1024:.1f} KB, {items} items")
    print(f"  read + extract, first call : {first * 1000:.1f} ms")
    print(f"  read + extract, median of 5: {statistics.median(runs) * 1000:.1f} ms  (target < 1000 ms)")

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(engine)
        data = SEED.read_bytes()
        stored = []
        for n in range(5):
            start = time.perf_counter()
            with session_scope(engine) as session:
                service.ingest_report(
                    session,
                    data,
                    SEED.name,
                    actor=SystemActor("bench"),
                    now=datetime.now(UTC),
                    allow_duplicate=n > 0,
                )
            stored.append(time.perf_counter() - start)
        engine.dispose()
    print(
        f"  read + extract + store (SQLite), median of 5: {statistics.median(stored) * 1000:.1f} ms"
        "  (target < 1000 ms)"
    )

    sources = [SEED, *CORPUS]
    with tempfile.TemporaryDirectory() as tmp:
        batch = []
        for n, source in zip(range(args.batch), itertools.cycle(sources)):
            copy = Path(tmp) / f"{n:03d}-{source.name}"
            shutil.copyfile(source, copy)
            batch.append(copy)
        size = sum(p.stat().st_size for p in batch)
        start = time.perf_counter()
        total_items = sum(ingest(p) for p in batch)
        elapsed = time.perf_counter() - start
    print(
        f"batch of {len(batch)} reports ({size / 1024 / 1024:.2f} MB, {total_items} items): {elapsed:.2f} s"
    )
    print(f"  throughput: {len(batch) / elapsed:.1f} reports/s, {size / 1024 / elapsed:.0f} KB/s")


if __name__ == "__main__":
    main()
