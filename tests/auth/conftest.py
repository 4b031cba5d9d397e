"""Auth test helpers: sign in through the real endpoints, advance the injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from citycockpit.core.clock import Clock
from tests.builders import PERSONA_PASSWORD


def advance(clock: Clock, **delta: float) -> None:
    """Move the fixed test clock forward."""
    assert clock.fixed is not None
    clock.fixed = clock.fixed + timedelta(**delta)


def api_login(client: TestClient, username: str, password: str = PERSONA_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


@pytest.fixture
def anon(client: TestClient) -> TestClient:
    """The client with no cookies (personas send theirs as headers)."""
    client.cookies.clear()
    return client
