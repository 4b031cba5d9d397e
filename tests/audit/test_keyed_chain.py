"""The keyed audit chain (issue 21): entries carry an HMAC under a key kept outside the database, so a
chain edited and recomputed by someone who can write the database but not read the key fails; anchors
of the signed head catch what the key alone cannot (a rewrite by someone holding the key, a truncated
tail, a chain downgraded to the old unkeyed form), as long as the anchor is out of their reach."""

from __future__ import annotations

import json
import logging
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit.app import create_app
from citycockpit.audit import anchors
from citycockpit.audit import service as audit
from citycockpit.audit.models import AuditEntry
from citycockpit.cli import app as cli_app
from citycockpit.config import Settings
from citycockpit.core import keyring
from citycockpit.core.actors import SystemActor
from citycockpit.worker import run_jobs_once

NOW = datetime(2024, 9, 30, 2, 0, tzinfo=UTC)
runner = CliRunner()


def _write(session: Session, count: int, start: int = 0) -> list[int]:
    return [
        audit.record(session, SystemActor("test"), "thing.update", "thing", i, diff={"n": i}, at=NOW)
        for i in range(start, start + count)
    ]


def _ring(tmp_path: Path, *lines: str) -> keyring.KeyRing:
    path = tmp_path / "audit.key"
    path.write_text("".join(lines) or keyring.new_key_line(), encoding="utf-8")
    return keyring.parse_key_file(path)


def _recompute_from(session: Session, first_id: int, *, key: bytes | None, key_id: str | None) -> None:
    """What someone with write access to the database does after editing an entry: recompute every
    later hash and the head, the old unkeyed way (key None) or with a key they hold."""
    rows = session.execute(select(AuditEntry).where(AuditEntry.id >= first_id).order_by(AuditEntry.id))
    prev = session.scalar(select(AuditEntry.prev_hash).where(AuditEntry.id == first_id))
    last = None
    for (entry,) in rows:
        entry.prev_hash = prev
        entry.key_id = key_id
        entry.hash = prev = audit._entry_hash(prev, entry, key)
        last = entry.id
    session.flush()
    session.execute(text("UPDATE audit_head SET last_entry_id = :i, last_hash = :h"), {"i": last, "h": prev})


def _edit(session: Session, entry_id: int) -> None:
    session.execute(text("UPDATE audit_entries SET diff_json = '{\"n\": 99}' WHERE id = :i"), {"i": entry_id})
    session.expire_all()


def test_entries_carry_the_current_key_id_and_an_hmac_not_the_plain_hash(db: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ring = _ring(tmp_path, "old:" + "11" * 32 + "\n", "new:" + "22" * 32 + "\n")
    db.info[keyring.OPTION] = ring
    [entry_id] = _write(db, 1)
    entry = db.get(AuditEntry, entry_id)
    assert entry is not None and entry.key_id == "new"
    assert entry.hash == audit._entry_hash(entry.prev_hash, entry, ring.keys["new"])
    assert entry.hash != audit._entry_hash(entry.prev_hash, entry)  # not the unkeyed SHA-256


def test_an_edit_recomputed_without_the_key_fails_verification(db: Session) -> None:
    ids = _write(db, 5)
    _edit(db, ids[2])
    _recompute_from(db, ids[2], key=None, key_id=keyring.ring_for(db).current_id)
    check = audit.verify_chain(db)
    assert (check.ok, check.first_bad_id) == (False, ids[2])
    assert "HMAC" in (check.reason or "")


def test_a_chain_recomputed_under_another_key_fails_naming_the_key(db: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = _write(db, 3)
    _edit(db, ids[1])
    _recompute_from(db, ids[1], key=b"x" * 32, key_id="forged")
    check = audit.verify_chain(db)
    assert (check.ok, check.first_bad_id) == (False, ids[1]) and "'forged'" in (check.reason or "")


def test_unkeyed_entries_verify_before_the_keyed_part_and_fail_after_it(db: Session) -> None:
    ids = _write(db, 4)
    # The old chain: entries from before the upgrade, unkeyed.
    _recompute_from(db, ids[0], key=None, key_id=None)
    db.expire_all()
    more = _write(db, 2)
    check = audit.verify_chain(db)
    assert (check.ok, check.keyed_from) == (True, more[0])
    # An unkeyed entry after the keyed part began is a rewrite.
    _recompute_from(db, more[1], key=None, key_id=None)
    bad = audit.verify_chain(db)
    assert (bad.ok, bad.first_bad_id) == (False, more[1]) and "without a key" in (bad.reason or "")


def test_an_anchor_catches_a_rewrite_by_someone_holding_the_key(db: Session) -> None:
    ids = _write(db, 4)
    anchor = anchors.anchor_head(db, now=NOW, previous=[])
    _write(db, 2, start=4)
    ring = keyring.ring_for(db)
    _edit(db, ids[1])  # below the anchored head
    _recompute_from(db, ids[1], key=ring.keys[ring.current_id], key_id=ring.current_id)
    assert audit.verify_chain(db).ok  # the key alone cannot tell
    check = anchors.verify(db, [anchor])
    assert (check.ok, check.first_bad_id) == (False, ids[3])
    assert "rewritten below an anchored head" in (check.reason or "")


def test_a_rewrite_after_the_last_anchor_by_someone_holding_the_key_goes_undetected(db: Session) -> None:
    """The documented limit: what came after the last anchor is only as safe as the key."""
    _write(db, 3)
    anchor = anchors.anchor_head(db, now=NOW, previous=[])
    later = _write(db, 3, start=3)
    ring = keyring.ring_for(db)
    _edit(db, later[1])
    _recompute_from(db, later[1], key=ring.keys[ring.current_id], key_id=ring.current_id)
    assert anchors.verify(db, [anchor]).ok


def test_an_anchor_catches_a_chain_downgraded_to_the_unkeyed_form(db: Session) -> None:
    ids = _write(db, 3)
    anchor = anchors.anchor_head(db, now=NOW, previous=[])
    _edit(db, ids[0])
    _recompute_from(db, ids[0], key=None, key_id=None)  # every entry unkeyed, from the start
    alone = audit.verify_chain(db)
    assert (alone.ok, alone.keyed_from) == (True, None)  # looks like a log from before keys
    assert anchors.verify(db, [anchor]).ok is False


def test_a_truncated_tail_below_an_anchor_fails(db: Session) -> None:
    ids = _write(db, 4)
    anchor = anchors.anchor_head(db, now=NOW, previous=[])
    # The head moved back first (it references the last entry), then the tail deleted.
    db.execute(
        text(
            "UPDATE audit_head SET last_entry_id = :i, last_hash = (SELECT hash FROM audit_entries WHERE id = :i)"
        ),
        {"i": ids[1]},
    )
    db.execute(text("DELETE FROM audit_entries WHERE id >= :i"), {"i": ids[2]})
    assert audit.verify_chain(db).ok
    check = anchors.verify(db, [anchor])
    assert (check.ok, check.first_bad_id) == (False, ids[3]) and "is missing" in (check.reason or "")


def test_an_edited_anchor_fails_its_hmac(db: Session) -> None:
    _write(db, 2)
    anchor = anchors.anchor_head(db, now=NOW, previous=[])
    forged = anchors.Anchor(anchor.entry_id, "f" * 64, anchor.anchored_at, anchor.key_id, anchor.hmac, "x")
    check = anchors.verify(db, [forged])
    assert check.ok is False and "forged or edited" in (check.reason or "")
    assert anchors.verify(db, [anchor]).ok


def test_anchoring_refuses_a_chain_that_does_not_verify(db: Session) -> None:
    ids = _write(db, 3)
    _edit(db, ids[1])
    with pytest.raises(anchors.AnchorRefused, match=f"first bad entry id {ids[1]}"):
        anchors.anchor_head(db, now=NOW, previous=[])


def test_rotation_keeps_old_entries_verifiable_and_a_dropped_key_is_named(db: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "audit.key"
    path.write_text("first:" + "33" * 32 + "\n", encoding="utf-8")
    db.info[keyring.OPTION] = keyring.parse_key_file(path)
    old = _write(db, 2)
    new_id = keyring.rotate_key(path)
    db.info[keyring.OPTION] = keyring.parse_key_file(path)
    new = _write(db, 2)
    kinds = db.execute(select(AuditEntry.key_id).where(AuditEntry.id.in_(old + new)).order_by(AuditEntry.id))
    assert [k for (k,) in kinds] == ["first", "first", new_id, new_id]
    assert audit.verify_chain(db).ok
    path.write_text(path.read_text(encoding="utf-8").splitlines()[1] + "\n", encoding="utf-8")
    db.info[keyring.OPTION] = keyring.parse_key_file(path)
    check = audit.verify_chain(db)
    assert check.ok is False and "'first'" in (check.reason or "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no key"),
        ("k1 " + "aa" * 32 + "\n", "line 1: expected `key_id:hexkey`"),
        ("k1:" + "zz" * 32 + "\n", "line 1: the key is not hexadecimal"),
        ("# keys\nk1:" + "aa" * 8 + "\n", "line 2: the key has 8 bytes"),
        ("k1:" + "aa" * 32 + "\nk1:" + "bb" * 32 + "\n", "line 2: key id 'k1' appears twice"),
    ],
)
def test_a_malformed_key_file_is_refused_naming_the_line(tmp_path, content: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "audit.key"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(keyring.KeyFileError, match=message.replace("(", r"\(")):
        keyring.parse_key_file(path)
    with pytest.raises(keyring.KeyFileError):
        create_app(Settings(data_dir=tmp_path / "var", secret_key="k" * 48, audit_key_file=path))


def test_without_a_key_file_one_is_generated_under_the_data_dir_with_a_warning(
    engine: Engine, tmp_path, caplog
) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "var", secret_key="k" * 48, audit_key_file=None)
    app = create_app(settings, engine=engine)
    path = tmp_path / "var" / "audit.key"
    assert not path.exists()  # first use, not start-up
    with engine.connect() as conn, Session(bind=conn) as session, caplog.at_level(logging.WARNING):
        session.info[keyring.OPTION] = app.state.engine.get_execution_options()[keyring.OPTION]
        _write(session, 1)
        conn.rollback()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keyring.parse_key_file(path).current_id.startswith("k")
    assert any("generated the audit chain's HMAC key" in r.getMessage() for r in caplog.records)


def test_apps_with_different_data_dirs_use_their_own_keys(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    apps = [
        create_app(
            Settings(data_dir=tmp_path / name, secret_key="k" * 48, audit_key_file=None), engine=engine
        )
        for name in ("a", "b")
    ]
    rings = [a.state.engine.get_execution_options()[keyring.OPTION].get() for a in apps]
    assert rings[0].current_id != rings[1].current_id
    assert rings[0].source == tmp_path / "a" / "audit.key"
    with engine.connect() as conn, Session(bind=conn) as session:
        session.info[keyring.OPTION] = rings[0]
        _write(session, 2)
        assert audit.verify_chain(session, ring=rings[0]).ok
        assert audit.verify_chain(session, ring=rings[1]).ok is False
        conn.rollback()


def test_the_anchor_and_verify_commands_pass_then_catch_a_keyed_rewrite(fresh_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, engine = fresh_db
    with Session(engine) as session:
        ids = _write(session, 4)
        session.commit()
    out = tmp_path / "anchors.jsonl"
    first = runner.invoke(cli_app, ["audit", "anchor", "--db", url, "--to", str(out)])
    assert first.exit_code == 0 and f"anchored entry {ids[-1]}" in first.output
    line = json.loads(out.read_text(encoding="utf-8"))
    assert (line["entry_id"], line["key_id"]) == (ids[-1], keyring.ring_for(Session(engine)).current_id)
    ok = runner.invoke(cli_app, ["audit", "verify", str(out), "--db", url])
    assert ok.exit_code == 0 and "1 anchors checked" in ok.output
    with Session(engine) as session:
        ring = keyring.ring_for(session)
        _edit(session, ids[1])
        _recompute_from(session, ids[1], key=ring.keys[ring.current_id], key_id=ring.current_id)
        session.commit()
    bad = runner.invoke(cli_app, ["audit", "verify", str(out), "--db", url])
    assert bad.exit_code == 1 and f"first bad entry id {ids[-1]}" in bad.output
    refused = runner.invoke(cli_app, ["audit", "anchor", "--db", url, "--to", str(out)])
    assert refused.exit_code == 1 and len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_the_worker_anchors_on_its_interval(fresh_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.core.clock import fixed_clock
    from citycockpit.events.sla import DEFAULT_CALENDAR

    _, engine = fresh_db
    with Session(engine) as session:
        _write(session, 2)
        session.commit()
    out = tmp_path / "anchors.jsonl"
    settings = Settings(
        data_dir=tmp_path / "var", secret_key="k" * 48, audit_anchor_file=out, audit_anchor_minutes=60
    )
    clock = fixed_clock("2024-09-30T10:00:00")
    for _ in range(2):
        outcomes = {o.name: o for o in run_jobs_once(engine, clock, DEFAULT_CALENDAR, settings)}
        assert outcomes["audit_anchor"].error is None
    assert len(anchors.read_anchors(out)) == 1  # the second run was within audit_anchor_minutes
    with Session(engine) as session:
        assert anchors.verify(session, anchors.read_anchors(out)).anchors_checked == 1
    off = settings.model_copy(update={"audit_anchor_minutes": 0})
    assert "audit_anchor" not in {o.name for o in run_jobs_once(engine, clock, DEFAULT_CALENDAR, off)}


def test_the_api_and_the_audit_page_check_the_settings_anchor_file_and_the_page_says_why_in_chinese(
    client, db: Session, settings: Settings, admin, leader
) -> None:  # type: ignore[no-untyped-def]
    ids = _write(db, 3)
    anchors.append_anchor(anchors.anchor_file(settings), anchors.anchor_head(db, now=NOW, previous=[]))
    ok = client.get("/api/v1/audit/verify", headers=leader.headers).json()
    assert (ok["ok"], ok["anchors_checked"]) == (True, 1) and ok["keyed_from"] is not None
    ring = keyring.ring_for(db)
    _edit(db, ids[0])
    _recompute_from(db, ids[0], key=ring.keys[ring.current_id], key_id=ring.current_id)
    bad = client.get("/api/v1/audit/verify", headers=leader.headers).json()
    assert (bad["ok"], bad["first_bad_id"]) == (False, ids[-1])
    page = client.get("/app/admin/audit?verify=true", headers=admin.headers).text
    message = re.search(r'id="verify-result">([^<]*)<', page)
    assert message is not None and "锚点之前的哈希链被截断或重写" in message.group(1)
    assert re.search(r"[A-Za-z]", message.group(1)) is None  # no English, codes or reprs on a Chinese page
