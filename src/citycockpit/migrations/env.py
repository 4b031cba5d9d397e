"""Alembic environment: runs against the engine handed in by citycockpit.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from citycockpit.db import make_engine
from citycockpit.events.storage.partitions import include_in_comparison
from citycockpit.models import metadata

config = context.config


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from citycockpit.config import get_settings

    return make_engine(get_settings().resolved_database_url())


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,  # SQLite cannot ALTER constraints: batch mode
            compare_type=True,
            include_object=include_in_comparison(connection.dialect.name),
            user_module_prefix="citycockpit.db.",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `citycockpit db upgrade`")
run_migrations_online()
