"""What a deck or chapter would produce, without writing anything: card lists, JSON, an HTML page.

The HTML page renders every card with the Anki exporter's own templates and
CSS (:func:`quizkit.exporters.templates.render_card_html`), so a teacher sees
what students will see.  It is self-contained: images are embedded as
``data:`` URIs, and a small inline script counts the rendered cards into
``<body data-cards=...>`` (tests read it from a headless browser).
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

from quizkit.authoring.deckdir import compile_chapter, compile_deck, is_deck_dir, load_deck
from quizkit.compiler import chapter_files
from quizkit.errors import DeckError, InputError
from quizkit.model import CardSpec, Warning_, card_key, deck_key_from_name


@dataclass
class Preview:
    """Cards as a deck would store them: ``key`` makes their ids, ``root`` resolves their images."""

    key: str
    name: str
    root: Path
    cards: list[CardSpec] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)

    def card_id(self, spec: CardSpec) -> str:
        return card_key(self.key, spec.section, spec.fact)

    def sections(self) -> list[tuple[tuple[str, ...], list[CardSpec]]]:
        """Cards grouped by heading path, sections in order of their first card."""
        groups: dict[tuple[str, ...], list[CardSpec]] = {}
        for card in self.cards:
            groups.setdefault(card.section, []).append(card)
        return list(groups.items())

    def image_path(self, spec: CardSpec, target: str) -> Path | None:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            return None
        chapter = Path(spec.source_file)
        base = chapter.parent if chapter.is_absolute() else (self.root / chapter).parent
        candidate = base / target
        return candidate if candidate.is_file() else None


def load_preview(path: Path) -> Preview:
    """A deck folder, one chapter file, or a folder of chapters (one deck named after it)."""
    path = Path(path)
    if is_deck_dir(path):
        build = compile_deck(load_deck(path))
        root = Path(build.info.source_dir)
        return Preview(build.info.key, build.info.name, root, list(build.cards), list(build.warnings))
    if not path.exists():
        raise InputError("no such file or directory", file=str(path))
    if path.is_dir():
        files = chapter_files(path)
        if not files:
            raise InputError("no deck.toml and no Markdown chapters (*.md) in this folder", file=str(path))
        name = path.resolve().name
    else:
        files = [path]
        name = path.stem
    preview = Preview(deck_key_from_name(name), name, Path.cwd())
    for f in files:
        display = str(f)
        ch = compile_chapter(f, source_file=display, display=display)
        for p in ch.problems:
            if p.is_error:
                raise DeckError(p.message, file=p.file, line=p.line)
        cards = [*ch.result.cards, *(a.spec for a in ch.authored)]
        preview.cards.extend(sorted(cards, key=lambda c: c.source_line))
        preview.warnings.extend(ch.result.warnings)
    return preview


def card_json(preview: Preview, spec: CardSpec) -> dict[str, object]:
    """One card as ``quizkit cards --json`` shows it, without learner state."""
    data: dict[str, object] = {
        "id": preview.card_id(spec),
        "deck": preview.name,
        "kind": str(spec.kind),
        "style": str(spec.style),
        "front": spec.front,
        "back": spec.back,
        "section": list(spec.section),
        "source": spec.source,
        "tags": list(spec.tags),
        "media": list(spec.media),
        "fact": spec.fact,
    }
    if spec.hint:
        data["hint"] = spec.hint
    if spec.aliases:
        data["aliases"] = list(spec.aliases)
    if spec.choices:
        data["choices"] = [{"text": c.text, "correct": c.correct} for c in spec.choices]
    if spec.extra:
        data["extra"] = spec.extra
    return data


_PAGE_CSS = """
body { margin: 0; background: #f6f8fa; color: #1f2328; font-family: system-ui, sans-serif; }
.qk-page-head { padding: 1em 1.5em; background: #fff; border-bottom: 1px solid #d0d7de; }
.qk-page-head h1 { margin: 0; font-size: 1.5em; }
.qk-page-head p { margin: 0.3em 0 0; color: #57606a; }
.qk-section { padding: 0.5em 1.5em; }
.qk-section > h2 { font-size: 1.1em; color: #57606a; border-bottom: 1px solid #d0d7de; }
.qk-preview { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; margin: 1em 0; }
.qk-meta { font-size: 0.8em; color: #57606a; padding: 0.4em 1em; border-bottom: 1px solid #eaeef2; }
.qk-sides { display: grid; grid-template-columns: 1fr 1fr; }
.qk-side { padding: 0.4em 0; min-width: 0; }
.qk-side + .qk-side { border-left: 1px dashed #d0d7de; }
.qk-label { font-size: 0.7em; text-transform: uppercase; color: #8c959f; padding: 0 1.2em; }
@media (max-width: 800px) { .qk-sides { grid-template-columns: 1fr; } }
"""

# Proves the page loaded and rendered: counts cards and empty fronts into <body data-*>.
_SCRIPT = """
(function () {
  var cards = document.querySelectorAll("article.qk-preview");
  var empty = 0;
  cards.forEach(function (c) {
    var front = c.querySelector(".qk-front");
    if (!front || !front.textContent.trim()) { empty += 1; }
  });
  document.body.setAttribute("data-cards", String(cards.length));
  document.body.setAttribute("data-empty-fronts", String(empty));
})();
"""


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_html(preview: Preview) -> str:
    """One self-contained page: every card's front and back, grouped by section."""
    from quizkit.exporters.templates import CSS, render_card_html

    parts: list[str] = []
    sections = preview.sections()
    for section, cards in sections:
        title = " › ".join(section) or "(no heading)"
        parts.append(f'<section class="qk-section"><h2>{html.escape(title)}</h2>')
        for spec in cards:
            media = []
            for target in spec.media:
                found = preview.image_path(spec, target)
                if found is not None:
                    media.append(_data_uri(found))
            front, back = render_card_html(spec, media)
            cid = preview.card_id(spec)
            meta = f"{spec.kind}/{spec.style} · {spec.source} · {cid}"
            parts.append(
                f'<article class="qk-preview" id="card-{cid}" data-card-id="{cid}" data-style="{spec.style}">'
                f'<div class="qk-meta">{html.escape(meta)}</div><div class="qk-sides">'
                f'<div class="qk-side"><div class="qk-label">Front</div>'
                f'<div class="card qk-front">{front}</div></div>'
                f'<div class="qk-side"><div class="qk-label">Back</div>'
                f'<div class="card qk-back">{back}</div></div></div></article>'
            )
        parts.append("</section>")
    name = html.escape(preview.name)
    count = len(preview.cards)
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{name} · quizkit preview</title><style>{CSS}{_PAGE_CSS}</style></head>\n"
        f'<body data-expected="{count}">'
        f'<header class="qk-page-head"><h1>{name}</h1>'
        f"<p>{count} cards in {len(sections)} sections, as students will see them.</p></header>\n"
        + "\n".join(parts)
        + f"\n<script>{_SCRIPT}</script>\n</body></html>\n"
    )
