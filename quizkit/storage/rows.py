"""Compiled cards as rows of the ``cards`` table: pure Python, no SQLAlchemy.

A row holds the card's stable id and every column the compiler decides, with
the JSON columns already encoded and the content hash computed.  A parallel
compile builds rows in its worker processes (``quizkit.compiler.chapter``),
so the bank only inserts them; :meth:`quizkit.storage.bank.Bank.sync_deck`
builds them from card specs with the same function.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from quizkit.model import CardSpec, card_key

# One encoder for every dump: ``json.dumps`` with keyword arguments builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_JSON_STR = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept (what _JSON does for a str)


def dumps(value: object) -> str:
    """Compact JSON with non-ASCII kept, as every JSON column of the bank is written."""
    return _JSON(value)


@functools.lru_cache(maxsize=65536)
def _dumps_strs(value: tuple[str, ...]) -> str:
    """JSON list of a tuple of strings (sections, tags, media, aliases repeat across cards)."""
    return _JSON(list(value)) if value else "[]"


# The columns of a row, in order: the card id, then what compiling decides.
VALUE_COLUMNS = (
    "fact",
    "kind",
    "style",
    "front",
    "back",
    "section",
    "source_file",
    "source_line",
    "tags",
    "media",
    "hint",
    "aliases",
    "choices",
    "extra",
    "content_hash",
)
ROW_COLUMNS = ("id", *VALUE_COLUMNS)
CardRow = tuple[Any, ...]  # values in ROW_COLUMNS order

# Positions in a row that storing reads.
ID, FACT, SECTION, SOURCE_FILE, SOURCE_LINE, HASH = (
    ROW_COLUMNS.index(c) for c in ("id", "fact", "section", "source_file", "source_line", "content_hash")
)


def card_row(spec: CardSpec, deck_key: str) -> CardRow:
    """``spec`` as a ``cards`` row of the deck keyed ``deck_key`` (see ROW_COLUMNS)."""
    section = _dumps_strs(tuple(spec.section))
    tags = _dumps_strs(tuple(spec.tags))
    media = _dumps_strs(tuple(spec.media))
    aliases = _dumps_strs(tuple(spec.aliases))
    choices = _JSON([[c.text, c.correct] for c in spec.choices]) if spec.choices else "[]"
    kind = str(spec.kind)
    style = str(spec.style)
    # content_hash: SHA-1 of the compact JSON list [kind, style, front, back, section, tags,
    # media, hint, aliases, choices, extra], assembled from the dumps above.  Neither the
    # fact nor the source position is in it: moving a card within its file is not an update.
    raw = "".join(
        (
            "[",
            _JSON_STR(kind),
            ",",
            _JSON_STR(style),
            ",",
            _JSON_STR(spec.front),
            ",",
            _JSON_STR(spec.back),
            ",",
            section,
            ",",
            tags,
            ",",
            media,
            ",",
            "null" if spec.hint is None else _JSON_STR(spec.hint),
            ",",
            aliases,
            ",",
            choices,
            ",",
            _JSON_STR(spec.extra),
            "]",
        )
    )
    return (
        card_key(deck_key, spec.section, spec.fact),
        spec.fact,
        kind,
        style,
        spec.front,
        spec.back,
        section,
        spec.source_file,
        spec.source_line,
        tags,
        media,
        spec.hint,
        aliases,
        choices,
        spec.extra,
        hashlib.sha1(raw.encode("utf-8")).hexdigest(),
    )


def card_rows(specs: Iterable[CardSpec], deck_key: str) -> list[CardRow]:
    return [card_row(spec, deck_key) for spec in specs]


def row_section(row: CardRow) -> tuple[str, ...]:
    return tuple(json.loads(row[SECTION]))
