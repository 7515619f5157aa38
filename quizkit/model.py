"""Plain data shared by every layer: compiled cards, learner state, views.

Nothing here imports SQLAlchemy, click or rich.  The compiler produces
:class:`CardSpec` values, the bank stores them and hands back
:class:`CardView` values, the scheduler works on :class:`CardState`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for type checkers; at run time __getattr__ below loads them
    from quizkit.reports import ChapterResult as ChapterResult
    from quizkit.reports import DeckSummary as DeckSummary
    from quizkit.reports import MediaRef as MediaRef
    from quizkit.reports import ReviewRow as ReviewRow
    from quizkit.reports import SchedulerSwitch as SchedulerSwitch
    from quizkit.reports import SyncReport as SyncReport
    from quizkit.reports import Warning_ as Warning_

_REPORTS = frozenset(
    ("ChapterResult", "DeckSummary", "MediaRef", "ReviewRow", "SchedulerSwitch", "SyncReport", "Warning_")
)


def __getattr__(name: str) -> object:
    """The report dataclasses live in :mod:`quizkit.reports` and are loaded on first use."""
    if name in _REPORTS:
        from quizkit import reports

        return getattr(reports, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# E-Factor is kept as an integer in permille (2500 == 2.5), as Anki keeps ease.
EF_INITIAL = 2500
EF_MIN = 1300


class CardKind(StrEnum):
    """What a card is about (documented in docs/cards.md)."""

    COMMAND = "command"  # a shell command and what it does
    OPTION = "option"  # one option of a command (docker ps -a)
    CONCEPT = "concept"  # prose: definitions, comparisons, reasons
    ARCHITECTURE = "architecture"  # components and who talks to whom


class CardStyle(StrEnum):
    """How a card is asked."""

    BASIC = "basic"  # front shown, back revealed, learner grades 0-5
    TYPE = "type"  # learner types the answer (commands), graded automatically
    CLOZE = "cloze"  # front holds {{c1::deletions::hint}}; back is extra text
    CHOICE = "choice"  # multiple choice; ``choices`` holds the options


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool


@dataclass(frozen=True)
class CardSpec:
    """One card as compiled from a source; identity is ``fact`` + ``section``.

    ``fact`` names what the card tests independently of its wording, e.g.
    ``"command:docker ps:meaning"`` or ``"option:docker ps:-a"``.  Editing the
    explanation in the chapter changes ``back`` but not the key, so learner
    history survives recompiles.
    """

    kind: CardKind
    style: CardStyle
    front: str
    back: str
    fact: str
    section: tuple[str, ...] = ()
    source_file: str = ""
    source_line: int = 0
    tags: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    hint: str | None = None
    # Other answers accepted for TYPE cards (aliases/variants of a command).
    aliases: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    # Context shown with the answer (the sentence a cloze came from, notes).
    extra: str = ""

    def key(self, deck_key: str) -> str:
        return card_key(deck_key, self.section, self.fact)

    @property
    def source(self) -> str:
        return f"{self.source_file}:{self.source_line}"


def card_key(deck_key: str, section: tuple[str, ...] | list[str], fact: str) -> str:
    """Stable card id: a hash of deck, heading path and the fact tested."""
    raw = "\x1f".join([deck_key, " > ".join(section), fact])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class CardState:
    """A learner's scheduling state for one card.  ``last_review is None`` == new.

    ``ef``/``repetitions`` follow SM-2; ``stability`` (days) and ``difficulty``
    (1-10) are FSRS's memory state, ``None`` until the card is scheduled by
    FSRS.  ``due``/``interval`` are those of the deck's scheduler.
    """

    due: date | None = None
    interval: int = 0
    ef: int = EF_INITIAL  # permille
    repetitions: int = 0
    lapses: int = 0
    suspended: bool = False
    leech: bool = False
    last_review: datetime | None = None
    stability: float | None = None
    difficulty: float | None = None

    @property
    def is_new(self) -> bool:
        return self.last_review is None

    def to_json(self, today: date) -> dict[str, object]:
        due = self.due if self.due is not None else today
        data: dict[str, object] = {
            "due": due.isoformat(),
            "interval": self.interval,
            "ef": self.ef / 1000,
            "repetitions": self.repetitions,
            "lapses": self.lapses,
            "suspended": self.suspended,
            "leech": self.leech,
            "new": self.is_new,
        }
        if self.stability is not None and self.difficulty is not None:
            data["stability"] = round(self.stability, 4)
            data["difficulty"] = round(self.difficulty, 4)
        return data


@dataclass(frozen=True)
class CardView:
    """A stored card with its deck and (for one learner) its state."""

    id: str
    deck: str
    spec: CardSpec
    state: CardState = field(default_factory=CardState)
    retired: bool = False

    def to_json(self, today: date) -> dict[str, object]:
        s = self.spec
        data: dict[str, object] = {
            "id": self.id,
            "deck": self.deck,
            "kind": str(s.kind),
            "style": str(s.style),
            "front": s.front,
            "back": s.back,
            "section": list(s.section),
            "source": s.source,
            "tags": list(s.tags),
            "media": list(s.media),
            "fact": s.fact,
            "state": self.state.to_json(today),
        }
        if s.hint:
            data["hint"] = s.hint
        if s.aliases:
            data["aliases"] = list(s.aliases)
        if s.choices:
            data["choices"] = [{"text": c.text, "correct": c.correct} for c in s.choices]
        if s.extra:
            data["extra"] = s.extra
        if self.retired:
            data["retired"] = True
        return data


@dataclass(frozen=True)
class DeckInfo:
    """A deck as the bank knows it.  ``key`` is its stable identity."""

    key: str
    name: str
    description: str = ""
    anki_id: int | None = None
    source_dir: str = ""
    settings: dict[str, object] = field(default_factory=dict)


def deck_key_from_name(name: str) -> str:
    """A deck's stable key from its name: lower case, runs of other characters become '-'."""
    out: list[str] = []
    for ch in name.strip().casefold():
        if ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-") or "deck"
