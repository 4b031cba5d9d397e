"""A full disk or a read-only disk under the SQLite file gives a clear error, and the database stays sound.

These tests mount a small tmpfs (the machine's CI runs as root); where mounting is not allowed they skip
with the reason."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from citycockpit import migrate
from citycockpit.app import create_app
from citycockpit.auth import tokens
from citycockpit.config import Settings
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from tests.conftest import with_audit_keys

CSV = "code,name,kind\n{code},测试单位{code},委办局\n"


def _mount(path: Path, *options: str) -> bool:
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if not _mount(mount_point, "size=16m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _app_on(db_file: Path, tmp_path: Path) -> tuple[TestClient, dict[str, str], object]:
    engine = with_audit_keys(make_engine(f"sqlite:///{db_file}", busy_timeout_ms=500))
    migrate.upgrade(engine)
    clock = fixed_clock("2024-09-30T10:00:00")
    with session_scope(engine) as session:
        secret = tokens.create_token(
            session, name="ops", scopes=["org:write", "org:read"], actor=SystemActor("t"), now=clock.now()
        ).secret
    settings = Settings(data_dir=tmp_path / "var", secret_key="k" * 40, today=date(2024, 9, 30))
    app = create_app(settings, engine=engine, clock=clock)
    return TestClient(app, raise_server_exceptions=False), {"Authorization": f"Bearer {secret}"}, engine


def _import(client: TestClient, headers: dict[str, str], code: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/org/import",
        headers=headers,
        files={"file": ("d.csv", CSV.format(code=code).encode(), "text/csv")},
    )


def _sound(db_file: Path) -> bool:
    conn = sqlite3.connect(db_file)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_a_full_disk_answers_507_and_leaves_the_database_sound(small_disk: Path, tmp_path: Path) -> None:
    db_file = small_disk / "cc.db"
    client, headers, engine = _app_on(db_file, tmp_path)
    assert _import(client, headers, "A1").status_code == 200
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as f:  # unbuffered: the last partial write must not fail at close
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    for i in range(30):  # keep writing until the WAL needs a page the disk cannot give
        r = _import(client, headers, f"B{i}" + "X" * 20)
        if r.status_code != 200:
            break
    assert r.status_code == 507, r.text
    assert r.json()["code"] == "storage_full" and "disk is full" in r.json()["detail"]
    filler.unlink()
    assert _import(client, headers, "C1").status_code == 200
    assert client.get("/api/v1/org/departments", headers=headers).json()["total"] >= 2
    engine.dispose()  # type: ignore[attr-defined]
    assert _sound(db_file)


def test_a_read_only_disk_answers_a_clear_503_and_leaves_the_database_sound(
    small_disk: Path, tmp_path: Path
) -> None:
    db_file = small_disk / "cc.db"
    client, headers, engine = _app_on(db_file, tmp_path)
    assert _import(client, headers, "A1").status_code == 200
    engine.dispose()  # type: ignore[attr-defined]
    if subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=False).returncode != 0:
        pytest.skip("cannot remount read-only here")
    try:
        r = _import(client, headers, "B1")
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "database_read_only"
        assert "read-only" in r.json()["detail"] and "nothing was changed" in r.json()["detail"]
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert _sound(db_file)
    assert _import(client, headers, "C1").status_code == 200
