"""Reading Anki packages (``.apkg``/``.colpkg``) into the bank: notes, media, scheduling, history.

This module owns the package layouts and their translation into quizkit:

* layouts: ``collection.anki2``/``collection.anki21`` (SQLite schema 11,
  note types and decks as JSON in ``col``, a JSON ``media`` map, plain media
  files) and ``collection.anki21b`` (schema 18, note types and decks in
  tables with protobuf blobs, everything zstd-compressed, a protobuf
  ``media`` map).  The collection is read with :mod:`sqlite3`; the ``anki``
  library is never needed and ``zstandard`` is imported only for anki21b.
* content: one Anki card becomes one quizkit card whose fact is
  ``anki:<note guid>:<card ord>``, so importing a newer package of the same
  notes updates them in place.  The top-level Anki deck is the quizkit deck,
  the rest of the deck path is the section.
* scheduling: the card's type/queue/ivl/factor/due give its SM-2 state; the
  ``revlog`` becomes review log rows (grades in :data:`GRADES`).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from quizkit.clock import DEFAULT_DAY_START_HOUR, study_day
from quizkit.errors import InputError
from quizkit.model import (
    EF_INITIAL,
    CardKind,
    CardSpec,
    CardState,
    CardStyle,
    Choice,
    DeckInfo,
    deck_key_from_name,
)

if TYPE_CHECKING:
    from quizkit.storage.bank import Bank
    from quizkit.storage.importing import ImportedProgress

# Newest first: packages from current Anki also carry a stub collection.anki2
# ("please update Anki") next to the real collection.
LAYOUTS = ("collection.anki21b", "collection.anki21", "collection.anki2")
PACKAGE_VERSION_LATEST = 3  # PackageMetadata.Version.VERSION_LATEST
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# Anki answer button (revlog ease) -> SM-2 grade: Again 1, Hard 3, Good 4, Easy 5.
GRADES = {1: 1, 2: 3, 3: 4, 4: 5}
# Scheduler v1 learning and relearning had three buttons: Again, Good, Easy.
GRADES_V1_LEARNING = {1: 1, 2: 4, 3: 5}
# revlog type -> review kind; 3 (filtered deck / cram) is "review" when it rescheduled, else "drill".
KINDS = {0: "new", 1: "review", 2: "relearn", 3: "review"}

# A card's ``due`` above this is a timestamp in seconds (intraday learning), else a day number.
_TIMESTAMP_DUE = 1_000_000_000
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SPECIAL_FIELDS = {"FrontSide", "Tags", "Deck", "Subdeck", "Card", "CardFlag", "Type", "CardID"}
QUIZKIT_NOTE_TYPE_IDS = {1694052101, 1694052102, 1694052103, 1694052104}  # quizkit.exporters.templates
QUIZKIT_CHOICE_ID = 1694052104


# -- the collection -------------------------------------------------------------
@dataclass(frozen=True)
class NoteType:
    id: int
    name: str
    cloze: bool
    fields: tuple[str, ...]
    templates: tuple[tuple[str, str, str], ...]  # (name, question format, answer format), by ord


@dataclass(frozen=True)
class AnkiDeck:
    id: int
    path: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Note:
    id: int
    guid: str
    mid: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Card:
    id: int
    nid: int
    did: int  # the home deck (a card in a filtered deck counts in its original deck)
    ord: int
    type: int  # 0 new, 1 learning, 2 review, 3 relearning
    queue: int  # -1 suspended, -2/-3 buried, 0 new, 1/3 learning, 2 review
    due: int
    ivl: int
    factor: int
    reps: int
    lapses: int


@dataclass(frozen=True)
class Revlog:
    id: int  # epoch milliseconds
    cid: int
    ease: int
    ivl: int  # days, or negative seconds while learning
    last_ivl: int
    factor: int
    time: int  # milliseconds taken
    type: int


@dataclass
class Collection:
    layout: str
    crt: int
    sched_ver: int
    notetypes: dict[int, NoteType]
    decks: dict[int, AnkiDeck]
    notes: dict[int, Note]
    cards: list[Card]
    revlog: dict[int, list[Revlog]]  # card id -> rows, oldest first

    @property
    def crt_day(self) -> date:
        """Day 0 of review ``due`` numbers: the local date of the collection's creation."""
        return datetime.fromtimestamp(self.crt).date()


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def protobuf_fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """``(field number, value)`` of a protobuf message: ints for varints, bytes otherwise."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            size, i = _varint(data, i)
            if i + size > len(data):
                raise ValueError("truncated field")
            value, i = data[i : i + size], i + size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, i = data[i : i + width], i + width
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, value


def _pb_get(data: bytes, number: int, default: Any) -> Any:
    for n, value in protobuf_fields(data):
        if n == number:
            return value
    return default


def _unicase(a: str, b: str) -> int:
    x, y = a.casefold(), b.casefold()
    return (x > y) - (x < y)


def read_collection(db_file: Path, layout: str) -> Collection:
    """Read the SQLite collection at ``db_file`` (schema 11 or 18)."""
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    conn.create_collation("unicase", _unicase)  # Anki's own collation on names (schema 18)
    try:
        crt, conf_json, models_json, decks_json = conn.execute(
            "SELECT crt, conf, models, decks FROM col"
        ).fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "notetypes" in tables:
            notetypes, decks = _schema18(conn)
            raw = conn.execute("SELECT val FROM config WHERE KEY = 'schedVer'").fetchone()
            sched_ver = int(json.loads(raw[0])) if raw else 2
        else:
            notetypes, decks = _schema11(models_json, decks_json)
            sched_ver = int(json.loads(conf_json or "{}").get("schedVer", 1))
        notes = {
            nid: Note(nid, guid, mid, tuple(flds.split("\x1f")), tuple(tags.split()))
            for nid, guid, mid, tags, flds in conn.execute("SELECT id, guid, mid, tags, flds FROM notes")
        }
        cards = [
            Card(cid, nid, odid or did, ord_, type_, queue, odue if odid else due, ivl, factor, reps, lapses)
            for cid, nid, did, ord_, type_, queue, due, ivl, factor, reps, lapses, odue, odid in conn.execute(
                "SELECT id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, odue, odid"
                " FROM cards ORDER BY nid, ord"
            )
        ]
        revlog: dict[int, list[Revlog]] = {}
        for row in conn.execute(
            "SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id"
        ):
            revlog.setdefault(row[1], []).append(Revlog(*row))
    except sqlite3.Error as exc:
        raise InputError(f"{layout} is not a readable Anki collection ({exc})") from None
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise InputError(f"{layout} has an unknown layout ({type(exc).__name__}: {exc})") from None
    finally:
        conn.close()
    return Collection(layout, int(crt), sched_ver, notetypes, decks, notes, cards, revlog)


def _schema11(models_json: str, decks_json: str) -> tuple[dict[int, NoteType], dict[int, AnkiDeck]]:
    notetypes = {}
    for m in json.loads(models_json).values():
        flds = sorted(m["flds"], key=lambda f: f["ord"])
        tmpls = sorted(m["tmpls"], key=lambda t: t["ord"])
        notetypes[int(m["id"])] = NoteType(
            int(m["id"]),
            m["name"],
            int(m.get("type", 0)) == 1,
            tuple(f["name"] for f in flds),
            tuple((t["name"], t["qfmt"], t["afmt"]) for t in tmpls),
        )
    decks = {
        int(d["id"]): AnkiDeck(int(d["id"]), tuple(d["name"].split("::")), d.get("desc", "") or "")
        for d in json.loads(decks_json).values()
    }
    return notetypes, decks


def _schema18(conn: sqlite3.Connection) -> tuple[dict[int, NoteType], dict[int, AnkiDeck]]:
    fields: dict[int, list[str]] = {}
    for ntid, name in conn.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(ntid, []).append(name)
    templates: dict[int, list[tuple[str, str, str]]] = {}
    for ntid, name, config in conn.execute("SELECT ntid, name, config FROM templates ORDER BY ntid, ord"):
        qfmt = _pb_get(config, 1, b"").decode("utf-8")
        afmt = _pb_get(config, 2, b"").decode("utf-8")
        templates.setdefault(ntid, []).append((name, qfmt, afmt))
    notetypes = {
        ntid: NoteType(
            ntid,
            name,
            _pb_get(config, 1, 0) == 1,
            tuple(fields.get(ntid, ())),
            tuple(templates.get(ntid, ())),
        )
        for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes")
    }
    decks = {}
    for did, name, kind in conn.execute("SELECT id, name, kind FROM decks"):
        normal = _pb_get(kind, 1, None)
        desc = _pb_get(normal, 4, b"").decode("utf-8") if isinstance(normal, bytes) else ""
        decks[did] = AnkiDeck(did, tuple(name.split("\x1f")), desc)
    return notetypes, decks


# -- the package ---------------------------------------------------------------
class AnkiPackage:
    """An opened ``.apkg``/``.colpkg``: its collection and its media (use as a context manager)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        where = str(self.path)
        if self.path.is_dir():
            raise InputError("is a directory, not an Anki package", file=where)
        if not self.path.exists():
            raise InputError("no such file", file=where)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, EOFError):
            raise InputError("not an Anki package (not a zip file)", file=where) from None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        try:
            self._open(where)
        except BaseException:
            self.close()
            raise

    def _open(self, where: str) -> None:
        names = set(self._zip.namelist())
        layout = next((n for n in LAYOUTS if n in names), None)
        if layout is None:
            raise InputError(
                "no Anki collection inside "
                "(expected collection.anki21b, collection.anki21 or collection.anki2)",
                file=where,
            )
        if "meta" in names:
            try:
                version = _pb_get(self._zip.read("meta"), 1, 0)
            except ValueError:
                raise InputError("unreadable package metadata ('meta')", file=where) from None
            if isinstance(version, int) and version > PACKAGE_VERSION_LATEST:
                raise InputError(f"package version {version} is newer than quizkit can read", file=where)
        self.layout = layout
        self._tmp = tempfile.TemporaryDirectory(prefix="quizkit-import-")
        db_file = Path(self._tmp.name) / "collection.sqlite"
        try:
            with self._zip.open(layout) as src, open(db_file, "wb") as dst:
                if layout.endswith("b"):
                    _zstd_copy(src, dst)
                else:
                    shutil.copyfileobj(src, dst)
        except (zipfile.BadZipFile, zlib.error, ValueError) as exc:
            raise InputError(f"{layout} cannot be unpacked ({exc})", file=where) from None
        try:
            self.collection = read_collection(db_file, layout)
        except InputError as exc:
            raise InputError(exc.message, file=where) from None
        self.media = self._media_map(names, where)

    def _media_map(self, names: set[str], where: str) -> dict[str, str]:
        """Media file name -> zip member."""
        if "media" not in names:
            return {}
        raw = self._zip.read("media")
        try:
            if raw.startswith(ZSTD_MAGIC):
                entries = _zstd_bytes(raw)
                out: dict[str, str] = {}
                for index, (number, entry) in enumerate(protobuf_fields(entries)):
                    if number == 1 and isinstance(entry, bytes):
                        name = _pb_get(entry, 1, b"").decode("utf-8")
                        member = str(_pb_get(entry, 255, index))
                        out[name] = member
                return out
            data = json.loads(raw.decode("utf-8") or "{}")
            return {str(name): str(member) for member, name in data.items()}
        except (ValueError, UnicodeDecodeError, AttributeError) as exc:
            raise InputError(f"unreadable media list ({exc})", file=where) from None

    def media_bytes(self, name: str) -> bytes | None:
        member = self.media.get(name)
        if member is None:
            return None
        try:
            data = self._zip.read(member)
        except KeyError:
            return None
        return _zstd_bytes(data) if data.startswith(ZSTD_MAGIC) else data

    def close(self) -> None:
        self._zip.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> AnkiPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _zstd_copy(src: IO[bytes], dst: IO[bytes]) -> None:
    import zstandard

    try:
        zstandard.ZstdDecompressor().copy_stream(src, dst)
    except zstandard.ZstdError as exc:
        raise ValueError(f"not zstd data: {exc}") from None


def _zstd_bytes(data: bytes) -> bytes:
    import zstandard

    try:
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            return reader.read()
    except zstandard.ZstdError as exc:
        raise ValueError(f"bad zstd data: {exc}") from None


# -- text -----------------------------------------------------------------------
_DROP = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</(?:div|p|li|h[1-6]|tr|pre|blockquote)\s*>|<hr\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SOUND = re.compile(r"\[sound:([^\]]+)\]")
_IMG = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_REF = re.compile(r"\{\{([^{}#^/!][^{}]*)\}\}")
_CODE_CMD = re.compile(r'<code class="qk-cmd">(.*?)</code>', re.DOTALL)
_LI = re.compile(r"<li>(.*?)</li>", re.DOTALL)
_CORRECT = re.compile(r'<div class="qk-correct">([A-Z0-9]+)\. .*?</div>', re.DOTALL)


def html_to_text(value: str) -> str:
    """Field HTML as plain text: line breaks and block ends become newlines, tags go, entities decode."""
    text = _DROP.sub("", value)
    text = _SOUND.sub("", text)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def media_refs(value: str) -> list[str]:
    """File names a field's HTML references (``<img src>``, ``[sound:]``), URLs left out."""
    names = []
    for m in _IMG.finditer(value):
        names.append(html.unescape(m.group(1) or m.group(2) or m.group(3) or ""))
    names.extend(html.unescape(m.group(1)) for m in _SOUND.finditer(value))
    return [n for n in dict.fromkeys(names) if n and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", n)]


def keep_cloze(text: str, number: int) -> str:
    """Keep deletion ``number`` as ``{{cN::...}}``; other deletions become their plain text."""
    return CLOZE.sub(lambda m: m.group(0) if int(m.group(1)) == number else m.group(2), text)


def _template_refs(template: str, field_names: set[str]) -> list[tuple[str, tuple[str, ...]]]:
    refs: list[tuple[str, tuple[str, ...]]] = []
    for m in _REF.finditer(template):
        parts = [p.strip() for p in m.group(1).split(":")]
        name, filters = parts[-1], tuple(parts[:-1])
        if name in field_names and name not in _SPECIAL_FIELDS and (name, filters) not in refs:
            refs.append((name, filters))
    return refs


# -- cards ----------------------------------------------------------------------
@dataclass(frozen=True)
class ConvertedCard:
    """One Anki card as a quizkit card, before media names are final."""

    anki: Card
    top_deck: AnkiDeck
    spec: CardSpec
    leech: bool


def fact_for(guid: str, ord_: int) -> str:
    return f"anki:{guid}:{ord_}"


def convert_card(card: Card, note: Note, nt: NoteType, section: tuple[str, ...], source: str) -> CardSpec:
    """The quizkit card for one Anki card: fields its templates show, as text."""
    values = dict(
        zip(nt.fields, list(note.fields) + [""] * (len(nt.fields) - len(note.fields)), strict=False)
    )
    names = set(nt.fields)
    index = 0 if nt.cloze else card.ord
    if not nt.templates:
        raise InputError(f"note type {nt.name!r} has no card template")
    _, qfmt, afmt = nt.templates[index if index < len(nt.templates) else 0]
    q_refs, a_refs = _template_refs(qfmt, names), _template_refs(afmt, names)
    hints = [n for n, f in q_refs + a_refs if "hint" in f]
    typed = next((n for n, f in q_refs if "type" in f and "cloze" not in f), None)
    cloze = next((n for n, f in q_refs if "cloze" in f), None)
    special = {*hints, typed, cloze}
    front_fields = list(dict.fromkeys(n for n, f in q_refs if n not in special))
    back_fields = list(dict.fromkeys(n for n, f in a_refs if n not in special and n not in front_fields))
    aliases: tuple[str, ...] = ()
    if nt.id in QUIZKIT_NOTE_TYPE_IDS:
        # quizkit's own export: "Source" repeats where the card came from; "Aliases" are commands.
        back_fields = [n for n in back_fields if n != "Source"]
        if "Aliases" in back_fields:
            back_fields.remove("Aliases")
            aliases = tuple(html_to_text(a) for a in _CODE_CMD.findall(values.get("Aliases", "")))

    def text(name: str) -> str:
        return html_to_text(values.get(name, ""))

    used = [*front_fields, *back_fields, *hints, *(n for n in (typed, cloze) if n)]
    media = tuple(dict.fromkeys(ref for n in used for ref in media_refs(values.get(n, ""))))
    fronts = [t for t in (text(n) for n in front_fields) if t]
    backs = [t for t in (text(n) for n in back_fields) if t]
    hint = "\n".join(t for t in (text(n) for n in hints) if t) or None
    kind = CardKind.CONCEPT
    for t in note.tags:
        if t.casefold().startswith("quizkit::") and t[len("quizkit::") :] in CardKind.__members__.values():
            kind = CardKind(t[len("quizkit::") :])
    tags = tuple(
        t
        for t in note.tags
        if not t.casefold().startswith(("quizkit::", "section::")) and t.casefold() != "leech"
    )
    common: dict[str, Any] = {
        "kind": kind,
        "fact": fact_for(note.guid, card.ord),
        "section": section,
        "source_file": source,
        "tags": tags,
        "media": media,
        "hint": hint,
        "aliases": aliases,
    }
    if nt.id == QUIZKIT_CHOICE_ID and _LI.search(values.get("Choices", "")):
        return _choice_spec(values, common)
    if cloze is not None:
        front = keep_cloze(html_to_text(values.get(cloze, "")), card.ord + 1)
        return CardSpec(style=CardStyle.CLOZE, front=front, back="\n".join(fronts + backs), **common)
    if typed is not None:
        return CardSpec(
            style=CardStyle.TYPE, front="\n".join(fronts), back=text(typed), extra="\n".join(backs), **common
        )
    return CardSpec(
        style=CardStyle.BASIC,
        front="\n".join(fronts),
        back=backs[0] if backs else "",
        extra="\n".join(backs[1:]),
        **common,
    )


def _choice_spec(values: dict[str, str], common: dict[str, Any]) -> CardSpec:
    """quizkit's multiple-choice note: options from the list, the right ones from the answer's letters."""
    items = [html_to_text(li) for li in _LI.findall(values.get("Choices", ""))]
    answer = values.get("Answer", "")
    letters = set(_CORRECT.findall(answer))
    labels = [_LETTERS[i] if i < len(_LETTERS) else str(i + 1) for i in range(len(items))]
    choices = tuple(Choice(text, label in letters) for text, label in zip(items, labels, strict=True))
    back = html_to_text(_CORRECT.sub("", answer)) if letters else html_to_text(answer)
    return CardSpec(
        style=CardStyle.CHOICE,
        front=html_to_text(values.get("Question", "")),
        back=back,
        choices=choices,
        extra=html_to_text(values.get("Extra", "")),
        **common,
    )


# -- scheduling -----------------------------------------------------------------
def grade_for(ease: int, revlog_type: int, sched_ver: int) -> int | None:
    """The SM-2 grade of an Anki answer (``None``: not an answer, e.g. a manual reschedule)."""
    if sched_ver == 1 and revlog_type in (0, 2):
        return GRADES_V1_LEARNING.get(ease)
    return GRADES.get(ease)


def _local_day(moment: datetime) -> date:
    return study_day(moment.astimezone(), DEFAULT_DAY_START_HOUR)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def card_progress(card_id: str, card: Card, col: Collection, leech: bool) -> ImportedProgress:
    """A card's SM-2 state (from the cards table) and its review history (from the revlog)."""
    from quizkit.storage.importing import ImportedProgress, ImportedReview

    history: list[ImportedReview] = []
    state = CardState()
    first_day: date | None = None
    for row in col.revlog.get(card.id, []):
        grade = grade_for(row.ease, row.type, col.sched_ver)
        if grade is None or row.type not in KINDS:
            continue
        at = _at(row.id)
        day = _local_day(at)
        kind = KINDS[row.type]
        if row.type == 3 and row.ivl <= 0:
            kind = "drill"
        ivl = max(row.ivl, 0)
        if kind == "drill":
            after = state
        else:
            failed = row.ease == 1
            lapses = state.lapses + (1 if failed and row.type == 1 else 0)
            reps = 0 if failed else state.repetitions + (1 if ivl > 0 else 0)
            after = CardState(
                due=day + timedelta(days=ivl),
                interval=ivl,
                ef=row.factor if row.factor > 0 else state.ef,
                repetitions=reps,
                lapses=lapses,
                suspended=state.suspended,
                last_review=at,
            )
        history.append(
            ImportedReview(
                reviewed_at=at,
                study_day=day,
                kind=kind,
                grade=grade,
                duration_ms=max(row.time, 0),
                before=state,
                after=after,
                first_day_before=first_day,
            )
        )
        if first_day is None and kind != "drill":
            first_day = day
        state = after
    last_review = history[-1].reviewed_at if history else None
    return ImportedProgress(
        card_id=card_id,
        state=card_state(card, col, last_review, state.repetitions, leech),
        first_day=first_day,
        reviews=tuple(history),
    )


def card_state(
    card: Card, col: Collection, last_review: datetime | None, streak: int, leech: bool
) -> CardState | None:
    """The SM-2 state of an Anki card; ``None`` for a new card that is not suspended."""
    suspended = card.queue == -1
    if card.type == 0:
        return CardState(suspended=True, leech=leech) if suspended else None
    if card.due > _TIMESTAMP_DUE:  # (re)learning today: due is a moment
        due = _local_day(datetime.fromtimestamp(card.due, UTC))
    else:
        due = col.crt_day + timedelta(days=card.due)
    interval = max(card.ivl, 1) if card.type == 2 else max(card.ivl, 0) if card.type == 3 else 0
    if last_review is None:  # no history in the package: the day the interval started
        start = due - timedelta(days=interval)
        last_review = datetime.combine(start, time(12, 0), tzinfo=UTC)
    reps = streak if streak else (max(card.reps - card.lapses, 1) if card.type == 2 else 0)
    return CardState(
        due=due,
        interval=interval,
        ef=card.factor if card.factor > 0 else EF_INITIAL,
        repetitions=reps,
        lapses=card.lapses,
        suspended=suspended,
        leech=leech,
        last_review=last_review,
    )


# -- media ----------------------------------------------------------------------
def default_media_dir(bank_url: str) -> Path:
    """Where imported media go by default: ``<bank>-media`` next to a SQLite bank, else the data dir."""
    import sqlalchemy as sa

    url = sa.engine.make_url(bank_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(str(url.database))
        return path.with_name(path.stem + "-media")
    import platformdirs

    return Path(platformdirs.user_data_dir("quizkit", appauthor=False)) / "media"


def _safe_name(name: str) -> bool:
    return (
        bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\x00" not in name
    )


def store_media(package: AnkiPackage, names: list[str], media_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Copy the named files out of the package into ``media_dir``.

    Returns (package name -> stored name, names missing from the package).  A
    different file already stored under the same name keeps its name; the new
    one gets a hash suffix.
    """
    stored: dict[str, str] = {}
    missing: list[str] = []
    for name in names:
        data = package.media_bytes(name) if _safe_name(name) else None
        if data is None:
            missing.append(name)
            continue
        target = media_dir / name
        if target.exists() and target.read_bytes() != data:
            stem, suffix = os.path.splitext(name)
            target = media_dir / f"{stem}-{hashlib.sha1(data).hexdigest()[:8]}{suffix}"
        if not target.exists():
            media_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        stored[name] = target.name
    return stored, missing


# -- importing ------------------------------------------------------------------
@dataclass
class DeckImport:
    info: DeckInfo
    cards: list[ConvertedCard] = field(default_factory=list)


@dataclass
class ImportResult:
    file: str
    layout: str
    decks: list[dict[str, object]] = field(default_factory=list)
    notes: int = 0
    cards: int = 0
    scheduling: bool = True
    states: int = 0
    states_kept: int = 0
    reviews: int = 0
    reviews_known: int = 0
    media: list[str] = field(default_factory=list)
    missing_media: list[str] = field(default_factory=list)
    media_dir: str = ""

    def totals(self) -> dict[str, int]:
        keys = ("added", "updated", "unchanged", "retired", "revived")
        return {k: sum(int(d[k]) for d in self.decks if isinstance(d[k], int)) for k in keys}

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "layout": self.layout,
            "decks": self.decks,
            **self.totals(),
            "notes": self.notes,
            "cards": self.cards,
            "scheduling": self.scheduling,
            "states": self.states,
            "states_kept": self.states_kept,
            "reviews": self.reviews,
            "reviews_known": self.reviews_known,
            "media": self.media,
            "missing_media": self.missing_media,
            "media_dir": self.media_dir,
        }


def plan_decks(col: Collection, *, source: str, deck: str | None, media_dir: Path) -> list[DeckImport]:
    """Group the collection's cards into quizkit decks (top-level Anki decks, or the one ``deck``)."""
    plans: dict[str, DeckImport] = {}
    tops = {d.path[0]: d for d in col.decks.values() if len(d.path) == 1}
    for card in col.cards:
        note = col.notes.get(card.nid)
        if note is None:
            continue
        nt = col.notetypes.get(note.mid)
        if nt is None:
            raise InputError(
                f"note {note.id} uses note type {note.mid}, which the collection lacks", file=source
            )
        adeck = col.decks.get(card.did) or AnkiDeck(card.did, ("Default",))
        top = tops.get(adeck.path[0], adeck)
        name = deck or top.path[0]
        plan = plans.get(name)
        if plan is None:
            info = DeckInfo(
                key=deck_key_from_name(name),
                name=name,
                description=html_to_text(top.description),
                anki_id=top.id,
                source_dir=str(media_dir),
                settings={"source": "anki", "package": Path(source).name},
            )
            plan = plans[name] = DeckImport(info)
        section = tuple(p.strip() for p in adeck.path[1:])
        spec = convert_card(card, note, nt, section, Path(source).name)
        leech = any(t.casefold() == "leech" for t in note.tags)
        plan.cards.append(ConvertedCard(card, top, spec, leech))
    return list(plans.values())


def _check_deck(bank: Bank, info: DeckInfo) -> DeckInfo:
    """Refuse to overwrite a deck that was not imported from Anki; keep an imported deck's own settings."""
    for existing in bank.list_deck_infos():
        if existing.key == info.key or existing.name.casefold() == info.name.casefold():
            if existing.settings.get("source") != "anki":
                raise InputError(
                    f"deck {existing.name!r} already exists and was not imported from Anki; "
                    "give --deck another name"
                )
            return replace(
                info, key=existing.key, name=existing.name, settings={**existing.settings, **info.settings}
            )
    return info


def import_anki(
    bank: Bank,
    path: str | os.PathLike[str],
    *,
    now: datetime,
    deck: str | None = None,
    media_dir: str | os.PathLike[str] | None = None,
    scheduling: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import an Anki package into ``bank``: content per deck, then (optionally) the learner's progress."""
    from quizkit.storage.importing import write_progress

    if deck is not None and not deck.strip():
        raise InputError("--deck needs a name")
    target_dir = Path(media_dir) if media_dir is not None else default_media_dir(bank.url)
    target_dir = target_dir.expanduser().resolve()
    with AnkiPackage(path) as package:
        col = package.collection
        source = str(package.path)
        result = ImportResult(
            file=source, layout=package.layout, scheduling=scheduling, media_dir=str(target_dir)
        )
        plans = plan_decks(col, source=source, deck=deck.strip() if deck else None, media_dir=target_dir)
        if not plans:
            raise InputError("the package has no cards", file=source)
        plans = [DeckImport(_check_deck(bank, p.info), p.cards) for p in plans]
        wanted = list(dict.fromkeys(m for p in plans for c in p.cards for m in c.spec.media))
        stored, missing = store_media(package, wanted, target_dir)
        result.media = sorted(set(stored.values()))
        result.missing_media = missing
        all_progress = []
        for plan in plans:
            specs = [replace(c.spec, media=tuple(stored.get(m, m) for m in c.spec.media)) for c in plan.cards]
            if progress is not None:
                progress(plan.info.name)
            report = bank.sync_deck(plan.info, specs, now=now)
            result.decks.append({"deck": plan.info.name, "anki_id": plan.info.anki_id, **report.counts()})
            result.cards += len(specs)
            result.notes += len({c.anki.nid for c in plan.cards})
            if scheduling:
                for c, spec in zip(plan.cards, specs, strict=True):
                    all_progress.append(card_progress(spec.key(plan.info.key), c.anki, col, c.leech))
        if scheduling:
            written = write_progress(bank, all_progress)
            result.states = written.states
            result.states_kept = written.states_kept
            result.reviews = written.reviews
            result.reviews_known = written.reviews_known
    return result
