"""quizkit's segmentation (rjieba) gives exactly jieba's no-HMM part-of-speech cut.

The compiler's concept cards depend on every word and flag of that cut
(``prose._cjk_terms``), so jieba itself (a test dependency) is the oracle: every word
of its dictionary, the seed, the corpus, the shipped decks and the fixtures, and
random text mixing dictionary words with ASCII, digits, punctuation, whitespace and
characters outside jieba's dictionary or its character class.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from quizkit.compiler import segment

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="module")
def jieba_cut() -> Iterator[object]:
    import jieba  # type: ignore[import-untyped]
    import jieba.posseg  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()

    def cut(text: str) -> list[tuple[str, str]]:
        return [(p.word, p.flag) for p in jieba.posseg.cut(text, HMM=False)]

    yield cut


def _ours(text: str) -> list[tuple[str, str]]:
    segment.forget()
    return segment.posseg_cut(text)


def _dictionary_words() -> list[str]:
    import jieba

    with jieba.get_dict_file() as f:
        return [line.split(b" ", 1)[0].decode("utf-8") for line in f if line.strip()]


def _check_batched(jieba_cut: object, texts: list[str], batch: int = 2000) -> int:
    """Compare cuts of ``texts``, ``batch`` at a time joined by "|" (an "x" token for both)."""
    cut = jieba_cut
    for i in range(0, len(texts), batch):
        joined = "|".join(texts[i : i + batch])
        expected = cut(joined)  # type: ignore[operator]
        got = _ours(joined)
        if got != expected:  # find the text that differs, for a readable failure
            for text in texts[i : i + batch]:
                assert _ours(text) == cut(text), text  # type: ignore[operator]
            assert got == expected
    return len(texts)


def test_every_dictionary_word_alone_and_beside_another(jieba_cut: object) -> None:
    words = _dictionary_words()
    assert len(words) > 300_000
    rng = random.Random(8)
    assert _check_batched(jieba_cut, words) == len(words)
    pairs = [w + rng.choice(words) for w in words[::3]]
    assert _check_batched(jieba_cut, pairs) == len(pairs)


def _markdown_texts() -> list[str]:
    files = sorted(REPO.glob("decks/**/*.md")) + sorted(REPO.glob("tests/fixtures/**/*.md"))
    files += sorted(SHARED.glob("seeds/*.md")) + sorted(SHARED.glob("corpus/*.md"))
    texts: set[str] = set()
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
            texts.add(line)
            texts.update(re.split(r"[。！？；]", line))
    texts.discard("")
    return sorted(texts)


def test_seed_corpus_decks_and_fixtures(jieba_cut: object) -> None:
    texts = _markdown_texts()
    assert len(texts) > 1000
    cut = jieba_cut
    for text in texts:  # one by one: "\r\n", whitespace and sentence ends as they come
        assert _ours(text) == cut(text), text  # type: ignore[operator]


EXTRA = [
    *"abcXYZ0123456789 .+#&_-%，。、！？：（）()\t\r\n“”'\"的了是指即称为叫做一二三",
    *["docker", "ps", "-a", "CPU", "Kubernetes", "k8s", "3.14", "v1.2", "\r\n", "  ", "ＡＢＣ", "１２"],
    *["\U00020000", "\u3400", "\u9fa5", "\u9fd6", "\uf900", "\ufa30", "é", "ß", "🙂"],
]


def test_random_text(jieba_cut: object) -> None:
    import jieba

    words = [w for w, freq in jieba.dt.FREQ.items() if freq]
    rng = random.Random(27)
    cut = jieba_cut
    for _ in range(20_000):
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.6:
                parts.append(rng.choice(words))
            elif r < 0.85:
                parts.append(rng.choice(EXTRA))
            else:
                parts.append(chr(rng.randint(0x4E00, 0x9FFF)))  # many are in no dictionary
        text = "".join(parts)
        assert _ours(text) == cut(text), text  # type: ignore[operator]
