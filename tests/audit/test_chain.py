"""The audit chain: intact logs verify, edited and deleted entries are named, and concurrent writers
never fork the chain (real separate connections and commits, on both backends)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit.audit import service as audit
from citycockpit.audit.models import AuditEntry
from citycockpit.cli import app as cli_app
from citycockpit.core.actors import SystemActor

NOW = datetime(2024, 9, 30, 2, 0, tzinfo=UTC)
runner = CliRunner()


def _write(session: Session, count: int, actor: str = "test") -> list[int]:
    ids = []
    for i in range(count):
        entry_id = audit.record(
            session, SystemActor(actor), "thing.update", "thing", i, diff={"n": [i, i + 1]}, at=NOW
        )
        ids.append(entry_id)
    return ids


def test_an_untouched_log_verifies(db: Session) -> None:
    _write(db, 5)
    check = audit.verify_chain(db)
    assert check.ok and check.checked >= 5


def test_an_edited_diff_names_that_entry(db: Session) -> None:
    ids = _write(db, 5)
    db.execute(
        text("UPDATE audit_entries SET diff_json = :d WHERE id = :id"), {"d": '{"n": [0, 9]}', "id": ids[2]}
    )
    check = audit.verify_chain(db)
    assert (check.ok, check.first_bad_id) == (False, ids[2])
    assert "edited" in (check.reason or "")


def test_a_deleted_middle_entry_names_the_entry_after_it(db: Session) -> None:
    ids = _write(db, 5)
    db.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[2]})
    check = audit.verify_chain(db)
    assert (check.ok, check.first_bad_id) == (False, ids[3])
    assert "deleted" in (check.reason or "")


def test_the_audit_api_lists_filters_and_verifies(client, db: Session, leader, dispatcher) -> None:  # type: ignore[no-untyped-def]
    _write(db, 3)
    r = client.get("/api/v1/audit", params={"action": "thing.", "limit": 2}, headers=leader.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 3 and len(body["items"]) == 2 and body["items"][0]["diff"] == {"n": [2, 3]}
    assert client.get("/api/v1/audit/verify", headers=leader.headers).json()["ok"] is True
    assert client.get("/api/v1/audit", headers=dispatcher.headers).status_code == 403


def test_the_audit_api_filters_by_local_day(client, db: Session, leader) -> None:  # type: ignore[no-untyped-def]
    _write(db, 2)  # 2024-09-30 10:00 in Shanghai
    on_day = client.get(
        "/api/v1/audit",
        params={"since": "2024-09-30", "until": "2024-09-30", "action": "thing."},
        headers=leader.headers,
    )
    after = client.get(
        "/api/v1/audit", params={"since": "2024-10-01", "action": "thing."}, headers=leader.headers
    )
    assert (on_day.json()["total"], after.json()["total"]) == (2, 0)


def _concurrent_writers(engine: Engine, *, threads: int = 2, each: int = 12) -> list[BaseException]:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            # One session across several transactions: a stale head in its identity map would fork.
            with Session(engine, expire_on_commit=False) as session:
                barrier.wait()
                for i in range(each):
                    audit.record(session, SystemActor(f"writer{n}"), "thing.update", "thing", i, at=NOW)
                    time.sleep(0.003)  # hold the head lock a moment, so the other writer queues on it
                    session.commit()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    return errors


def test_two_concurrent_writers_never_fork_the_chain(fresh_db) -> None:  # type: ignore[no-untyped-def]
    _, engine = fresh_db
    assert _concurrent_writers(engine) == []
    with Session(engine) as session:
        check = audit.verify_chain(session)
        assert (check.ok, check.checked) == (True, 24)
        prev_hashes = session.scalar(select(func.count(func.distinct(AuditEntry.prev_hash))))
        assert prev_hashes == 24  # every entry links to a different predecessor: no fork


def test_the_verify_command_passes_then_names_the_tampered_entry(fresh_db) -> None:  # type: ignore[no-untyped-def]
    url, engine = fresh_db
    with Session(engine) as session:
        ids = _write(session, 6)
        session.commit()
    ok = runner.invoke(cli_app, ["audit", "verify", "--db", url])
    assert ok.exit_code == 0 and "6 entries verified" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET diff_json = '{}' WHERE id = :id"), {"id": ids[1]})
    bad = runner.invoke(cli_app, ["audit", "verify", "--db", url])
    assert bad.exit_code == 1 and f"first bad entry id {ids[1]}" in bad.output


def test_the_verify_command_names_the_entry_after_a_deleted_one(fresh_db) -> None:  # type: ignore[no-untyped-def]
    url, engine = fresh_db
    with Session(engine) as session:
        ids = _write(session, 6)
        session.commit()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[3]})
    bad = runner.invoke(cli_app, ["audit", "verify", "--db", url])
    assert bad.exit_code == 1 and f"first bad entry id {ids[4]}" in bad.output


def test_the_export_command_writes_json_lines_and_csv(fresh_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, engine = fresh_db
    with Session(engine) as session:
        _write(session, 3)
        session.commit()
    out = runner.invoke(cli_app, ["audit", "export", "--since", "2024-09-30", "--db", url])
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert out.exit_code == 0 and [line["object_id"] for line in lines] == ["0", "1", "2"]
    assert lines[1]["prev_hash"] == lines[0]["hash"] and lines[0]["diff"] == {"n": [0, 1]}
    later = runner.invoke(cli_app, ["audit", "export", "--since", "2024-10-01", "--db", url])
    assert later.exit_code == 0 and later.output == ""
    csv_file = tmp_path / "audit.csv"
    r = runner.invoke(
        cli_app, ["audit", "export", "--since", "2024-09-30", "--out", str(csv_file), "--db", url]
    )
    assert r.exit_code == 0
    rows = csv_file.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("id,at,actor_id") and len(rows) == 4
