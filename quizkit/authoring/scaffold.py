"""``quizkit new``: a deck folder to start from (commented deck.toml, example chapter and cards)."""

from __future__ import annotations

from pathlib import Path

from quizkit.authoring.deckdir import _ID_RE, DECK_FILE, derived_anki_id
from quizkit.errors import DeckError
from quizkit.model import deck_key_from_name

CHAPTER_FILE = "01-first-chapter.md"
CARDS_FILE = "cards.md"

DECK_TOML = """\
# A quizkit deck. Check it with `quizkit lint {path}`, see its cards with
# `quizkit preview {path}`, build it with `quizkit build {path}`.
# Every field: docs/authoring.md.

# Stable id: card keys (and so every learner's progress) hang on it.
# Lower-case letters, digits, '.', '_' or '-'. Never change it once students study the deck.
id = "{id}"

# Shown in `quizkit decks` and as the Anki deck name; you may rename it any time.
name = "{name}"
description = ""
author = ""
version = "0.1.0"

# Chapters in study order (Markdown files in this folder). Cards are extracted from them.
chapters = ["{chapter}"]

# Files of authored cards (Q:/A:, cloze, multiple choice, typed). Default: cards.md if it exists.
cards = ["{cards}"]

# Tags added to every card of the deck.
tags = []

# How many new cards a learner sees per day.
new_cards_per_day = 20

# The Anki deck id: keep it, so re-imported exports update the same Anki deck.
anki_id = {anki_id}

# [lint]
# warn = ["missing-image"]   # report these rules as warnings instead of errors
"""

CHAPTER = """\
# {name}

## First steps

Write your notes as you always do. A command in a shell block, with a comment
saying what it does, becomes two cards: what does it do, and type it.

```bash
git status   # show which files changed since the last commit

# Options
  -s, --short   : one line per file
```

Definitions become cloze cards.

**Git** is a distributed version control system.

Cards you write yourself can sit next to the text they test:

```quizkit
Q: Which command shows the files changed since the last commit?
A: `git status`
```
"""

CARDS = """\
# {name}

Authored cards. A card starts at Q:, C: or T: and runs until the next card,
heading or --- line. Headings group cards, as in chapters. Syntax: docs/authoring.md.

## First steps

Q: What does Git keep track of?
A: The history of changes to the files of a project.
id: git-tracks
tags: basics
note: A question and an answer. An id: keeps the card's progress when you reword it.

C: {{{{c1::git commit::command}}}} records the staged changes; {{{{c2::git push}}}} sends them to a remote.
id: git-commit-push

Q: Which command downloads a repository for the first time?
- [ ] git pull
- [x] git clone
- [ ] git fetch
hint: it makes a copy

T: Show the changes you have not staged yet
A: git diff
also: git diff --
"""


def create_deck(path: Path, *, name: str | None = None, deck_id: str | None = None) -> list[Path]:
    """Create the deck folder ``path`` with example files; never overwrites a file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DeckError("exists and is not a folder", file=str(path))
    if (path / DECK_FILE).exists():
        raise DeckError(f"already a deck folder ({DECK_FILE} exists); edit it instead", file=str(path))
    name = (name or path.resolve().name).strip()
    if not name:
        raise DeckError("the deck needs a name (--name)")
    key = deck_id or deck_key_from_name(name)
    if not _ID_RE.match(key):
        raise DeckError(f"--id must be lower-case letters, digits, '.', '_' or '-': {key!r}")
    files = {
        DECK_FILE: DECK_TOML.format(
            path=path,
            id=key,
            name=name.replace("\\", "\\\\").replace('"', '\\"'),
            chapter=CHAPTER_FILE,
            cards=CARDS_FILE,
            anki_id=derived_anki_id(key),
        ),
        CHAPTER_FILE: CHAPTER.format(name=name),
        CARDS_FILE: CARDS.format(name=name),
    }
    for rel in files:
        if (path / rel).exists():
            raise DeckError(f"{rel} already exists; not overwriting it", file=str(path))
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for rel, text in files.items():
        (path / rel).write_text(text, encoding="utf-8")
        written.append(path / rel)
    return written
