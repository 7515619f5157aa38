"""Helpers for compile tests: a process that has not cut a sentence yet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quizkit.compiler import prose, segment


def forget_cuts() -> None:
    """Drop every memoised cut and the prose analyses built on them."""
    segment.forget()
    prose._cjk_terms.cache_clear()
    prose._paragraph_sentences.cache_clear()


def as_new(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as if it had not cut a sentence yet (rjieba's module may stay imported)."""
    forget_cuts()
    monkeypatch.setattr(segment, "_CUT", None)


@pytest.fixture
def no_cuts_yet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    as_new(monkeypatch)
    yield
    forget_cuts()
