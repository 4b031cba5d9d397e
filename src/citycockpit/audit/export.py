"""Audit log export for archiving or an auditor: JSON lines or CSV, in chain order, with the hashes so
the copy can be checked on its own."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC
from typing import Any, TextIO

from citycockpit.core.tabular import csv_cell

FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "ip",
    "diff",
    "prev_hash",
    "hash",
    "key_id",
)


def _record(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "ip": row.ip,
        "diff": row.diff_json,
        "prev_hash": row.prev_hash,
        "key_id": row.key_id,
        "hash": row.hash,
    }


def write_entries(rows: Iterable[Any], out: TextIO, *, fmt: str) -> int:
    """Write `rows` as `jsonl` (one object a line, `diff` parsed) or `csv` (`diff` as JSON text)."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: csv_cell(value) for key, value in _record(row).items()})
            count += 1
        return count
    for row in rows:
        record = _record(row)
        record["diff"] = json.loads(record["diff"] or "{}")
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
