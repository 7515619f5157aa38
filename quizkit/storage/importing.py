"""Bulk writes of imported learner state and review history (``quizkit import``).

Content goes through :meth:`Bank.sync_deck`; this module adds what came with
it for one learner: the card states and the review log rows, in one
transaction, with Core ``insert()`` over lists of dicts.  Importing the same
history twice must not grow the log, so a review already in the bank for the
same card, learner and moment is left out; a state is written only when the
learner has none for the card yet, or when the imported one was reviewed
later than the stored one (studying in quizkit after an import is not undone
by importing the old package again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from quizkit.model import CardState
from quizkit.storage import cursors
from quizkit.storage.bank import state_values
from quizkit.storage.db import write_transaction
from quizkit.storage.schema import card_states, decks, reviews

if TYPE_CHECKING:
    from quizkit.storage.bank import Bank

CHUNK = 500  # ids per IN (...) list; far below SQLite's and PostgreSQL's bind limits


@dataclass(frozen=True)
class ImportedReview:
    """One review from another tool's log, with the states around it."""

    reviewed_at: datetime  # aware
    study_day: date
    kind: str  # new | review | relearn | drill
    grade: int
    duration_ms: int | None
    before: CardState
    after: CardState
    first_day_before: date | None


@dataclass(frozen=True)
class ImportedProgress:
    """A card's imported state (``None``: never studied there) and its history, oldest first."""

    card_id: str
    state: CardState | None
    first_day: date | None
    reviews: tuple[ImportedReview, ...] = ()


@dataclass(frozen=True)
class ProgressReport:
    states: int  # card states written
    states_kept: int  # imported states not written because the bank's are as new or newer
    reviews: int  # log rows appended
    reviews_known: int  # log rows already in the bank, left out


def write_progress(bank: Bank, items: Sequence[ImportedProgress]) -> ProgressReport:
    """Write imported states and append imported reviews for ``bank.learner``, in one transaction."""
    learner = bank.learner
    ids = [i.card_id for i in items]
    with write_transaction(bank.engine) as conn:
        stored: dict[str, datetime | None] = {}
        known: set[tuple[str, datetime]] = set()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for row in conn.execute(
                sa.select(card_states.c.card_id, card_states.c.last_review).where(
                    card_states.c.learner == learner, card_states.c.card_id.in_(chunk)
                )
            ):
                stored[row.card_id] = row.last_review
            for row in conn.execute(
                sa.select(reviews.c.card_id, reviews.c.reviewed_at).where(
                    reviews.c.learner == learner, reviews.c.card_id.in_(chunk)
                )
            ):
                known.add((row.card_id, row.reviewed_at))
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        log: list[dict[str, Any]] = []
        kept = 0
        already = 0
        for item in items:
            st = item.state
            if st is not None:
                if item.card_id not in stored:
                    inserts.append(
                        {"card_id": item.card_id, "learner": learner, **state_values(st, item.first_day)}
                    )
                else:
                    old = stored[item.card_id]
                    if st.last_review is not None and (old is None or st.last_review > old):
                        updates.append({"b_card_id": item.card_id, **state_values(st, item.first_day)})
                    else:
                        kept += 1
            for r in item.reviews:
                if (item.card_id, r.reviewed_at) in known:
                    already += 1
                    continue
                known.add((item.card_id, r.reviewed_at))
                log.append(_review_values(item.card_id, learner, r))
        for start in range(0, len(inserts), CHUNK):
            conn.execute(sa.insert(card_states), inserts[start : start + CHUNK])
        if updates:
            stmt = (
                sa.update(card_states)
                .where(card_states.c.card_id == sa.bindparam("b_card_id"), card_states.c.learner == learner)
                .values({k: sa.bindparam(k) for k in updates[0] if k != "b_card_id"})
            )
            for start in range(0, len(updates), CHUNK):
                conn.execute(stmt, updates[start : start + CHUNK])
        log.sort(key=lambda row: row["reviewed_at"])  # the log reads oldest first, across cards
        for start in range(0, len(log), CHUNK):
            conn.execute(sa.insert(reviews), log[start : start + CHUNK])
        if len(log) > 10_000 and conn.dialect.name in ("sqlite", "postgresql"):
            conn.exec_driver_sql("ANALYZE")
        if inserts or updates:  # imported progress: cards that were new may not be any more
            for deck_id in conn.execute(sa.select(decks.c.id)).scalars().all():
                cursors.advance(conn, learner, deck_id)
    return ProgressReport(
        states=len(inserts) + len(updates), states_kept=kept, reviews=len(log), reviews_known=already
    )


def _review_values(card_id: str, learner: str, r: ImportedReview) -> dict[str, Any]:
    b, a = r.before, r.after
    return {
        "card_id": card_id,
        "learner": learner,
        "reviewed_at": r.reviewed_at,
        "study_day": r.study_day,
        "kind": r.kind,
        "grade": r.grade,
        "answer": None,
        "duration_ms": r.duration_ms,
        "undoes": None,
        "due_before": b.due,
        "interval_before": b.interval,
        "ef_before": b.ef,
        "reps_before": b.repetitions,
        "lapses_before": b.lapses,
        "suspended_before": b.suspended,
        "leech_before": b.leech,
        "last_review_before": b.last_review,
        "first_day_before": r.first_day_before,
        "due_after": a.due,
        "interval_after": a.interval,
        "ef_after": a.ef,
        "reps_after": a.repetitions,
        "lapses_after": a.lapses,
        "suspended_after": a.suspended,
        "leech_after": a.leech,
        "last_review_after": a.last_review,
    }
