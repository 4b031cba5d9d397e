"""The keyed audit chain: how fast entries are appended (HMAC-SHA256), how long a full `verify` takes,
and how long a scheduled anchor takes (it verifies only what came after the previous anchor).

    python bench/audit_chain.py [--entries 100000] [--batch 500] [--db URL]

Without --db it builds a fresh SQLite database in a temporary folder (with its own key file). Prints
entries per second for writing and verifying, and the seconds of a first and of a follow-up anchor."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy.orm import Session  # noqa: E402

from citycockpit import migrate  # noqa: E402
from citycockpit.audit import anchors  # noqa: E402
from citycockpit.audit import service as audit  # noqa: E402
from citycockpit.config import Settings  # noqa: E402
from citycockpit.core import keyring  # noqa: E402
from citycockpit.core.actors import SystemActor  # noqa: E402
from citycockpit.db import make_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="entries per transaction (record_many)")
    parser.add_argument("--db", default="", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cc-audit-bench-"))
    url = args.db or f"sqlite:///{folder / 'audit.db'}"
    settings = Settings(data_dir=folder, secret_key="b" * 48, audit_key_file=None)
    engine = keyring.attach(make_engine(url), keyring.RingSource(settings))
    migrate.upgrade(engine)
    actor = SystemActor("bench")
    now = datetime.now(UTC)

    def write(count: int) -> float:
        started = time.perf_counter()
        done = 0
        while done < count:
            n = min(args.batch, count - done)
            with Session(engine) as session:
                pending = [
                    audit.Pending(actor, "bench.write", "thing", done + i, {"n": done + i}, None, now)
                    for i in range(n)
                ]
                audit.record_many(session, pending)
                session.commit()
            done += n
        return time.perf_counter() - started

    seconds = write(args.entries)
    print(
        f"write:   {args.entries} entries in {seconds:.2f} s ({args.entries / seconds:,.0f} entries/s, batches of {args.batch})"
    )
    with Session(engine) as session:
        started = time.perf_counter()
        check = audit.verify_chain(session)
        seconds = time.perf_counter() - started
    print(
        f"verify:  {check.checked} entries in {seconds:.2f} s ({check.checked / seconds:,.0f} entries/s), ok={check.ok}"
    )
    with Session(engine) as session:
        started = time.perf_counter()
        first = anchors.anchor_head(session, now=datetime.now(UTC), previous=[])
        seconds = time.perf_counter() - started
    print(f"anchor:  first (whole chain) {seconds:.2f} s")
    more = max(1, args.entries // 100)
    write(more)
    with Session(engine) as session:
        started = time.perf_counter()
        anchors.anchor_head(session, now=datetime.now(UTC), previous=[first])
        seconds = time.perf_counter() - started
    print(f"anchor:  follow-up after {more} new entries {seconds:.3f} s")
    engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
