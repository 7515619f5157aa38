"""From paths on disk to compiled decks: chapters, chapter folders and deck folders.

``collect`` decides what a path is (a deck folder with ``deck.toml``, a
chapter, a folder of chapters) and compiles it without touching the bank;
``store`` writes a compiled deck into the bank in one transaction.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from quizkit.errors import InputError
from quizkit.model import ChapterResult, DeckInfo, SyncReport, Warning_, deck_key_from_name
from quizkit.storage.rows import CardRow, card_rows

if TYPE_CHECKING:
    from quizkit.storage.bank import Bank, DeckSync


@dataclass
class CompiledDeck:
    """A deck ready to store: its cards as ``cards`` rows (:mod:`quizkit.storage.rows`)."""

    info: DeckInfo
    rows: list[CardRow]
    warnings: list[Warning_] = field(default_factory=list)


def _chapter_rows(deck_key: str, result: ChapterResult) -> tuple[list[CardRow], list[Warning_]]:
    # Runs where the chapter was compiled: in a parallel compile, a worker process.
    return card_rows(result.cards, deck_key), result.warnings


def collect(
    paths: Sequence[Path], *, deck: str | None = None, meanwhile: Callable[[], None] | None = None
) -> list[CompiledDeck]:
    """Compile ``paths``: each deck folder is its own deck; chapters form one deck.

    Chapters (files or folders of Markdown) go into the deck named ``deck``,
    or one named after the first path.  Nothing is written anywhere.  ``meanwhile``
    (idempotent: it may run once per folder) runs while a large folder compiles in
    worker processes; see :func:`quizkit.compiler.chapter.compile_files`.
    """
    if not paths:
        raise InputError("no chapter or deck folder given")
    decks: list[CompiledDeck] = []
    chapters: list[tuple[list[CardRow], list[Warning_]]] = []
    name = deck or _default_name(paths[0])  # the deck of any chapters given
    prepare = functools.partial(_chapter_rows, deck_key_from_name(name))
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
            decks.append(CompiledDeck(info, card_rows(build.cards, info.key), list(build.warnings)))
        else:
            from quizkit.compiler import compile_path

            chapters.extend(compile_path(path, prepare, meanwhile=meanwhile))
    if chapters:
        rows = [row for ch_rows, _ in chapters for row in ch_rows]
        warnings = [w for _, ch_warnings in chapters for w in ch_warnings]
        decks.append(CompiledDeck(_chapters_deck(paths, name), rows, warnings))
    return decks


def _default_name(path: Path) -> str:
    return path.resolve().name if path.is_dir() else path.stem


def _chapters_deck(paths: Sequence[Path], name: str) -> DeckInfo:
    first = Path(paths[0]).resolve()
    source_dir = first if first.is_dir() else first.parent
    return DeckInfo(key=deck_key_from_name(name), name=name, source_dir=str(source_dir))


def streams_into_new_bank(paths: Sequence[Path], target: str) -> bool:
    """Whether :func:`compile_into_new_bank` applies: chapters only, into a SQLite file not there yet."""
    from quizkit.storage.staging import NewBank

    if not paths or NewBank.for_target(target, learner="") is None:
        return False
    return not any(p.is_dir() and (p / "deck.toml").is_file() for p in paths)


def compile_into_new_bank(
    paths: Sequence[Path],
    *,
    deck: str | None,
    target: str,
    learner: str,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> tuple[SyncReport, list[Warning_]]:
    """Compile chapters into the new bank ``target``, storing each chapter as soon as it is ready.

    What :func:`collect` then :func:`store` do, in one pass: a large folder's chapters
    are stored (in order, one transaction) while the worker processes compile later
    ones.  The bank is built under a temporary name and only appears, complete, when
    everything is committed; a compile that fails leaves no bank behind
    (:mod:`quizkit.storage.staging`).  Only for :func:`streams_into_new_bank` cases.
    """
    from quizkit.compiler import compile_path
    from quizkit.compiler.chapter import paused_gc
    from quizkit.storage.staging import NewBank

    stage = NewBank.for_target(target, learner)
    if stage is None:
        raise InputError(f"not a new SQLite bank: {target}")
    name = deck or _default_name(paths[0])
    info = _chapters_deck(paths, name)
    prepare = functools.partial(_chapter_rows, info.key)
    warnings: list[Warning_] = []
    sync: DeckSync | None = None
    try:
        with contextlib.ExitStack() as stack:

            def on_ready(item: tuple[list[CardRow], list[Warning_]]) -> None:
                nonlocal sync
                rows, chapter_warnings = item
                warnings.extend(chapter_warnings)
                if sync is None:
                    sync = stack.enter_context(stage.open().syncing(info, now=now, progress=progress))
                sync.add(rows)

            with paused_gc():  # see store()
                for path in paths:
                    compile_path(path, prepare, meanwhile=stage.open, on_ready=on_ready)
        # Leaving the block finished the sync and committed it.
        assert sync is not None  # every path gives at least one chapter, or raises
        report = sync.report
        stage.publish()
    except BaseException:
        stage.discard()
        raise
    return report, warnings


def store(
    bank: Bank,
    compiled: CompiledDeck,
    *,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Write a compiled deck into the bank (one transaction; retired cards keep history)."""
    from quizkit.compiler.chapter import paused_gc

    # No cyclic GC while storing: with 100k cards alive every full collection walks them all.
    with paused_gc():
        return bank.sync_rows(compiled.info, compiled.rows, now=now, progress=progress)
