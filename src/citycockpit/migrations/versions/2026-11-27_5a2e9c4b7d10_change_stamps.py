"""change_stamps: a random token per watched table (areas, event_categories, departments), renewed by
triggers on every write to it, so the intake writer keeps the grid index, the minor categories and the
departments between batches and checks each with one primary-key read: the grid index was checked by an
aggregate over every grid's polygon text (0.66 ms a batch on SQLite with 199 polygons of 5 kB, growing
with the grids), and the categories and departments were read again by every batch.

A later migration that rebuilds a watched table with SQLite's batch mode drops these triggers and must
create them again (the SQL below).

Revision ID: 5a2e9c4b7d10
Revises: c3f8a1d6e2b7
Create Date: 2026-11-27 03:20:00.000000
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a2e9c4b7d10"
down_revision: str | Sequence[str] | None = "c3f8a1d6e2b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("areas", "event_categories", "departments")
PG_FUNCTION = "change_stamp_renew"
SQLITE_EVENTS = ("insert", "update", "delete")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "change_stamps",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_stamps")),
    )
    for table in WATCHED:
        op.execute(
            sa.text("INSERT INTO change_stamps (name, token) VALUES (:name, :token)").bindparams(
                name=table, token=secrets.token_hex(16)
            )
        )
    if _postgresql():
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE change_stamps SET token = md5(random()::text || clock_timestamp()::text) "
            "WHERE name = TG_ARGV[0]; RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER change_stamp_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}('{table}')"
            )
        return
    for table in WATCHED:
        for event in SQLITE_EVENTS:
            op.execute(
                f"CREATE TRIGGER change_stamp_{table}_{event} AFTER {event.upper()} ON {table} BEGIN "
                f"UPDATE change_stamps SET token = lower(hex(randomblob(16))) WHERE name = '{table}'; END"
            )


def downgrade() -> None:
    for table in WATCHED:
        if _postgresql():
            op.execute(f"DROP TRIGGER IF EXISTS change_stamp_{table} ON {table}")
        else:
            for event in SQLITE_EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS change_stamp_{table}_{event}")
    if _postgresql():
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    op.drop_table("change_stamps")
