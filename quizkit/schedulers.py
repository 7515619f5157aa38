"""One scheduling interface over SM-2 (the default) and FSRS, chosen per deck.

Pure: :func:`review` is what study, review and quiz call for a scheduling
answer; :func:`replay` rebuilds a card's state from its review log when a
deck changes scheduler.  :class:`Policy` carries a deck's choice and the
knobs that go with it.  The FSRS side (and the ``fsrs`` package) is
imported only when a deck uses FSRS, so ``quizkit due`` never pays for it.

Deck settings that ``quizkit config`` may change are checked here too
(:func:`parse_setting`), so the CLI and the bank agree on what is valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from quizkit import sm2
from quizkit.errors import InputError
from quizkit.model import CardState

__all__ = [
    "DEFAULT_RETENTION",
    "DEFAULT_SCHEDULER",
    "SCHEDULERS",
    "SETTINGS",
    "SETTING_DEFAULTS",
    "Policy",
    "SchedulerName",
    "check_scheduler",
    "parse_setting",
    "policy_from_settings",
    "replay",
    "review",
    "scheduler_of",
]

SchedulerName = Literal["sm2", "fsrs"]
SCHEDULERS: tuple[SchedulerName, ...] = ("sm2", "fsrs")
DEFAULT_SCHEDULER: SchedulerName = "sm2"
DEFAULT_RETENTION = 0.9  # == fsrs_sched.DEFAULT_RETENTION, kept here so SM-2 decks never import fsrs


@dataclass(frozen=True)
class Policy:
    """How one deck schedules: which scheduler and its settings."""

    scheduler: SchedulerName = DEFAULT_SCHEDULER
    leech_threshold: int = sm2.LEECH_THRESHOLD
    suspend_leeches: bool = True
    desired_retention: float = DEFAULT_RETENTION  # FSRS only


def check_scheduler(name: object) -> SchedulerName:
    """``name`` if it is ``sm2`` or ``fsrs``, else an :class:`InputError`."""
    if name not in SCHEDULERS:
        raise InputError(f"scheduler must be 'sm2' or 'fsrs', not {name!r}")
    return name


def scheduler_of(settings: Mapping[str, object]) -> SchedulerName:
    """The scheduler a deck's settings choose (SM-2 when they say nothing)."""
    return check_scheduler(settings.get("scheduler", DEFAULT_SCHEDULER))


def _retention(value: object) -> float:
    low, high = 0.7, 0.99
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InputError(f"desired_retention must be between {low} and {high}, not {value!r}")
    return float(value)


def policy_from_settings(
    settings: Mapping[str, object],
    *,
    leech_threshold: int = sm2.LEECH_THRESHOLD,
    suspend_leeches: bool = True,
) -> Policy:
    """A deck's :class:`Policy` from its settings (``scheduler``, ``desired_retention``)."""
    return Policy(
        scheduler=scheduler_of(settings),
        leech_threshold=leech_threshold,
        suspend_leeches=suspend_leeches,
        desired_retention=_retention(settings.get("desired_retention", DEFAULT_RETENTION)),
    )


def review(state: CardState, grade: int, today: date, *, now: datetime, policy: Policy) -> CardState:
    """The state after one scheduling review, by the deck's scheduler."""
    if policy.scheduler == "fsrs":
        from quizkit import fsrs_sched

        return fsrs_sched.review(
            state,
            grade,
            today,
            now=now,
            desired_retention=policy.desired_retention,
            leech_threshold=policy.leech_threshold,
            suspend_leeches=policy.suspend_leeches,
        )
    return sm2.review(
        state,
        grade,
        today,
        now=now,
        leech_threshold=policy.leech_threshold,
        suspend_leeches=policy.suspend_leeches,
    )


@dataclass(frozen=True)
class Answer:
    """A scheduling answer from the log: its grade, study day and moment."""

    grade: int
    study_day: date
    reviewed_at: datetime


def replay(current: CardState, answers: Sequence[Answer], *, policy: Policy) -> CardState:
    """``current`` rebuilt from the card's scheduling answers for the scheduler in ``policy``.

    Both schedulers replay the whole log, so the result keeps SM-2's
    E-Factor, repetitions and lapses and FSRS's stability and difficulty
    whichever is chosen; ``due`` and ``interval`` are the chosen one's.
    Suspension and the leech tag are the learner's and stay as they are.
    A card with no answers in the log keeps its state (FSRS then starts
    from the SM-2 interval at its next review).
    """
    if not answers:
        return current
    from quizkit import fsrs_sched

    by_sm2, by_fsrs = fsrs_sched.replay(
        [fsrs_sched.LoggedGrade(a.grade, a.study_day, a.reviewed_at) for a in answers],
        desired_retention=policy.desired_retention,
    )
    chosen = by_fsrs if policy.scheduler == "fsrs" else by_sm2
    return replace(
        chosen,
        suspended=current.suspended,
        leech=current.leech,
        stability=by_fsrs.stability,
        difficulty=by_fsrs.difficulty,
    )


# -- deck settings -----------------------------------------------------------
# name -> what it holds; the order is the order `quizkit config DECK` lists them in.
SETTINGS: dict[str, str] = {
    "scheduler": "sm2 or fsrs (changing it replays the review log)",
    "desired_retention": "FSRS: the recall probability to schedule for, 0.7-0.99 [0.9]",
    "new_per_day": "new cards per study day [20]",
    "reviews_per_day": "reviews per study day [200]",
    "day_start_hour": "hour (0-23) at which a study day starts [4]",
    "leech_threshold": "lapses that make a card a leech, 0 for never [8]",
    "leech_action": "suspend or tag [suspend]",
}

SETTING_DEFAULTS: dict[str, object] = {
    "scheduler": DEFAULT_SCHEDULER,
    "desired_retention": DEFAULT_RETENTION,
    "new_per_day": 20,
    "reviews_per_day": 200,
    "day_start_hour": 4,
    "leech_threshold": sm2.LEECH_THRESHOLD,
    "leech_action": "suspend",
}

_WHOLE_RANGES: dict[str, tuple[int, int | None]] = {
    "new_per_day": (0, None),
    "reviews_per_day": (0, None),
    "day_start_hour": (0, 23),
    "leech_threshold": (0, None),
}


def parse_setting(key: str, text: str) -> object:
    """The value of deck setting ``key`` typed as ``text``; an :class:`InputError` when invalid."""
    word = text.strip()
    if key == "scheduler":
        return check_scheduler(word.casefold())
    if key == "desired_retention":
        try:
            number = float(word)
        except ValueError:
            raise InputError(f"desired_retention must be a number such as 0.9, not {text!r}") from None
        return _retention(number)
    if key == "leech_action":
        if word.casefold() not in ("suspend", "tag"):
            raise InputError(f"leech_action must be 'suspend' or 'tag', not {text!r}")
        return word.casefold()
    if key in _WHOLE_RANGES:
        low, high = _WHOLE_RANGES[key]
        bounds = f"{low}-{high}" if high is not None else f"{low} or more"
        try:
            value = int(word)
        except ValueError:
            raise InputError(f"{key} must be a whole number ({bounds}), not {text!r}") from None
        if value < low or (high is not None and value > high):
            raise InputError(f"{key} must be {bounds}, not {value}")
        return value
    known = ", ".join(SETTINGS)
    raise InputError(f"unknown deck setting {key!r} (settings: {known})")
