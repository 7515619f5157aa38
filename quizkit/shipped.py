"""The decks shipped with quizkit (repo ``decks/``, packaged as ``quizkit/_decks``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_decks_dir() -> Path:
    packaged = resources.files("quizkit") / "_decks"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "decks"


def shipped_deck_dirs() -> list[Path]:
    """Every shipped deck folder (one with a ``deck.toml``), sorted by name."""
    root = shipped_decks_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "deck.toml").is_file())
