"""The bank's tables (SQLAlchemy Core), the single source of truth for migrations.

Content (``decks``, ``cards``) is kept apart from learner state
(``card_states``, one row per card and learner) and the append-only
``reviews`` log.  Cards are never deleted: a card whose source is gone gets
``retired_at``; its state and reviews stay.  Types are portable (SQLite and
PostgreSQL); datetimes are stored as UTC and returned aware.

Core tables rather than ORM classes keep ``sqlalchemy.orm`` off the start-up
path of ``quizkit due`` and ``quizkit study`` (see benchmarks/).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (portable)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the bank; pass aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


decks = Table(
    "decks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("anki_id", BigInteger, nullable=True),
    Column("source_dir", Text, nullable=False, default=""),
    Column("settings", Text, nullable=False, default="{}"),  # JSON
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

cards = Table(
    "cards",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("deck_id", Integer, ForeignKey("decks.id"), nullable=False),
    Column("fact", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("style", String(20), nullable=False),
    Column("front", Text, nullable=False),
    Column("back", Text, nullable=False),
    Column("section", Text, nullable=False, default="[]"),  # JSON list
    Column("source_file", Text, nullable=False, default=""),
    Column("source_line", Integer, nullable=False, default=0),
    Column("tags", Text, nullable=False, default="[]"),  # JSON list
    Column("media", Text, nullable=False, default="[]"),  # JSON list
    Column("hint", Text, nullable=True),
    Column("aliases", Text, nullable=False, default="[]"),  # JSON list
    Column("choices", Text, nullable=False, default="[]"),  # JSON list of [text, correct]
    Column("extra", Text, nullable=False, default=""),
    Column("content_hash", String(40), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("retired_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_cards_deck_position", "deck_id", "retired_at", "position"),
)

card_states = Table(
    "card_states",
    metadata,
    Column("card_id", String(32), ForeignKey("cards.id"), nullable=False),
    Column("learner", String(100), nullable=False),
    Column("due", Date, nullable=True),
    Column("interval", Integer, nullable=False, default=0),
    Column("ef", Integer, nullable=False, default=2500),  # permille
    Column("repetitions", Integer, nullable=False, default=0),
    Column("lapses", Integer, nullable=False, default=0),
    Column("suspended", Boolean, nullable=False, default=False),
    Column("leech", Boolean, nullable=False, default=False),
    Column("last_review", UTCDateTime, nullable=True),
    Column("first_review_day", Date, nullable=True),
    # FSRS memory state (revision 0002): None until FSRS schedules the card.
    Column("stability", Float, nullable=True),
    Column("difficulty", Float, nullable=True),
    PrimaryKeyConstraint("card_id", "learner"),
    Index("ix_card_states_learner_due", "learner", "due"),
    # Revision 0003: "new cards introduced today" (daily limits) without a table scan.
    Index("ix_card_states_learner_first_day", "learner", "first_review_day"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("card_id", String(32), ForeignKey("cards.id"), nullable=False),
    Column("learner", String(100), nullable=False),
    Column("reviewed_at", UTCDateTime, nullable=False),
    Column("study_day", Date, nullable=False),
    # new | review | relearn | drill (step-7 re-drill) | undo | manual (suspend...)
    Column("kind", String(10), nullable=False),
    Column("grade", SmallInteger, nullable=True),
    Column("answer", Text, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("undoes", Integer, ForeignKey("reviews.id"), nullable=True),
    Column("due_before", Date, nullable=True),
    Column("interval_before", Integer, nullable=False),
    Column("ef_before", Integer, nullable=False),
    Column("reps_before", Integer, nullable=False),
    Column("lapses_before", Integer, nullable=False),
    Column("suspended_before", Boolean, nullable=False),
    Column("leech_before", Boolean, nullable=False),
    Column("last_review_before", UTCDateTime, nullable=True),
    Column("first_day_before", Date, nullable=True),
    Column("due_after", Date, nullable=True),
    Column("interval_after", Integer, nullable=False),
    Column("ef_after", Integer, nullable=False),
    Column("reps_after", Integer, nullable=False),
    Column("lapses_after", Integer, nullable=False),
    Column("suspended_after", Boolean, nullable=False),
    Column("leech_after", Boolean, nullable=False),
    Column("last_review_after", UTCDateTime, nullable=True),
    # Revision 0002: which scheduler set the "after" state, and FSRS's memory state.
    Column("scheduler", String(10), nullable=False, default="sm2", server_default="sm2"),
    Column("stability_before", Float, nullable=True),
    Column("difficulty_before", Float, nullable=True),
    Column("stability_after", Float, nullable=True),
    Column("difficulty_after", Float, nullable=True),
    Index("ix_reviews_learner_day", "learner", "study_day"),
    Index("ix_reviews_card", "card_id"),
    # Revision 0003: the few undo rows, found without scanning the log ("not undone" filters).
    # A plain index: a partial one (WHERE undoes IS NOT NULL) needs dialect arguments, and
    # validating postgresql_where imports the PostgreSQL dialect (~30 ms) on every start-up.
    Index("ix_reviews_undoes", "undoes"),
)

# Revision 0003: where a learner's new cards start in a deck.  Every active card of the
# deck with a position below ``position`` has been reviewed or suspended by the learner,
# so the walk for new cards (source order) starts here instead of at the top of the deck.
# Derived learner state, kept by the bank's writers (storage/cursors.py); a missing row
# means "start at the top", which is always correct, only slower.
new_card_cursors = Table(
    "new_card_cursors",
    metadata,
    Column("learner", String(100), nullable=False),
    Column("deck_id", Integer, ForeignKey("decks.id"), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("learner", "deck_id"),
)
