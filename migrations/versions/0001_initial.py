"""Initial bank: decks, cards, per-learner card states, append-only review log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quizkit.storage.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("anki_id", sa.BigInteger(), nullable=True),
        sa.Column("source_dir", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_decks"),
        sa.UniqueConstraint("key", name="uq_decks_key"),
    )
    op.create_table(
        "cards",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("deck_id", sa.Integer(), nullable=False),
        sa.Column("fact", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("style", sa.String(20), nullable=False),
        sa.Column("front", sa.Text(), nullable=False),
        sa.Column("back", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("media", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=True),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["deck_id"], ["decks.id"], name="fk_cards_deck_id_decks"),
        sa.PrimaryKeyConstraint("id", name="pk_cards"),
    )
    op.create_index("ix_cards_deck_position", "cards", ["deck_id", "retired_at", "position"])
    op.create_table(
        "card_states",
        sa.Column("card_id", sa.String(32), nullable=False),
        sa.Column("learner", sa.String(100), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("ef", sa.Integer(), nullable=False),
        sa.Column("repetitions", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("leech", sa.Boolean(), nullable=False),
        sa.Column("last_review", UTCDateTime(), nullable=True),
        sa.Column("first_review_day", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name="fk_card_states_card_id_cards"),
        sa.PrimaryKeyConstraint("card_id", "learner", name="pk_card_states"),
    )
    op.create_index("ix_card_states_learner_due", "card_states", ["learner", "due"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("card_id", sa.String(32), nullable=False),
        sa.Column("learner", sa.String(100), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.Column("study_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("undoes", sa.Integer(), nullable=True),
        sa.Column("due_before", sa.Date(), nullable=True),
        sa.Column("interval_before", sa.Integer(), nullable=False),
        sa.Column("ef_before", sa.Integer(), nullable=False),
        sa.Column("reps_before", sa.Integer(), nullable=False),
        sa.Column("lapses_before", sa.Integer(), nullable=False),
        sa.Column("suspended_before", sa.Boolean(), nullable=False),
        sa.Column("leech_before", sa.Boolean(), nullable=False),
        sa.Column("last_review_before", UTCDateTime(), nullable=True),
        sa.Column("first_day_before", sa.Date(), nullable=True),
        sa.Column("due_after", sa.Date(), nullable=True),
        sa.Column("interval_after", sa.Integer(), nullable=False),
        sa.Column("ef_after", sa.Integer(), nullable=False),
        sa.Column("reps_after", sa.Integer(), nullable=False),
        sa.Column("lapses_after", sa.Integer(), nullable=False),
        sa.Column("suspended_after", sa.Boolean(), nullable=False),
        sa.Column("leech_after", sa.Boolean(), nullable=False),
        sa.Column("last_review_after", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name="fk_reviews_card_id_cards"),
        sa.ForeignKeyConstraint(["undoes"], ["reviews.id"], name="fk_reviews_undoes_reviews"),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
    )
    op.create_index("ix_reviews_learner_day", "reviews", ["learner", "study_day"])
    op.create_index("ix_reviews_card", "reviews", ["card_id"])


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("card_states")
    op.drop_table("cards")
    op.drop_table("decks")
