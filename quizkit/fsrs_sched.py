"""FSRS behind quizkit's :class:`~quizkit.model.CardState`: one review, and a replay of a review log.

Pure and typed, no I/O: a thin wrapper over the maintained ``fsrs`` package
(py-fsrs), imported only by the code paths that schedule with FSRS.

quizkit's day model shapes how the package is configured:

* no learning or relearning steps: quizkit's same-day repetition is SM-2's
  step-7 re-drill, which never changes the schedule, so every FSRS review
  lands on whole days (a new card answered "Again" comes back tomorrow);
* no fuzz, so intervals are exact and tests can assert them;
* FSRS answers with a moment (``due`` as a datetime); quizkit keeps whole
  study days, so the interval in days is added to the learner's study day.

Grades map onto FSRS ratings as 0-2 -> Again, 3 -> Hard, 4 -> Good, 5 -> Easy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from fsrs import Card, Rating, Scheduler, State

from quizkit import sm2
from quizkit.errors import InputError
from quizkit.model import EF_INITIAL, CardState

__all__ = [
    "DEFAULT_RETENTION",
    "LoggedGrade",
    "MAX_RETENTION",
    "MIN_RETENTION",
    "check_retention",
    "rating",
    "retrievability",
    "review",
    "replay",
    "scheduler",
]

DEFAULT_RETENTION = 0.9
MIN_RETENTION = 0.7
MAX_RETENTION = 0.99
# py-fsrs's Card() sleeps 1 ms to make a unique id when none is given; the id
# only labels its own ReviewLog, which quizkit does not keep.
_CARD_ID = 1


@dataclass(frozen=True)
class LoggedGrade:
    """One scheduling answer from the review log, as replay needs it."""

    grade: int
    study_day: date
    reviewed_at: datetime


def rating(grade: int) -> Rating:
    """The FSRS rating for an SM-2 grade: 0-2 Again, 3 Hard, 4 Good, 5 Easy."""
    sm2.check_grade(grade)
    if grade < sm2.PASSING:
        return Rating.Again
    return (Rating.Hard, Rating.Good, Rating.Easy)[grade - sm2.PASSING]


def check_retention(value: float) -> float:
    """``value`` if it is a usable desired retention (0.7-0.99), else an :class:`InputError`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (MIN_RETENTION <= value <= MAX_RETENTION)
    ):
        raise InputError(
            f"desired retention must be between {MIN_RETENTION} and {MAX_RETENTION}, not {value!r}"
        )
    return float(value)


@lru_cache(maxsize=8)
def scheduler(desired_retention: float = DEFAULT_RETENTION) -> Scheduler:
    """The py-fsrs scheduler quizkit uses: default weights, no steps, no fuzz."""
    return Scheduler(
        desired_retention=check_retention(desired_retention),
        learning_steps=(),
        relearning_steps=(),
        maximum_interval=sm2.MAX_INTERVAL,
        enable_fuzzing=False,
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the FSRS scheduler; pass aware datetimes")
    return moment.astimezone(UTC)


def _difficulty_from_ef(ef: int) -> float:
    # Only for cards with SM-2 history but no log to replay (see _card): an
    # E-Factor of 2.5 (SM-2's start) is FSRS's middling 5, the 1.3 floor is 10.
    return min(10.0, max(1.0, 5.0 + (EF_INITIAL - ef) / 240))


def _card(state: CardState) -> Card:
    """``state`` as a py-fsrs Card (always passing a card id: see _CARD_ID)."""
    if state.last_review is None:
        return Card(card_id=_CARD_ID, state=State.Learning, due=datetime(2000, 1, 1, tzinfo=UTC))
    last = _utc(state.last_review)
    if state.stability is None or state.difficulty is None:
        # Reviewed under SM-2 only, with no log to replay (an imported state):
        # start FSRS from what SM-2 knows, its interval as the stability.
        return Card(
            card_id=_CARD_ID,
            state=State.Review,
            stability=float(max(1, state.interval)),
            difficulty=_difficulty_from_ef(state.ef),
            due=last,
            last_review=last,
        )
    return Card(
        card_id=_CARD_ID,
        state=State.Review,
        stability=state.stability,
        difficulty=state.difficulty,
        due=last,
        last_review=last,
    )


def review(
    state: CardState,
    grade: int,
    today: date,
    *,
    now: datetime,
    desired_retention: float = DEFAULT_RETENTION,
    leech_threshold: int = sm2.LEECH_THRESHOLD,
    suspend_leeches: bool = True,
) -> CardState:
    """The state after one scheduling review under FSRS on study day ``today``.

    ``due`` and ``interval`` are FSRS's; ``ef``, ``repetitions``, ``lapses``
    and the leech flags move as SM-2 moves them (a grade below 3 is a lapse
    under both), so logs read the same and a switch back finds them sensible.
    """
    shadow = sm2.review(
        state, grade, today, now=now, leech_threshold=leech_threshold, suspend_leeches=suspend_leeches
    )
    moment = _utc(now)
    card, _log = scheduler(desired_retention).review_card(_card(state), rating(grade), moment)
    assert card.stability is not None and card.difficulty is not None
    days = min(sm2.MAX_INTERVAL, max(1, round((card.due - moment) / timedelta(days=1))))
    return replace(
        shadow,
        interval=days,
        due=today + timedelta(days=days),
        stability=card.stability,
        difficulty=card.difficulty,
    )


def retrievability(state: CardState, now: datetime, desired_retention: float = DEFAULT_RETENTION) -> float:
    """FSRS's probability that the learner recalls the card at ``now`` (0 for a new card)."""
    if state.last_review is None:
        return 0.0
    return float(scheduler(desired_retention).get_card_retrievability(_card(state), _utc(now)))


def replay(
    grades: Iterable[LoggedGrade], *, desired_retention: float = DEFAULT_RETENTION
) -> tuple[CardState, CardState]:
    """A card's states rebuilt from its log: ``(as SM-2 schedules it, as FSRS schedules it)``.

    Both chains start from a new card and see every scheduling answer in
    order; leeches are not detected (suspension is the learner's, kept by the
    caller).  The FSRS chain's SM-2 fields equal the SM-2 chain's, except the
    interval and due date.
    """
    by_sm2 = by_fsrs = CardState()
    for g in grades:
        by_sm2 = sm2.review(by_sm2, g.grade, g.study_day, now=g.reviewed_at, leech_threshold=0)
        by_fsrs = review(
            by_fsrs,
            g.grade,
            g.study_day,
            now=g.reviewed_at,
            desired_retention=desired_retention,
            leech_threshold=0,
        )
    return by_sm2, by_fsrs
