"""Import time and peak memory of `events import-history` on a generated 12345 history file, next to a
bare baseline that only reads the same file (the streaming reader, no checks, no database).

Usage: PYTHONPATH=src python bench/events_history_import.py [--rows 100000] [--kind xlsx|csv|both]
       [--dir DIR] [--no-tracemalloc]
Each import runs on a fresh SQLite file in DIR (a temporary folder by default), migrated and given the
demo organisation and the shipped categories. Time is measured without tracemalloc; peak Python memory
(tracemalloc) in a second run on another fresh database, since tracing slows Python down."""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import select

from citycockpit import migrate
from citycockpit.core import tabular
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events import categories
from citycockpit.events.intake import history
from citycockpit.events.models import EventCategory
from citycockpit.org import service as org
from citycockpit.org.models import Area

ACTOR = SystemActor("bench")
ZONE = ZoneInfo("Asia/Shanghai")
NOW = fixed_clock("2025-01-10T10:00:00").now()
TEXTS = [
    "小区门口垃圾堆放两天无人清理",
    "人行道上有摊贩占道经营",
    "路灯不亮已经一周",
    "井盖松动有异响",
    "道路积水严重",
]
SATISFACTION = ["满意", "满意", "基本满意", "不满意", "未回访"]
HEADER = [
    "工单编号",
    "受理时间",
    "标题",
    "诉求内容",
    "诉求类型",
    "分类编码",
    "承办单位",
    "办结时间",
    "办理结果",
    "满意度",
    "网格编码",
]


def prepare(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        data = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
        org.import_org(s, data, "taicang-org.yaml", actor=ACTOR, now=NOW)
        categories.import_categories(s, categories.shipped_categories_file(), "c.yaml", actor=ACTOR, now=NOW)
    engine.dispose()
    return url


def rows(url: str, n: int) -> list[list[Any]]:
    engine = make_engine(url)
    with session_scope(engine, read_only=True) as s:
        cats = s.execute(
            select(EventCategory.code, EventCategory.default_department_code).where(
                EventCategory.level == "minor",
                EventCategory.default_department_code.is_not(None),
                EventCategory.default_department_code.not_like("@%"),
            )
        ).all()
        grids = list(s.scalars(select(Area.code).where(Area.level == "grid")))
    engine.dispose()
    rng = random.Random(18)
    start = datetime(2024, 1, 1, 8, 0)
    out = []
    for i in range(n):
        code, dept = rng.choice(cats)
        received = start + timedelta(minutes=rng.randrange(0, 360 * 24 * 60))
        closed = received + timedelta(hours=rng.randrange(1, 240))
        out.append(
            [
                f"TC{2024}{i:08d}",
                received.strftime("%Y-%m-%d %H:%M"),
                "",
                rng.choice(TEXTS),
                rng.choice(["投诉", "求助", "咨询"]),
                code,
                dept,
                closed.strftime("%Y-%m-%d %H:%M"),
                "已办结",
                rng.choice(SATISFACTION),
                rng.choice(grids),
            ]
        )
    return out


def as_csv(data: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(data)
    return out.getvalue().encode("utf-8")


def as_xlsx(data: list[list[Any]]) -> bytes:
    # A normal workbook (shared strings, as Excel writes them): openpyxl's write-only mode writes
    # inline strings, which its reader parses several times slower than a real export.
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(run: Callable[[], Any], *, trace: bool) -> tuple[str, float | None, Any]:
    """Wall and CPU seconds (SQLite runs in this process, so CPU time is the work itself, whatever
    else the machine runs), peak traced MiB (when traced) and the result of one run."""
    if trace:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    result = run()
    seconds = f"{time.perf_counter() - t0:6.1f} s wall, {time.process_time() - c0:6.1f} s CPU"
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return seconds, peak, result


def baseline(data: bytes, name: str) -> int:
    _, stream = tabular.stream_rows(data, name, history.HISTORY_ALIASES)
    return sum(1 for _ in stream)


def do_import(url: str, data: bytes, name: str) -> history.HistoryResult:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return history.import_history_file(s, data, name, actor=ACTOR, now=NOW, zone=ZONE)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kind", choices=["xlsx", "csv", "both"], default="both")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="history-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    template = prepare(folder / "template.db")
    data_rows = rows(template, args.rows)
    kinds = ["csv", "xlsx"] if args.kind == "both" else [args.kind]
    print(f"{args.rows:,} rows; SQLite under {folder}")  # noqa: T201
    for kind in kinds:
        data = as_csv(data_rows) if kind == "csv" else as_xlsx(data_rows)
        name = f"history.{kind}"
        print(f"\n{name}: {len(data) / 2**20:.1f} MiB")  # noqa: T201
        for label, trace in (("time", False), ("memory", True)):
            if trace and args.no_tracemalloc:
                continue
            secs, peak, n = measure(lambda d=data, nm=name: baseline(d, nm), trace=trace)
            shown = secs if not trace else f"peak {peak:6.1f} MiB"
            print(f"  read only ({label}):   {n:,} rows  {shown}")  # noqa: T201
            url = prepare(folder / f"{kind}-{label}-{time.time_ns()}.db")
            secs, peak, result = measure(lambda u=url, d=data, nm=name: do_import(u, d, nm), trace=trace)
            shown = secs if not trace else f"peak {peak:6.1f} MiB"
            print(  # noqa: T201
                f"  import    ({label}):   {result.imported:,} rows  {shown}"
                f"  ({result.rollup_days} rollup days recomputed)"
            )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS (whole run, file bytes and generated rows included): {rss:.0f} MiB")  # noqa: T201


if __name__ == "__main__":
    main()
