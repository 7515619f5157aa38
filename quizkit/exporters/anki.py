"""Writing quizkit decks as Anki packages (``.apkg``) with genanki.

Identities are stable so a re-export updates notes in place: note type and
deck ids are constants (or hashes of names), each note's GUID derives from
the quizkit card key, and the export timestamp only goes up (Anki updates an
existing note only when the incoming one is newer).  ``with_scheduling``
rewrites the package's cards and review log so a learner's SM-2 state
survives the move to Anki.  genanki is imported inside functions only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizkit.errors import InputError
from quizkit.exporters.templates import CSS, NOTE_TYPES, note_fields
from quizkit.model import CardKind, CardSpec, CardState, CardStyle, CardView, Choice, DeckInfo

if TYPE_CHECKING:
    from quizkit.storage.bank import Bank

PROGRESS_EVERY = 500
DEFAULT_DEPTH = 2

# SM-2 grade (0-5) -> Anki answer button (1 Again, 2 Hard, 3 Good, 4 Easy).
_EASE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
# quizkit review kind -> Anki revlog type (0 learn, 1 review, 2 relearn, 3 filtered/cram).
_REVLOG_TYPE = {"new": 0, "review": 1, "relearn": 2, "drill": 3}


@dataclass(frozen=True)
class MediaProblem:
    """An image a card references that was not packed, and why."""

    card_id: str
    source: str
    target: str
    reason: str  # "missing" | "outside the deck directory" | "no deck directory"

    def __str__(self) -> str:
        return f"{self.source}: {self.target} ({self.reason})"


@dataclass
class ExportResult:
    path: str
    decks: list[str] = field(default_factory=list)
    notes: int = 0
    cards: int = 0
    media: list[str] = field(default_factory=list)
    missing_media: list[MediaProblem] = field(default_factory=list)
    refused_media: list[MediaProblem] = field(default_factory=list)
    timestamp: int = 0
    with_scheduling: bool = False
    scheduled_cards: int = 0
    reviews: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.path,
            "decks": self.decks,
            "cards": self.cards,
            "notes": self.notes,
            "media": self.media,
            "missing_media": [
                {"card": p.card_id, "source": p.source, "target": p.target, "reason": p.reason}
                for p in self.missing_media + self.refused_media
            ],
            "timestamp": self.timestamp,
            "with_scheduling": self.with_scheduling,
            "scheduled_cards": self.scheduled_cards,
            "reviews": self.reviews,
        }


# -- identities ---------------------------------------------------------------
def _hash_id(text: str) -> int:
    # In genanki's recommended range [2**30, 2**31): positive, far from Anki's own ids.
    return (1 << 30) + int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % (1 << 30)


def deck_id(info: DeckInfo) -> int:
    """A deck's Anki id: ``anki_id`` from its deck.toml, else a hash of its name."""
    return info.anki_id if info.anki_id else _hash_id("quizkit-deck:" + info.name)


def subdeck_id(info: DeckInfo, path: tuple[str, ...]) -> int:
    return deck_id(info) if not path else _hash_id(f"quizkit-deck:{deck_id(info)}:" + "\x1f".join(path))


_BASE91 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)
_BASE91_PAIRS = [a + b for a in _BASE91 for b in _BASE91]  # 91**2 = 8281 two-digit strings


def note_guid(card_id: str) -> str:
    """A note's GUID from the quizkit card key (never from its text).

    Exactly genanki's ``guid_for("quizkit", card_id)`` (the first 8 bytes of
    SHA-256 of ``"quizkit__<key>"`` in Anki's base 91), without its per-digit
    list building; ``tests/test_export_anki.py`` checks the two agree.
    """
    value = int.from_bytes(hashlib.sha256(("quizkit__" + card_id).encode("utf-8")).digest()[:8], "big")
    pairs = []  # two base-91 digits at a time, least significant first
    while value >= 8281:
        value, pair = divmod(value, 8281)
        pairs.append(_BASE91_PAIRS[pair])
    head = _BASE91_PAIRS[value].lstrip(_BASE91[0]) if value else ""
    return head + "".join(reversed(pairs))


def _deck_part(text: str) -> str:
    # "::" separates Anki deck levels; a heading must stay one level.
    return re.sub(r"\s+", " ", text.replace("::", ":")).strip() or "-"


def deck_path(info: DeckInfo, section: tuple[str, ...], depth: int) -> tuple[str, ...]:
    """The sub-deck path below the deck: the first ``depth`` headings.

    A top heading that merely repeats the deck's name is skipped.
    """
    parts = list(section)
    if parts and parts[0].strip().casefold() == info.name.strip().casefold():
        parts = parts[1:]
    return tuple(_deck_part(p) for p in parts[:depth])


@functools.lru_cache(maxsize=8192)
def tag(text: str) -> str:
    """An Anki tag: no whitespace (ASCII or ideographic), no quotes."""
    cleaned = re.sub(r"\s+", "_", text.strip()).replace('"', "")
    return cleaned.strip("_:") or "_"


def note_tags(view: CardView) -> list[str]:
    spec = view.spec
    return list(_tags_for(spec.tags, spec.kind, spec.section))


@functools.lru_cache(maxsize=8192)
def _tags_for(tags: tuple[str, ...], kind: str, section: tuple[str, ...]) -> tuple[str, ...]:
    # Cards of one section share their tags: computed (and checked) once per combination.
    out = [tag(t) for t in tags if t.strip()]
    out.append(f"quizkit::{kind}")
    if section:
        out.append(_section_tag(section))
    result = tuple(dict.fromkeys(out))
    for t in result:
        if " " in t:  # genanki's _TagList refuses these; tag() never makes one
            raise ValueError(f"tag {t!r} contains a space")
    return result


@functools.lru_cache(maxsize=4096)
def _section_tag(section: tuple[str, ...]) -> str:
    return "section::" + "::".join(tag(s.replace("::", ":")) for s in section)


# -- timestamps -----------------------------------------------------------------
def default_stamp_path() -> Path:
    """Where the last export timestamp is kept: ``anki-export.json`` in the user data dir.

    One stamp for all banks and decks: it orders exports into the learner's one Anki collection.
    """
    import platformdirs

    return Path(platformdirs.user_data_dir("quizkit", appauthor=False)) / "anki-export.json"


class ExportLedger:
    """The last export time and, per note, the content and time it was last exported with.

    Anki updates a note only when the package's modification time (whole
    seconds) is newer than its own.  Each export gets ``max(now, last + 1)``,
    so two exports in one second, or under a fixed ``QUIZKIT_NOW``, still
    differ; a note keeps the time of the export that last changed it, so an
    import updates only the notes whose text changed (and leaves edits made
    in Anki to the others alone).  Kept as JSON in ``path``; ``None`` keeps
    nothing (every note then carries this export's time).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.last_stamp = 0
        self.notes: dict[str, list[Any]] = {}
        self.stamp = 0
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.last_stamp = int(data.get("last_stamp", 0))
                self.notes = dict(data.get("notes", {}))
            except (OSError, ValueError, AttributeError, TypeError):
                self.last_stamp, self.notes = 0, {}

    def begin(self, now: datetime) -> int:
        self.stamp = max(int(now.timestamp()), self.last_stamp + 1)
        return self.stamp

    def note_mtime(
        self, guid: str, model_id: int, fields: list[str], tags: list[str] | tuple[str, ...]
    ) -> int:
        if self.path is None:  # nothing is kept: every note carries this export's time
            return self.stamp
        raw = "\x1e".join([str(model_id), "\x1f".join(fields), " ".join(tags)])
        digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]
        prev = self.notes.get(guid)
        if prev is not None and prev[0] == digest and int(prev[1]) <= self.stamp:
            return int(prev[1])
        self.notes[guid] = [digest, self.stamp]
        return self.stamp

    def save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            data = {"last_stamp": self.stamp, "notes": self.notes}
            tmp.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise InputError(f"cannot record the export in {self.path}: {exc.strerror or exc}") from None


# -- media ----------------------------------------------------------------------
class MediaPacker:
    """Resolves image targets inside a deck directory and gives each file a unique flat name."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.files: dict[Path, str] = {}  # every packed file -> its name in the package
        self._names: set[str] = set()
        # resolve()'s answers per (chapter folder, target): chapters of one folder share their images.
        self._folders: dict[str, Path] = {}  # chapter file -> its folder
        self._resolved: dict[tuple[Path, str], tuple[Path | None, str | None]] = {}

    def set_deck_dir(self, deck_dir: str | None) -> None:
        self.root = Path(deck_dir).resolve() if deck_dir else None
        self._folders = {}
        self._resolved = {}

    def resolve(self, view: CardView, target: str) -> tuple[Path | None, str | None]:
        """``(path, None)`` for a packable file, else ``(None, reason)``; URLs give ``(None, None)``."""
        return self.resolve_in(view.spec.source_file, target)

    def resolve_in(self, source_file: str, target: str) -> tuple[Path | None, str | None]:
        """:meth:`resolve` for an image of the chapter ``source_file``, remembered per chapter folder."""
        folder = self._folders.get(source_file)
        if folder is None:
            chapter = Path(source_file) if source_file else Path("chapter.md")
            if not chapter.is_absolute() and self.root is not None:
                chapter = self.root / chapter
            folder = self._folders[source_file] = chapter.parent
        key = (folder, target)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(folder, target)
        return found

    def _resolve(self, folder: Path, target: str) -> tuple[Path | None, str | None]:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", target) or target.startswith("data:"):
            return None, None
        if self.root is None:
            return None, "no deck directory"
        raw = target.split("#")[0].split("?")[0]
        if re.match(r"^[a-zA-Z]:[\\/]", raw) or raw.startswith("\\\\"):
            return None, "outside the deck directory"  # a Windows absolute path
        candidate = Path(os.path.normpath(folder / raw.replace("\\", "/")))
        if not candidate.exists() and "%" in raw:
            from urllib.parse import unquote

            candidate = Path(os.path.normpath(folder / unquote(raw).replace("\\", "/")))
        resolved = candidate.resolve()
        if not resolved.is_relative_to(self.root):
            return None, "outside the deck directory"
        if not resolved.is_file():
            return None, "missing"
        return resolved, None

    def name_for(self, path: Path) -> str:
        name = self.files.get(path)
        if name is None:
            name = path.name
            if name in self._names:
                rel = path.relative_to(self.root).as_posix() if self.root else str(path)
                digest = hashlib.sha1(rel.encode("utf-8")).hexdigest()[:8]
                name = f"{path.stem}-{digest}{path.suffix}"
            self._names.add(name)
            self.files[path] = name
        return name


# -- the package ------------------------------------------------------------------
# genanki's row layouts (``Note.write_to_db``, ``Card.write_to_db``); the rows are written in
# batches instead of one ``execute`` per note and card.
_NOTE_SQL = "INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)"
_CARD_SQL = "INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
BATCH = 2000  # notes (and their cards) per executemany
_CLOZE_ORD = re.compile(r"{{c(\d+)::.+?}}", re.DOTALL)  # genanki's Note._cloze_cards


class _NoteShape:
    """Which cards genanki's ``Note.cards`` gives a note of one model, without building a Note.

    Front/back models: the templates whose required fields (``Model._req``) are
    filled; cloze models: one card per ``{{cN::...}}`` number in the cloze field.
    Mirrors genanki 0.13 exactly (``tests/test_export_anki.py`` compares the two).
    """

    def __init__(self, model: Any) -> None:
        self.n_fields = len(model.fields)
        self.cloze = model.model_type == model.CLOZE
        self.cloze_fields: list[int] = []
        self.req: list[tuple[int, Callable[[Any], bool], tuple[int, ...]]] = []
        if self.cloze:
            qfmt = model.templates[0]["qfmt"]
            names = set(
                re.findall(r"{{[^}]*?cloze:(?:[^}]?:)*(.+?)}}", qfmt) + re.findall("<%cloze:(.+?)%>", qfmt)
            )
            field_names = [f["name"] for f in model.fields]
            self.cloze_fields = [field_names.index(n) if n in field_names else -1 for n in names]
        elif model.model_type == model.FRONT_BACK:
            self.req = [(o, any if how == "any" else all, tuple(req)) for o, how, req in model._req]
        else:
            raise ValueError("Expected model_type CLOZE or FRONT_BACK")

    def ords(self, fields: list[str]) -> list[int]:
        if self.cloze:
            ords: set[int] = set()
            for i in self.cloze_fields:
                value = fields[i] if i >= 0 else ""
                ords.update(int(m) - 1 for m in _CLOZE_ORD.findall(value) if int(m) > 0)
            return list(ords)  # none: genanki gives no card either
        return [o for o, op, req in self.req if op(fields[i] for i in req)]


def genanki_models() -> dict[str, Any]:
    """The four genanki models (note types) with fixed ids and the quizkit CSS."""
    import genanki

    models: dict[str, Any] = {}
    for key, nt in NOTE_TYPES.items():
        models[key] = genanki.Model(
            nt.id,
            nt.name,
            fields=nt.field_dicts(),
            templates=nt.template_dicts(),
            css=CSS,
            model_type=genanki.Model.CLOZE if nt.cloze else genanki.Model.FRONT_BACK,
        )
    return models


def _deck_infos(bank: Bank, deck: str | None) -> list[DeckInfo]:
    if deck is not None:
        return [bank.get_deck(deck)]
    return bank.list_deck_infos()


class _Decoded(dict[str, Any]):
    """JSON text -> its decoded value, each distinct text decoded once (``d[text]``, C-speed on a hit)."""

    def __init__(self, decode: Callable[[str], Any]) -> None:
        super().__init__()
        self.decode = decode

    def __missing__(self, text: str) -> Any:
        if len(self) >= _JSON_CACHE_MAX:
            self.clear()
        value = self[text] = self.decode(text)
        return value


_JSON_CACHE_MAX = 20_000  # distinct texts remembered (section and tag lists repeat per section)


def _choices(text: str) -> tuple[Choice, ...]:
    return tuple(Choice(text=t, correct=bool(ok)) for t, ok in json.loads(text))


def _iter_deck_cards(
    bank: Bank, info: DeckInfo, *, with_states: bool
) -> Iterator[tuple[str, CardSpec, CardState | None]]:
    """``(card id, spec, state)`` of a deck's active cards in source order, streamed.

    What ``bank.iter_cards(deck=info.key)`` gives, read lean for the export:
    only the columns the package needs (no timestamps, no content hash), the
    learner's state joined only when ``with_states`` (else ``None``), and the
    JSON lists that repeat from card to card (section, tags, media…) decoded
    once.  ``tests/test_export_anki.py`` checks it agrees with ``iter_cards``.
    """
    import sqlalchemy as sa

    from quizkit.storage.schema import card_states, cards, decks

    c = cards.c
    cols: list[Any] = [
        c.id, c.kind, c.style, c.front, c.back, c.fact, c.section, c.source_file, c.source_line,
        c.tags, c.media, c.hint, c.aliases, c.choices, c.extra,
    ]
    source: Any = cards
    if with_states:
        s = card_states.c
        cols += [s.learner, s.due, s.interval, s.ef, s.repetitions, s.lapses, s.suspended, s.leech,
                 s.last_review, s.stability, s.difficulty]
        source = cards.outerjoin(card_states, sa.and_(s.card_id == c.id, s.learner == bank.learner))
    lists = _Decoded(lambda text: tuple(json.loads(text)))
    choice_lists = _Decoded(_choices)
    kinds = _Decoded(CardKind)  # unknown values raise as in Bank.iter_cards
    styles = _Decoded(CardStyle)

    with bank.engine.connect() as conn:
        deck_row = conn.execute(sa.select(decks.c.id).where(decks.c.key == info.key)).first()
        if deck_row is None:
            return
        q = (
            sa.select(*cols)
            .select_from(source)
            .where(c.deck_id == deck_row[0], c.retired_at.is_(None))
            .order_by(c.position)
        )
        # The export may stop early (a card without a single Anki card): close the cursor then too.
        with conn.execution_options(yield_per=1000).execute(q) as result:
            for row in result:
                (card_id, kind, style, front, back, fact, section, source_file, source_line, tags, media,
                 hint, aliases, choices, extra, *st) = row
                spec = CardSpec(
                    kind=kinds[kind],
                    style=styles[style],
                    front=front,
                    back=back,
                    fact=fact,
                    section=lists[section],
                    source_file=source_file,
                    source_line=source_line,
                    tags=lists[tags],
                    media=lists[media],
                    hint=hint,
                    aliases=lists[aliases],
                    choices=choice_lists[choices],
                    extra=extra,
                )
                state = None
                if with_states:
                    state = CardState() if st[0] is None else CardState(
                        due=st[1],
                        interval=st[2],
                        ef=st[3],
                        repetitions=st[4],
                        lapses=st[5],
                        suspended=bool(st[6]),
                        leech=bool(st[7]),
                        last_review=st[8],
                        stability=st[9],
                        difficulty=st[10],
                    )
                yield card_id, spec, state


def export_apkg(
    bank: Bank,
    output: str | os.PathLike[str],
    *,
    now: datetime,
    deck: str | None = None,
    with_scheduling: bool = False,
    media_dir: str | os.PathLike[str] | None = None,
    depth: int = DEFAULT_DEPTH,
    stamp_file: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the bank's cards (one deck, or all) to ``output`` as an Anki package.

    One quizkit card becomes one note with one card.  ``progress`` is called
    with the number of cards written since the last call.  ``now`` is the
    export time; ``stamp_file`` keeps the last export time so it only goes up.

    The collection is genanki's (schema, ``col`` row, note types, deck
    entries, note and card rows), written the way ``genanki.Package`` would
    with two differences that Anki does not see: rows go in with
    ``executemany`` batches as cards stream from the bank, and the ``decks``
    and ``models`` JSON of ``col`` is written once at the end instead of once
    per (sub-)deck, which made genanki quadratic in the number of sub-decks.
    """
    import genanki

    infos = _deck_infos(bank, deck)
    out_path = Path(output)
    if out_path.is_dir():
        raise InputError(f"{out_path} is a directory; give a file name ending in .apkg")
    if not out_path.parent.exists():
        raise InputError(f"directory {out_path.parent} does not exist")
    if depth < 0:
        raise InputError("depth must be 0 or more")
    ledger = ExportLedger(stamp_file)
    stamp = ledger.begin(now)
    result = ExportResult(path=str(out_path), timestamp=stamp, with_scheduling=with_scheduling)
    models = genanki_models()
    shapes = {key: _NoteShape(model) for key, model in models.items()}

    fd, db_name = tempfile.mkstemp(suffix=".anki2")
    os.close(fd)
    try:
        conn = sqlite3.connect(db_name)
        # A scratch file that is zipped and deleted: no journal, no fsync.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        cursor = conn.cursor()
        genanki.Package([]).write_to_db(cursor, stamp, iter(()))  # schema and collection row
        decks: dict[int, Any] = {}
        states: dict[int, CardState] = {}  # Anki card id -> learner state (reviewed or suspended cards)
        card_ids: dict[str, int] = {}  # quizkit card id -> Anki card id
        leeches: list[int] = []
        packer = MediaPacker()
        # genanki's id generator counts from the stamp in ms: a note's id, then its card's.
        next_id = stamp * 1000
        note_rows: list[tuple[Any, ...]] = []
        card_rows: list[tuple[Any, ...]] = []
        pending = 0
        for info in infos:
            packer.set_deck_dir(str(media_dir) if media_dir else info.source_dir or None)
            root = genanki.Deck(deck_id(info), _deck_part(info.name), description=info.description)
            decks[root.deck_id] = root
            result.decks.append(root.name)
            dids: dict[tuple[str, ...], int] = {}
            for card_id, spec, state in _iter_deck_cards(bank, info, with_states=with_scheduling):
                did = dids.get(spec.section, 0)
                if not did:
                    path = deck_path(info, spec.section, depth)
                    did = dids[spec.section] = subdeck_id(info, path)
                    for i in range(1, len(path) + 1):
                        sub = subdeck_id(info, path[:i])
                        if sub not in decks:
                            decks[sub] = genanki.Deck(sub, "::".join((root.name, *path[:i])))
                names = []
                for target in spec.media:
                    file, reason = packer.resolve_in(spec.source_file, target)
                    if file is not None:
                        names.append(packer.name_for(file))
                    elif reason is not None:
                        problem = MediaProblem(card_id, spec.source, target, reason)
                        (result.missing_media if reason != "outside the deck directory"
                         else result.refused_media).append(problem)
                note_type, fields = note_fields(spec, names)
                shape = shapes[note_type.key]
                if len(fields) != shape.n_fields:
                    raise ValueError(f"{note_type.name} has {shape.n_fields} fields, not {len(fields)}")
                ords = shape.ords(fields)
                if len(ords) != 1:  # one quizkit card must be one Anki card
                    raise InputError(f"card {card_id} ({spec.source}) gives no single Anki card")
                tags = _tags_for(spec.tags, spec.kind, spec.section)
                guid = note_guid(card_id)
                mtime = ledger.note_mtime(guid, note_type.id, fields, tags)
                nid = next_id
                cid = nid + 1
                next_id += 2
                note_rows.append(
                    (nid, guid, note_type.id, mtime, -1, " " + " ".join(tags) + " ", "\x1f".join(fields),
                     fields[0], 0, 0, "")
                )
                card_rows.append((cid, nid, did, ords[0], mtime, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ""))
                if len(note_rows) >= BATCH:
                    cursor.executemany(_NOTE_SQL, note_rows)
                    cursor.executemany(_CARD_SQL, card_rows)
                    note_rows.clear()
                    card_rows.clear()
                if state is not None:  # with_scheduling
                    card_ids[card_id] = cid
                    if not state.is_new or state.suspended:
                        states[cid] = state
                        if state.leech:
                            leeches.append(cid)
                result.notes += 1
                pending += 1
                if progress is not None and pending >= PROGRESS_EVERY:
                    progress(pending)
                    pending = 0
        cursor.executemany(_NOTE_SQL, note_rows)
        cursor.executemany(_CARD_SQL, card_rows)
        _write_decks_and_models(cursor, list(decks.values()), models, stamp)
        result.cards = int(cursor.execute("SELECT count(*) FROM cards").fetchone()[0])
        if with_scheduling:
            _write_scheduling(cursor, bank, states, card_ids, leeches, now, result)
        conn.commit()
        conn.close()
        if progress is not None and pending:
            progress(pending)
        result.media = sorted(packer.files.values())
        _zip_package(db_name, packer.files, out_path)
        ledger.save()
    finally:
        os.unlink(db_name)
    return result


def _write_decks_and_models(
    cursor: sqlite3.Cursor, decks: list[Any], models: dict[str, Any], stamp: int
) -> None:
    """``col.decks`` and ``col.models`` as genanki's ``Deck.write_to_db`` leaves them, written once.

    genanki adds each deck's entry and (re)writes every note type with
    ``did`` = the deck being written; after the last deck each note type
    carries the last deck's id, as here.
    """
    if not decks:
        return
    (decks_text,) = cursor.execute("SELECT decks FROM col").fetchone()
    all_decks = json.loads(decks_text)
    for d in decks:
        all_decks[str(d.deck_id)] = d.to_json()
    (models_text,) = cursor.execute("SELECT models FROM col").fetchone()
    all_models = json.loads(models_text)
    last = decks[-1].deck_id
    for nt in NOTE_TYPES.values():
        all_models[str(nt.id)] = models[nt.key].to_json(stamp, last)
    cursor.execute("UPDATE col SET decks = ?, models = ?", (json.dumps(all_decks), json.dumps(all_models)))


def _zip_package(db_name: str, media: dict[Path, str], out_path: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=".quizkit-", suffix=".apkg", dir=out_path.parent)
    os.close(fd)
    try:
        # Level 1: half the time of the default level for a package about 10 % larger.
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.write(db_name, "collection.anki2")
            entries = list(media.items())
            z.writestr("media", json.dumps({str(i): name for i, (_, name) in enumerate(entries)}))
            for i, (path, _) in enumerate(entries):
                z.write(path, str(i))
        # mkstemp makes 0600 files; a package is for sharing, so use the usual umask-based mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, out_path)
    except BaseException:
        os.unlink(tmp_name)
        raise


# -- scheduling ------------------------------------------------------------------
def _day_start(day: date) -> int:
    # Anki counts days from the collection's creation at its 4 a.m. local rollover.
    return int(datetime.combine(day, time(4, 0)).astimezone().timestamp())


def _write_scheduling(
    cursor: sqlite3.Cursor,
    bank: Bank,
    states: dict[int, CardState],
    card_ids: dict[str, int],
    leeches: list[int],
    now: datetime,
    result: ExportResult,
) -> None:
    """Turn the package's new cards into review cards with the learner's SM-2 state, plus the review log.

    Review ``due`` counts days from the collection's creation (``col.crt``);
    the scheduler version is set to 2 so Anki's importer does not remap grades
    as it does for v1 collections.
    """
    today = now.astimezone().date()
    dues = [s.due for s in states.values() if s.due is not None and not s.is_new]
    crt_day = min([today, *dues])
    crt_day = date.fromordinal(crt_day.toordinal() - 1)
    new_rows = []  # suspended but never studied: stays new
    review_rows = []
    for cid, st in states.items():
        if st.is_new:
            new_rows.append((cid,))
            continue
        due = ((st.due or today) - crt_day).days
        queue = -1 if st.suspended else 2
        review_rows.append((queue, due, max(1, st.interval), st.ef, st.repetitions, st.lapses, cid))
    cursor.executemany("UPDATE cards SET queue = -1 WHERE id = ?", new_rows)
    cursor.executemany(
        "UPDATE cards SET type = 2, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, lapses = ?, left = 0"
        " WHERE id = ?",
        review_rows,
    )
    result.scheduled_cards = len(review_rows)
    if leeches:
        cursor.executemany(
            "UPDATE notes SET tags = tags || 'leech ' WHERE id = (SELECT nid FROM cards WHERE id = ?)",
            [(cid,) for cid in leeches],
        )
    revlog = []
    used: set[int] = set()
    for row in bank.review_log(include_undone=False):
        cid = card_ids.get(row.card_id)
        if cid is None or row.grade is None or row.kind not in _REVLOG_TYPE:
            continue
        rid = int(row.reviewed_at.timestamp() * 1000)
        while rid in used:
            rid += 1
        used.add(rid)
        ivl = row.after.interval if row.kind != "drill" else row.before.interval
        revlog.append(
            (rid, cid, -1, _EASE.get(row.grade, 1), ivl, row.before.interval, row.after.ef,
             min(max(row.duration_ms or 0, 0), 60_000), _REVLOG_TYPE[row.kind])
        )
    cursor.executemany("INSERT INTO revlog VALUES (?,?,?,?,?,?,?,?,?)", revlog)
    result.reviews = len(revlog)
    conf = json.loads(cursor.execute("SELECT conf FROM col").fetchone()[0])
    conf["schedVer"] = 2
    cursor.execute("UPDATE col SET crt = ?, conf = ?", (_day_start(crt_day), json.dumps(conf)))
