"""Note types, card templates, CSS and the HTML of every field (pure; no genanki).

One quizkit card becomes one note of one of four note types (basic, type-in,
cloze, multiple choice), each with a single card template, so one quizkit
card is exactly one Anki card.  Every piece of card text is HTML-escaped
before any markup is added: ``<name>``, ``$(docker ps -aq)`` and ``a && b``
show literally.

The same fields and templates drive the HTML preview:
:func:`render_card_html` fills a note type's templates in Python the way Anki
would, and :data:`CSS` is the style sheet both use.  :func:`render_card_page`
wraps one card in a standalone HTML page.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from quizkit.model import CardKind, CardSpec, CardStyle, CardView

CSS = """\
.card {
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
    "Source Han Sans SC", "Noto Sans SC", system-ui, -apple-system, "Segoe UI", sans-serif;
  font-size: 20px;
  line-height: 1.65;
  text-align: left;
  color: #1f2328;
  background-color: #ffffff;
  max-width: 46em;
  margin: 0 auto;
  padding: 0.6em 1em;
  word-wrap: break-word;
  overflow-wrap: anywhere;
}
.card.nightMode, .nightMode .card, .night_mode .card { color: #e6edf3; background-color: #1e1e1e; }
code, kbd, pre, .qk-cmd, #typeans, input#typeans, .qk-typein {
  font-family: "JetBrains Mono", "SFMono-Regular", "Cascadia Code", Menlo, Consolas, "Liberation Mono",
    "Noto Sans Mono CJK SC", monospace;
  font-size: 0.9em;
}
code { background: rgba(127, 127, 127, 0.14); border-radius: 4px; padding: 0.08em 0.3em; }
.qk-cmd {
  display: inline-block;
  white-space: pre-wrap;
  background: rgba(127, 127, 127, 0.14);
  border-left: 3px solid #2f81f7;
  border-radius: 4px;
  padding: 0.25em 0.6em;
}
.qk-q { font-size: 1.05em; }
.qk-a { margin-top: 0.4em; }
.qk-type { margin-top: 0.8em; }
input#typeans, .qk-typein { width: 100%; box-sizing: border-box; padding: 0.3em 0.5em; }
.qk-aliases, .qk-extra, .qk-source, .qk-hint { margin-top: 0.8em; }
.qk-aliases { font-size: 0.85em; color: #57606a; }
.qk-extra { font-size: 0.9em; border-top: 1px dashed rgba(127, 127, 127, 0.45); padding-top: 0.5em; }
.qk-source { font-size: 0.7em; color: #8c959f; }
.qk-media img { max-width: 100%; height: auto; margin-top: 0.6em; }
.qk-choices { margin: 0.6em 0 0 0; padding-left: 2em; }
.qk-choices li { margin: 0.2em 0; }
.qk-correct { font-weight: 600; color: #1a7f37; }
.nightMode .qk-correct, .night_mode .qk-correct { color: #3fb950; }
.cloze { font-weight: 700; color: #0969da; }
.nightMode .cloze, .night_mode .cloze { color: #58a6ff; }
"""

# Hard-coded, never regenerated: Anki matches note types by id, and by the
# names of their fields and templates (changing either makes a new note type).
MODEL_IDS = {"basic": 1694052101, "type": 1694052102, "cloze": 1694052103, "choice": 1694052104}

_TAIL_FIELDS = ("Hint", "Extra", "Media", "Source")
_HINT = '{{#Hint}}<div class="qk-hint">{{hint:Hint}}</div>{{/Hint}}'
_TAIL = (
    '{{#Extra}}<div class="qk-extra">{{Extra}}</div>{{/Extra}}'
    '{{#Media}}<div class="qk-media">{{Media}}</div>{{/Media}}'
    '{{#Source}}<div class="qk-source">{{Source}}</div>{{/Source}}'
)


@dataclass(frozen=True)
class NoteType:
    """One Anki note type: fixed ids, field names, a single card template."""

    key: str
    name: str
    fields: tuple[str, ...]
    qfmt: str
    afmt: str
    cloze: bool = False

    @property
    def id(self) -> int:
        return MODEL_IDS[self.key]

    def field_dicts(self) -> list[dict[str, object]]:
        return [{"name": name, "id": self.id * 100 + i + 1} for i, name in enumerate(self.fields)]

    def template_dicts(self) -> list[dict[str, object]]:
        return [{"name": "Card 1", "id": self.id * 100 + 99, "qfmt": self.qfmt, "afmt": self.afmt}]


NOTE_TYPES: dict[str, NoteType] = {
    "basic": NoteType(
        key="basic",
        name="quizkit Basic",
        fields=("Front", "Back", *_TAIL_FIELDS),
        qfmt='<div class="qk-q">{{Front}}</div>' + _HINT,
        afmt='<div class="qk-q">{{Front}}</div>\n<hr id=answer>\n<div class="qk-a">{{Back}}</div>' + _TAIL,
    ),
    "type": NoteType(
        key="type",
        name="quizkit Type-in",
        fields=("Prompt", "Answer", "Aliases", *_TAIL_FIELDS),
        qfmt='<div class="qk-q">{{Prompt}}</div>' + _HINT + '<div class="qk-type">{{type:Answer}}</div>',
        afmt=(
            '<div class="qk-q">{{Prompt}}</div>\n<hr id=answer>\n<div class="qk-type">{{type:Answer}}</div>'
            '{{#Aliases}}<div class="qk-aliases">{{Aliases}}</div>{{/Aliases}}' + _TAIL
        ),
    ),
    "cloze": NoteType(
        key="cloze",
        name="quizkit Cloze",
        fields=("Text", *_TAIL_FIELDS),
        qfmt='<div class="qk-q">{{cloze:Text}}</div>' + _HINT,
        afmt='<div class="qk-q">{{cloze:Text}}</div>\n<hr id=answer>' + _TAIL,
        cloze=True,
    ),
    "choice": NoteType(
        key="choice",
        name="quizkit Multiple choice",
        fields=("Question", "Choices", "Answer", *_TAIL_FIELDS),
        qfmt='<div class="qk-q">{{Question}}</div>{{Choices}}' + _HINT,
        afmt=(
            '<div class="qk-q">{{Question}}</div>{{Choices}}\n<hr id=answer>\n'
            '<div class="qk-a">{{Answer}}</div>' + _TAIL
        ),
    ),
}

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def text_html(text: str) -> str:
    """Prose as HTML: escaped first, then `code spans` and line breaks."""
    escaped = html.escape(text.strip().replace("\r\n", "\n"), quote=False)
    if "`" in escaped:
        escaped = _CODE_SPAN.sub(r"<code>\1</code>", escaped)
    return escaped.replace("\n", "<br>")


def command_html(command: str) -> str:
    """A command line, escaped, in a monospace block."""
    escaped = html.escape(command.strip().replace("\r\n", "\n"), quote=False).replace("\n", "<br>")
    return f'<code class="qk-cmd">{escaped}</code>'


def media_html(names: Sequence[str]) -> str:
    return "".join(f'<img src="{html.escape(name)}">' for name in names)


def has_cloze(text: str) -> bool:
    return CLOZE_RE.search(text) is not None


def cloze_text_html(text: str) -> str:
    """A cloze front as one Anki card: every deletion becomes ``c1`` (shown together, as quizkit asks)."""
    return CLOZE_RE.sub(_renumber, text_html(text))


def _renumber(m: re.Match[str]) -> str:
    hint = m.group(3)
    return "{{c1::" + m.group(2) + ("::" + hint if hint else "") + "}}"


def _source_html(spec: CardSpec) -> str:
    # Escaping works character by character, so the heading path (shared by a section) is escaped once.
    section = _section_html(spec.section) if spec.section else ""
    if not spec.source_file:
        return section
    source = html.escape(spec.source if spec.source_line else spec.source_file, quote=False)
    return f"{section} · {source}" if spec.section else source


@functools.lru_cache(maxsize=4096)
def _section_html(section: tuple[str, ...]) -> str:
    return html.escape(" › ".join(section), quote=False)


def note_type_key(spec: CardSpec) -> str:
    """Which note type a card uses (a cloze card without deletions falls back to basic)."""
    if spec.style is CardStyle.TYPE:
        return "type"
    if spec.style is CardStyle.CLOZE and has_cloze(spec.front):
        return "cloze"
    if spec.style is CardStyle.CHOICE and spec.choices:
        return "choice"
    return "basic"


def _is_command_kind(spec: CardSpec) -> bool:
    return spec.kind in (CardKind.COMMAND, CardKind.OPTION)


def note_fields(spec: CardSpec, media_names: Sequence[str] = ()) -> tuple[NoteType, list[str]]:
    """The note type and the HTML of every field for one card (in the note type's field order)."""
    key = note_type_key(spec)
    front = spec.front if spec.front.strip() else spec.fact
    extra = [spec.extra] if spec.extra.strip() else []
    revealed = CLOZE_RE.sub(lambda m: m.group(2), spec.front).strip()
    if key == "cloze" and spec.back.strip() not in ("", revealed, " > ".join(spec.section)):
        # A cloze has no answer field: a back that says more than the revealed text is shown as context.
        extra.insert(0, spec.back)
    tail = [
        text_html(spec.hint) if spec.hint else "",
        "<br>".join(text_html(e) for e in extra),
        media_html(media_names),
        _source_html(spec),
    ]
    if key == "type":
        aliases = ""
        if spec.aliases:
            aliases = "也可以 / also accepted: " + " ".join(command_html(a) for a in spec.aliases)
        # Anki compares what is typed with this field's text, so it stays plain (escaped) text.
        answer = html.escape(spec.back.strip(), quote=False)
        fields = [text_html(front), answer, aliases, *tail]
    elif key == "cloze":
        fields = [cloze_text_html(front), *tail]
    elif key == "choice":
        items = []
        answers = []
        for i, choice in enumerate(spec.choices):
            letter = _LETTERS[i] if i < len(_LETTERS) else str(i + 1)
            items.append(f"<li>{text_html(choice.text)}</li>")
            if choice.correct:
                answers.append(f'<div class="qk-correct">{letter}. {text_html(choice.text)}</div>')
        choices = '<ol class="qk-choices" type="A">' + "".join(items) + "</ol>"
        answer = "".join(answers) or text_html(spec.back)
        if spec.back.strip() and answers:
            answer += f"<div>{text_html(spec.back)}</div>"
        fields = [text_html(front), choices, answer, *tail]
    else:
        cmd = _is_command_kind(spec)
        q = command_html(front) if cmd and spec.style is CardStyle.BASIC else text_html(front)
        if spec.style is CardStyle.CLOZE:  # no deletion left: show the sentence, answer on the back
            q = text_html(CLOZE_RE.sub(lambda m: m.group(2), front))
        fields = [q, text_html(spec.back), *tail]
    return NOTE_TYPES[key], fields


# -- Python rendering of the templates, for the HTML preview ------------------
_SECTION = re.compile(r"\{\{#(\w+)\}\}(.*?)\{\{/\1\}\}", re.DOTALL)
_TAG = re.compile(r"\{\{(?:(\w+):)?(\w+)\}\}")


def _fill(template: str, values: dict[str, str], *, side: str) -> str:
    text = _SECTION.sub(lambda m: m.group(2) if values.get(m.group(1)) else "", template)

    def tag(m: re.Match[str]) -> str:
        flt, name = m.group(1), m.group(2)
        value = values.get(name, "")
        if flt == "hint":
            return f'<details class="qk-hint-box"><summary>提示 / hint</summary>{value}</details>'
        if flt == "type":
            if side == "front":
                return '<input class="qk-typein" id="typeans" type="text" autocomplete="off">'
            return f"<code id=typeans>{value}</code>"
        if flt == "cloze":
            return render_cloze(value, reveal=side == "back")
        return value

    return _TAG.sub(tag, text)


def render_cloze(text_field: str, *, reveal: bool) -> str:
    """Anki's ``{{cloze:...}}`` for card 1: ``[...]`` (or ``[hint]``) in front, the term on the back."""

    def one(m: re.Match[str]) -> str:
        if reveal:
            return f'<span class="cloze">{m.group(2)}</span>'
        return f'<span class="cloze">[{m.group(3) or "..."}]</span>'

    return CLOZE_RE.sub(one, text_field)


def render_card_html(card: CardView | CardSpec, media_names: Sequence[str] | None = None) -> tuple[str, str]:
    """``(front_html, back_html)`` of one card as Anki shows it (without :data:`CSS`).

    ``media_names`` are the file names the images are served under; by default
    the basenames of the card's image targets.
    """
    spec = card.spec if isinstance(card, CardView) else card
    if media_names is None:
        media_names = [re.split(r"[\\/]", m)[-1] for m in spec.media]
    note_type, fields = note_fields(spec, media_names)
    values = dict(zip(note_type.fields, fields, strict=True))
    front = _fill(note_type.qfmt, values, side="front")
    back = _fill(note_type.afmt, values, side="back")
    return front, back


def render_card_page(card: CardView | CardSpec, media_names: Sequence[str] | None = None) -> str:
    """A standalone HTML page showing one card's front and back with :data:`CSS`."""
    front, back = render_card_html(card, media_names)
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<style>{CSS}</style></head><body>"
        f'<div class="card qk-front">{front}</div><hr>'
        f'<div class="card qk-back">{back}</div></body></html>\n'
    )
