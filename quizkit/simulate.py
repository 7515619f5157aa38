"""A seeded simulation of one learner studying a deck under a scheduler.

Pure: no I/O, the random numbers come from ``seed``.  The schedulers are the
real ones (:func:`quizkit.schedulers.review`); only the learner is a model.
The model is documented in docs/fsrs.md ("The simulated learner"):

* every card has a difficulty ``d`` in (0, 1), drawn from Beta(2, 2);
* memory is a stability ``S`` in days: after ``t`` days without review the
  learner recalls the card with probability ``R = 0.9 ** (t / S)``;
* the first sight of a card is recalled with probability ``0.8 - 0.6 d``
  and leaves ``S = S0 (1.5 - d)``, doubled when it was recalled;
* a recalled review multiplies ``S`` by ``1 + (1 - 0.6 d)(0.5 + G (1 - R))``
  (reviewing when recall was hard strengthens memory more: the spacing
  effect); a forgotten one leaves ``max(S0 (1.5 - d), K S)``;
* grades: recalled is 4, or 5 (easy, likelier for easy cards) or 3 (hard,
  likelier for hard cards and when ``R`` was low); forgotten is 1 or 2.

Each card has its own random stream, so under two schedulers the same card
is equally hard and its n-th review draws the same numbers: the comparison
is between schedules, not between lucky runs.  The day runs as ``quizkit
study`` does: due reviews (most overdue first, within the daily review
limit), then new cards (within the new-card limit).  Leeches are never
suspended and same-day re-drills are not modelled (both schedulers alike).
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from quizkit import schedulers
from quizkit.errors import InputError
from quizkit.model import CardState
from quizkit.schedulers import Policy, SchedulerName

__all__ = ["Day", "Learner", "Run", "simulate"]

_LN_RECALL = math.log(0.9)  # R = 0.9 ** (t / S) == exp(ln(0.9) t / S)


@dataclass(frozen=True)
class Learner:
    """The simulated learner's memory parameters (see the module docstring)."""

    initial_stability: float = 2.0  # S0: days to 90% recall after the first sight of an average card
    growth: float = 8.0  # G: how much a hard-won recall strengthens memory
    lapse_keep: float = 0.3  # K: the share of stability a lapse keeps


@dataclass(frozen=True)
class Day:
    """One simulated study day."""

    day: int  # 0 is the first day
    new: int  # cards seen for the first time
    reviews: int  # answers to cards seen before
    lapses: int  # of those, forgotten
    retention: float | None  # mean recall probability of the cards seen before, as the day starts
    backlog: int  # reviews due but left for later by the daily limit

    @property
    def answers(self) -> int:
        return self.new + self.reviews


@dataclass(frozen=True)
class Run:
    """A whole simulation under one scheduler."""

    scheduler: SchedulerName
    cards: int
    days: tuple[Day, ...]

    @property
    def answers(self) -> int:
        return sum(d.answers for d in self.days)

    @property
    def reviews(self) -> int:
        return sum(d.reviews for d in self.days)

    @property
    def seen(self) -> int:
        return sum(d.new for d in self.days)

    @property
    def recall_rate(self) -> float | None:
        """Share of reviews (first sights excluded) the learner got right."""
        reviews = self.reviews
        return 1 - sum(d.lapses for d in self.days) / reviews if reviews else None

    @property
    def mean_retention(self) -> float | None:
        """Mean of the daily retention over the days that had cards seen."""
        values = [d.retention for d in self.days if d.retention is not None]
        return sum(values) / len(values) if values else None

    def to_json(self) -> dict[str, object]:
        return {
            "scheduler": self.scheduler,
            "cards": self.cards,
            "answers": self.answers,
            "reviews": self.reviews,
            "seen": self.seen,
            "recall_rate": self.recall_rate,
            "mean_retention": self.mean_retention,
            "days": [
                {
                    "day": d.day,
                    "new": d.new,
                    "reviews": d.reviews,
                    "lapses": d.lapses,
                    "retention": None if d.retention is None else round(d.retention, 6),
                    "backlog": d.backlog,
                }
                for d in self.days
            ],
        }


def _grade(recalled: bool, r: float, d: float, v: float) -> int:
    if not recalled:
        return 1 if v < 0.7 else 2
    if v < 0.3 * (1 - d):
        return 5
    if v > 1 - (0.3 * d + 0.4 * (1 - r)):
        return 3
    return 4


def simulate(
    n_cards: int,
    days: int,
    *,
    scheduler: SchedulerName,
    seed: int = 0,
    new_per_day: int = 20,
    reviews_per_day: int = 200,
    desired_retention: float = schedulers.DEFAULT_RETENTION,
    learner: Learner | None = None,
    start: date = date(2000, 1, 3),
) -> Run:
    """Simulate one learner over ``n_cards`` new cards for ``days`` study days under ``scheduler``."""
    if n_cards < 0 or days < 0 or new_per_day < 0 or reviews_per_day < 0:
        raise InputError("cards, days and daily limits must be 0 or more")
    model = learner or Learner()
    # Leeches are never suspended: a suspended card would leave the comparison.
    policy: Policy = schedulers.policy_from_settings(
        {"scheduler": scheduler, "desired_retention": desired_retention}, leech_threshold=0
    )
    rngs = [random.Random(seed * 1_000_003 + i) for i in range(n_cards)]
    difficulty = [rng.betavariate(2, 2) for rng in rngs]
    floor = [model.initial_stability * (1.5 - d) for d in difficulty]
    stability = [0.0] * n_cards
    states = [CardState()] * n_cards
    seen_last: list[int] = []  # last review day of each card seen, in order of first sight
    seen_k: list[float] = []  # ln(0.9) / S of each card seen (same order)
    slot = [-1] * n_cards  # card -> its index in seen_last/seen_k
    queue: list[tuple[int, int, int]] = []  # (due day, interval, card): most overdue first
    next_new = 0
    out: list[Day] = []
    review = schedulers.review

    def answer(card: int, day: int, grade: int) -> None:
        today = start + timedelta(days=day)
        now = datetime.combine(today, time(12), tzinfo=UTC)
        state = review(states[card], grade, today, now=now, policy=policy)
        states[card] = state
        assert state.due is not None
        heapq.heappush(queue, ((state.due - start).days, state.interval, card))

    for day in range(days):
        retention = None
        if seen_last:
            total = sum(math.exp((day - last) * k) for last, k in zip(seen_last, seen_k, strict=True))
            retention = total / len(seen_last)
        reviews = lapses = 0
        while queue and queue[0][0] <= day and reviews < reviews_per_day:
            _due, _interval, card = heapq.heappop(queue)
            d, s, i = difficulty[card], stability[card], slot[card]
            r = math.exp((day - seen_last[i]) * _LN_RECALL / s)
            rng = rngs[card]
            recalled = rng.random() < r
            grade = _grade(recalled, r, d, rng.random())
            if recalled:
                s *= 1 + (1 - 0.6 * d) * (0.5 + model.growth * (1 - r))
            else:
                s = max(floor[card], model.lapse_keep * s)
                lapses += 1
            stability[card] = s
            seen_last[i], seen_k[i] = day, _LN_RECALL / s
            reviews += 1
            answer(card, day, grade)
        # The loop stops early only at the limit; then count what it left.
        backlog = sum(1 for due, _i, _c in queue if due <= day) if reviews == reviews_per_day else 0
        fresh = 0
        while next_new < n_cards and fresh < new_per_day:
            card = next_new
            next_new += 1
            fresh += 1
            d = difficulty[card]
            rng = rngs[card]
            recalled = rng.random() < 0.8 - 0.6 * d
            grade = _grade(recalled, 1.0, d, rng.random())
            s = floor[card] * (2 if recalled else 1)
            stability[card] = s
            slot[card] = len(seen_last)
            seen_last.append(day)
            seen_k.append(_LN_RECALL / s)
            answer(card, day, grade)
        out.append(Day(day, fresh, reviews, lapses, retention, backlog))
    return Run(scheduler=policy.scheduler, cards=n_cards, days=tuple(out))
