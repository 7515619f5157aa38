"""A teacher's view of a shared bank: per-learner progress and the cards a class fails.

Every figure is one grouped SQL query over the review log and card states, so
it runs on the database server, not in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from quizkit.storage.bank import Bank
from quizkit.storage.schema import card_states, cards, decks, reviews

RETENTION_DAYS = 30
GRADED = ("review", "relearn")  # reviews of cards already learnt: what retention is about


@dataclass(frozen=True)
class LearnerRow:
    learner: str
    reviews_7d: int
    due_now: int
    retention: float | None  # share of graded reviews >= 3 in the last 30 days
    never_seen: int


@dataclass(frozen=True)
class HardCard:
    card_id: str
    front: str
    failures: int
    attempts: int
    learners_failing: int

    @property
    def failure_rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class ClassReport:
    deck: str | None
    today: date
    learners: list[LearnerRow]
    hardest: list[HardCard]

    def to_json(self) -> dict[str, Any]:
        return {
            "deck": self.deck,
            "today": self.today.isoformat(),
            "learners": [
                {
                    "learner": r.learner,
                    "reviews_7d": r.reviews_7d,
                    "due_now": r.due_now,
                    "retention": None if r.retention is None else round(r.retention, 4),
                    "never_seen": r.never_seen,
                }
                for r in self.learners
            ],
            "hardest": [
                {
                    "id": c.card_id,
                    "front": c.front,
                    "failures": c.failures,
                    "attempts": c.attempts,
                    "failure_rate": round(c.failure_rate, 4),
                    "learners_failing": c.learners_failing,
                }
                for c in self.hardest
            ],
        }


def class_report(bank: Bank, today: date, *, deck: str | None = None, top: int = 10) -> ClassReport:
    """Per learner: reviews in 7 days, due now, retention, never seen; the cards failed most."""
    with bank.engine.connect() as conn:
        active = [cards.c.retired_at.is_(None)]
        deck_name = None
        if deck is not None:
            info = bank.get_deck(deck)
            deck_name = info.name
            deck_id = conn.execute(sa.select(decks.c.id).where(decks.c.key == info.key)).scalar_one()
            active.append(cards.c.deck_id == deck_id)
        total_cards = int(
            conn.execute(sa.select(sa.func.count()).select_from(cards).where(*active)).scalar_one()
        )
        undone = sa.select(reviews.c.undoes).where(reviews.c.undoes.is_not(None))
        counted = [reviews.c.id.not_in(undone), *active]
        on_cards = reviews.join(cards, cards.c.id == reviews.c.card_id)

        learners = sorted(
            set(conn.execute(sa.select(card_states.c.learner).distinct()).scalars())
            | set(conn.execute(sa.select(reviews.c.learner).distinct()).scalars())
        )
        week: dict[str, int] = dict(
            conn.execute(
                sa.select(reviews.c.learner, sa.func.count())
                .select_from(on_cards)
                .where(
                    *counted, reviews.c.kind.in_(("new", *GRADED)), reviews.c.study_day > today - timedelta(7)
                )
                .group_by(reviews.c.learner)
            ).all()
        )
        ok = sa.case((reviews.c.grade >= 3, 1), else_=0)
        retention = {
            learner: (int(good) / int(n) if n else None)
            for learner, good, n in conn.execute(
                sa.select(reviews.c.learner, sa.func.sum(ok), sa.func.count())
                .select_from(on_cards)
                .where(
                    *counted,
                    reviews.c.kind.in_(GRADED),
                    reviews.c.study_day > today - timedelta(RETENTION_DAYS),
                )
                .group_by(reviews.c.learner)
            ).all()
        }
        states = card_states.join(cards, cards.c.id == card_states.c.card_id)
        seen = card_states.c.last_review.is_not(None)
        per_state = {
            learner: (int(due or 0), int(n_seen or 0))
            for learner, due, n_seen in conn.execute(
                sa.select(
                    card_states.c.learner,
                    sa.func.sum(
                        sa.case(
                            (
                                sa.and_(seen, card_states.c.suspended.is_(False), card_states.c.due <= today),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                    sa.func.sum(sa.case((seen, 1), else_=0)),
                )
                .select_from(states)
                .where(*active)
                .group_by(card_states.c.learner)
            ).all()
        }
        rows = [
            LearnerRow(
                learner=learner,
                reviews_7d=int(week.get(learner, 0)),
                due_now=per_state.get(learner, (0, 0))[0],
                retention=retention.get(learner),
                never_seen=total_cards - per_state.get(learner, (0, 0))[1],
            )
            for learner in learners
        ]

        failed = sa.case((reviews.c.grade < 3, 1), else_=0)
        failing_learner = sa.case((reviews.c.grade < 3, reviews.c.learner), else_=None)
        hard_q = (
            sa.select(
                cards.c.id,
                cards.c.front,
                sa.func.sum(failed).label("failures"),
                sa.func.count().label("attempts"),
                sa.func.count(sa.distinct(failing_learner)).label("learners_failing"),
            )
            .select_from(on_cards)
            .where(*counted, reviews.c.kind.in_(GRADED), reviews.c.grade.is_not(None))
            .group_by(cards.c.id, cards.c.front)
            .having(sa.func.sum(failed) > 0)
            .order_by(sa.desc("failures"), sa.desc("learners_failing"), cards.c.id)
            .limit(top)
        )
        hardest = [
            HardCard(
                card_id=r.id,
                front=r.front,
                failures=int(r.failures),
                attempts=int(r.attempts),
                learners_failing=int(r.learners_failing),
            )
            for r in conn.execute(hard_q)
        ]
    return ClassReport(deck=deck_name, today=today, learners=rows, hardest=hardest)
