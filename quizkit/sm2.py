"""SM-2 as published (Wozniak, 1987): the pure scheduler, no I/O.

The E-Factor is an integer in permille (2500 == 2.5) so that ``ceil`` never
sees a float that is a hair above an integer: 125 x 2.8 is 350, not 351.
Time is an argument: :func:`review` takes the learner's study day and the
moment of the review and returns a new :class:`CardState`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Literal

from quizkit.errors import InputError
from quizkit.model import EF_INITIAL, EF_MIN, CardState

__all__ = [
    "EF_INITIAL",
    "EF_MIN",
    "GRADE_KEYS",
    "LEECH_THRESHOLD",
    "MAX_INTERVAL",
    "PASSING",
    "RETENTION",
    "ReviewKind",
    "check_grade",
    "ef_after",
    "is_leech_lapse",
    "next_interval",
    "parse_grade",
    "review",
    "review_kind",
]

# A grade below PASSING resets the repetitions; below RETENTION (SM-2 step 7)
# the item is drilled again at the end of the day's session.
PASSING = 3
RETENTION = 4
LEECH_THRESHOLD = 8
# Not in SM-2, which has no ceiling: dates stop at year 9999, so intervals stop at a century.
MAX_INTERVAL = 36500

# Anki-style answer buttons, mapped onto SM-2 grades.
GRADE_KEYS: dict[str, int] = {"again": 1, "hard": 3, "good": 4, "easy": 5}

ReviewKind = Literal["new", "review", "relearn"]


def check_grade(grade: int) -> int:
    """``grade`` if it is an SM-2 quality (0-5), else an :class:`InputError`."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
        raise InputError(f"grade must be 0-5 (or again/hard/good/easy), not {grade!r}")
    return grade


def parse_grade(text: str) -> int:
    """A grade typed by a user: ``0``-``5``, or ``again``/``hard``/``good``/``easy`` (or a/h/g/e)."""
    word = text.strip().casefold()
    if len(word) == 1 and word in "012345":
        return int(word)
    for key, grade in GRADE_KEYS.items():
        if word in (key, key[0]):
            return grade
    raise InputError(f"grade must be 0-5 (or again/hard/good/easy), not {text.strip()!r}")


def ef_after(ef: int, grade: int) -> int:
    """EF' = EF + (0.1 - (5-q)(0.08 + (5-q)0.02)) in permille, floored at 1.3, no upper cap."""
    miss = 5 - check_grade(grade)
    return max(EF_MIN, ef + 100 - miss * (80 + miss * 20))


def next_interval(repetitions: int, previous_interval: int, ef: int) -> int:
    """Days until the next review after a passing grade.

    ``repetitions`` is n before this review: I(1) = 1, I(2) = 6 and
    I(n) = ceil(I(n-1) x EF) with the E-Factor before this review's update.
    """
    n = repetitions + 1
    if n == 1:
        return 1
    if n == 2:
        return 6
    # Integer ceiling of previous x ef / 1000: exact, never off by one.
    return min(MAX_INTERVAL, max(1, -(-previous_interval * ef // 1000)))


def is_leech_lapse(lapses: int, threshold: int) -> bool:
    """A lapse that marks a leech: the threshold-th, then every half threshold after it (as Anki)."""
    if threshold <= 0 or lapses < threshold:
        return False
    step = max(1, threshold // 2)
    return (lapses - threshold) % step == 0


def review_kind(state: CardState) -> ReviewKind:
    """How a scheduling review of a card in ``state`` is logged."""
    if state.is_new:
        return "new"
    if state.repetitions == 0 and state.lapses > 0:
        return "relearn"
    return "review"


def review(
    state: CardState,
    grade: int,
    today: date,
    *,
    now: datetime,
    leech_threshold: int = LEECH_THRESHOLD,
    suspend_leeches: bool = True,
) -> CardState:
    """The state after one scheduling review with quality ``grade`` on study day ``today``.

    ``now`` is the moment of the review (kept as ``last_review``).  A card
    reviewed late keeps the plain formula: no bonus for the extra days.  A
    ``leech_threshold`` of 0 turns leech detection off; ``suspend_leeches``
    False only tags the leech.
    """
    check_grade(grade)
    if grade >= PASSING:
        interval = next_interval(state.repetitions, state.interval, state.ef)
        return replace(
            state,
            interval=interval,
            repetitions=state.repetitions + 1,
            ef=ef_after(state.ef, grade),
            due=today + timedelta(days=interval),
            last_review=now,
        )
    lapses = state.lapses + 1
    leech = is_leech_lapse(lapses, leech_threshold)
    return replace(
        state,
        interval=1,
        repetitions=0,
        lapses=lapses,
        due=today + timedelta(days=1),
        last_review=now,
        leech=state.leech or leech,
        suspended=state.suspended or (leech and suspend_leeches),
    )
