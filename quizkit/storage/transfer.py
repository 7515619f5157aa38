"""Copying a bank into another (SQLite to PostgreSQL and back), keeping history.

The copy is a merge, safe to repeat: decks match by key, cards by id,
learner state by (card, learner) — the more recently reviewed state wins — and
review-log rows are appended unless the target already has them (same card,
learner, time and kind).  Nothing in the target is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from quizkit.storage import cursors
from quizkit.storage.bank import Bank
from quizkit.storage.db import write_transaction
from quizkit.storage.schema import card_states, cards, decks, reviews

CHUNK = 2000


@dataclass(frozen=True)
class CopyReport:
    decks: int
    cards: int
    states: int
    reviews: int

    def to_json(self) -> dict[str, int]:
        return {"decks": self.decks, "cards": self.cards, "states": self.states, "reviews": self.reviews}


def copy_bank(source: Bank, target: Bank, *, progress: Callable[[int], None] | None = None) -> CopyReport:
    """Merge everything in ``source`` into ``target`` in one target transaction."""
    n_decks = n_cards = n_states = n_reviews = 0
    with source.engine.connect() as src, write_transaction(target.engine) as dst:
        deck_map: dict[int, int] = {}
        for d in src.execute(sa.select(decks).order_by(decks.c.id)):
            row = dst.execute(sa.select(decks.c.id).where(decks.c.key == d.key)).first()
            if row is None:
                values = {k: v for k, v in d._mapping.items() if k != "id"}
                pk = dst.execute(sa.insert(decks).values(**values)).inserted_primary_key
                assert pk is not None
                deck_map[d.id] = int(pk[0])
                n_decks += 1
            else:
                deck_map[d.id] = int(row.id)

        have_cards = set(dst.execute(sa.select(cards.c.id)).scalars())
        batch: list[dict[str, Any]] = []
        for c in src.execution_options(yield_per=CHUNK).execute(sa.select(cards).order_by(cards.c.id)):
            if c.id in have_cards:
                continue
            batch.append({**c._mapping, "deck_id": deck_map[c.deck_id]})
            if len(batch) >= CHUNK:
                n_cards += _flush(dst, cards, batch, progress)
        n_cards += _flush(dst, cards, batch, progress)

        have_states = {
            (r.card_id, r.learner): r.last_review
            for r in dst.execute(
                sa.select(card_states.c.card_id, card_states.c.learner, card_states.c.last_review)
            )
        }
        for s in src.execution_options(yield_per=CHUNK).execute(sa.select(card_states)):
            key = (s.card_id, s.learner)
            values = dict(s._mapping)
            if key not in have_states:
                batch.append(values)
                if len(batch) >= CHUNK:
                    n_states += _flush(dst, card_states, batch, progress)
                continue
            theirs = have_states[key]
            if s.last_review is not None and (theirs is None or s.last_review > theirs):
                dst.execute(
                    sa.update(card_states)
                    .where(card_states.c.card_id == s.card_id, card_states.c.learner == s.learner)
                    .values({k: v for k, v in values.items() if k not in ("card_id", "learner")})
                )
                n_states += 1
        n_states += _flush(dst, card_states, batch, progress)

        seen = {
            (r.card_id, r.learner, r.reviewed_at, r.kind): r.id
            for r in dst.execute(
                sa.select(
                    reviews.c.id, reviews.c.card_id, reviews.c.learner, reviews.c.reviewed_at, reviews.c.kind
                )
            )
        }
        id_map: dict[int, int] = {}
        pending: list[tuple[int, dict[str, Any]]] = []

        def flush_reviews() -> int:
            if not pending:
                return 0
            stmt = sa.insert(reviews).returning(reviews.c.id, sort_by_parameter_order=True)
            new_ids = dst.execute(stmt, [values for _, values in pending]).scalars().all()
            for (old_id, _), new_id in zip(pending, new_ids, strict=True):
                id_map[old_id] = int(new_id)
            n = len(pending)
            pending.clear()
            if progress is not None:
                progress(n)
            return n

        pending_ids: set[int] = set()
        for r in src.execution_options(yield_per=CHUNK).execute(sa.select(reviews).order_by(reviews.c.id)):
            key = (r.card_id, r.learner, r.reviewed_at, r.kind)
            if key in seen:
                id_map[r.id] = seen[key]
                continue
            seen[key] = -1
            values = {k: v for k, v in r._mapping.items() if k != "id"}
            if r.undoes is not None:
                if r.undoes in pending_ids:  # the cancelled row needs its new id first
                    n_reviews += flush_reviews()
                    pending_ids.clear()
                values["undoes"] = id_map.get(r.undoes)
            pending.append((r.id, values))
            pending_ids.add(r.id)
            if len(pending) >= CHUNK:
                n_reviews += flush_reviews()
                pending_ids.clear()
        n_reviews += flush_reviews()
        if n_cards or n_states:
            cursors.rebuild(dst)  # new cards and merged progress: every new-card cursor afresh
    return CopyReport(decks=n_decks, cards=n_cards, states=n_states, reviews=n_reviews)


def _flush(
    conn: sa.Connection, table: sa.Table, batch: list[dict[str, Any]], progress: Callable[[int], None] | None
) -> int:
    n = len(batch)
    if batch:
        conn.execute(sa.insert(table), batch)
        if progress is not None:
            progress(n)
        batch.clear()
    return n
