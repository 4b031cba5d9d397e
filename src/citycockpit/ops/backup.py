"""Online backup and restore for both engines, each checked: same row counts, audit chain intact.

SQLite uses the online backup API (safe while the server writes). PostgreSQL uses pg_dump in custom
format, taken inside an exported snapshot so the row counts in the manifest describe exactly the dump.

Event photos (files under `<data_dir>/photos`, content-addressed) are copied after the database, into
a folder beside the backup (`<out>.photos/`), and the manifest counts them: every photo row in the
copy had its files written before its transaction committed, so the folder holds all of them (and
perhaps a few newer files no row in the copy names, which are harmless)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from citycockpit import migrate
from citycockpit.audit.service import verify_chain
from citycockpit.core import keyring
from citycockpit.core.errors import AppError
from citycockpit.db import make_engine


class BackupFailed(AppError):
    status, code, title = 500, "backup_failed", "Backup failed"


class RestoreFailed(AppError):
    status, code, title = 500, "restore_failed", "Restore failed"


@dataclass
class Check:
    counts: dict[str, int]
    audit_ok: bool
    audit_checked: int
    audit_first_bad: int | None
    revision: str | None
    photo_files: int | None = None


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def table_counts(conn: Any, tables: list[str]) -> dict[str, int]:
    return {t: int(conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()) for t in sorted(tables)}


def check_database(engine: Engine) -> Check:
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as conn:
        counts = table_counts(conn, tables)
    with Session(bind=engine) as session:
        chain = verify_chain(session)
    return Check(counts, chain.ok, chain.checked, chain.first_bad_id, migrate.current_revision(engine))


def _libpq_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _photos_path(path: Path) -> Path:
    return path.with_name(path.name + ".photos")


def _photo_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*/*") if p.is_file() and not p.name.startswith("."))


def _copy_photos(source: Path, target: Path) -> dict[str, int]:
    """Copy every photo file from `source` to `target` (same layout; a file already there is kept, its
    name being its content's hash) and count them."""
    files, size = 0, 0
    for path in _photo_files(source):
        dest = target / path.parent.name / path.name
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.partial")
            shutil.copyfile(path, tmp)
            tmp.replace(dest)
        files += 1
        size += path.stat().st_size
    return {"files": files, "bytes": size}


def _write_manifest(
    out: Path,
    engine: Engine,
    counts: dict[str, int],
    check: Check | None,
    photos_dir: Path | None = None,
) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "engine": engine.dialect.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": migrate.current_revision(engine),
        "counts": counts,
        "audit_ok": check.audit_ok if check else None,
        "audit_checked": check.audit_checked if check else None,
    }
    if photos_dir is not None:
        folder = _photos_path(out)
        if folder.exists():
            shutil.rmtree(folder)
        manifest["photos"] = {"folder": folder.name, **_copy_photos(photos_dir, folder)}
    _manifest_path(out).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def backup(engine: Engine, out: Path, photos_dir: Path | None = None) -> dict[str, Any]:
    """Write a consistent copy of the database to `out` (+ `out.manifest.json`) and check it; with
    `photos_dir`, copy the event photos after it into `out.photos/` and count them in the manifest."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = make_url(str(engine.url)).database
        if not source or source == ":memory:":
            raise BackupFailed("Only a file-backed SQLite database can be backed up")
        tmp = out.with_name(out.name + ".partial")
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(source)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=4096)
        finally:
            dst.close()
            src.close()
        copy = keyring.same_keys(engine, make_engine(f"sqlite:///{tmp}"))
        try:
            check = check_database(copy)
        finally:
            copy.dispose()
        tmp.replace(out)
        return _write_manifest(out, engine, check.counts, check, photos_dir)

    if not shutil.which("pg_dump"):
        raise BackupFailed("pg_dump is not installed (Debian: postgresql-client)")
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        counts = table_counts(conn, tables)
        result = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--snapshot={snapshot}",
                f"--file={out}",
                _libpq_url(str(engine.url)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        conn.rollback()
    if result.returncode != 0:
        raise BackupFailed(f"pg_dump failed: {result.stderr.strip()[:500]}")
    with Session(bind=engine) as session:
        chain = verify_chain(session)
    return _write_manifest(
        out, engine, counts, Check(counts, chain.ok, chain.checked, chain.first_bad_id, None), photos_dir
    )


def restore(engine: Engine, source: Path, photos_dir: Path | None = None) -> Check:
    """Replace the database's contents with the backup `source`, then check it against the manifest;
    with `photos_dir`, first copy the backup's photos there (files already present are kept) after
    checking that the backup's photo folder holds as many files as its manifest counts."""
    if not source.exists():
        raise RestoreFailed(f"Backup file {source} does not exist")
    manifest_file = _manifest_path(source)
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else None
    if manifest and manifest["engine"] != engine.dialect.name:
        raise RestoreFailed(f"{source} is a {manifest['engine']} backup; the target is {engine.dialect.name}")
    photos = manifest.get("photos") if manifest else None
    if photos_dir is not None and photos:
        folder = source.with_name(photos["folder"])
        found = len(_photo_files(folder))
        if found != photos["files"]:
            raise RestoreFailed(
                f"The backup's photo folder {folder} holds {found} files; its manifest counts {photos['files']}"
            )
        _copy_photos(folder, photos_dir)
    if engine.dialect.name == "sqlite":
        target = make_url(str(engine.url)).database
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise RestoreFailed(f"{source} is not a sound SQLite database")
        except sqlite3.DatabaseError as exc:
            raise RestoreFailed(f"{source} is not an SQLite database: {exc}") from exc
        engine.dispose()
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        if not shutil.which("pg_restore"):
            raise RestoreFailed("pg_restore is not installed (Debian: postgresql-client)")
        engine.dispose()
        result = subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(str(engine.url))}",
                str(source),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RestoreFailed(f"pg_restore failed: {result.stderr.strip()[:500]}")
    check = check_database(engine)
    if not check.audit_ok:
        raise RestoreFailed(
            f"The restored audit log does not verify (first bad entry {check.audit_first_bad})"
        )
    if manifest and manifest["counts"] != check.counts:
        diff = {
            t: (manifest["counts"].get(t), check.counts.get(t))
            for t in set(manifest["counts"]) | set(check.counts)
            if manifest["counts"].get(t) != check.counts.get(t)
        }
        raise RestoreFailed(f"Row counts differ from the backup's manifest: {diff}")
    if photos_dir is not None:
        check.photo_files = len(_photo_files(photos_dir))
    return check
