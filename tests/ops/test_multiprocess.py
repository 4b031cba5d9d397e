"""Two server processes on one PostgreSQL database behave as one service: what one writes, the other
serves; a session opened on one is valid on the other (nothing lives in process memory)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from citycockpit import migrate
from citycockpit.auth import tokens
from citycockpit.auth.sessions import COOKIE_NAME, start_session
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.db import make_engine, session_scope
from tests.builders import make_persona
from tests.conftest import create_postgres_database, drop_postgres_database, with_audit_keys
from tests.ops.servers import Server, start_server

pytestmark = pytest.mark.slow


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[Server, Server, str]]:
    url = create_postgres_database("mp")
    engine = with_audit_keys(make_engine(url))
    migrate.upgrade(engine)
    engine.dispose()
    servers = [start_server(url, tmp_path), start_server(url, tmp_path)]
    yield servers[0], servers[1], url
    for server in servers:
        server.stop()
    drop_postgres_database(url)


def test_two_processes_share_writes_tokens_and_sessions(two_servers) -> None:  # type: ignore[no-untyped-def]
    a, b, url = two_servers
    engine = with_audit_keys(make_engine(url))
    now = Clock(zone=ZoneInfo("Asia/Shanghai"), today=date(2024, 9, 30)).now()  # the servers' simulated clock
    with session_scope(engine) as session:
        secret = tokens.create_token(
            session, name="ops", scopes=["org:write", "org:read"], actor=SystemActor("t"), now=now
        ).secret
        persona = make_persona(session, "leader1", "leader", now=now)
        cookie = start_session(session, persona.user, now=now).cookie
    engine.dispose()
    bearer = {"Authorization": f"Bearer {secret}"}
    for i in range(5):
        server = (a, b)[i % 2]
        csv = f"code,name,kind\nD{i},单位{i},委办局\n".encode()
        r = httpx.post(
            f"{server.url}/api/v1/org/import", headers=bearer, files={"file": ("d.csv", csv, "text/csv")}
        )
        assert r.status_code == 200, r.text
    for server in (a, b):
        r = httpx.get(f"{server.url}/api/v1/org/departments", headers=bearer)
        assert r.json()["total"] == 5
        r = httpx.get(f"{server.url}/api/v1/org/departments", cookies={COOKIE_NAME: cookie})
        assert r.status_code == 200
    assert httpx.get(f"{a.url}/api/v1/org/departments").status_code == 401
