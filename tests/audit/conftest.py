"""A fresh, committed database per backend, for tests that need real separate connections (the CLI,
concurrent writers). Dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from citycockpit import migrate
from citycockpit.db import make_engine
from tests.conftest import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[str, Engine]]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = create_postgres_database("audit")
    engine = make_engine(url)
    migrate.upgrade(engine)
    try:
        yield url, engine
    finally:
        engine.dispose()
        if request.param == "postgresql":
            drop_postgres_database(url)
