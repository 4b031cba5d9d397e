"""A served app's intake writer process lives and ends with its server: stopped gracefully (SIGTERM to
the server alone) it writes what it holds and ends; with its server killed (-9, the child untouched) it
sees its socket close and ends too. No writer process outlives its server."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.events.conftest import GRID_A
from tests.ops.servers import prepare_intake_database, start_server

pytestmark = pytest.mark.slow


def _writer_children(root: int) -> list[int]:
    """The intake writer processes under `root` (its children running process_main, or its worker
    processes' children)."""
    parents: dict[int, int] = {}
    writers = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if b"citycockpit.events.intake.process_main" in f.read():
                    writers.append(int(entry))
        except OSError:
            continue

    def under_root(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == root:
                return True
        return False

    return sorted(pid for pid in writers if under_root(pid))


def _gone(pid: int, within: float = 15) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":  # ended, not yet reaped
                    return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_no_writer_process_outlives_its_server(tmp_path: Path, how: str) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    key = prepare_intake_database(url)
    server = start_server(url, tmp_path)
    try:
        [child] = _writer_children(server.process.pid)  # started with the server, before any request
        form = {"api_key": key, "service_code": "E0102", "lat": str(GRID_A[0]), "long": str(GRID_A[1])}
        r = httpx.post(f"{server.url}/open311/v2/requests.json", data={**form, "description": "路口垃圾"})
        assert r.status_code == 201
        os.kill(server.process.pid, signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        server.process.wait(timeout=20)
        assert _gone(child), "the intake writer process outlived its server"
    finally:
        server.kill()


def test_each_worker_has_its_writer_process_and_metrics_name_only_the_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    key = prepare_intake_database(url, scopes=("events:create", "metrics:read"))
    server = start_server(url, tmp_path, workers=2)
    try:
        writers = _writer_children(server.process.pid)
        assert len(writers) == 2
        form = {"api_key": key, "service_code": "E0102", "lat": str(GRID_A[0]), "long": str(GRID_A[1])}
        for i in range(4):
            r = httpx.post(f"{server.url}/open311/v2/requests.json", data={**form, "description": f"垃圾{i}"})
            assert r.status_code == 201
        text = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {key}"}).text
        assert "citycockpit_intake_batch_size_count" in text
        named = set(re.findall(r'pid="(\d+)"', text))
        assert named and not named & {str(pid) for pid in writers}  # the workers' series only
    finally:
        server.stop()
    assert all(_gone(pid) for pid in writers)
