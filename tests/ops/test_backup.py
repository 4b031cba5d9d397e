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
from tests.conftest import create_postgres_database, drop_postgres_database, with_audit_keys

TAICANG = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """A migrated source database with data, and an empty target of the same engine."""
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}"]
    else:
        urls = [create_postgres_database("bks"), create_postgres_database("bkt")]
    source, target = with_audit_keys(make_engine(urls[0])), with_audit_keys(make_engine(urls[1]))
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
    target = with_audit_keys(make_engine(f"sqlite:///{tmp_path / 'target.db'}"))
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RestoreFailed, match="not an SQLite database"):
        restore(target, bogus)
    target.dispose()


def test_backup_and_restore_carry_the_event_photos_and_the_manifest_counts_them(tmp_path: Path) -> None:
    """Through the CLI, on SQLite: photos stored by the intake are copied beside the backup, counted in
    its manifest, and restored into another data folder, where the event's photo opens again."""
    import json

    from typer.testing import CliRunner

    from citycockpit.cli import app as cli_app
    from citycockpit.events import categories as cats
    from citycockpit.events import photos
    from citycockpit.events.intake import service as intake
    from tests.builders import make_small_city
    from tests.events.conftest import CATEGORY_YAML, GRID_A, TESTER
    from tests.events.photo_files import camera_jpeg, png

    now = fixed_clock("2024-09-30T10:00:00").now()
    source_dir, target_dir = tmp_path / "var", tmp_path / "restored"
    source = with_audit_keys(make_engine(f"sqlite:///{tmp_path / 'source.db'}"))
    migrate.upgrade(source)
    store = photos.PhotoStore(source_dir / "photos")
    with session_scope(source) as session:
        make_small_city(session, now=now)
        cats.import_categories(session, CATEGORY_YAML.encode(), "c.yaml", actor=TESTER, now=now)
        uploads = photos.prepare_photos([(camera_jpeg(), "a.jpg"), (png(), "b.png")], photos.PhotoLimits())
        event, _ = intake.report_with_photos(
            session,
            intake.EventInput(
                description="东门街口有一堆暴露垃圾", channel="patrol", lat=GRID_A[0], lon=GRID_A[1]
            ),
            uploads,
            store=store,
            actor=TESTER,
            now=now,
        )
        public_id = event.public_id
    source.dispose()
    runner = CliRunner()
    out = tmp_path / "backups" / "cc.db"
    out.parent.mkdir()  # a backup is written into a folder that exists (the CLI names a missing one)
    done = runner.invoke(
        cli_app,
        ["db", "backup", str(out), "--db", str(tmp_path / "source.db")],
        env={"CITYCOCKPIT_DATA_DIR": str(source_dir)},
    )
    assert done.exit_code == 0, done.output
    assert "6 photo files" in " ".join(done.output.split())
    manifest = json.loads((tmp_path / "backups" / "cc.db.manifest.json").read_text())
    assert manifest["photos"]["files"] == 6 and manifest["counts"]["event_photos"] == 2
    assert len(list((tmp_path / "backups" / "cc.db.photos").glob("*/*"))) == 6

    target_db = tmp_path / "target.db"
    target = with_audit_keys(make_engine(f"sqlite:///{target_db}"))
    migrate.upgrade(target)
    target.dispose()
    done = runner.invoke(
        cli_app,
        ["db", "restore", str(out), "--yes", "--db", str(target_db)],
        env={"CITYCOCKPIT_DATA_DIR": str(target_dir)},
    )
    assert done.exit_code == 0, done.output
    assert "6 photo files in the data folder" in " ".join(done.output.split())
    target = with_audit_keys(make_engine(f"sqlite:///{target_db}"))
    restored = photos.PhotoStore(target_dir / "photos")
    with session_scope(target) as session:
        from citycockpit.events.queries import get_event

        event = get_event(session, public_id)
        rows = photos.list_photos(session, event)
        assert len(rows) == 2
        for row in rows:
            path, media = photos.photo_file(
                session, event, row.id, "display", restored, original_allowed=False
            )
            assert path.read_bytes()[:2] == b"\xff\xd8" and media == "image/jpeg"
    target.dispose()


def test_a_restore_whose_photo_folder_lost_files_is_refused(tmp_path: Path) -> None:
    source = with_audit_keys(make_engine(f"sqlite:///{tmp_path / 'source.db'}"))
    migrate.upgrade(source)
    photos_dir = tmp_path / "var" / "photos" / "ab"
    photos_dir.mkdir(parents=True)
    for name in ("ab1.jpg", "ab1.display.jpg"):
        (photos_dir / name).write_bytes(b"\xff\xd8 not really")
    out = tmp_path / "b.db"
    assert backup(source, out, photos_dir=tmp_path / "var" / "photos")["photos"]["files"] == 2
    next((tmp_path / "b.db.photos").glob("*/*")).unlink()
    target = with_audit_keys(make_engine(f"sqlite:///{tmp_path / 'target.db'}"))
    with pytest.raises(RestoreFailed, match="holds 1 files; its manifest counts 2"):
        restore(target, out, photos_dir=tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    source.dispose()
    target.dispose()
