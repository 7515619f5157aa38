"""The authored-card syntax: ``Q:``/``A:``, ``C:`` cloze, ``Q:`` with ``- [x]`` options, ``T:`` typed.

A card starts at a ``Q:``, ``C:`` or ``T:`` line and runs until the next
card, a heading or a ``---`` line; lines that are not a field continue the
field above them, so questions and answers can span lines.  Fields:
``A:`` (answer), ``id:``, ``tags:``, ``hint:``, ``note:``, ``also:`` (other
accepted answers of a typed card), ``kind:``, ``multi:``.  Headings give the
section, as in chapters.  Full-width colons (``Q：``) work too.

The card's key never depends on its answer: ``authored:<id>`` when it has an
``id:``, else its question (cloze text without the deleted words) in its
section.  See docs/authoring.md.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from quizkit.authoring.problems import Problem, problem
from quizkit.model import CardKind, CardSpec, CardStyle, Choice

CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_START_RE = re.compile(r"^(Q|C|T)\s*[:：][ \t]?(.*)$")
_FIELD_RE = re.compile(r"^(A|id|tags|hint|note|also|kind|multi)\s*[:：][ \t]?(.*)$", re.IGNORECASE)
_CHOICE_RE = re.compile(r"^\s{0,3}[-*+]\s+\[([ xX])\]\s*(.*)$")
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE_RE = re.compile(r"^ {0,3}(?:-{3,}|\*{3,}|_{3,})\s*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_IMAGE_RE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^()<>\n]*?)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_TAG_SPLIT_RE = re.compile(r"[\s,，、]+")
_TRUE = frozenset(["yes", "true", "y", "1", "是"])
_FALSE = frozenset(["no", "false", "n", "0", "否", ""])


@dataclass
class _Raw:
    """A card as written, before it is checked."""

    start: str  # "Q" | "C" | "T"
    line: int
    section: tuple[str, ...]
    fields: dict[str, list[str]] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)
    choices: list[tuple[str, bool, int]] = field(default_factory=list)
    repeated: list[tuple[str, int]] = field(default_factory=list)
    current: str = "Q"

    def open(self, name: str, text: str, line: int) -> None:
        if name in self.fields and name != "also":
            self.repeated.append((name, line))
            self.fields[name].append(text)  # keep the text; the card is reported anyway
        else:
            self.fields.setdefault(name, []).append(text)
            self.field_lines.setdefault(name, line)
        self.current = name

    def text(self, name: str) -> str | None:
        lines = self.fields.get(name)
        if lines is None:
            return None
        first, rest = lines[0], lines[1:]
        body = "\n".join([first.strip(), textwrap.dedent("\n".join(rest))]) if rest else first.strip()
        return body.strip("\n").strip()


@dataclass
class AuthoredCard:
    """An authored card and where it came from; ``spec.fact`` carries its stable key."""

    spec: CardSpec
    explicit_id: str | None

    @property
    def line(self) -> int:
        return self.spec.source_line


@dataclass
class ParsedCards:
    cards: list[AuthoredCard] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def heading_text(text: str) -> str:
    """A heading as a section name: inline markup dropped, spaces collapsed (as the compiler does)."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[`*_]", "", text) if re.search(r"[`*]", text) else text
    return " ".join(text.split())


def split_tags(text: str) -> tuple[str, ...]:
    return tuple(t.lstrip("#") for t in _TAG_SPLIT_RE.split(text) if t.strip("#"))


def normalise(text: str) -> str:
    """Question text as a key: whitespace collapsed, cloze deletions reduced to their number."""
    return " ".join(CLOZE_RE.sub(lambda m: "{{c" + m.group(1) + "}}", text).split())


def parse_cards(
    text: str,
    *,
    source_file: str,
    display_file: str | None = None,
    first_line: int = 1,
    section: tuple[str, ...] = (),
    warn: frozenset[str] = frozenset(),
    headings: bool = True,
) -> ParsedCards:
    """Parse authored cards from ``text`` (a cards file, or a ``quizkit`` block starting at ``first_line``).

    ``section`` is the heading path the text starts under; with ``headings``
    (a cards file) Markdown headings in the text set it.  ``source_file``
    goes into the cards, ``display_file`` (default: the same) into the problems.
    """
    display = display_file or source_file
    raws: list[_Raw] = []
    levels: list[tuple[int, str]] = []
    current: _Raw | None = None
    fence: str | None = None
    for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        lineno = first_line + i
        if fence is not None:
            if current is not None:
                current.fields[current.current].append(line)
            if line.strip().startswith(fence) and set(line.strip()) <= set(fence[0]):
                fence = None
            continue
        m = _FENCE_RE.match(line)
        if m:
            fence = m.group(1)
            if current is not None:
                current.fields[current.current].append(line)
            continue
        m = _HEADING_RE.match(line) if headings else None
        if m:
            current = None
            level = len(m.group(1))
            title = heading_text(m.group(2) or "")
            levels = [(lv, t) for lv, t in levels if lv < level]
            if title:
                levels.append((level, title))
            section = tuple(t for _, t in levels)
            continue
        if _RULE_RE.match(line):
            current = None
            continue
        m = _START_RE.match(line)
        if m:
            current = _Raw(m.group(1), lineno, section)
            current.open("Q", m.group(2), lineno)
            raws.append(current)
            continue
        if current is None:
            continue  # prose between cards
        m = _FIELD_RE.match(line)
        if m:
            name = m.group(1)
            current.open("A" if name in ("A", "a") else name.lower(), m.group(2), lineno)
            continue
        m = _CHOICE_RE.match(line)
        if m and current.start == "Q":
            current.choices.append((m.group(2).strip(), m.group(1) != " ", lineno))
            continue
        current.fields[current.current].append(line)
    out = ParsedCards()
    for raw in raws:
        card = _build(raw, source_file, display, warn, out.problems)
        if card is not None:
            out.cards.append(card)
    return out


def _images(text: str) -> tuple[str, list[str]]:
    targets = [t.strip() for _, t in _IMAGE_RE.findall(text)]
    stripped = _IMAGE_RE.sub("", text) if targets else text
    return "\n".join(ln.rstrip() for ln in stripped.split("\n")).strip(), targets


def _build(
    raw: _Raw, source_file: str, display: str, warn: frozenset[str], problems: list[Problem]
) -> AuthoredCard | None:
    def report(rule: str, message: str, line: int | None = None) -> None:
        problems.append(problem(display, line or raw.line, rule, message, warn))

    before = len(problems)
    for name, line in raw.repeated:
        label = "A:" if name == "A" else f"{name}:"
        report("bad-card", f"{label} given twice in one card", line)
    question, media = _images(raw.text("Q") or "")
    answer_text = raw.text("A")
    answer, answer_media = _images(answer_text or "")
    media += answer_media
    a_line = raw.field_lines.get("A", raw.line)
    label = {"Q": "Q:", "C": "C:", "T": "T:"}[raw.start]
    if not question:
        report("empty-side", f"empty question ({label})")
    kind_name = (raw.text("kind") or "").strip().lower()
    default_kind = CardKind.COMMAND if raw.start == "T" else CardKind.CONCEPT
    kind = default_kind
    if kind_name:
        try:
            kind = CardKind(kind_name)
        except ValueError:
            names = ", ".join(k.value for k in CardKind)
            report("bad-card", f"unknown kind {kind_name!r} (use one of: {names})", raw.field_lines["kind"])
    multi_text = (raw.text("multi") or "").strip().lower()
    if multi_text not in _TRUE | _FALSE:
        report("bad-card", f"multi: must be yes or no, not {multi_text!r}", raw.field_lines["multi"])
    multi = multi_text in _TRUE
    choices: tuple[Choice, ...] = ()
    if raw.start == "C":
        style = CardStyle.CLOZE
        deletions = list(CLOZE_RE.finditer(question))
        if question and not deletions:
            report("cloze-no-deletion", "cloze has no deletion: mark hidden words as {{c1::words}}")
        for d in deletions:
            if not d.group(2).strip():
                report("empty-side", f"empty cloze deletion {d.group(0)}")
    elif raw.start == "T":
        style = CardStyle.TYPE
        if not answer:
            report("empty-side", "empty answer (A:)", a_line)
    elif raw.choices:
        style = CardStyle.CHOICE
        choices = tuple(Choice(text, correct) for text, correct, _ in raw.choices)
        for text, _, line in raw.choices:
            if not text:
                report("empty-side", "empty option", line)
        right = sum(c.correct for c in choices)
        if len(choices) < 2:
            report("choice-answers", "multiple choice needs at least two options", raw.choices[0][2])
        elif right == 0:
            report("choice-answers", "multiple choice has no right answer: mark it - [x]")
        elif right > 1 and not multi:
            report(
                "choice-answers",
                f"multiple choice has {right} right answers: keep one, or add 'multi: yes'",
            )
    else:
        style = CardStyle.BASIC
        if not answer:
            report("empty-side", "empty answer (A:)", a_line)
    if any(p.is_error for p in problems[before:]):
        return None
    explicit = (raw.text("id") or "").strip() or None
    if explicit is not None and (len(explicit.split()) > 1):
        report("bad-card", f"id: must be one word, not {explicit!r}", raw.field_lines["id"])
        return None
    if explicit is not None:
        fact = f"authored:{explicit}"
    else:
        fact = f"authored:{raw.start.lower()}:{normalise(question)}"
    also = tuple(a.strip() for a in "\n".join(raw.fields.get("also", [])).split("\n") if a.strip())
    if also and raw.start != "T":
        report("bad-card", "also: is only for typed cards (T:)", raw.field_lines["also"])
        return None
    tags = split_tags(raw.text("tags") or "")
    spec = CardSpec(
        kind=kind,
        style=style,
        front=question,
        back=answer,
        fact=fact,
        section=raw.section,
        source_file=source_file,
        source_line=raw.line,
        tags=tags,
        media=tuple(dict.fromkeys(media)),
        hint=(raw.text("hint") or None),
        aliases=also,
        choices=choices,
        extra=raw.text("note") or "",
    )
    return AuthoredCard(spec, explicit)


def card_tags(spec: CardSpec, deck_tags: tuple[str, ...]) -> tuple[str, ...]:
    """Section names and the kind as tags (as the compiler tags extracted cards), then deck and own tags."""
    tags = [re.sub(r"\s+", "_", s.strip()) for s in spec.section if s.strip()]
    tags.append(spec.kind.value)
    tags.extend(deck_tags)
    tags.extend(spec.tags)
    return tuple(dict.fromkeys(tags))
