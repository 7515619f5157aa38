"""What operations report, kept apart from :mod:`quizkit.model` so that the start-up path
of ``quizkit due`` and ``quizkit study`` does not build these dataclasses (each costs
about a millisecond of generated code).  ``quizkit.model`` still offers every name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from quizkit.model import CardSpec, CardState


@dataclass(frozen=True)
class MediaRef:
    """An image a chapter references, resolved against the chapter's folder."""

    section: tuple[str, ...]
    source_file: str
    source_line: int
    target: str  # as written in the chapter
    path: str | None  # resolved absolute path, None when it does not exist


@dataclass(frozen=True)
class Warning_:
    """A non-fatal problem found while compiling (missing image, ...)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: warning: {self.message}"


@dataclass
class ChapterResult:
    """What compiling one chapter yields."""

    path: str
    cards: list[CardSpec] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)


@dataclass(frozen=True)
class SyncReport:
    """What storing a compiled deck changed (card ids per outcome)."""

    deck: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "retired": len(self.retired),
            "revived": len(self.revived),
        }

    def describe(self) -> str:
        """One line for people: ``Deck: 85 cards — 3 added, 1 updated, 81 unchanged, 0 retired``."""
        c = self.counts()
        total = c["added"] + c["updated"] + c["unchanged"] + c["revived"]
        parts = [
            f"{c['added']} added",
            f"{c['updated']} updated",
            f"{c['unchanged']} unchanged",
            f"{c['retired']} retired",
        ]
        if c["revived"]:
            parts.append(f"{c['revived']} revived")
        return f"{self.deck}: {total} cards — " + ", ".join(parts)


@dataclass(frozen=True)
class DeckSummary:
    key: str
    name: str
    cards: int
    retired: int
    by_kind: dict[str, int]
    new: int
    due: int
    suspended: int


@dataclass(frozen=True)
class ReviewRow:
    """One row of the append-only review log."""

    id: int
    card_id: str
    learner: str
    reviewed_at: datetime
    study_day: date
    kind: str
    grade: int | None
    answer: str | None
    duration_ms: int | None
    undoes: int | None
    before: CardState
    after: CardState
    scheduler: str = "sm2"  # the scheduler that computed ``after``


@dataclass(frozen=True)
class SchedulerSwitch:
    """What changing a deck's scheduler did: states rebuilt from how many logged answers."""

    deck: str
    before: str
    after: str
    states: int = 0  # card states rewritten (all learners)
    answers: int = 0  # scheduling answers replayed
    learners: int = 0

    @property
    def changed(self) -> bool:
        return self.before != self.after
