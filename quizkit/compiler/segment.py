"""Chinese segmentation for term selection: jieba's no-HMM part-of-speech cut, memoised.

The cut is jieba's (``jieba.posseg.cut(sentence, HMM=False)``: dictionary words
only, so results are stable), computed by rjieba, the Python binding of jieba-rs
(the Rust port of jieba, with the same dictionary).  jieba itself needs about 1.5
seconds per process to load its dictionary (a 9 MB marshal cache and ``dict.txt``
again for the part-of-speech tags) and holds ~140 MB; rjieba loads in under 0.1 s
and holds ~35 MB.

rjieba's ``tag`` flags a word its dictionary lacks by guessing (``m`` for digits, a
tag for a lone rare character); jieba's posseg cut flags such a word ``eng`` when it is
a run of ASCII letters and digits, else ``x``.  That is undone here, and it is the only
difference: jieba's dictionary has no ASCII word, and no word with a character outside
the runs that jieba cuts (U+4E00-U+9FD5, ASCII letters and digits, ``+#&._``) that it
could ever produce.

``tests/test_segment_oracle.py`` checks the result against jieba itself (a test
dependency) on every dictionary word, the seed, the corpus and random text.

rjieba is imported on the first Chinese sentence that needs it, never when quizkit
starts.  Cuts are memoised per sentence, because chapters repeat sentences (and decks
repeat chapters) more than one would think.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Pairs = tuple[tuple[str, str], ...]
_Cut = Callable[[str], Pairs]
_CUT: _Cut | None = None

_ASCII_WORD_RE = re.compile("[a-zA-Z0-9]+")


def _rjieba_cut() -> _Cut:
    import rjieba  # builds its dictionary on import (~0.1 s)

    tag, has_word = rjieba.tag, rjieba.has_word

    def cut(sentence: str) -> Pairs:
        return tuple(
            (word, flag if has_word(word) else "eng" if _ASCII_WORD_RE.fullmatch(word) else "x")
            for word, flag in tag(sentence, False)
        )

    return cut


@lru_cache(maxsize=65536)  # sentences
def _cut_cached(sentence: str) -> Pairs:
    global _CUT
    if _CUT is None:
        _CUT = _rjieba_cut()
    return _CUT(sentence)


def posseg_cut(sentence: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs of ``sentence``: jieba's no-HMM posseg cut."""
    return list(_cut_cached(sentence))


def forget() -> None:
    """Drop every memoised cut (tests)."""
    _cut_cached.cache_clear()
