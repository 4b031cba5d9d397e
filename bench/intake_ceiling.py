"""The bare ceiling of Open311 intake on this machine: a FastAPI app that parses the same form as
`POST /open311/v2/requests.json` and inserts one row into a SQLite table, nothing else (no key, no
limit, no routing, no duplicates, no audit). `bench/events_intake.py` serves it the way `citycockpit
serve` serves the real app (uvicorn, one worker, no access log) and drives both with the same client in
the same run, so their ratio says what the pipeline costs beyond the insert.

Serve alone: CEILING_DB=/path/ceiling.db python -m uvicorn --factory bench.intake_ceiling:create_app"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import Response

COLUMNS = ("service_code", "lat", "long", "description", "phone", "address_string")


def create_app() -> FastAPI:
    path = os.environ.get("CEILING_DB", "ceiling.db")
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    # the pragmas `citycockpit.db.make_engine` sets for SQLite
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    db.execute(
        "CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, public_id TEXT UNIQUE, "
        + ", ".join(f'"{c}" TEXT' for c in COLUMNS)
        + ")"
    )
    sql = (
        "INSERT INTO requests (public_id, "
        + ", ".join(f'"{c}"' for c in COLUMNS)
        + ") VALUES (?"
        + ", ?" * len(COLUMNS)
        + ")"
    )
    app = FastAPI()

    @app.post("/open311/v2/requests.json")
    async def create_request(request: Request) -> Response:
        form = dict(reversed(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)))
        public_id = uuid.uuid4().hex[:16].upper()
        db.execute(sql, (public_id, *(form.get(c) for c in COLUMNS)))  # autocommit: one transaction
        body = [{"service_request_id": public_id, "service_notice": "已受理", "account_id": None}]
        return Response(
            json.dumps(body, ensure_ascii=False).encode(),
            status_code=201,
            media_type="application/json; charset=utf-8",
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
