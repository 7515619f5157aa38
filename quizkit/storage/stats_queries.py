"""The SQL behind ``quizkit stats``: a handful of grouped aggregates, as portable SQL text.

Nothing here loads the review log into Python: the log is read in one
``GROUP BY study_day`` pass (plus, when there are undo rows, a lookup of the
answers they undid, which are subtracted), and card state in one grouped
pass and a top-N query.  Each returns at most one row per study day, per
deck and state or per due date, so memory stays flat on a bank with
millions of reviews.  Portable SQL only (no SQLite date functions): week
bucketing and streaks happen in :mod:`quizkit.stats`.

The queries are plain SQL with ``:name`` parameters, run through a
:class:`Reader`: either SQLAlchemy (``sqlalchemy.text``; PostgreSQL, and any
bank that :func:`quizkit.storage.bank.open_bank` had to create or migrate) or,
for a SQLite file already at the current schema, the standard library's
``sqlite3`` directly (:func:`open_sqlite`).  The second path is what
``quizkit stats`` uses on SQLite banks: it does not import SQLAlchemy at all,
whose import alone costs about as much as the whole log pass on a 100k-row
log.  Both paths run the same SQL text, in one read transaction.

What counts (see docs/stats.md):

* an *answer* is a log row of kind ``new``, ``review``, ``relearn`` or
  ``drill`` -- the rows with a grade; ``undo``, ``suspend`` and ``unsuspend``
  rows are not answers, and an answer that was later undone counts nowhere;
* retention only looks at ``review`` and ``relearn`` answers (a ``new``
  answer is a first sight, a ``drill`` is a same-day re-drill);
* log figures include answers to cards retired since (the work was done),
  card-state figures leave retired cards out.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from quizkit.errors import UnknownDeckError
from quizkit.stats import (
    FORECAST_DAYS,
    MATURE_DAYS,
    PASS_GRADE,
    DayLog,
    DeckCounts,
    HardCard,
    StatsInput,
    StatsReport,
    build_report,
)
from quizkit.storage.readers import (  # noqa: F401 (names used by stats_cmds and tests)
    SCHEMA_REVISION,
    Reader,
    SqlAlchemyReader,
    SqliteReader,
    open_sqlite,
    sqlite_file,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from quizkit.storage.bank import Bank

EF_INITIAL = 2500  # quizkit.model.EF_INITIAL (not imported: its dataclasses cost start-up time)

RETENTION_KINDS = ("review", "relearn")
HARDEST = 10
RETIRED_INLINE = 1000  # up to this many retired ids go into the query as a list

# Each retention bucket (mature, young) is one SUM of reviews + passed * PACK over the day's
# ``review``/``relearn`` answers (a day never has 2**32 reviews): one CASE per row and bucket
# keeps the log pass close to a bare GROUP BY.
PACK = 2**32
_RETAINED = "kind IN ('review', 'relearn')"
_PACKED = f"CASE WHEN grade >= {PASS_GRADE} THEN {PACK + 1} ELSE 1 END"
# Per-day aggregates over review rows (answers and every other kind).  Only answers have a
# grade (and a duration): undo/suspend rows add nothing but their own count of undos.
DAY_COLUMNS = f"""
    count(grade),
    coalesce(sum(duration_ms), 0),
    count(undoes),
    coalesce(sum(CASE WHEN interval_before >= {MATURE_DAYS} AND {_RETAINED} THEN {_PACKED} END), 0),
    coalesce(sum(CASE WHEN interval_before < {MATURE_DAYS} AND {_RETAINED} THEN {_PACKED} END), 0)
"""
# The same over the undone answers ``r`` of a self-join.
DAY_COLUMNS_R = re.sub(r"\b(grade|duration_ms|undoes|interval_before|kind)\b", r"r.\1", DAY_COLUMNS)
DECK_CARDS = "SELECT id FROM cards WHERE deck_id = :deck_id"


def _bind(reader: Reader, day: date) -> Any:
    return day.isoformat() if reader.sqlite else day


def _day(value: Any) -> date:
    """A DATE column as a date (SQLite returns ISO text, and SQLAlchemy's ``text()`` leaves it so)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``(:p0, :p1, ...)`` and its parameters, for an ``IN`` list."""
    names = [f"{prefix}{i}" for i in range(len(values))]
    return "(" + ", ".join(f":{n}" for n in names) + ")", dict(zip(names, values, strict=True))


def _day_log(row: Sequence[Any]) -> DayLog:
    mature_passed, mature_reviews = divmod(int(row[4]), PACK)
    young_passed, young_reviews = divmod(int(row[5]), PACK)
    return DayLog(
        day=_day(row[0]),
        answers=int(row[1]),
        ms=int(row[2]),
        mature_reviews=mature_reviews,
        mature_passed=mature_passed,
        young_reviews=young_reviews,
        young_passed=young_passed,
    )


def day_logs(reader: Reader | Connection, learner: str, deck_id: int | None = None) -> list[DayLog]:
    """One :class:`DayLog` per study day with answers, whole history, undone answers taken out.

    One pass over the learner's log grouped by study day (the ``(learner,
    study_day)`` index gives the rows in day order: no sort); it also counts
    the undo rows per day, so the answers they undid are looked up (by primary
    key, from the undo rows of those days only) just when there are any.
    """
    reader = _reader(reader)
    params: dict[str, Any] = {"learner": learner}
    in_deck = ""
    if deck_id is not None:
        params["deck_id"] = deck_id
        in_deck = f" AND card_id IN ({DECK_CARDS})"
    rows = reader.rows(
        f"SELECT study_day, {DAY_COLUMNS} FROM reviews WHERE learner = :learner{in_deck} GROUP BY study_day",
        params,
    )
    days = {log.day: log for log in map(_day_log, rows)}
    undo_days = [row[0] for row in rows if row[3]]
    if undo_days:
        day_list, day_params = _in_list("d", undo_days)
        sql = (
            f"SELECT r.study_day, {DAY_COLUMNS_R} "
            "FROM reviews u JOIN reviews r ON r.id = u.undoes "
            f"WHERE u.learner = :learner AND u.study_day IN {day_list} AND u.undoes IS NOT NULL"
            f"{in_deck.replace('card_id', 'r.card_id')} GROUP BY r.study_day"
        )
        for row in reader.rows(sql, {**params, **day_params}):
            minus = _day_log(row)
            days[minus.day] = days[minus.day].minus(minus)
    return [d for _, d in sorted(days.items()) if d.answers > 0]


def active_states(reader: Reader, deck_id: int | None) -> tuple[str, dict[str, Any]]:
    """A condition on ``card_states`` (SQL, parameters) keeping cards that are not retired (of one deck).

    It avoids joining every state row to the wide ``cards`` rows, which costs
    more than the grouping itself: retired cards are few, so their ids are
    read once and left out by ``NOT IN`` (no condition at all when there are
    none).
    """
    if deck_id is not None:
        return f"card_id IN ({DECK_CARDS} AND retired_at IS NULL)", {"deck_id": deck_id}
    # Counted from the (deck, retired_at, position) index: no read of the wide rows.
    retired = "SELECT id FROM cards WHERE retired_at IS NOT NULL"
    n_retired = int(reader.rows("SELECT count(*) FROM cards WHERE retired_at IS NOT NULL")[0][0])
    if n_retired == 0:
        return "1 = 1", {}
    if n_retired <= RETIRED_INLINE:
        ids, params = _in_list("x", [r[0] for r in reader.rows(retired)])
        return f"card_id NOT IN {ids}", params
    return f"card_id NOT IN ({retired})", {}


_COUNT_KEYS = ("new", "young", "mature", "suspended", "leech", "ef_sum", "ef_cards")


def card_counts(
    reader: Reader,
    learner: str,
    today: date,
    deck_id: int | None = None,
    active: tuple[str, dict[str, Any]] | None = None,
) -> tuple[list[DeckCounts], dict[date, int]]:
    """Card counts by state per deck, and the reviews due per day for the forecast.

    One pass over this learner's card states (grouped by deck, state and due
    day) plus a count of active cards per deck from the index: cards without a
    state row are new.  Due days before ``today`` are folded into the day
    before ``today`` so a long-neglected bank still returns few rows;
    :func:`quizkit.stats.forecast` adds them to today's bar.
    """
    params: dict[str, Any] = {
        "learner": learner,
        "today": _bind(reader, today),
        "yesterday": _bind(reader, today - timedelta(days=1)),
        "end": _bind(reader, today + timedelta(days=FORECAST_DAYS)),
    }
    names = [(int(r[0]), str(r[1])) for r in reader.rows("SELECT id, name FROM decks ORDER BY name")]
    if deck_id is not None:
        names = [d for d in names if d[0] == deck_id]
    seen = "last_review IS NOT NULL"
    columns = f"""
        CASE WHEN suspended THEN 'suspended' WHEN NOT ({seen}) THEN 'new'
             WHEN "interval" >= {MATURE_DAYS} THEN 'mature' ELSE 'young' END AS state,
        CASE WHEN {seen} AND NOT suspended AND due < :end
             THEN CASE WHEN due < :today THEN :yesterday ELSE due END END AS due_day,
        CASE WHEN leech THEN 1 END AS leech,
        CASE WHEN {seen} THEN ef END AS ef
    """
    if len(names) == 1:
        # One deck in scope: no need to know each card's deck.
        cond, cond_params = active if active is not None else active_states(reader, deck_id)
        params.update(cond_params)
        inner = f"SELECT 0 AS deck_id, {columns} FROM card_states WHERE learner = :learner AND {cond}"
    else:
        inner = (
            f"SELECT cards.deck_id AS deck_id, {columns} FROM card_states "
            "JOIN cards ON cards.id = card_states.card_id "
            "WHERE card_states.learner = :learner AND cards.retired_at IS NULL"
        )
    # Grouped outside the CASEs: PostgreSQL cannot match expressions with bound
    # parameters between SELECT and GROUP BY.
    grouped = (
        "SELECT deck_id, state, due_day, count(*), count(leech), coalesce(sum(ef), 0), count(ef) "
        f"FROM ({inner}) s GROUP BY deck_id, state, due_day"
    )
    per_deck: dict[int, dict[str, int]] = {}
    due: dict[date, int] = {}
    for deck, state, due_day, n, leech, ef_sum, ef_cards in reader.rows(grouped, params):
        key = names[0][0] if len(names) == 1 else int(deck)
        c = per_deck.setdefault(key, dict.fromkeys(_COUNT_KEYS, 0))
        c[state] += int(n)
        c["leech"] += int(leech)
        c["ef_sum"] += int(ef_sum)
        c["ef_cards"] += int(ef_cards)
        if due_day is not None:
            when = _day(due_day)
            due[when] = due.get(when, 0) + int(n)
    in_deck = "SELECT deck_id, count(*) FROM cards WHERE retired_at IS NULL"
    deck_params: dict[str, Any] = {}
    if deck_id is not None:
        in_deck += " AND deck_id = :deck_id"
        deck_params["deck_id"] = deck_id
    n_active = {int(r[0]): int(r[1]) for r in reader.rows(in_deck + " GROUP BY deck_id", deck_params)}
    result = []
    for did, name in names:
        c = per_deck.get(did, dict.fromkeys(_COUNT_KEYS, 0))
        result.append(
            DeckCounts(
                deck=name,
                # Cards with no state row for this learner were never seen: new too.
                new=n_active.get(did, 0) - c["young"] - c["mature"] - c["suspended"],
                young=c["young"],
                mature=c["mature"],
                suspended=c["suspended"],
                leech=c["leech"],
                ef_sum=c["ef_sum"],
                ef_cards=c["ef_cards"],
            )
        )
    return result, due


def hardest_cards(
    reader: Reader,
    learner: str,
    deck_id: int | None = None,
    limit: int = HARDEST,
    active: tuple[str, dict[str, Any]] | None = None,
) -> list[HardCard]:
    """Reviewed cards with lapses or a lowered E-Factor: most lapses first, then lowest E-Factor.

    The top ``limit`` states are picked first; only they are joined to their cards.
    """
    cond, cond_params = active if active is not None else active_states(reader, deck_id)
    sql = f"""
        SELECT top.card_id, top.lapses, top.ef, top."interval", top.suspended, top.leech,
               cards.front, decks.name
        FROM (
            SELECT card_id, lapses, ef, "interval", suspended, leech FROM card_states
            WHERE learner = :learner AND last_review IS NOT NULL AND (lapses > 0 OR ef < :ef_initial)
              AND {cond}
            ORDER BY lapses DESC, ef, card_id
            LIMIT :limit
        ) top
        JOIN cards ON cards.id = top.card_id
        JOIN decks ON decks.id = cards.deck_id
        ORDER BY top.lapses DESC, top.ef, top.card_id
    """
    params = {"learner": learner, "ef_initial": EF_INITIAL, "limit": limit, **cond_params}
    return [
        HardCard(
            id=card_id,
            deck=deck,
            front=front,
            lapses=int(lapses),
            ef=int(ef),
            interval=int(interval),
            suspended=bool(suspended),
            leech=bool(leech),
        )
        for card_id, lapses, ef, interval, suspended, leech, front, deck in reader.rows(sql, params)
    ]


def find_deck(reader: Reader, name: str) -> tuple[int, str]:
    """(id, name) of the deck called ``name`` (its key, its name, or its name in any case).

    The same rules and message as :meth:`quizkit.storage.bank.Bank.get_deck`.
    """
    for column in ("key", "name"):
        rows = reader.rows(f"SELECT id, name FROM decks WHERE {column} = :name", {"name": name})
        if rows:
            return int(rows[0][0]), str(rows[0][1])
    every = reader.rows("SELECT id, name FROM decks ORDER BY name")
    lowered = name.casefold()
    matches = [r for r in every if str(r[1]).casefold() == lowered]
    if len(matches) == 1:
        return int(matches[0][0]), str(matches[0][1])
    known = ", ".join(str(r[1]) for r in every)
    hint = f" (decks: {known})" if known else " (the bank has no decks yet; run 'quizkit compile')"
    raise UnknownDeckError(f"no deck named {name!r}{hint}")


def gather(
    reader: Reader, learner: str, *, today: date, days: int = 365, deck: str | None = None
) -> StatsInput:
    """Run every stats query for ``learner`` (``deck``: a deck name or key, else all)."""
    deck_id, deck_name = find_deck(reader, deck) if deck is not None else (None, None)
    log = day_logs(reader, learner, deck_id)
    active = active_states(reader, deck_id)
    counts, due = card_counts(reader, learner, today, deck_id, active)
    hardest = hardest_cards(reader, learner, deck_id, active=active)
    return StatsInput(
        today=today,
        days=days,
        learner=learner,
        deck=deck_name,
        log=log,
        due=due,
        new_cards=sum(c.new for c in counts),
        decks=counts,
        hardest=hardest,
    )


def _reader(source: Reader | Connection) -> Reader:
    if isinstance(source, SqliteReader | SqlAlchemyReader):
        return source
    return SqlAlchemyReader(source)  # type: ignore[arg-type]


def load_stats(bank: Bank, *, today: date, days: int = 365, deck: str | None = None) -> StatsReport:
    """All figures of ``quizkit stats`` for ``bank``'s learner (through SQLAlchemy)."""
    with bank.engine.connect() as conn, conn.begin():
        data = gather(SqlAlchemyReader(conn), bank.learner, today=today, days=days, deck=deck)
    return build_report(data)


def load_stats_sqlite(
    con: sqlite3.Connection, learner: str, *, today: date, days: int = 365, deck: str | None = None
) -> StatsReport:
    """All figures of ``quizkit stats`` from a connection made by :func:`open_sqlite`."""
    return build_report(gather(SqliteReader(con), learner, today=today, days=days, deck=deck))
