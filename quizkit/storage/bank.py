"""The question bank: storing compiled decks and each learner's progress.

All SQL lives here (the CLI never writes any).  Writes are one transaction
each: a compile either lands whole or not at all, and a review commits its
state change and its log row together.  Cards are never deleted and the
review log is append-only; an undo is itself a log row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine, Row

from quizkit.errors import DeckError, UnknownCardError, UnknownDeckError
from quizkit.model import CardKind, CardSpec, CardState, CardStyle, CardView, Choice, DeckInfo

if TYPE_CHECKING:  # imported where built: quizkit.reports is off the start-up path
    from quizkit.reports import DeckSummary, ReviewRow, SchedulerSwitch, SyncReport
from quizkit.schedulers import SETTINGS, Answer, Policy, policy_from_settings, replay, scheduler_of
from quizkit.storage import cursors, due_queries
from quizkit.storage import rows as R
from quizkit.storage.db import OpenedDatabase, open_database, write_transaction
from quizkit.storage.prepared import Prepared, prepare, raw_write
from quizkit.storage.readers import SqlAlchemyReader
from quizkit.storage.rows import ROW_COLUMNS, CardRow, card_rows, dumps
from quizkit.storage.schema import card_states, cards, decks, reviews

CHUNK = 2000  # rows per executemany batch on large compiles
# New cards are written once this many wait: a compile that stores chapters while others
# compile goes back to answering its workers after a few milliseconds.
_FLUSH_ROWS = 256
_CONFIG_KEYS = frozenset(SETTINGS)  # deck settings `quizkit config` may set
_SCHEDULING_KINDS = ("new", "review", "relearn")  # log rows that moved a schedule


def _spec_from_row(row: Row[Any]) -> CardSpec:
    m = row._mapping
    return CardSpec(
        kind=CardKind(m["kind"]),
        style=CardStyle(m["style"]),
        front=m["front"],
        back=m["back"],
        fact=m["fact"],
        section=tuple(json.loads(m["section"])),
        source_file=m["source_file"],
        source_line=m["source_line"],
        tags=tuple(json.loads(m["tags"])),
        media=tuple(json.loads(m["media"])),
        hint=m["hint"],
        aliases=tuple(json.loads(m["aliases"])),
        choices=tuple(Choice(text=t, correct=bool(c)) for t, c in json.loads(m["choices"])),
        extra=m["extra"],
    )


def _state_from_row(row: Row[Any]) -> CardState:
    m = row._mapping
    if m["st_learner"] is None:
        return CardState()
    return CardState(
        due=m["st_due"],
        interval=m["st_interval"],
        ef=m["st_ef"],
        repetitions=m["st_repetitions"],
        lapses=m["st_lapses"],
        suspended=bool(m["st_suspended"]),
        leech=bool(m["st_leech"]),
        last_review=m["st_last_review"],
        stability=m["st_stability"],
        difficulty=m["st_difficulty"],
    )


def _deck_from_row(row: Row[Any]) -> DeckInfo:
    m = row._mapping
    return DeckInfo(
        key=m["key"],
        name=m["name"],
        description=m["description"],
        anki_id=m["anki_id"],
        source_dir=m["source_dir"],
        settings=json.loads(m["settings"] or "{}"),
    )


_STATE_COLS = [
    card_states.c.learner.label("st_learner"),
    card_states.c.due.label("st_due"),
    card_states.c.interval.label("st_interval"),
    card_states.c.ef.label("st_ef"),
    card_states.c.repetitions.label("st_repetitions"),
    card_states.c.lapses.label("st_lapses"),
    card_states.c.suspended.label("st_suspended"),
    card_states.c.leech.label("st_leech"),
    card_states.c.last_review.label("st_last_review"),
    card_states.c.stability.label("st_stability"),
    card_states.c.difficulty.label("st_difficulty"),
]


# The per-answer statements, built once: a review then only binds values
# (building them per call cost more than the SQL itself; see benchmarks/README.md).
_STATE_VALUES = (
    "due",
    "interval",
    "ef",
    "repetitions",
    "lapses",
    "suspended",
    "leech",
    "last_review",
    "first_review_day",
    "stability",
    "difficulty",
)
_UPDATE_STATE = (
    sa.update(card_states)
    .where(
        card_states.c.card_id == sa.bindparam("b_card_id"), card_states.c.learner == sa.bindparam("b_learner")
    )
    .values({name: sa.bindparam(name) for name in _STATE_VALUES})
)
_INSERT_STATE = sa.insert(card_states)
_INSERT_REVIEW = sa.insert(reviews)
_FIRST_DAY = sa.select(card_states.c.first_review_day).where(
    card_states.c.card_id == sa.bindparam("b_card_id"), card_states.c.learner == sa.bindparam("b_learner")
)
# An answer's two writes.  The log row reads the card's first review day itself (no
# SELECT first), and an unknown card fails its foreign key; the state keeps its first
# review day, or takes today's.
_LOG_ANSWER = sa.insert(reviews).values(first_day_before=_FIRST_DAY.scalar_subquery())
_UPDATE_ANSWERED = (
    sa.update(card_states)
    .where(
        card_states.c.card_id == sa.bindparam("b_card_id"), card_states.c.learner == sa.bindparam("b_learner")
    )
    .values(
        {name: sa.bindparam(name) for name in _STATE_VALUES if name != "first_review_day"}
        | {
            "first_review_day": sa.func.coalesce(
                card_states.c.first_review_day,
                sa.bindparam("b_first_day", type_=card_states.c.first_review_day.type),
            )
        }
    )
)
_UPSERTS: dict[str, Any] = {}


def _upsert_answered(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT (card, learner) DO UPDATE for the answered state, or None.

    SQLite and PostgreSQL share the syntax; one statement whether or not the card
    had a state row (a new card's first answer creates it).  Other databases take
    the UPDATE-then-INSERT path.
    """
    if dialect_name not in _UPSERTS:
        if dialect_name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif dialect_name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            _UPSERTS[dialect_name] = None
            return None
        stmt = insert(card_states)
        values = {name: stmt.excluded[name] for name in _STATE_VALUES if name != "first_review_day"}
        values["first_review_day"] = sa.func.coalesce(
            card_states.c.first_review_day, stmt.excluded.first_review_day
        )
        _UPSERTS[dialect_name] = stmt.on_conflict_do_update(
            index_elements=[card_states.c.card_id, card_states.c.learner], set_=values
        )
    return _UPSERTS[dialect_name]


@dataclass(frozen=True)
class _AnswerStatements:
    log: Prepared
    upsert: Prepared
    advance: Prepared


_ANSWER_STATEMENTS: dict[tuple[str, str, str], _AnswerStatements | None] = {}


def _answer_statements(dialect: Dialect) -> _AnswerStatements | None:
    """The answer path's statements, compiled once per dialect (None: use the Core path)."""
    key = (dialect.name, str(dialect.driver), str(dialect.paramstyle))  # SQL and value conversion
    if key not in _ANSWER_STATEMENTS:
        upsert = _upsert_answered(dialect.name)
        if upsert is None:
            return None
        log_columns = [c.name for c in reviews.columns if c.name not in ("id", "first_day_before")]
        _ANSWER_STATEMENTS[key] = _AnswerStatements(
            log=prepare(_LOG_ANSWER.returning(reviews.c.id), dialect, log_columns),
            upsert=prepare(upsert, dialect, ["card_id", "learner", *_STATE_VALUES]),
            advance=prepare(cursors.ADVANCE, dialect),
        )
    return _ANSWER_STATEMENTS[key]


_CARD_DECK = sa.select(cards.c.deck_id, cards.c.position).where(cards.c.id == sa.bindparam("b_card_id"))


class DeckSync:
    """One deck being stored by :meth:`Bank.syncing`: rows added in order, then finished."""

    def __init__(
        self,
        conn: Connection,
        deck_id: int,
        info: DeckInfo,
        now: datetime,
        progress: Callable[[int], None] | None,
    ) -> None:
        from quizkit.reports import SyncReport

        self.report = SyncReport(deck=info.name)
        self._conn = conn
        self._deck_id = deck_id
        self._now = now
        self._progress = progress
        cols = [
            cards.c.id,
            cards.c.content_hash,
            cards.c.retired_at,
            cards.c.position,
            cards.c.source_file,
            cards.c.source_line,
        ]
        self._existing: dict[str, tuple[str, datetime | None, tuple[int, str, int]]] = {
            r.id: (r.content_hash, r.retired_at, (r.position, r.source_file, r.source_line))
            for r in conn.execute(sa.select(*cols).where(cards.c.deck_id == deck_id))
        }
        self._seen: dict[str, tuple[str, int]] = {}  # card id -> where it was first seen
        # New cards go in as plain tuples through the driver's executemany (no per-row
        # SQLAlchemy parameter processing); ``now`` is converted once by the column type.
        self._insert_cols = ("deck_id", "position", "retired_at", "created_at", "updated_at", *ROW_COLUMNS)
        stamp_type = cards.c.created_at.type
        to_db = stamp_type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        self._db_now = to_db(now) if to_db is not None else now
        self._inserts: list[tuple[Any, ...]] = []
        self._inserted = 0
        self._updates: list[dict[str, Any]] = []
        self._moves: list[dict[str, Any]] = []
        self._first_placed: int | None = None  # lowest position added, revived, changed or moved

    def add(self, rows: Sequence[CardRow]) -> None:
        """The deck's next cards (positions continue from the previous batch)."""
        ID, HASH, FILE, LINE = R.ID, R.HASH, R.SOURCE_FILE, R.SOURCE_LINE
        report, existing, seen = self.report, self._existing, self._seen
        pos = len(seen)
        for row in rows:
            cid = row[ID]
            first = seen.setdefault(cid, (row[FILE], row[LINE]))
            if len(seen) == pos:
                raise DeckError(
                    f"two cards test the same fact {row[R.FACT]!r} in section "
                    f"{' > '.join(R.row_section(row)) or '(top)'} (first at {first[0]}:{first[1]})",
                    file=row[FILE] or None,
                    line=row[LINE] or None,
                )
            old = existing.get(cid)
            if old is None:
                self._inserts.append((self._deck_id, pos, None, self._db_now, self._db_now, *row))
                report.added.append(cid)
            elif old[1] is not None or old[0] != row[HASH]:
                values = dict(zip(R.VALUE_COLUMNS, row[1:], strict=True))
                self._updates.append(
                    {"b_id": cid, "position": pos, "retired_at": None, "updated_at": self._now, **values}
                )
                (report.revived if old[1] is not None else report.updated).append(cid)
            elif old[2] != (pos, row[FILE], row[LINE]):
                self._moves.append(
                    {"b_id": cid, "position": pos, "source_file": row[FILE], "source_line": row[LINE]}
                )
                report.unchanged.append(cid)
            else:
                report.unchanged.append(cid)
                pos += 1
                continue
            if self._first_placed is None:
                self._first_placed = pos
            pos += 1
        if len(self._inserts) >= _FLUSH_ROWS:
            self._flush_inserts()
        if self._progress is not None:
            self._progress(len(rows))

    def _flush_inserts(self) -> None:
        conn, inserts = self._conn, self._inserts
        if not inserts:
            return
        if conn.dialect.paramstyle == "qmark":
            marks = ", ".join("?" * len(self._insert_cols))
            conn.exec_driver_sql(
                f"INSERT INTO cards ({', '.join(self._insert_cols)}) VALUES ({marks})", inserts
            )
        else:
            stamps = {"created_at": self._now, "updated_at": self._now}
            dicts = [dict(zip(self._insert_cols, r, strict=True)) | stamps for r in inserts]
            for i in range(0, len(dicts), CHUNK):
                conn.execute(sa.insert(cards), dicts[i : i + CHUNK])
        self._inserted += len(inserts)
        self._inserts = []

    def finish(self) -> None:
        """Write what is pending, retire the cards not seen, and move learners' cursors."""
        conn, now, deck_id = self._conn, self._now, self._deck_id
        self._flush_inserts()
        if self._updates:
            stmt = (
                sa.update(cards)
                .where(cards.c.id == sa.bindparam("b_id"))
                .values({k: sa.bindparam(k) for k in self._updates[0] if k != "b_id"})
            )
            for i in range(0, len(self._updates), CHUNK):
                conn.execute(stmt, self._updates[i : i + CHUNK])
        if self._moves:
            stmt = (
                sa.update(cards)
                .where(cards.c.id == sa.bindparam("b_id"))
                .values(
                    position=sa.bindparam("position"),
                    source_file=sa.bindparam("source_file"),
                    source_line=sa.bindparam("source_line"),
                )
            )
            for i in range(0, len(self._moves), CHUNK):
                conn.execute(stmt, self._moves[i : i + CHUNK])
        retire = [cid for cid, old in self._existing.items() if cid not in self._seen and old[1] is None]
        self.report.retired.extend(retire)
        for i in range(0, len(retire), CHUNK):
            conn.execute(
                sa.update(cards)
                .where(cards.c.id.in_(retire[i : i + CHUNK]))
                .values(retired_at=now, updated_at=now)
            )
        # Added, revived, changed or moved cards may be new below a learner's cursor.
        if self._first_placed is not None:
            cursors.lower(conn, deck_id, self._first_placed)
            cursors.advance_deck(conn, deck_id)
        if self._inserted > 10_000 and conn.dialect.name in ("sqlite", "postgresql"):
            conn.exec_driver_sql("ANALYZE")


class Bank:
    """A quizkit bank for one learner (other learners' state is never touched)."""

    def __init__(self, opened: OpenedDatabase, learner: str) -> None:
        self._opened = opened
        self.engine: Engine = opened.engine
        self.learner = learner

    # -- lifecycle -------------------------------------------------------
    @property
    def url(self) -> str:
        return self._opened.url

    @property
    def backup(self) -> str | None:
        """The copy made before a migration on open, if one was made."""
        return str(self._opened.backup) if self._opened.backup else None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Bank:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> dict[str, object]:
        """Facts about the bank: location, schema, row counts."""
        from quizkit.storage.db import SCHEMA_HEAD

        with self.engine.connect() as conn:
            counts = {
                name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
                for name, table in (
                    ("decks", decks),
                    ("cards", cards),
                    ("card_states", card_states),
                    ("reviews", reviews),
                )
            }
        return {
            "url": self.url,
            "schema": SCHEMA_HEAD,
            "learner": self.learner,
            **counts,
        }

    # -- decks -------------------------------------------------------------
    def _card_query(self) -> sa.Select[Any]:
        join = cards.join(decks, decks.c.id == cards.c.deck_id).outerjoin(
            card_states,
            sa.and_(card_states.c.card_id == cards.c.id, card_states.c.learner == self.learner),
        )
        return sa.select(cards, decks.c.name.label("deck_name"), *_STATE_COLS).select_from(join)

    def _view(self, row: Row[Any]) -> CardView:
        m = row._mapping
        return CardView(
            id=m["id"],
            deck=m["deck_name"],
            spec=_spec_from_row(row),
            state=_state_from_row(row),
            retired=m["retired_at"] is not None,
        )

    def _deck_row(self, conn: Connection, name: str) -> Row[Any]:
        row = conn.execute(sa.select(decks).where(decks.c.key == name)).first()
        if row is None:
            row = conn.execute(sa.select(decks).where(decks.c.name == name)).first()
        if row is None:
            lowered = name.casefold()
            matches = [r for r in conn.execute(sa.select(decks)) if r.name.casefold() == lowered]
            row = matches[0] if len(matches) == 1 else None
        if row is None:
            known = ", ".join(r.name for r in conn.execute(sa.select(decks.c.name).order_by(decks.c.name)))
            hint = f" (decks: {known})" if known else " (the bank has no decks yet; run 'quizkit compile')"
            raise UnknownDeckError(f"no deck named {name!r}{hint}")
        return row

    def get_deck(self, name: str) -> DeckInfo:
        with self.engine.connect() as conn:
            return _deck_from_row(self._deck_row(conn, name))

    def list_deck_infos(self) -> list[DeckInfo]:
        with self.engine.connect() as conn:
            return [_deck_from_row(r) for r in conn.execute(sa.select(decks).order_by(decks.c.name))]

    def sync_deck(
        self,
        info: DeckInfo,
        specs: Sequence[CardSpec],
        *,
        now: datetime,
        progress: Callable[[int], None] | None = None,
    ) -> SyncReport:
        """Store a compiled deck: add, update, retire and revive cards in one transaction."""
        return self.sync_rows(info, card_rows(specs, info.key), now=now, progress=progress)

    def sync_rows(
        self,
        info: DeckInfo,
        rows: Sequence[CardRow],
        *,
        now: datetime,
        progress: Callable[[int], None] | None = None,
    ) -> SyncReport:
        """:meth:`sync_deck` for cards already made rows by :func:`quizkit.storage.rows.card_rows`.

        ``rows`` must have been made with ``info.key``: the deck key is part of each id.
        """
        with self.syncing(info, now=now, progress=progress) as sync:
            for i in range(0, len(rows), CHUNK):
                sync.add(rows[i : i + CHUNK])
        return sync.report

    @contextmanager
    def syncing(
        self, info: DeckInfo, *, now: datetime, progress: Callable[[int], None] | None = None
    ) -> Iterator[DeckSync]:
        """Store a deck whose rows come in batches: ``sync.add(rows)`` for each, in order.

        One write transaction from start to end; leaving the block normally finishes
        the sync (retires the cards not seen, moves cursors) and commits, and
        ``sync.report`` says what changed.  An exception rolls everything back.
        """
        with write_transaction(self.engine) as conn:
            sync = DeckSync(conn, self._upsert_deck(conn, info, now), info, now, progress)
            yield sync
            sync.finish()

    def _upsert_deck(self, conn: Connection, info: DeckInfo, now: datetime) -> int:
        values = {
            "name": info.name,
            "description": info.description,
            "anki_id": info.anki_id,
            "source_dir": info.source_dir,
            "settings": dumps(info.settings),
            "updated_at": now,
        }
        row = conn.execute(sa.select(decks.c.id, decks.c.settings).where(decks.c.key == info.key)).first()
        if row is not None:
            # Settings chosen with `quizkit config` outlive a recompile unless deck.toml sets them;
            # a scheduler changed by deck.toml replays the log (issue 10).
            old = json.loads(row.settings or "{}")
            merged = {**{k: v for k, v in old.items() if k in _CONFIG_KEYS}, **info.settings}
            values["settings"] = dumps(merged)
            conn.execute(sa.update(decks).where(decks.c.id == row.id).values(**values))
            if scheduler_of(merged) != scheduler_of(old):
                self._replay_deck(conn, int(row.id), policy_from_settings(merged))
            return int(row.id)
        clash = conn.execute(sa.select(decks.c.key).where(decks.c.name == info.name)).first()
        if clash is not None:
            raise DeckError(f"a different deck ({clash.key!r}) is already named {info.name!r}")
        result = conn.execute(sa.insert(decks).values(key=info.key, created_at=now, **values))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def deck_summaries(self, today: date) -> list[DeckSummary]:
        """Every deck with card counts by kind and the learner's new/due/suspended counts."""
        active = cards.c.retired_at.is_(None)
        with self.engine.connect() as conn:
            kinds: dict[int, dict[str, int]] = {}
            retired: dict[int, int] = {}
            for r in conn.execute(
                sa.select(cards.c.deck_id, cards.c.kind, active.label("active"), sa.func.count()).group_by(
                    cards.c.deck_id, cards.c.kind, active
                )
            ):
                if r.active:
                    kinds.setdefault(r.deck_id, {})[r.kind] = r[3]
                else:
                    retired[r.deck_id] = retired.get(r.deck_id, 0) + r[3]
            due = self._per_deck_counts(conn, today)
            from quizkit.reports import DeckSummary

            out = []
            for d in conn.execute(sa.select(decks).order_by(decks.c.name)):
                by_kind = kinds.get(d.id, {})
                n_due, n_new, n_susp = due.get(d.id, (0, 0, 0))
                out.append(
                    DeckSummary(
                        key=d.key,
                        name=d.name,
                        cards=sum(by_kind.values()),
                        retired=retired.get(d.id, 0),
                        by_kind=dict(sorted(by_kind.items())),
                        new=n_new,
                        due=n_due,
                        suspended=n_susp,
                    )
                )
            return out

    def _per_deck_counts(self, conn: Connection, today: date) -> dict[int, tuple[int, int, int]]:
        st = card_states
        seen = st.c.last_review.is_not(None)
        susp = sa.func.coalesce(st.c.suspended, False)
        q = (
            sa.select(
                cards.c.deck_id,
                sa.func.sum(sa.case((sa.and_(seen, ~susp, st.c.due <= today), 1), else_=0)).label("due"),
                sa.func.sum(sa.case((sa.and_(~seen.is_(True), ~susp), 1), else_=0)).label("new"),
                sa.func.sum(sa.case((susp, 1), else_=0)).label("susp"),
            )
            .select_from(
                cards.outerjoin(st, sa.and_(st.c.card_id == cards.c.id, st.c.learner == self.learner))
            )
            .where(cards.c.retired_at.is_(None))
            .group_by(cards.c.deck_id)
        )
        return {r.deck_id: (int(r.due or 0), int(r.new or 0), int(r.susp or 0)) for r in conn.execute(q)}

    # -- cards -------------------------------------------------------------
    def iter_cards(
        self,
        deck: str | None = None,
        kind: str | None = None,
        *,
        include_retired: bool = False,
        section: str | None = None,
    ) -> Iterator[CardView]:
        """Cards in deck/source order, streamed (constant memory on large banks)."""
        q = self._card_query()
        with self.engine.connect() as conn:
            if deck is not None:
                q = q.where(cards.c.deck_id == self._deck_row(conn, deck).id)
            if kind is not None:
                q = q.where(cards.c.kind == kind)
            if not include_retired:
                q = q.where(cards.c.retired_at.is_(None))
            q = q.order_by(decks.c.name, cards.c.position)
            # A caller may stop early (break, next()): close the (server-side) cursor then too.
            with conn.execution_options(yield_per=1000).execute(q) as result:
                for row in result:
                    view = self._view(row)
                    if section is not None and section not in " > ".join(view.spec.section):
                        continue
                    yield view

    def neighbours(self, card_id: str, *, window: int = 150) -> list[CardView]:
        """Active command and option cards of a card's deck within ``window`` cards of it in source order.

        Where multiple-choice distractors come from: the same chapter's commands and
        options, read from the (deck, position) index, so a 100k-card deck costs no
        more than a small one.  A deck of at most ``window`` + 1 cards gives all of them.
        """
        with self.engine.connect() as conn:
            me = conn.execute(_CARD_DECK, {"b_card_id": card_id}).first()
            if me is None:
                raise UnknownCardError(f"no card with id {card_id!r}")
            q = self._card_query().where(
                cards.c.deck_id == me.deck_id,
                cards.c.retired_at.is_(None),
                cards.c.position.between(me.position - window, me.position + window),
                cards.c.kind.in_((str(CardKind.OPTION), str(CardKind.COMMAND))),
            )
            return [self._view(r) for r in conn.execute(q.order_by(cards.c.position))]

    def count_cards(self, deck: str | None = None) -> int:
        """Active (not retired) cards, in one deck or in the whole bank."""
        q = sa.select(sa.func.count()).select_from(cards).where(cards.c.retired_at.is_(None))
        with self.engine.connect() as conn:
            if deck is not None:
                q = q.where(cards.c.deck_id == self._deck_row(conn, deck).id)
            return int(conn.execute(q).scalar_one())

    def get_card(self, card_id: str) -> CardView:
        """A card by id or unique id prefix (retired cards included)."""
        ident = card_id.strip().lower()
        if not ident:
            raise UnknownCardError("empty card id")
        with self.engine.connect() as conn:
            row = conn.execute(self._card_query().where(cards.c.id == ident)).first()
            if row is not None:
                return self._view(row)
            if len(ident) >= 4 and all(ch in "0123456789abcdef" for ch in ident):
                rows = conn.execute(self._card_query().where(cards.c.id.like(ident + "%")).limit(2)).all()
                if len(rows) == 1:
                    return self._view(rows[0])
                if len(rows) > 1:
                    raise UnknownCardError(f"card id {card_id!r} is ambiguous; give more characters")
        raise UnknownCardError(f"no card with id {card_id!r}")

    # -- study queries ------------------------------------------------------
    def due_cards(self, today: date, *, deck: str | None = None, limit: int | None = None) -> list[CardView]:
        """Reviews due on ``today`` or before, most overdue first (suspended and retired left out)."""
        q = self._card_query().where(
            card_states.c.learner.is_not(None),
            card_states.c.last_review.is_not(None),
            card_states.c.suspended.is_(False),
            card_states.c.due <= today,
            cards.c.retired_at.is_(None),
        )
        with self.engine.connect() as conn:
            if deck is not None:
                q = q.where(cards.c.deck_id == self._deck_row(conn, deck).id)
            q = q.order_by(card_states.c.due, card_states.c.interval, cards.c.id)
            if limit is not None:
                q = q.limit(limit)
            return [self._view(r) for r in conn.execute(q)]

    def new_cards(self, *, deck: str | None = None, limit: int | None = None) -> list[CardView]:
        """Cards this learner has never reviewed, in deck and source order.

        Deck by deck, so each query walks the (deck, position) index and stops
        at ``limit`` instead of sorting the whole bank.
        """
        with self.engine.connect() as conn:
            if deck is not None:
                deck_ids = [self._deck_row(conn, deck).id]
            else:
                deck_ids = list(conn.execute(sa.select(decks.c.id).order_by(decks.c.name)).scalars())
            ids: list[str] = []
            for deck_id in deck_ids:
                q = self._new_query(conn, deck_id)
                if limit is not None:
                    if len(ids) >= limit:
                        break
                    q = q.limit(limit - len(ids))
                ids.extend(conn.execute(q).scalars())
            if not ids:
                return []
            views: dict[str, CardView] = {}
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                for row in conn.execute(self._card_query().where(cards.c.id.in_(chunk))):
                    views[row.id] = self._view(row)
            return [views[cid] for cid in ids]

    def studied_today(self, today: date, *, deck: str | None = None) -> tuple[int, int]:
        """(new cards introduced, reviews done) on study day ``today``, for daily limits."""
        with self.engine.connect() as conn:
            reader = SqlAlchemyReader(conn)
            if deck is not None:
                deck_ids = [int(self._deck_row(conn, deck).id)]
            else:
                deck_ids = [int(d) for d in conn.execute(sa.select(decks.c.id)).scalars()]
            counts = [due_queries.studied(reader, self.learner, today, d) for d in deck_ids]
            return sum(c[0] for c in counts), sum(c[1] for c in counts)

    def due_summary(
        self,
        today: date,
        *,
        new_caps: dict[str, int] | None = None,
        due_caps: dict[str, int] | None = None,
    ) -> list[dict[str, Any]]:
        """Due and new counts per deck for ``today`` (storage/due_queries.py).

        With ``new_caps`` / ``due_caps`` (deck key -> the most that matter today,
        e.g. what today's limits leave) a deck's count stops at its cap; decks not
        in a dict are counted in full.
        """
        new_caps, due_caps = new_caps or {}, due_caps or {}
        with self.engine.connect() as conn:
            reader = SqlAlchemyReader(conn)
            return [
                {
                    "deck": name,
                    "due": due_queries.due_count(reader, self.learner, today, deck_id, due_caps.get(key)),
                    "new": due_queries.new_count(reader, self.learner, deck_id, new_caps.get(key)),
                }
                for deck_id, key, name, _settings in reader.rows(due_queries.DECKS)
            ]

    def today_rows(self, today: date, limits: Callable[[str], tuple[int, int]]) -> list[dict[str, Any]]:
        """What ``quizkit due`` shows (see :func:`quizkit.storage.due_queries.today_rows`)."""
        with self.engine.connect() as conn:
            return due_queries.today_rows(SqlAlchemyReader(conn), self.learner, today, limits)

    def _new_query(self, conn: Connection, deck_id: int) -> sa.Select[Any]:
        """This learner's new cards of one deck, in source order.

        The walk starts at the learner's cursor (storage/cursors.py): cards
        already seen at the top of the deck are not looked at again.
        """
        start = cursors.start_of(conn, self.learner, deck_id)
        return cursors.new_cards_query(deck_id, self.learner, start)

    # -- learner state -------------------------------------------------------
    def _write_state(self, conn: Connection, card_id: str, state: CardState, first_day: date | None) -> None:
        values = state_values(state, first_day)
        res = conn.execute(_UPDATE_STATE, {"b_card_id": card_id, "b_learner": self.learner, **values})
        if res.rowcount == 0:
            conn.execute(_INSERT_STATE, {"card_id": card_id, "learner": self.learner, **values})

    def _first_day(self, conn: Connection, card_id: str) -> date | None:
        return conn.execute(
            _FIRST_DAY, {"b_card_id": card_id, "b_learner": self.learner}
        ).scalar_one_or_none()

    def _log(
        self,
        conn: Connection,
        card_id: str,
        *,
        kind: str,
        before: CardState,
        after: CardState,
        reviewed_at: datetime,
        study_day: date,
        first_day_before: date | None,
        grade: int | None = None,
        answer: str | None = None,
        duration_ms: int | None = None,
        undoes: int | None = None,
        scheduler: str = "sm2",
    ) -> int:
        values = self._log_values(
            card_id,
            kind=kind,
            before=before,
            after=after,
            reviewed_at=reviewed_at,
            study_day=study_day,
            grade=grade,
            answer=answer,
            duration_ms=duration_ms,
            undoes=undoes,
            scheduler=scheduler,
        )
        values["first_day_before"] = first_day_before
        pk = conn.execute(_INSERT_REVIEW, values).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def _log_values(
        self,
        card_id: str,
        *,
        kind: str,
        before: CardState,
        after: CardState,
        reviewed_at: datetime,
        study_day: date,
        grade: int | None,
        answer: str | None,
        duration_ms: int | None,
        undoes: int | None,
        scheduler: str,
    ) -> dict[str, Any]:
        """A log row's columns, less ``first_day_before``."""
        return {
            "card_id": card_id,
            "learner": self.learner,
            "reviewed_at": reviewed_at,
            "study_day": study_day,
            "kind": kind,
            "grade": grade,
            "answer": answer,
            "duration_ms": duration_ms,
            "undoes": undoes,
            "due_before": before.due,
            "interval_before": before.interval,
            "ef_before": before.ef,
            "reps_before": before.repetitions,
            "lapses_before": before.lapses,
            "suspended_before": before.suspended,
            "leech_before": before.leech,
            "last_review_before": before.last_review,
            "due_after": after.due,
            "interval_after": after.interval,
            "ef_after": after.ef,
            "reps_after": after.repetitions,
            "lapses_after": after.lapses,
            "suspended_after": after.suspended,
            "leech_after": after.leech,
            "last_review_after": after.last_review,
            "scheduler": scheduler,
            "stability_before": before.stability,
            "difficulty_before": before.difficulty,
            "stability_after": after.stability,
            "difficulty_after": after.difficulty,
        }

    def record_review(
        self,
        card_id: str,
        *,
        before: CardState,
        after: CardState,
        grade: int,
        kind: str,
        reviewed_at: datetime,
        study_day: date,
        answer: str | None = None,
        duration_ms: int | None = None,
        scheduler: str = "sm2",
    ) -> int:
        """Commit a review: the card's new state and its log row, in one transaction.

        ``kind`` is ``new``, ``review``, ``relearn`` or ``drill`` (a step-7
        re-drill: logged, state unchanged); ``scheduler`` (``sm2``/``fsrs``)
        is the one that computed ``after``.  Returns the review's id.
        """
        if not 0 <= grade <= 5:
            raise ValueError(f"grade must be 0-5, not {grade}")
        if kind == "drill":
            after = before
        log = self._log_values(
            card_id,
            kind=kind,
            before=before,
            after=after,
            reviewed_at=reviewed_at,
            study_day=study_day,
            grade=grade,
            answer=answer,
            duration_ms=duration_ms,
            undoes=None,
            scheduler=scheduler,
        ) | {"b_card_id": card_id, "b_learner": self.learner}
        # The state row: today is its first review day unless it already has one.
        state = None if kind == "drill" else state_values(after, study_day)
        introduced = state is not None and before.last_review is None and not before.suspended
        try:
            prepared = _answer_statements(self.engine.dialect)
            if prepared is not None:
                review_id, cursor_missing = self._answer_prepared(prepared, card_id, log, state, introduced)
            else:
                review_id, cursor_missing = self._answer_core(card_id, log, state, introduced), False
        except sa.exc.IntegrityError:
            if not self._card_exists(card_id):
                raise UnknownCardError(f"no card with id {card_id!r}") from None
            raise
        if cursor_missing:  # the learner's first new card of this deck: create the cursor row
            with write_transaction(self.engine) as conn:
                cursors.advance_past(conn, self.learner, card_id)
        return review_id

    def _answer_prepared(
        self,
        prepared: _AnswerStatements,
        card_id: str,
        log: dict[str, Any],
        state: dict[str, Any] | None,
        introduced: bool,
    ) -> tuple[int, bool]:
        """An answer's writes as prepared statements: log row, state upsert, cursor move."""
        cursor_missing = False
        with raw_write(self.engine) as tx:
            # The log row first: it reads the card's first review day before the state changes.
            review_id = int(tx.run(prepared.log, log).fetchone()[0])
            if state is not None:
                tx.run(prepared.upsert, state | {"card_id": card_id, "learner": self.learner})
                if introduced:  # a new card was introduced: the learner's new cards start further on
                    moved = tx.run(prepared.advance, {"b_learner": self.learner, "b_card_id": card_id})
                    cursor_missing = moved.rowcount == 0
        return review_id, cursor_missing

    def _answer_core(
        self, card_id: str, log: dict[str, Any], state: dict[str, Any] | None, introduced: bool
    ) -> int:
        """The same writes through SQLAlchemy Core, for databases without INSERT ... ON CONFLICT."""
        with write_transaction(self.engine) as conn:
            pk = conn.execute(_LOG_ANSWER, log).inserted_primary_key
            assert pk is not None
            if state is not None:
                values = dict(state)
                first_day = values.pop("first_review_day")
                params = {"b_card_id": card_id, "b_learner": self.learner, "b_first_day": first_day}
                if conn.execute(_UPDATE_ANSWERED, params | values).rowcount == 0:
                    conn.execute(_INSERT_STATE, {"card_id": card_id, "learner": self.learner, **state})
                if introduced:
                    cursors.advance_past(conn, self.learner, card_id)
            return int(pk[0])

    def _card_exists(self, card_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(_CARD_DECK, {"b_card_id": card_id}).first() is not None

    def state(self, card_id: str) -> CardState:
        return self.get_card(card_id).state

    def set_suspended(self, card_id: str, suspended: bool, *, now: datetime, study_day: date) -> CardView:
        """Suspend or unsuspend a card for this learner (logged, so it can be undone)."""
        view = self.get_card(card_id)
        before = view.state
        after = replace(before, suspended=suspended, leech=before.leech and suspended)
        if before == after:
            return view
        with write_transaction(self.engine) as conn:
            first = self._first_day(conn, view.id)
            self._write_state(conn, view.id, after, first)
            self._log(
                conn,
                view.id,
                kind="suspend" if suspended else "unsuspend",
                before=before,
                after=after,
                reviewed_at=now,
                study_day=study_day,
                first_day_before=first,
            )
            if after.last_review is None:  # a card never reviewed stops or starts being new
                self._card_newness_changed(conn, view.id, is_new=not suspended)
        return replace(view, state=after)

    def _card_newness_changed(self, conn: Connection, card_id: str, *, is_new: bool) -> None:
        """Keep the learner's new-card cursor true after ``card_id`` became new (or stopped being new)."""
        card = conn.execute(_CARD_DECK, {"b_card_id": card_id}).one()
        if is_new:
            cursors.lower(conn, card.deck_id, card.position, learner=self.learner)
        else:
            cursors.advance(conn, self.learner, card.deck_id)

    def undo_last(self, *, now: datetime, study_day: date) -> ReviewRow | None:
        """Undo this learner's latest not-yet-undone log entry; returns it (None if nothing to undo).

        The log keeps both the original row and an ``undo`` row pointing at it.
        """
        with write_transaction(self.engine) as conn:
            undone = sa.select(reviews.c.undoes).where(
                reviews.c.undoes.is_not(None), reviews.c.learner == self.learner
            )
            row = conn.execute(
                sa.select(reviews)
                .where(
                    reviews.c.learner == self.learner,
                    reviews.c.kind != "undo",
                    reviews.c.id.not_in(undone),
                )
                .order_by(reviews.c.id.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            original = _review_from_row(row)
            current = conn.execute(
                sa.select(card_states).where(
                    card_states.c.card_id == original.card_id, card_states.c.learner == self.learner
                )
            ).first()
            cur_first = current.first_review_day if current is not None else None
            if original.kind != "drill":
                self._write_state(conn, original.card_id, original.before, row.first_day_before)
                restored = original.before
                if restored.last_review is None and not restored.suspended:
                    self._card_newness_changed(conn, original.card_id, is_new=True)
                elif original.after.last_review is None and not original.after.suspended:
                    self._card_newness_changed(conn, original.card_id, is_new=False)
            self._log(
                conn,
                original.card_id,
                kind="undo",
                before=original.after,
                after=original.before,
                reviewed_at=now,
                study_day=study_day,
                first_day_before=cur_first,
                undoes=original.id,
                scheduler=original.scheduler,
            )
            return original

    def review_log(self, *, card_id: str | None = None, include_undone: bool = True) -> Iterator[ReviewRow]:
        """This learner's review log, oldest first."""
        q = sa.select(reviews).where(reviews.c.learner == self.learner).order_by(reviews.c.id)
        if card_id is not None:
            q = q.where(reviews.c.card_id == card_id)
        with self.engine.connect() as conn:
            undone: set[int] = set()
            if not include_undone:
                undone = set(
                    conn.execute(
                        sa.select(reviews.c.undoes).where(
                            reviews.c.undoes.is_not(None), reviews.c.learner == self.learner
                        )
                    ).scalars()
                )
            with conn.execution_options(yield_per=1000).execute(q) as result:
                for row in result:
                    if row.id in undone or (not include_undone and row.kind == "undo"):
                        continue
                    yield _review_from_row(row)

    # -- study session queries (issue 3: added for quizkit study/review) --------
    def day_grades(self, study_day: date, *, deck: str | None = None) -> dict[str, int]:
        """Each card's latest grade on ``study_day`` (undone answers left out), for step-7 re-drills."""
        graded = ("new", "review", "relearn", "drill")
        with self.engine.connect() as conn:
            undone = sa.select(reviews.c.undoes).where(
                reviews.c.undoes.is_not(None), reviews.c.learner == self.learner
            )
            q = (
                sa.select(reviews.c.card_id, reviews.c.grade)
                .select_from(reviews.join(cards, cards.c.id == reviews.c.card_id))
                .where(
                    reviews.c.learner == self.learner,
                    reviews.c.study_day == study_day,
                    reviews.c.kind.in_(graded),
                    reviews.c.id.not_in(undone),
                )
                .order_by(reviews.c.id)
            )
            if deck is not None:
                q = q.where(cards.c.deck_id == self._deck_row(conn, deck).id)
            return {r.card_id: int(r.grade) for r in conn.execute(q)}

    def next_due(self, after: date, *, deck: str | None = None) -> date | None:
        """The first day after ``after`` with a review due (suspended and retired cards left out)."""
        q = (
            sa.select(sa.func.min(card_states.c.due))
            .select_from(card_states.join(cards, cards.c.id == card_states.c.card_id))
            .where(
                card_states.c.learner == self.learner,
                card_states.c.last_review.is_not(None),
                card_states.c.suspended.is_(False),
                card_states.c.due > after,
                cards.c.retired_at.is_(None),
            )
        )
        with self.engine.connect() as conn:
            if deck is not None:
                q = q.where(cards.c.deck_id == self._deck_row(conn, deck).id)
            value = conn.execute(q).scalar_one_or_none()
        if isinstance(value, str):  # SQLite returns MIN() of a date column as text
            return date.fromisoformat(value)
        return value

    # -- deck settings and the scheduler choice (issue 10: FSRS) -----------------
    def set_deck_setting(self, deck: str, key: str, value: object, *, now: datetime) -> DeckInfo:
        """Store one deck setting (checked beforehand with ``schedulers.parse_setting``).

        ``scheduler`` is refused here: changing it replays the log, see :meth:`set_scheduler`.
        """
        if key == "scheduler":
            raise ValueError("change the scheduler with set_scheduler (it replays the review log)")
        if key not in _CONFIG_KEYS:
            raise ValueError(f"unknown deck setting {key!r}")
        if key == "desired_retention":
            policy_from_settings({key: value})  # checks the range
        with write_transaction(self.engine) as conn:
            row = self._deck_row(conn, deck)
            settings = {**json.loads(row.settings or "{}"), key: value}
            conn.execute(
                sa.update(decks).where(decks.c.id == row.id).values(settings=dumps(settings), updated_at=now)
            )
            return _deck_from_row(conn.execute(sa.select(decks).where(decks.c.id == row.id)).one())

    def set_scheduler(
        self,
        deck: str,
        scheduler: str,
        *,
        now: datetime,
        progress: Callable[[int], None] | None = None,
    ) -> SchedulerSwitch:
        """Make ``deck`` schedule with ``scheduler`` (``sm2``/``fsrs``), for every learner.

        Every card state of the deck is rebuilt by replaying its review log
        through both schedulers (see :func:`quizkit.schedulers.replay`), so
        switching loses no history and switching back restores SM-2's
        intervals and E-Factors.  One transaction; the log is not changed.
        Setting the scheduler a deck already uses changes nothing.
        """
        from quizkit.reports import SchedulerSwitch

        with write_transaction(self.engine) as conn:
            row = self._deck_row(conn, deck)
            settings = json.loads(row.settings or "{}")
            old = scheduler_of(settings)
            settings["scheduler"] = scheduler
            policy = policy_from_settings(settings)  # checks the name
            if policy.scheduler == old:
                return SchedulerSwitch(deck=row.name, before=old, after=old)
            conn.execute(
                sa.update(decks).where(decks.c.id == row.id).values(settings=dumps(settings), updated_at=now)
            )
            states, answers, learners = self._replay_deck(conn, int(row.id), policy, progress)
            return SchedulerSwitch(
                deck=row.name,
                before=old,
                after=policy.scheduler,
                states=states,
                answers=answers,
                learners=learners,
            )

    def _replay_deck(
        self,
        conn: Connection,
        deck_id: int,
        policy: Policy,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, int, int]:
        """Rebuild every learner's states in a deck from the log; (states, answers, learners)."""
        card_ids = list(
            conn.execute(
                sa.select(card_states.c.card_id)
                .distinct()
                .select_from(card_states.join(cards, cards.c.id == card_states.c.card_id))
                .where(cards.c.deck_id == deck_id, card_states.c.last_review.is_not(None))
                .order_by(card_states.c.card_id)
            ).scalars()
        )
        undone = sa.select(reviews.c.undoes).where(reviews.c.undoes.is_not(None))
        update = (
            sa.update(card_states)
            .where(
                card_states.c.card_id == sa.bindparam("b_card_id"),
                card_states.c.learner == sa.bindparam("b_learner"),
            )
            .values(
                {
                    name: sa.bindparam(name)
                    for name in (
                        "due",
                        "interval",
                        "ef",
                        "repetitions",
                        "lapses",
                        "last_review",
                        "stability",
                        "difficulty",
                    )
                }
            )
        )
        n_states = n_answers = 0
        learners: set[str] = set()
        for start in range(0, len(card_ids), CHUNK // 4):
            chunk = card_ids[start : start + CHUNK // 4]
            current = {
                (r.card_id, r.learner): _state_from_row(r)
                for r in conn.execute(
                    sa.select(card_states.c.card_id, card_states.c.learner, *_STATE_COLS).where(
                        card_states.c.card_id.in_(chunk)
                    )
                )
            }
            log: dict[tuple[str, str], list[Answer]] = {}
            for r in conn.execute(
                sa.select(
                    reviews.c.card_id,
                    reviews.c.learner,
                    reviews.c.grade,
                    reviews.c.study_day,
                    reviews.c.reviewed_at,
                )
                .where(
                    reviews.c.card_id.in_(chunk),
                    reviews.c.kind.in_(_SCHEDULING_KINDS),
                    reviews.c.grade.is_not(None),
                    reviews.c.id.not_in(undone),
                )
                .order_by(reviews.c.id)
            ):
                answer = Answer(int(r.grade), r.study_day, r.reviewed_at)
                log.setdefault((r.card_id, r.learner), []).append(answer)
            batch: list[dict[str, Any]] = []
            for key, state in current.items():
                answers = log.get(key, [])
                if not answers or state.last_review is None:
                    continue
                new = replay(state, answers, policy=policy)
                batch.append(
                    {
                        "b_card_id": key[0],
                        "b_learner": key[1],
                        "due": new.due,
                        "interval": new.interval,
                        "ef": new.ef,
                        "repetitions": new.repetitions,
                        "lapses": new.lapses,
                        "last_review": new.last_review,
                        "stability": new.stability,
                        "difficulty": new.difficulty,
                    }
                )
                n_answers += len(answers)
                learners.add(key[1])
            if batch:
                conn.execute(update, batch)
                n_states += len(batch)
            if progress is not None:
                progress(len(chunk))
        return n_states, n_answers, len(learners)


def state_values(state: CardState, first_day: date | None) -> dict[str, Any]:
    """The ``card_states`` columns for one learner's state of one card."""
    return {
        "due": state.due,
        "interval": state.interval,
        "ef": state.ef,
        "repetitions": state.repetitions,
        "lapses": state.lapses,
        "suspended": state.suspended,
        "leech": state.leech,
        "last_review": state.last_review,
        "first_review_day": first_day,
        "stability": state.stability,
        "difficulty": state.difficulty,
    }


def _review_from_row(row: Row[Any]) -> ReviewRow:
    m = row._mapping
    before = CardState(
        due=m["due_before"],
        interval=m["interval_before"],
        ef=m["ef_before"],
        repetitions=m["reps_before"],
        lapses=m["lapses_before"],
        suspended=bool(m["suspended_before"]),
        leech=bool(m["leech_before"]),
        last_review=m["last_review_before"],
        stability=m["stability_before"],
        difficulty=m["difficulty_before"],
    )
    after = CardState(
        due=m["due_after"],
        interval=m["interval_after"],
        ef=m["ef_after"],
        repetitions=m["reps_after"],
        lapses=m["lapses_after"],
        suspended=bool(m["suspended_after"]),
        leech=bool(m["leech_after"]),
        last_review=m["last_review_after"],
        stability=m["stability_after"],
        difficulty=m["difficulty_after"],
    )
    from quizkit.reports import ReviewRow

    return ReviewRow(
        id=m["id"],
        card_id=m["card_id"],
        learner=m["learner"],
        reviewed_at=m["reviewed_at"],
        study_day=m["study_day"],
        kind=m["kind"],
        grade=m["grade"],
        answer=m["answer"],
        duration_ms=m["duration_ms"],
        undoes=m["undoes"],
        before=before,
        after=after,
        scheduler=m["scheduler"],
    )


def open_bank(target: str, *, learner: str, create: bool = True, private: bool = False) -> Bank:
    """Open the bank at ``target`` (path or URL), migrating it if needed (``private``: see open_database)."""
    return Bank(open_database(target, create=create, private=private), learner)
