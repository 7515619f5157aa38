"""The daily study queue: due reviews, new cards within daily limits, step-7 re-drills.

Pure: fed card views and the time of each answer, it says which card comes
next and what an answer does to the card's state (via :mod:`quizkit.schedulers`:
SM-2, or FSRS for decks that choose it).
The caller stores each :class:`Outcome` before asking for the next card.

SM-2's step 7: at the end of the day's session every item graded below 4
is asked again until it scores at least 4.  Those re-drills are logged but
leave the schedule alone; the first grade of the day is the one that counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

from quizkit import schedulers, sm2
from quizkit.model import CardState, CardView
from quizkit.schedulers import Policy

Phase = Literal["review", "new", "drill"]
Kind = Literal["new", "review", "relearn", "drill"]

DEFAULT_NEW_PER_DAY = 20
DEFAULT_REVIEWS_PER_DAY = 200


@dataclass(frozen=True)
class Limits:
    """Daily limits: new cards introduced and reviews done per study day."""

    new_per_day: int = DEFAULT_NEW_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY


@dataclass(frozen=True)
class Item:
    """A card waiting in the queue and why it is there."""

    card: CardView
    phase: Phase


@dataclass(frozen=True)
class Outcome:
    """One answer: what to store (state before/after, log kind) and how it went."""

    card_id: str
    phase: Phase
    kind: Kind
    grade: int
    before: CardState
    after: CardState
    scheduler: str = "sm2"  # the scheduler that computed ``after``


@dataclass(frozen=True)
class Summary:
    reviewed: int  # scheduling answers (new + reviews)
    new: int
    reviews: int
    drills: int
    correct: int  # scheduling answers with a grade of 3 or more
    suspended: int

    @property
    def correct_percent(self) -> int | None:
        return round(100 * self.correct / self.reviewed) if self.reviewed else None


def within_limit(cards: Sequence[CardView], limit: int, done: int) -> list[CardView]:
    """The first cards that still fit today's ``limit`` given ``done`` already."""
    return list(cards[: max(0, limit - done)])


def most_overdue_first(cards: Iterable[CardView]) -> list[CardView]:
    """Due reviews from several decks in one order: earliest due, then shortest interval."""
    return sorted(cards, key=lambda c: (c.state.due or date.min, c.state.interval, c.id))


def review_once(
    card: CardView,
    grade: int,
    *,
    today: date,
    now: datetime,
    graded_today: bool,
    leech_threshold: int = sm2.LEECH_THRESHOLD,
    suspend_leeches: bool = True,
    policy: Policy | None = None,
) -> Outcome:
    """One answer outside a session (``quizkit review``, ``quiz --record``).

    The first grade of the study day schedules (by ``policy``, else SM-2
    with the leech arguments); a card already graded that day is logged as a
    step-7 drill and keeps its state.
    """
    if policy is None:
        policy = Policy(leech_threshold=leech_threshold, suspend_leeches=suspend_leeches)
    before = card.state
    if graded_today:
        sm2.check_grade(grade)
        return Outcome(card.id, "drill", "drill", grade, before, before, policy.scheduler)
    after = schedulers.review(before, grade, today, now=now, policy=policy)
    phase: Phase = "new" if before.is_new else "review"
    return Outcome(card.id, phase, sm2.review_kind(before), grade, before, after, policy.scheduler)


@dataclass
class _Snapshot:
    queue: list[Item]
    drills: list[Item]
    outcomes: list[Outcome]
    suspended: list[str]


@dataclass
class Session:
    """A day's queue.  Limits apply on top of what was already studied today.

    ``drills`` are cards answered below 4 earlier the same study day (a
    resumed session still owes them their step-7 re-drill).  ``policies``
    maps a deck name to its scheduling :class:`Policy`; decks not in it are
    scheduled by SM-2 with the session's leech settings.
    """

    due: Sequence[CardView]
    new: Sequence[CardView]
    limits: Limits = field(default_factory=Limits)
    new_done: int = 0
    reviews_done: int = 0
    drills: Sequence[CardView] = ()
    leech_threshold: int = sm2.LEECH_THRESHOLD
    suspend_leeches: bool = True
    policies: Mapping[str, Policy] = field(default_factory=dict)

    def policy(self, deck: str) -> Policy:
        """The scheduling policy for a card of ``deck``."""
        found = self.policies.get(deck)
        if found is not None:
            return found
        return Policy(leech_threshold=self.leech_threshold, suspend_leeches=self.suspend_leeches)

    def __post_init__(self) -> None:
        reviews = within_limit(self.due, self.limits.reviews_per_day, self.reviews_done)
        fresh = within_limit(self.new, self.limits.new_per_day, self.new_done)
        self._queue: list[Item] = [Item(c, "review") for c in reviews] + [Item(c, "new") for c in fresh]
        queued = {i.card.id for i in self._queue}
        self._drills: list[Item] = [Item(c, "drill") for c in self.drills if c.id not in queued]
        self._outcomes: list[Outcome] = []
        self._suspended: list[str] = []
        self._history: list[_Snapshot] = []

    # -- the queue ----------------------------------------------------------
    def current(self) -> Item | None:
        """The card to ask now: reviews, then new cards, then re-drills; None when done."""
        if self._queue:
            return self._queue[0]
        if self._drills:
            return self._drills[0]
        return None

    @property
    def remaining(self) -> int:
        """Cards still to ask (re-drills added by failed answers included)."""
        return len(self._queue) + len(self._drills)

    def remaining_by_phase(self) -> dict[Phase, int]:
        counts: dict[Phase, int] = {"review": 0, "new": 0, "drill": len(self._drills)}
        for item in self._queue:
            counts[item.phase] += 1
        return counts

    @property
    def done(self) -> int:
        """Answers given in this session (re-drills included)."""
        return len(self._outcomes)

    @property
    def outcomes(self) -> list[Outcome]:
        return list(self._outcomes)

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    def _take(self) -> Item:
        item = self.current()
        if item is None:
            raise IndexError("the session has no card left")
        self._history.append(
            _Snapshot(list(self._queue), list(self._drills), list(self._outcomes), list(self._suspended))
        )
        if self._queue:
            self._queue.pop(0)
        else:
            self._drills.pop(0)
        return item

    # -- answers ------------------------------------------------------------
    def answer(self, grade: int, *, today: date, now: datetime) -> Outcome:
        """Grade the current card.  Below 4, it comes back as a re-drill at the end."""
        sm2.check_grade(grade)
        item = self._take()
        before = item.card.state
        kind: Kind
        policy = self.policy(item.card.deck)
        if item.phase == "drill":
            kind, after = "drill", before
        else:
            kind = sm2.review_kind(before)
            after = schedulers.review(before, grade, today, now=now, policy=policy)
        outcome = Outcome(item.card.id, item.phase, kind, grade, before, after, policy.scheduler)
        self._outcomes.append(outcome)
        if grade < sm2.RETENTION and not after.suspended:
            self._drills.append(Item(replace(item.card, state=after), "drill"))
        return outcome

    def suspend(self) -> CardView:
        """Take the current card out of the session (the caller suspends it in the bank)."""
        item = self._take()
        self._suspended.append(item.card.id)
        return item.card

    def undo(self) -> Item | None:
        """Take back the last answer or suspension; that card is asked again next."""
        if not self._history:
            return None
        snap = self._history.pop()
        self._queue, self._drills = snap.queue, snap.drills
        self._outcomes, self._suspended = snap.outcomes, snap.suspended
        return self.current()

    def summary(self) -> Summary:
        scheduling = [o for o in self._outcomes if o.kind != "drill"]
        return Summary(
            reviewed=len(scheduling),
            new=sum(1 for o in scheduling if o.kind == "new"),
            reviews=sum(1 for o in scheduling if o.kind != "new"),
            drills=len(self._outcomes) - len(scheduling),
            correct=sum(1 for o in scheduling if o.grade >= sm2.PASSING),
            suspended=len(self._suspended),
        )
