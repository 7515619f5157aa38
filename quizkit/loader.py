"""From paths on disk to compiled decks: chapters, chapter folders and deck folders.

``collect`` decides what a path is (a deck folder with ``deck.toml``, a
chapter, a folder of chapters) and compiles it without touching the bank;
``store`` writes a compiled deck into the bank in one transaction.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from quizkit.errors import InputError
from quizkit.model import CardSpec, ChapterResult, DeckInfo, SyncReport, Warning_, deck_key_from_name

if TYPE_CHECKING:
    from quizkit.storage.bank import Bank


@dataclass
class CompiledDeck:
    info: DeckInfo
    cards: list[CardSpec]
    chapters: list[ChapterResult] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)


def collect(paths: Sequence[Path], *, deck: str | None = None) -> list[CompiledDeck]:
    """Compile ``paths``: each deck folder is its own deck; chapters form one deck.

    Chapters (files or folders of Markdown) go into the deck named ``deck``,
    or one named after the first path.  Nothing is written anywhere.
    """
    if not paths:
        raise InputError("no chapter or deck folder given")
    decks: list[CompiledDeck] = []
    chapters: list[ChapterResult] = []
    for path in paths:
        if path.is_dir() and (path / "deck.toml").is_file():
            from quizkit.authoring.deckdir import compile_deck, load_deck

            build = compile_deck(load_deck(path))
            info = build.info
            if deck is not None:
                info = DeckInfo(
                    key=deck_key_from_name(deck),
                    name=deck,
                    description=info.description,
                    anki_id=None,
                    source_dir=info.source_dir,
                    settings=info.settings,
                )
            decks.append(CompiledDeck(info, list(build.cards), list(build.chapters), list(build.warnings)))
        else:
            from quizkit.compiler import compile_path

            chapters.extend(compile_path(path))
    if chapters:
        name = deck or _default_name(paths[0])
        first = Path(paths[0]).resolve()
        source_dir = first if first.is_dir() else first.parent
        cards = [card for ch in chapters for card in ch.cards]
        warnings = [w for ch in chapters for w in ch.warnings]
        info = DeckInfo(key=deck_key_from_name(name), name=name, source_dir=str(source_dir))
        decks.append(CompiledDeck(info, cards, chapters, warnings))
    return decks


def _default_name(path: Path) -> str:
    return path.resolve().name if path.is_dir() else path.stem


def store(
    bank: Bank,
    compiled: CompiledDeck,
    *,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Write a compiled deck into the bank (one transaction; retired cards keep history)."""
    # No cyclic GC while storing: with 100k cards alive every full collection walks them all.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return bank.sync_deck(compiled.info, compiled.cards, now=now, progress=progress)
    finally:
        if was_enabled:
            gc.enable()
