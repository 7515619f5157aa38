"""FSRS: memory state on card states, scheduler and memory state in the review log.

Every new column is nullable or has a server default, so rows written by
code that does not know them (imports, older tools) stay valid.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("card_states") as batch:
        batch.add_column(sa.Column("stability", sa.Float(), nullable=True))
        batch.add_column(sa.Column("difficulty", sa.Float(), nullable=True))
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("scheduler", sa.String(10), nullable=False, server_default="sm2"))
        batch.add_column(sa.Column("stability_before", sa.Float(), nullable=True))
        batch.add_column(sa.Column("difficulty_before", sa.Float(), nullable=True))
        batch.add_column(sa.Column("stability_after", sa.Float(), nullable=True))
        batch.add_column(sa.Column("difficulty_after", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        for name in ("difficulty_after", "stability_after", "difficulty_before", "stability_before"):
            batch.drop_column(name)
        batch.drop_column("scheduler")
    with op.batch_alter_table("card_states") as batch:
        batch.drop_column("difficulty")
        batch.drop_column("stability")
