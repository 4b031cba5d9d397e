"""Real server processes for the multi-process and fault tests (loopback only)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import httpx

from citycockpit import migrate
from citycockpit.auth.tokens import create_token
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events import categories
from citycockpit.org import service as org
from tests.conftest import with_audit_keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def kill(self) -> None:
        """kill -9: no shutdown handlers, no flushing."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(
    database_url: str,
    tmp: Path,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "CITYCOCKPIT_DATABASE_URL": database_url,
        "CITYCOCKPIT_DATA_DIR": str(tmp / "var"),
        "CITYCOCKPIT_SECRET_KEY": "s" * 48,
        "CITYCOCKPIT_TODAY": "2024-09-30",
        "CITYCOCKPIT_INTAKE_WRITER": "process",  # the default (tests/conftest.py sets in-process apps' to thread)
        **(extra_env or {}),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "citycockpit", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process, log, env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"server did not become ready:\n{log.read_text(errors='replace')[-3000:]}")


def prepare_intake_database(url: str, *, scopes: tuple[str, ...] = ("events:create",)) -> str:
    """Migrate the database, import the demo organisation and the shipped categories, and return the
    secret of a new API token with `scopes` (Open311 intake's `api_key` by default)."""
    actor = SystemActor("tests")
    engine = with_audit_keys(make_engine(url))
    migrate.upgrade(engine)
    now = fixed_clock("2024-09-30T10:00:00").now()
    with session_scope(engine) as s:
        org_file = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
        org.import_org(s, org_file, "taicang-org.yaml", actor=actor, now=now)
        categories.import_categories(s, categories.shipped_categories_file(), "c.yaml", actor=actor, now=now)
        secret = create_token(s, name="tests", scopes=list(scopes), actor=actor, now=now).secret
    engine.dispose()
    return secret
