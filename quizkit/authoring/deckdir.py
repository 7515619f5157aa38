"""Deck folders: ``deck.toml`` + chapters + optional ``cards.md``, compiled into one deck.

``load_deck`` reads and checks ``deck.toml`` (a :class:`DeckSource`);
``compile_deck`` compiles its chapters with the chapter compiler, parses the
authored cards (``cards.md`` and ```` ```quizkit ```` blocks inside chapters)
and merges them into a :class:`DeckBuild`.  Both raise
:class:`~quizkit.errors.DeckError` with ``file``/``line`` for a teacher's
mistake; :func:`read_deck` and :func:`build_deck` return every problem
instead, for ``quizkit lint``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quizkit.authoring.cards import AuthoredCard, card_tags, parse_cards
from quizkit.authoring.problems import RULES, Problem, problem
from quizkit.errors import DeckError, QuizkitError
from quizkit.model import CardSpec, ChapterResult, DeckInfo, Warning_

DECK_FILE = "deck.toml"
DEFAULT_CARDS_FILE = "cards.md"
BLOCK_INFO = "quizkit"  # ```quizkit fences hold authored cards inside a chapter
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_KNOWN_KEYS = frozenset(
    "id name description author version chapters cards tags new_cards_per_day anki_id lint scheduler".split()
)
# Problems that make a card wrong or impossible to store; compile_deck refuses them.
# The others (missing images, option blocks, identical cards) are for lint and build.
COMPILE_FATAL = frozenset(
    "deck-toml missing-chapter bad-chapter empty-side bad-card cloze-no-deletion choice-answers "
    "duplicate-key".split()
)


@dataclass(frozen=True)
class DeckSource:
    """A deck folder as described by its ``deck.toml``.

    ``path`` is the folder as the user named it (for messages); ``root`` is
    its absolute path.  ``chapters`` and ``card_files`` are paths relative to
    ``root``, in order.
    """

    path: Path
    root: Path
    id: str
    name: str
    chapters: tuple[str, ...]
    card_files: tuple[str, ...] = ()
    description: str = ""
    author: str = ""
    version: str = ""
    tags: tuple[str, ...] = ()
    new_cards_per_day: int | None = None
    anki_id: int | None = None
    lint_warn: frozenset[str] = frozenset()
    scheduler: str | None = None  # "sm2" | "fsrs"; None leaves the bank's choice alone

    @property
    def toml_path(self) -> Path:
        return self.path / DECK_FILE

    def display(self, rel: str) -> str:
        """A file of the deck as the user would name it (``decks/kubernetes/cards.md``)."""
        return os.path.join(str(self.path), rel)

    @property
    def info(self) -> DeckInfo:
        settings: dict[str, object] = {}
        if self.new_cards_per_day is not None:
            settings["new_cards_per_day"] = self.new_cards_per_day
        if self.author:
            settings["author"] = self.author
        if self.version:
            settings["version"] = self.version
        if self.scheduler is not None:
            settings["scheduler"] = self.scheduler
        return DeckInfo(
            key=self.id,
            name=self.name,
            description=self.description,
            anki_id=self.anki_id if self.anki_id is not None else derived_anki_id(self.id),
            source_dir=str(self.root),
            settings=settings,
        )


@dataclass
class DeckBuild:
    """A compiled deck: its identity, every card (extracted and authored), per-chapter results."""

    info: DeckInfo
    cards: list[CardSpec]
    chapters: list[ChapterResult] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    authored: list[AuthoredCard] = field(default_factory=list)


def derived_anki_id(key: str) -> int:
    """An Anki deck id from the deck's key, in genanki's recommended range [2**30, 2**31)."""
    digest = hashlib.sha1(("quizkit-deck-id:" + key).encode("utf-8")).hexdigest()
    return (1 << 30) + int(digest[:8], 16) % (1 << 30)


def is_deck_dir(path: Path) -> bool:
    """A folder with a ``deck.toml``."""
    return Path(path).is_dir() and (Path(path) / DECK_FILE).is_file()


def load_deck(path: Path) -> DeckSource:
    """Read and check ``path/deck.toml``; the first problem is a DeckError naming file and line."""
    source, problems = read_deck(path)
    for p in problems:
        if p.is_error:
            raise DeckError(p.message, file=p.file, line=p.line)
    assert source is not None
    return source


def compile_deck(source: DeckSource) -> DeckBuild:
    """Compile a deck's chapters and authored cards; a broken card is a DeckError naming file and line."""
    build, problems = build_deck(source)
    for p in problems:
        if p.is_error and p.rule in COMPILE_FATAL:
            raise DeckError(p.message, file=p.file, line=p.line)
    return build


# -- deck.toml ------------------------------------------------------------------
def _key_line(text: str, key: str, default: int = 1) -> int:
    m = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else default


def _value_line(text: str, value: str, default: int) -> int:
    for quote in ('"', "'"):
        i = text.find(f"{quote}{value}{quote}")
        if i >= 0:
            return text.count("\n", 0, i) + 1
    return default


def read_deck(path: Path) -> tuple[DeckSource | None, list[Problem]]:
    """Parse ``deck.toml`` and check every field; ``None`` when the deck cannot be used at all."""
    path = Path(path)
    toml_path = path / DECK_FILE
    display = str(toml_path)
    problems: list[Problem] = []

    def report(line: int, message: str, rule: str = "deck-toml") -> None:
        problems.append(problem(display, line, rule, message))

    if not path.is_dir():
        raise DeckError("no such deck folder" if not path.exists() else "not a folder", file=str(path))
    if not toml_path.is_file():
        raise DeckError(f"not a deck folder: no {DECK_FILE} (create one with 'quizkit new')", file=str(path))
    try:
        text = toml_path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        report(1, "deck.toml is not valid UTF-8")
        return None, problems
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(m.group(1)) if m else 1
        reason = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", str(exc))
        report(line, f"deck.toml is not valid TOML: {reason}")
        return None, problems

    def string(key: str, *, required: bool = False) -> str:
        value = data.get(key)
        if value is None:
            if required:
                report(1, f"deck.toml has no {key!r} field")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            report(
                _key_line(text, key),
                f"{key!r} must be a non-empty string" if required else f"{key!r} must be a string",
            )
            return ""
        return value.strip()

    def strings(key: str) -> tuple[str, ...] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            report(_key_line(text, key), f"{key!r} must be a list of strings")
            return ()
        return tuple(v.strip() for v in value)

    deck_id = string("id", required=True)
    if deck_id and not _ID_RE.match(deck_id):
        report(
            _key_line(text, "id"),
            f"'id' must be lower-case letters, digits, '.', '_' or '-': {deck_id!r}",
        )
        deck_id = ""
    name = string("name", required=True)
    description = string("description")
    author = string("author")
    version = string("version")
    if "chapters" not in data:
        report(1, "deck.toml has no 'chapters' field (a list of chapter files, in order)")
    chapters = strings("chapters") or ()
    cards = strings("cards")
    tags = strings("tags") or ()
    per_day = data.get("new_cards_per_day")
    if per_day is not None and (not isinstance(per_day, int) or isinstance(per_day, bool) or per_day < 0):
        report(_key_line(text, "new_cards_per_day"), "'new_cards_per_day' must be a whole number, 0 or more")
        per_day = None
    scheduler = data.get("scheduler")
    if scheduler is not None and scheduler not in ("sm2", "fsrs"):
        report(_key_line(text, "scheduler"), f"'scheduler' must be \"sm2\" or \"fsrs\", not {scheduler!r}")
        scheduler = None
    anki_id = data.get("anki_id")
    if anki_id is not None and (
        not isinstance(anki_id, int) or isinstance(anki_id, bool) or not 0 < anki_id < 1 << 63
    ):
        report(_key_line(text, "anki_id"), "'anki_id' must be a positive whole number")
        anki_id = None
    warn: frozenset[str] = frozenset()
    lint = data.get("lint", {})
    if not isinstance(lint, dict) or not set(lint) <= {"warn"}:
        report(
            _key_line(text, "[lint]", _key_line(text, "lint")), "[lint] may only hold 'warn = [rule, ...]'"
        )
    else:
        names = lint.get("warn", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            report(_key_line(text, "warn"), "[lint] warn must be a list of rule names")
        else:
            unknown = [n for n in names if n not in RULES]
            if unknown:
                report(_key_line(text, "warn"), f"unknown lint rule(s): {', '.join(unknown)}")
            warn = frozenset(n for n in names if n in RULES)
    for key in data:
        if key not in _KNOWN_KEYS:
            import difflib

            close = difflib.get_close_matches(key.replace("-", "_"), sorted(_KNOWN_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            report(_key_line(text, key), f"unknown field {key!r} in deck.toml{hint}", "unknown-field")

    root = path.resolve()
    card_files = cards
    if card_files is None:
        card_files = (DEFAULT_CARDS_FILE,) if (root / DEFAULT_CARDS_FILE).is_file() else ()
    for what, files in (("chapter", chapters), ("cards file", card_files if cards is not None else ())):
        seen: set[str] = set()
        for rel in files:
            line = _value_line(text, rel, _key_line(text, "chapters" if what == "chapter" else "cards"))
            if rel in seen:
                report(line, f"{what} {rel!r} is listed twice")
            seen.add(rel)
            if not (root / rel).is_file():
                report(line, f"{what} {rel!r} is listed but missing", "missing-chapter")
    if any(p.is_error for p in problems):
        return None, problems
    source = DeckSource(
        path=path,
        root=root,
        id=deck_id,
        name=name,
        chapters=chapters,
        card_files=card_files,
        description=description,
        author=author,
        version=version,
        tags=tags,
        new_cards_per_day=per_day,
        anki_id=anki_id,
        lint_warn=warn,
        scheduler=scheduler,
    )
    return source, problems


# -- chapters with authored blocks -------------------------------------------------
@dataclass
class ChapterBuild:
    result: ChapterResult
    authored: list[AuthoredCard]
    problems: list[Problem]
    text: str  # the chapter with its quizkit blocks blanked out (what the extractor saw)


def read_text(path: Path, display: str) -> str:
    """A chapter's text; unreadable input is an InputError naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DeckError("no such file", file=display) from None
    except IsADirectoryError:
        raise DeckError("is a directory, not a Markdown file", file=display) from None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise DeckError("binary file (NUL byte), not a Markdown file", file=display, line=line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DeckError(
            f"not valid UTF-8 (byte 0x{data[exc.start : exc.start + 1].hex()})", file=display, line=line
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def compile_chapter(
    path: Path, *, source_file: str, display: str, warn: frozenset[str] = frozenset()
) -> ChapterBuild:
    """Compile one chapter: ```` ```quizkit ```` blocks become authored cards, the rest is extracted.

    The blocks are blanked (line numbers kept) before the extractor sees the
    chapter, so their ``Q:``/``A:`` lines never turn into extracted cards.
    """
    from quizkit.compiler import compile_text
    from quizkit.compiler.blocks import parse_blocks

    text = read_text(path, display)
    lines = text.split("\n")
    authored: list[AuthoredCard] = []
    problems: list[Problem] = []
    for block in parse_blocks(text, display):
        if block.kind != "code" or block.info != BLOCK_INFO:
            continue
        parsed = parse_cards(
            block.raw,
            source_file=source_file,
            display_file=display,
            first_line=block.line,
            section=block.section,
            warn=warn,
            headings=False,
        )
        authored.extend(parsed.cards)
        problems.extend(parsed.problems)
        n = block.raw.count("\n") + (0 if block.raw.endswith("\n") or not block.raw else 1)
        for i in range(block.line - 2, min(block.line - 1 + n + 1, len(lines))):
            lines[i] = ""
    blanked = "\n".join(lines)
    result = compile_text(blanked, source_file=source_file, base_dir=path.parent)
    if authored:
        # The extractor warns "no cards found" for a chapter made only of authored cards.
        result.warnings = [w for w in result.warnings if w.message != "no cards found in chapter"]
    return ChapterBuild(result, authored, problems, blanked)


# -- the whole deck ----------------------------------------------------------------
def build_deck(source: DeckSource) -> tuple[DeckBuild, list[Problem]]:
    """Compile everything; problems are returned (lint), not raised.  Missing images are problems here."""
    problems: list[Problem] = []
    warn = source.lint_warn
    chapters: list[ChapterResult] = []
    merged: list[CardSpec] = []
    authored: list[AuthoredCard] = []
    warnings: list[Warning_] = []
    for rel in source.chapters:
        display = source.display(rel)
        try:
            ch = compile_chapter(source.root / rel, source_file=_posix(rel), display=display, warn=warn)
        except QuizkitError as exc:
            problems.append(problem(exc.file or display, exc.line or 1, "bad-chapter", exc.message, warn))
            continue
        chapters.append(ch.result)
        ordered = [(c.source_line, 0, c) for c in ch.result.cards]
        ordered += [(a.line, 1, a) for a in ch.authored]
        for _line, _, item in sorted(ordered, key=lambda t: (t[0], t[1])):
            if isinstance(item, AuthoredCard):
                authored.append(item)
                merged.append(dataclasses.replace(item.spec, tags=card_tags(item.spec, source.tags)))
            else:
                merged.append(dataclasses.replace(item, tags=_with(item.tags, source.tags)))
        problems.extend(ch.problems)
        for w in ch.result.warnings:
            warnings.append(Warning_(display, w.line, w.message))
            if not w.message.startswith("image not found: "):  # reported below as missing-image
                problems.append(problem(display, w.line, "chapter-warning", w.message, warn))
        for ref in ch.result.media:
            if ref.path is None:
                problems.append(
                    problem(display, ref.source_line, "missing-image", f"image not found: {ref.target}", warn)
                )
    for rel in source.card_files:
        display = source.display(rel)
        try:
            text = read_text(source.root / rel, display)
        except QuizkitError as exc:
            problems.append(problem(exc.file or display, exc.line or 1, "bad-chapter", exc.message, warn))
            continue
        parsed = parse_cards(text, source_file=_posix(rel), display_file=display, warn=warn)
        authored.extend(parsed.cards)
        merged.extend(dataclasses.replace(a.spec, tags=card_tags(a.spec, source.tags)) for a in parsed.cards)
        problems.extend(parsed.problems)
    for card in authored:
        base = (source.root / card.spec.source_file).parent
        for target in card.spec.media:
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not (base / target).is_file():
                where = source.display(card.spec.source_file)
                problems.append(
                    problem(where, card.line, "missing-image", f"image not found: {target}", warn)
                )
                warnings.append(Warning_(where, card.line, f"image not found: {target}"))
    problems.extend(check_duplicates(authored, source.display, warn))
    cards = _drop_duplicate_keys(merged)
    build = DeckBuild(source.info, cards, chapters, warnings, authored)
    return build, problems


def check_duplicates(
    authored: list[AuthoredCard], display: Any, warn: frozenset[str] = frozenset()
) -> list[Problem]:
    """Two authored cards with one key, or with the same question and answer under two keys."""
    problems: list[Problem] = []
    by_key: dict[tuple[tuple[str, ...], str], AuthoredCard] = {}
    by_content: dict[tuple[object, ...], AuthoredCard] = {}
    for card in authored:
        s = card.spec
        where = display(s.source_file)
        key = (s.section, s.fact)
        if card.explicit_id is not None:
            key = ((), s.fact)  # an explicit id is unique in the whole deck
        first = by_key.get(key)
        if first is not None:
            there = f"{first.spec.source_file}:{first.line}"
            if card.explicit_id is not None:
                msg = f"duplicate card key: id {card.explicit_id!r} is also used at {there}"
            else:
                msg = (
                    f"duplicate card key: the same question in the same section as {there} (give one an id:)"
                )
            problems.append(problem(where, card.line, "duplicate-key", msg, warn))
            continue
        by_key[key] = card
        content = (s.style, " ".join(s.front.split()), " ".join(s.back.split()), s.choices)
        twin = by_content.get(content)
        if twin is not None:
            there = f"{twin.spec.source_file}:{twin.line}"
            problems.append(
                problem(where, card.line, "identical-card", f"identical to the card at {there}", warn)
            )
        else:
            by_content[content] = card
    return problems


def _drop_duplicate_keys(cards: list[CardSpec]) -> list[CardSpec]:
    # Only reached by lint/preview of a deck with duplicate keys (compile_deck refuses it first).
    seen: set[tuple[tuple[str, ...], str]] = set()
    out = []
    for c in cards:
        key = (c.section, c.fact)
        if c.fact.startswith("authored:") and key in seen:
            continue
        seen.add(key)
        out.append(c)
    return out


def _with(tags: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tags + extra))


def _posix(rel: str) -> str:
    return Path(rel).as_posix()
