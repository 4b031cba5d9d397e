"""The 主要预期目标 node carries no number: the report does not number it, and "〇" made the task areas
read 〇、主要预期目标 before 一、… (issue 20). Data only: clears the number of that top-level node.

Revision ID: 4b8d2e6f1a93
Revises: b4e7d2a9c316
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b8d2e6f1a93"
down_revision: str | Sequence[str] | None = "b4e7d2a9c316"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TITLE = "主要预期目标"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE goal_nodes SET number = NULL WHERE number = :zero AND title = :title AND parent_id IS NULL"
        ).bindparams(zero="〇", title=TITLE)
    )


def downgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE goal_nodes SET number = :zero WHERE number IS NULL AND title = :title AND parent_id IS NULL"
        ).bindparams(zero="〇", title=TITLE)
    )
