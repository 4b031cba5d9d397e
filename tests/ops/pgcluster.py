"""A private PostgreSQL server for fault tests, so stopping it disturbs nobody else.

It runs the machine's own PostgreSQL binaries as the `postgres` OS user on a free loopback port."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ops.servers import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@dataclass
class PrivatePostgres:
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        cmd = [_bin("pg_ctl") or "pg_ctl", "-D", str(self.root / "data"), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    def start(self) -> None:
        self._ctl(
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")


def private_postgres() -> PrivatePostgres:
    initdb = _bin("initdb")
    if not initdb:
        if os.environ.get("CI"):
            pytest.fail("initdb is needed for the PostgreSQL fault tests")
        pytest.skip("initdb not found")
    root = Path(tempfile.mkdtemp(prefix="cc-pg-"))
    cmd = [initdb, "-D", str(root / "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True)
    server = PrivatePostgres(root, free_port())
    server.start()
    return server
