"""Backups are consistent copies that restore with the same row counts and an intact audit chain."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from citycockpit import migrate
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.ops.backup import RestoreFailed, backup, check_database, restore
from citycockpit.org import service as org
from tests.conftest import create_postgres_database, drop_postgres_database

TAICANG = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """A migrated source database with data, and an empty target of the same engine."""
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}"]
    else:
        urls = [create_postgres_database("bks"), create_postgres_database("bkt")]
    source, target = make_engine(urls[0]), make_engine(urls[1])
    migrate.upgrade(source)
    with session_scope(source) as session:
        org.import_org(
            session,
            TAICANG,
            "taicang-org.yaml",
            actor=SystemActor("test"),
            now=fixed_clock("2024-09-30T10:00:00").now(),
        )
    yield source, target
    source.dispose()
    target.dispose()
    if request.param == "postgresql":
        for url in urls:
            drop_postgres_database(url)


def test_a_backup_restores_with_the_same_row_counts_and_a_verified_audit_chain(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source, target = pair
    out = tmp_path / "backup.bin"
    manifest = backup(source, out)
    assert manifest["counts"]["areas"] > 100 and manifest["audit_ok"] is True
    check = restore(target, out)
    assert check.counts == check_database(source).counts
    assert check.audit_ok and check.audit_checked == manifest["counts"]["audit_entries"]
    assert migrate.is_at_head(target)


def test_a_restore_whose_audit_chain_was_tampered_with_is_refused(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source, target = pair
    with source.begin() as conn:
        conn.execute(
            text("UPDATE audit_entries SET diff_json = '{}' WHERE id = (SELECT MIN(id) FROM audit_entries)")
        )
    out = tmp_path / "backup.bin"
    assert backup(source, out)["audit_ok"] is False
    with pytest.raises(RestoreFailed, match="audit log does not verify"):
        restore(target, out)


def test_restoring_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    target = make_engine(f"sqlite:///{tmp_path / 'target.db'}")
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RestoreFailed, match="not an SQLite database"):
        restore(target, bogus)
    target.dispose()
