"""Migrations build the schema from nothing, match the models, and go back down, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect

from citycockpit import migrate
from citycockpit.db import make_engine
from tests.conftest import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield eng
        eng.dispose()
        return
    url = create_postgres_database("mig")
    eng = make_engine(url)
    yield eng
    eng.dispose()
    drop_postgres_database(url)


def test_upgrade_to_head_matches_the_models_and_downgrade_empties_the_schema(empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert migrate.is_at_head(empty_engine)
    assert {"areas", "departments", "users", "audit_entries"} <= set(inspect(empty_engine).get_table_names())
    assert migrate.pending_model_changes(empty_engine) == []

    migrate.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(empty_engine)
    assert migrate.is_at_head(empty_engine)
