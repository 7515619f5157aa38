"""Chinese segmentation for term selection: jieba's part-of-speech cut, memoised.

jieba (no HMM: its dictionary only, so results are stable) is imported on the
first Chinese sentence that needs it, never when quizkit starts; its prefix
dictionary is loaded once per process (jieba keeps its own cache file in the
temporary folder). Cuts are memoised per sentence, because chapters repeat
sentences (and decks repeat chapters) more than one would think.

A parallel compile's worker processes do not load jieba: they ask the parent
process, which loads it while they parse (:func:`use`, ``compiler/chapter.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache

_Cut = Callable[[str], list[tuple[str, str]]]
_CUT: _Cut | None = None
_LOADED = False  # a cut costs no start-up any more: jieba's dictionary is in memory, or cuts go elsewhere


def _jieba_cut() -> _Cut:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict..." chatter on stderr

    def cut(sentence: str) -> list[tuple[str, str]]:
        return [(pair.word, pair.flag) for pair in jieba.posseg.cut(sentence, HMM=False)]

    return cut


def load() -> None:
    """Import jieba and load its dictionary now rather than on the first cut.

    A parallel compile does this before forking, so its processes share one copy.
    """
    global _CUT, _LOADED
    if _CUT is None:
        _CUT = _jieba_cut()
    import jieba

    jieba.initialize()
    _LOADED = True


def loaded() -> bool:
    """Whether cutting is ready: :func:`load` ran (or a cut did), or :func:`use` was called."""
    return _LOADED


def use(cut: _Cut) -> None:
    """Cut with ``cut`` from now on (a compile worker: its parent cuts with jieba)."""
    global _CUT, _LOADED
    _CUT = cut
    _LOADED = True


@lru_cache(maxsize=65536)
def _cut_cached(sentence: str) -> tuple[tuple[str, str], ...]:
    global _CUT, _LOADED
    if _CUT is None:
        _CUT = _jieba_cut()
    pairs = tuple(_CUT(sentence))
    _LOADED = True  # jieba loads its dictionary on the first cut
    return pairs


def posseg_cut(sentence: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs of ``sentence``: jieba's no-HMM posseg cut."""
    return list(_cut_cached(sentence))
