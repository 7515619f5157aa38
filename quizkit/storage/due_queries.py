"""The SQL behind today's counts: what a learner did today, and what is due and new.

One implementation for every caller: ``quizkit due`` runs it on a ``sqlite3``
connection (:func:`quizkit.storage.readers.open_sqlite`, no SQLAlchemy import),
and :class:`quizkit.storage.bank.Bank` runs the same SQL text through
SQLAlchemy (PostgreSQL, banks that had to be migrated, ``quizkit study``'s
daily limits).  Every count stops at a cap when given one, so its cost follows
today's limits, not the bank's size:

* due reviews walk the learner/due index;
* new cards walk the deck's (deck, retired, position) index from the learner's
  new-card cursor (see :mod:`quizkit.storage.cursors`), skipping cards already
  reviewed or suspended.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from quizkit.storage.readers import Reader

UNCAPPED = 2**31 - 1  # "no cap": a LIMIT every database accepts

DECKS = "SELECT id, key, name, settings FROM decks ORDER BY name"

NEW_INTRODUCED = """
SELECT count(*) FROM card_states s JOIN cards c ON c.id = s.card_id
WHERE s.learner = :learner AND s.first_review_day = :day AND c.deck_id = :deck
"""

# Answers of kind review/relearn today, less the ones undone since.
REVIEWS_DONE = """
SELECT count(*) FROM reviews r JOIN cards c ON c.id = r.card_id
WHERE r.learner = :learner AND r.study_day = :day AND r.kind IN ('review', 'relearn')
  AND r.id NOT IN (SELECT u.undoes FROM reviews u WHERE u.undoes IS NOT NULL)
  AND c.deck_id = :deck
"""

DUE = """
SELECT count(*) FROM (
  SELECT 1 AS one FROM card_states s JOIN cards c ON c.id = s.card_id
  WHERE s.learner = :learner AND s.due <= :day AND s.suspended = :no AND s.last_review IS NOT NULL
    AND c.retired_at IS NULL AND c.deck_id = :deck
  LIMIT :cap
) due_cards
"""

CURSOR = "SELECT position FROM new_card_cursors WHERE learner = :learner AND deck_id = :deck"

NEW = """
SELECT count(*) FROM (
  SELECT 1 AS one FROM cards c
  LEFT JOIN card_states s ON s.card_id = c.id AND s.learner = :learner
  WHERE c.deck_id = :deck AND c.retired_at IS NULL AND c.position >= :start
    AND (s.learner IS NULL OR (s.last_review IS NULL AND s.suspended = :no))
  ORDER BY c.position
  LIMIT :cap
) new_cards
"""


def _count(reader: Reader, sql: str, params: Mapping[str, Any]) -> int:
    return int(reader.rows(sql, params)[0][0])


def _day(reader: Reader, day: date) -> Any:
    return day.isoformat() if reader.sqlite else day


def studied(reader: Reader, learner: str, day: date, deck_id: int) -> tuple[int, int]:
    """(new cards introduced, reviews done) on study day ``day`` in a deck."""
    params = {"learner": learner, "day": _day(reader, day), "deck": deck_id}
    return _count(reader, NEW_INTRODUCED, params), _count(reader, REVIEWS_DONE, params)


def due_count(reader: Reader, learner: str, day: date, deck_id: int, cap: int | None = None) -> int:
    """Reviews due on ``day`` or before (suspended and retired cards left out), up to ``cap``."""
    params = {"learner": learner, "day": _day(reader, day), "deck": deck_id, "no": False}
    return _count(reader, DUE, params | {"cap": UNCAPPED if cap is None else max(cap, 0)})


def new_count(reader: Reader, learner: str, deck_id: int, cap: int | None = None) -> int:
    """Cards the learner has neither reviewed nor suspended, up to ``cap``."""
    if cap is not None and cap <= 0:
        return 0
    rows = reader.rows(CURSOR, {"learner": learner, "deck": deck_id})
    start = int(rows[0][0]) if rows else 0
    params = {"learner": learner, "deck": deck_id, "start": start, "no": False}
    return _count(reader, NEW, params | {"cap": UNCAPPED if cap is None else cap})


def today_rows(
    reader: Reader,
    learner: str,
    day: date,
    limits: Callable[[str], tuple[int, int]],
) -> list[dict[str, Any]]:
    """What ``quizkit due`` shows: per deck, due reviews and new cards left within today's limits.

    ``limits(settings_json)`` gives a deck's (new cards, reviews) per day.
    """
    rows = []
    for deck_id, _key, name, settings in reader.rows(DECKS):
        new_limit, review_limit = limits(str(settings or "{}"))
        new_done, reviews_done = studied(reader, learner, day, deck_id)
        new_left, reviews_left = max(0, new_limit - new_done), max(0, review_limit - reviews_done)
        rows.append(
            {
                "deck": name,
                "due": due_count(reader, learner, day, deck_id, reviews_left),
                "new": new_count(reader, learner, deck_id, new_left),
            }
        )
    return rows
