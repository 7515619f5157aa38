"""Where each learner's new cards start in each deck (table ``new_card_cursors``).

New cards are shown in source order: the first cards of a deck that the
learner has neither reviewed nor suspended.  Finding them by walking the deck
from the top costs one state lookup per card already seen — 60k lookups once a
learner is 60k cards into a 100k-card deck, on every ``quizkit due`` and every
``quizkit study`` start.  A cursor row keeps the position where that walk may
start instead.

The invariant: every *active* card of the deck whose position is below the
cursor has a state row for the learner that is reviewed or suspended.  A
missing row means position 0 — always correct, only slower.  So writers only
ever need to do one of two things:

* :func:`lower` when a card may have become new below the cursor (compile
  added, revived or moved cards; undo of a first review; unsuspending a card
  never reviewed);
* :func:`advance` when cards stopped being new (a first review, a suspension),
  walking forward from the cursor to the next new card.

:func:`rebuild` recomputes every cursor from scratch (imports, ``db copy``);
``tests/test_new_card_cursors.py`` checks the invariant against a plain walk
after random sequences of every writer.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizkit.storage.schema import card_states, cards, new_card_cursors

_cur = new_card_cursors
_st = card_states


def new_cards_query(deck_id: int, learner: str, start: int) -> sa.Select[tuple[str]]:
    """Ids of ``learner``'s new cards of a deck from position ``start`` on, in source order.

    Walks the (deck, retired, position) index from ``start``; one state lookup
    per card passed.
    """
    st = card_states
    return (
        sa.select(cards.c.id)
        .select_from(cards.outerjoin(st, sa.and_(st.c.card_id == cards.c.id, st.c.learner == learner)))
        .where(
            cards.c.deck_id == deck_id,
            cards.c.retired_at.is_(None),
            cards.c.position >= start,
            sa.or_(st.c.learner.is_(None), sa.and_(st.c.last_review.is_(None), st.c.suspended.is_(False))),
        )
        .order_by(cards.c.position)
    )


def start_of(conn: Connection, learner: str, deck_id: int) -> int:
    """The position where ``learner``'s walk for new cards in the deck may start (0 without a row)."""
    pos = conn.execute(
        sa.select(_cur.c.position).where(_cur.c.learner == learner, _cur.c.deck_id == deck_id)
    ).scalar_one_or_none()
    return int(pos) if pos is not None else 0


def _walk(deck_id: sa.ColumnElement[int]) -> sa.Update:
    """An UPDATE moving cursor rows forward, each from where it is to its learner's next new card.

    Past the deck's last card when there is none.  Rows of the deck ``deck_id`` (an
    expression: a bind parameter, or the deck of a card); built once, because building
    statements costs more than running this one.
    """
    walked = cards.alias("walked")
    seen = (
        sa.exists()
        .where(
            _st.c.card_id == walked.c.id,
            _st.c.learner == _cur.c.learner,
            sa.or_(_st.c.last_review.is_not(None), _st.c.suspended.is_(True)),
        )
        .correlate_except(_st)  # the cursor row and the walked card come from outside
    )
    next_new = (
        sa.select(walked.c.position)
        .where(
            walked.c.deck_id == _cur.c.deck_id,
            walked.c.retired_at.is_(None),
            walked.c.position >= _cur.c.position,
            ~seen,
        )
        .order_by(walked.c.position)
        .limit(1)
        .scalar_subquery()
    )
    past_end = (
        sa.select(sa.func.coalesce(sa.func.max(walked.c.position) + 1, 0))
        .where(walked.c.deck_id == _cur.c.deck_id)
        .scalar_subquery()
    )
    return (
        sa.update(_cur).where(_cur.c.deck_id == deck_id).values(position=sa.func.coalesce(next_new, past_end))
    )


# A card's learner stopped seeing it as new: that learner's cursor of the card's deck.
# Prebuilt; bank.py also runs it as a prepared statement on every first answer.
ADVANCE = _walk(
    sa.select(cards.c.deck_id).where(cards.c.id == sa.bindparam("b_card_id")).scalar_subquery()
).where(_cur.c.learner == sa.bindparam("b_learner"))
_WALK_DECK = _walk(sa.bindparam("b_deck_id"))  # every cursor row of a deck
_WALK_LEARNER = _WALK_DECK.where(_cur.c.learner == sa.bindparam("b_learner"))  # one learner's
_HAS_ROW = sa.select(_cur.c.position).where(
    _cur.c.learner == sa.bindparam("b_learner"), _cur.c.deck_id == sa.bindparam("b_deck_id")
)
_DECK_OF_CARD = sa.select(cards.c.deck_id).where(cards.c.id == sa.bindparam("b_card_id"))


def advance_past(conn: Connection, learner: str, card_id: str) -> None:
    """``card_id`` stopped being new for ``learner``: move the cursor of its deck on (one statement)."""
    if conn.execute(ADVANCE, {"b_learner": learner, "b_card_id": card_id}).rowcount == 0:
        deck_id = conn.execute(_DECK_OF_CARD, {"b_card_id": card_id}).scalar_one()
        advance(conn, learner, deck_id)


def advance(conn: Connection, learner: str, deck_id: int) -> None:
    """Move the learner's cursor forward past cards that are no longer new (creates the row at 0 first)."""
    params = {"b_learner": learner, "b_deck_id": deck_id}
    if conn.execute(_HAS_ROW, params).first() is None:
        conn.execute(sa.insert(_cur).values(learner=learner, deck_id=deck_id, position=0))
    conn.execute(_WALK_LEARNER, params)


def lower(conn: Connection, deck_id: int, position: int, *, learner: str | None = None) -> None:
    """A card at ``position`` may be new now: no cursor of the deck (or learner) stays above it."""
    stmt = (
        sa.update(_cur).where(_cur.c.deck_id == deck_id, _cur.c.position > position).values(position=position)
    )
    if learner is not None:
        stmt = stmt.where(_cur.c.learner == learner)
    conn.execute(stmt)


def advance_deck(conn: Connection, deck_id: int) -> None:
    """:func:`advance` every cursor of a deck (after a compile lowered them): one statement."""
    conn.execute(_WALK_DECK, {"b_deck_id": deck_id})


def rebuild(conn: Connection, deck_ids: Iterable[int] | None = None) -> None:
    """Recompute the cursors of ``deck_ids`` (default: every deck) for every learner with states there."""
    pairs_q = (
        sa.select(_st.c.learner, cards.c.deck_id)
        .distinct()
        .select_from(_st.join(cards, cards.c.id == _st.c.card_id))
    )
    delete = sa.delete(_cur)
    if deck_ids is not None:
        ids = list(deck_ids)
        if not ids:
            return
        pairs_q = pairs_q.where(cards.c.deck_id.in_(ids))
        delete = delete.where(_cur.c.deck_id.in_(ids))
    pairs = conn.execute(pairs_q).all()
    conn.execute(delete)
    for learner, deck_id in pairs:
        conn.execute(sa.insert(_cur).values(learner=learner, deck_id=deck_id, position=0))
    for deck_id in {deck_id for _learner, deck_id in pairs}:
        advance_deck(conn, deck_id)
