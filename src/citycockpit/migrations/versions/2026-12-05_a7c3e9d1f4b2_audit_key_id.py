"""audit_entries.key_id: the id of the HMAC key an entry's hash was made with (NULL: the old unkeyed
SHA-256 chain, which stays verifiable as before; the keyed part of the chain starts at the first entry
with a key id).

Revision ID: a7c3e9d1f4b2
Revises: c7a1e4b9d2f6
Create Date: 2026-12-05 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e9d1f4b2"
down_revision: str | Sequence[str] | None = "c7a1e4b9d2f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("key_id")
