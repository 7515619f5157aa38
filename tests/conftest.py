"""Shared test set-up: every test gets its own bank and data dir, never the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "kubernetes-01.md"
CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default bank, the data dirs and the learner at temp values."""
    data = tmp_path / "_data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("QUIZKIT_DB", str(tmp_path / "bank.sqlite3"))
    monkeypatch.setenv("QUIZKIT_LEARNER", "tester")
    monkeypatch.delenv("QUIZKIT_NOW", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path / "bank.sqlite3"
