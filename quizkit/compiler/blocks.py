"""Markdown to a flat list of blocks, each tied to its heading path.

markdown-it-py does the parsing; this module only walks its token stream once
and keeps what the extractors need: code blocks (with their first content
line), tables (cells per row with line numbers), list items (with nesting),
paragraphs (raw inline source, plain text, code spans, bold terms, images)
and headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from quizkit.errors import ChapterError

# Images are read from the inline source, not from markdown-it's link
# normaliser: chapters write unencoded spaces and Windows paths in targets.
_IMAGE_RE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^()<>\n]*?)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)

_PARSER: MarkdownIt | None = None


def _parser() -> MarkdownIt:
    global _PARSER
    if _PARSER is None:
        _PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")
    return _PARSER


@dataclass
class Span:
    kind: str  # "code" | "strong"
    text: str


@dataclass
class Block:
    kind: str  # "heading" | "para" | "item" | "code" | "table" | "html"
    line: int  # 1-based first line in the file
    section: tuple[str, ...]
    raw: str = ""  # inline source (para/item/heading) or code content
    plain: str = ""  # inline text with markup removed
    spans: list[Span] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)  # (alt, target)
    info: str = ""  # code fence info string
    rows: list[list[str]] = field(default_factory=list)  # table rows, header first
    row_lines: list[int] = field(default_factory=list)
    depth: int = 0  # list nesting depth of an item or of a block inside an item
    item: int | None = None  # index of the list item this block belongs to
    parent_item: int | None = None  # for items: index of the enclosing item
    first_in_item: bool = False  # first paragraph of a list item (the item text)
    level: int = 0  # heading level


_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def clean(text: str) -> str:
    if _ZERO_WIDTH_RE.search(text) is None:  # the usual case; translate() walks every character
        return text
    return text.translate(_ZERO_WIDTH)


def _render_inline(tok: Token) -> tuple[str, list[Span]]:
    parts: list[str] = []
    spans: list[Span] = []
    strong_depth = 0
    strong_buf: list[str] = []
    for child in tok.children or []:
        t = child.type
        piece = ""
        if t == "text" or t == "html_inline":
            piece = child.content if t == "text" else ""
        elif t == "code_inline":
            piece = child.content
            spans.append(Span("code", clean(child.content).strip()))
        elif t in ("softbreak", "hardbreak"):
            piece = "\n"
        elif t == "strong_open":
            strong_depth += 1
            strong_buf = []
            continue
        elif t == "strong_close":
            strong_depth = max(0, strong_depth - 1)
            term = clean("".join(strong_buf)).strip()
            if term:
                spans.append(Span("strong", term))
            continue
        elif t == "image":
            piece = ""
        parts.append(piece)
        if strong_depth:
            strong_buf.append(piece)
    text = clean("".join(parts))
    if "![" in text:
        text = _IMAGE_RE.sub("", text)
    return text, spans


def _fence_closed(tok: Token, lines: list[str]) -> bool:
    assert tok.map is not None
    start, end = tok.map
    if end - start < 2 or end > len(lines):
        return False
    last = lines[end - 1].lstrip(" \t>")
    fence_char = tok.markup[0]
    stripped = last.rstrip()
    return (
        len(stripped) >= len(tok.markup)
        and stripped.startswith(tok.markup)
        and set(stripped) <= {fence_char}
    )


def parse_blocks(text: str, source_file: str) -> list[Block]:
    """Parse ``text`` into blocks; an unterminated fence is a ChapterError."""
    tokens = _parser().parse(text)
    lines = text.split("\n")
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = []
    section: tuple[str, ...] = ()
    item_stack: list[int] = []  # indexes of open list items
    item_has_para: list[bool] = []
    table: Block | None = None
    row: list[str] | None = None
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        t = tok.type
        line = (tok.map[0] + 1) if tok.map else 0
        if t == "heading_open":
            inline = tokens[i + 1]
            plain, spans = _render_inline(inline)
            level = int(tok.tag[1:])
            title = " ".join(plain.split())
            headings = [(lv, tt) for lv, tt in headings if lv < level]
            if title:
                headings.append((level, title))
            section = tuple(tt for _, tt in headings)
            blocks.append(
                Block("heading", line, section, raw=inline.content, plain=title, spans=spans, level=level)
            )
            i += 3
            continue
        if t == "list_item_open":
            parent = item_stack[-1] if item_stack else None
            blocks.append(
                Block("item", line, section, depth=len(item_stack), parent_item=parent, item=parent)
            )
            item_stack.append(len(blocks) - 1)
            item_has_para.append(False)
        elif t == "list_item_close":
            item_stack.pop()
            item_has_para.pop()
        elif t == "inline" and table is None:
            plain, spans = _render_inline(tok)
            found = _IMAGE_RE.findall(tok.content) if "![" in tok.content else ()
            images = [(alt, tgt.strip()) for alt, tgt in found]
            if item_stack and not item_has_para[-1]:
                item_has_para[-1] = True
                b = blocks[item_stack[-1]]
                b.raw, b.plain, b.spans, b.images = clean(tok.content), plain, spans, images
                b.first_in_item = True
                b.line = line or b.line
            else:
                blocks.append(
                    Block(
                        "para",
                        line,
                        section,
                        raw=clean(tok.content),
                        plain=plain,
                        spans=spans,
                        images=images,
                        depth=len(item_stack),
                        item=item_stack[-1] if item_stack else None,
                    )
                )
        elif t in ("fence", "code_block"):
            if t == "fence" and not _fence_closed(tok, lines):
                raise ChapterError(f"unterminated code fence {tok.markup!r}", file=source_file, line=line)
            first = line + 1 if t == "fence" else line
            if item_stack:
                item_has_para[-1] = True
            blocks.append(
                Block(
                    "code",
                    first,
                    section,
                    raw=clean(tok.content),
                    info=tok.info.strip().split(" ")[0].lower() if t == "fence" else "",
                    depth=len(item_stack),
                    item=item_stack[-1] if item_stack else None,
                )
            )
        elif t == "table_open":
            table = Block("table", line, section, depth=len(item_stack))
        elif t == "tr_open":
            row = []
            if table is not None:
                table.row_lines.append(line)
        elif t == "inline" and table is not None and row is not None:
            row.append(" ".join(clean(tok.content).split()))
        elif t == "tr_close" and table is not None and row is not None:
            table.rows.append(row)
            row = None
        elif t == "table_close" and table is not None:
            blocks.append(table)
            table = None
        elif t == "html_block":
            blocks.append(Block("html", line, section, raw=tok.content))
        i += 1
    return blocks
