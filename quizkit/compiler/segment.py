"""Chinese segmentation for term selection: jieba's part-of-speech cut, memoised.

jieba (no HMM: its dictionary only, so results are stable) is imported on the
first Chinese sentence that needs it, never when quizkit starts; its prefix
dictionary is loaded once per process (jieba keeps its own cache file in the
temporary folder). Cuts are memoised per sentence, because chapters repeat
sentences (and decks repeat chapters) more than one would think.

A parallel compile's worker processes do not load jieba: they ask a segmenter
process forked from the parent, which loads it while they parse (:func:`use`,
:func:`remember`, ``compiler/chapter.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

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

    A parallel compile does this while its workers parse, then forks the process
    that cuts for them (so the dictionary is loaded once).
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
    """Cut with ``cut`` from now on (a compile worker: its segmenter process cuts with jieba)."""
    global _CUT, _LOADED
    _CUT = cut
    _LOADED = True


Pairs = tuple[tuple[str, str], ...]
_MEMO: dict[str, Pairs] = {}
_MEMO_MAX = 65536  # sentences; past that the memo starts again (chapters rarely repeat so far apart)


def posseg_cut(sentence: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs of ``sentence``: jieba's no-HMM posseg cut."""
    pairs = _MEMO.get(sentence)
    if pairs is None:
        global _CUT, _LOADED
        if _CUT is None:
            _CUT = _jieba_cut()
        pairs = tuple(_CUT(sentence))
        _LOADED = True  # jieba loads its dictionary on the first cut
        remember({sentence: pairs})
    return list(pairs)


def known(sentence: str) -> bool:
    """Whether ``sentence`` was cut (or remembered) already."""
    return sentence in _MEMO


def remember(cuts: dict[str, Pairs]) -> None:
    """Take cuts made elsewhere (a compile worker's batch from its segmenter) as this process's own."""
    if len(_MEMO) + len(cuts) > _MEMO_MAX:
        _MEMO.clear()
    _MEMO.update(cuts)


def forget() -> None:
    """Drop every memoised cut (tests)."""
    _MEMO.clear()
