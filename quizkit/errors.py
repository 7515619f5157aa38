"""Errors the library raises for user mistakes; the CLI shows them as one line.

Every error a user can cause (a bad file, a malformed deck, an unknown card, a
database that is not ours) is a :class:`QuizkitError`.  Anything else escaping
the library is a bug.
"""

from __future__ import annotations


class QuizkitError(Exception):
    """Base class: a message for the user, optionally tied to ``file:line``."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        return f"{where}{self.message}"


class InputError(QuizkitError):
    """A file or argument the user gave cannot be read or used."""


class ChapterError(InputError):
    """A chapter cannot be compiled (unterminated fence, binary content...)."""


class DeckError(InputError):
    """A deck folder or ``deck.toml`` is malformed."""


class DatabaseError(QuizkitError):
    """The bank cannot be opened or is not a quizkit database."""


class SchemaTooNewError(DatabaseError):
    """The bank was written by a newer quizkit; we refuse to touch it."""


class UnknownCardError(QuizkitError):
    """No card (or no unique card) matches the id the user gave."""


class UnknownDeckError(QuizkitError):
    """No deck of that name exists in the bank."""
