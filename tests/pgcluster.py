"""A throw-away PostgreSQL primary and its streaming replica, each its own cluster in a temporary folder
on a free port: `initdb`, then `pg_basebackup -R` (the replica's `primary_conninfo` and standby.signal),
as an operator would set a replica up. Needs the server binaries (`pg_ctl` on PATH, or Debian's
/usr/lib/postgresql/<version>/bin); as root the clusters run as the `postgres` user (the server refuses
to run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

# Settings for speed, not durability: the clusters live for one test module.
_FAST = """
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = replica
max_wal_senders = 4
wal_keep_size = 64MB
shared_buffers = 16MB
max_connections = 60
"""


class ClusterError(RuntimeError):
    pass


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[-3]))
    for candidate in [Path(found).resolve() for found in [found] if found] + [
        Path(v) for v in versions[::-1]
    ]:
        if all((candidate.parent / tool).exists() for tool in ("initdb", "pg_basebackup", "postgres")):
            return candidate.parent
    raise ClusterError("no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) found")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ReplicaPair:
    root: Path
    bin_dir: Path
    run_as: str | None
    primary_port: int = field(default_factory=_free_port)
    replica_port: int = field(default_factory=_free_port)

    @property
    def primary_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.primary_port}/postgres"

    @property
    def replica_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.replica_port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode:
            raise ClusterError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")

    def _pg_ctl(self, name: str, action: str, port: int | None = None) -> None:
        args = ["pg_ctl", "-D", str(self.root / name), "-l", str(self.root / f"{name}.log"), "-w"]
        if port is not None:
            args += ["-o", f"-p {port} -k {self.root}"]
        if action == "stop":
            args += ["-m", "fast"]
        self._run(*args, action)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.root / "primary"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "-N", "--no-instructions")  # fmt: skip
        conf = self.root / "primary" / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as f:
            f.write(_FAST)
        self._pg_ctl("primary", "start", self.primary_port)
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                  "-D", str(self.root / "replica"), "-R", "-X", "stream", "-c", "fast", "-N")  # fmt: skip
        self.start_replica()

    def start_replica(self) -> None:
        self._pg_ctl("replica", "start", self.replica_port)
        self.wait_streaming()

    def stop_replica(self) -> None:
        self._pg_ctl("replica", "stop")

    def replica_sql(self, sql: str) -> object:
        engine = create_engine(self.replica_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql)).scalar()
        finally:
            engine.dispose()

    def pause_replay(self) -> None:
        self.replica_sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.replica_sql("SELECT pg_wal_replay_resume()")

    def wait_streaming(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.replica_sql("SELECT status FROM pg_stat_wal_receiver") == "streaming":
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise ClusterError("the replica did not start streaming from the primary")
            time.sleep(0.05)

    def wait_replayed(self, timeout: float = 30) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        primary = create_engine(self.primary_url)
        try:
            with primary.connect() as conn:
                lsn = conn.execute(text("SELECT CAST(pg_current_wal_lsn() AS text)")).scalar_one()
        finally:
            primary.dispose()
        deadline = time.monotonic() + timeout
        while not self.replica_sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"):
            if time.monotonic() > deadline:
                raise ClusterError(f"the replica did not replay up to {lsn}")
            time.sleep(0.02)

    def stop(self) -> None:
        for name in ("replica", "primary"):
            if (self.root / name / "postmaster.pid").exists():
                try:
                    self._run("pg_ctl", "-D", str(self.root / name), "-m", "immediate", "-w", "stop")
                except ClusterError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)


def start_replica_pair() -> ReplicaPair:
    """Start a primary and a replica streaming from it; `stop()` removes both."""
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ClusterError("running as root, but there is no `postgres` user to run the server") from exc
        run_as = "postgres"
    root = Path(tempfile.mkdtemp(prefix="cc-replica-"))
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    root.chmod(0o700)
    pair = ReplicaPair(root=root, bin_dir=_bin_dir(), run_as=run_as)
    try:
        pair.start()
    except BaseException:
        pair.stop()
        raise
    return pair
