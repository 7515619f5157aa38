"""The SQL behind ``quizkit stats``: a handful of grouped aggregates (SQLAlchemy Core).

Nothing here loads the review log into Python: the log is read in two
``GROUP BY study_day`` passes (answers, then the answers that were later
undone, which are subtracted), and card state in three grouped queries.  Each
returns at most one row per study day, per due date or per deck, so memory
stays flat on a bank with millions of reviews.  Portable SQL only (no
SQLite date functions): week bucketing and streaks happen in
:mod:`quizkit.stats`.

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

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizkit.model import EF_INITIAL
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
from quizkit.storage.schema import card_states, cards, decks, reviews

if TYPE_CHECKING:
    from quizkit.storage.bank import Bank

ANSWER_KINDS = ("new", "review", "relearn", "drill")
RETENTION_KINDS = ("review", "relearn")
HARDEST = 10


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    # COUNT(CASE WHEN ... THEN 1 END): portable, and cheaper than SUM(CASE ... ELSE 0).
    return sa.func.count(sa.case((condition, 1)))


def _day_columns(r: Any) -> list[sa.ColumnElement[Any]]:
    """Per-day aggregates over review rows ``r`` (already filtered to answers)."""
    retained = r.c.kind.in_(RETENTION_KINDS)
    mature = r.c.interval_before >= MATURE_DAYS
    young = r.c.interval_before < MATURE_DAYS
    passed = r.c.grade >= PASS_GRADE
    return [
        r.c.study_day.label("day"),
        sa.func.count().label("answers"),
        sa.func.coalesce(sa.func.sum(r.c.duration_ms), 0).label("ms"),
        _count_if(sa.and_(mature, retained)).label("mature_reviews"),
        _count_if(sa.and_(mature, passed, retained)).label("mature_passed"),
        _count_if(sa.and_(young, retained)).label("young_reviews"),
        _count_if(sa.and_(young, passed, retained)).label("young_passed"),
    ]


def _day_log(row: Any) -> DayLog:
    return DayLog(
        day=row.day,
        answers=int(row.answers),
        ms=int(row.ms),
        mature_reviews=int(row.mature_reviews),
        mature_passed=int(row.mature_passed),
        young_reviews=int(row.young_reviews),
        young_passed=int(row.young_passed),
    )


def day_logs(conn: Connection, learner: str, deck_id: int | None = None) -> list[DayLog]:
    """One :class:`DayLog` per study day with answers, whole history, undone answers taken out."""
    r = reviews.alias("r")
    answered = sa.and_(r.c.learner == learner, r.c.grade.is_not(None), r.c.kind.in_(ANSWER_KINDS))
    main = sa.select(*_day_columns(r)).where(answered)
    # The answers some undo row points at, grouped by the day of the undone answer.
    u = reviews.alias("u")
    undone = (
        sa.select(*_day_columns(r))
        .select_from(u.join(r, r.c.id == u.c.undoes))
        .where(u.c.learner == learner, u.c.undoes.is_not(None), answered)
    )
    if deck_id is not None:
        main = main.join(cards, cards.c.id == r.c.card_id).where(cards.c.deck_id == deck_id)
        undone = undone.join(cards, cards.c.id == r.c.card_id).where(cards.c.deck_id == deck_id)
    days = {row.day: _day_log(row) for row in conn.execute(main.group_by(r.c.study_day))}
    for row in conn.execute(undone.group_by(r.c.study_day)):
        minus = _day_log(row)
        days[minus.day] = days[minus.day].minus(minus)
    return [d for _, d in sorted(days.items()) if d.answers > 0]


def card_counts(
    conn: Connection, learner: str, today: date, deck_id: int | None = None
) -> tuple[list[DeckCounts], dict[date, int]]:
    """Card counts by state per deck, and the reviews due per day for the forecast.

    One pass over this learner's card states (grouped by deck, state and due
    day) plus a count of active cards per deck from the index: cards without a
    state row are new.  Due days before ``today`` are folded into the day
    before ``today`` so a long-neglected bank still returns few rows;
    :func:`quizkit.stats.forecast` adds them to today's bar.
    """
    st = card_states
    end = today + timedelta(days=FORECAST_DAYS)
    seen = st.c.last_review.is_not(None)
    state = sa.case(
        (st.c.suspended, "suspended"),
        (sa.not_(seen), "new"),
        (st.c.interval >= MATURE_DAYS, "mature"),
        else_="young",
    )
    due_day = sa.case(
        (
            sa.and_(seen, sa.not_(st.c.suspended), st.c.due < end),
            sa.case((st.c.due < today, today - timedelta(days=1)), else_=st.c.due),
        ),
    )
    inner = (
        sa.select(
            cards.c.deck_id,
            state.label("state"),
            due_day.label("due_day"),
            sa.case((st.c.leech, 1)).label("leech"),
            sa.case((seen, st.c.ef)).label("ef"),
        )
        .select_from(st.join(cards, cards.c.id == st.c.card_id))
        .where(st.c.learner == learner, cards.c.retired_at.is_(None))
    )
    active = sa.select(cards.c.deck_id, sa.func.count().label("n")).where(cards.c.retired_at.is_(None))
    names = sa.select(decks.c.id, decks.c.name).order_by(decks.c.name)
    if deck_id is not None:
        inner = inner.where(cards.c.deck_id == deck_id)
        active = active.where(cards.c.deck_id == deck_id)
        names = names.where(decks.c.id == deck_id)
    # Grouped outside the CASEs: PostgreSQL cannot match expressions with bound
    # parameters between SELECT and GROUP BY.
    sub = inner.subquery("s")
    grouped = sa.select(
        sub.c.deck_id,
        sub.c.state,
        sub.c.due_day,
        sa.func.count().label("n"),
        sa.func.count(sub.c.leech).label("leech"),
        sa.func.coalesce(sa.func.sum(sub.c.ef), 0).label("ef_sum"),
        sa.func.count(sub.c.ef).label("ef_cards"),
    ).group_by(sub.c.deck_id, sub.c.state, sub.c.due_day)

    per_deck: dict[int, dict[str, int]] = {}
    due: dict[date, int] = {}
    for row in conn.execute(grouped):
        c = per_deck.setdefault(row.deck_id, dict.fromkeys(_COUNT_KEYS, 0))
        c[row.state] += int(row.n)
        c["leech"] += int(row.leech)
        c["ef_sum"] += int(row.ef_sum)
        c["ef_cards"] += int(row.ef_cards)
        if row.due_day is not None:
            due[row.due_day] = due.get(row.due_day, 0) + int(row.n)
    n_active = {row.deck_id: int(row.n) for row in conn.execute(active.group_by(cards.c.deck_id))}
    result = []
    for d in conn.execute(names):
        c = per_deck.get(d.id, dict.fromkeys(_COUNT_KEYS, 0))
        result.append(
            DeckCounts(
                deck=d.name,
                # Cards with no state row for this learner were never seen: new too.
                new=n_active.get(d.id, 0) - c["young"] - c["mature"] - c["suspended"],
                young=c["young"],
                mature=c["mature"],
                suspended=c["suspended"],
                leech=c["leech"],
                ef_sum=c["ef_sum"],
                ef_cards=c["ef_cards"],
            )
        )
    return result, due


_COUNT_KEYS = ("new", "young", "mature", "suspended", "leech", "ef_sum", "ef_cards")


def hardest_cards(
    conn: Connection, learner: str, deck_id: int | None = None, limit: int = HARDEST
) -> list[HardCard]:
    """Reviewed cards with lapses or a lowered E-Factor: most lapses first, then lowest E-Factor."""
    st = card_states
    q = (
        sa.select(
            cards.c.id,
            decks.c.name.label("deck"),
            cards.c.front,
            st.c.lapses,
            st.c.ef,
            st.c.interval,
            st.c.suspended,
            st.c.leech,
        )
        .select_from(st.join(cards, cards.c.id == st.c.card_id).join(decks, decks.c.id == cards.c.deck_id))
        .where(
            st.c.learner == learner,
            st.c.last_review.is_not(None),
            cards.c.retired_at.is_(None),
            sa.or_(st.c.lapses > 0, st.c.ef < EF_INITIAL),
        )
        .order_by(st.c.lapses.desc(), st.c.ef, cards.c.id)
        .limit(limit)
    )
    if deck_id is not None:
        q = q.where(cards.c.deck_id == deck_id)
    return [
        HardCard(
            id=row.id,
            deck=row.deck,
            front=row.front,
            lapses=int(row.lapses),
            ef=int(row.ef),
            interval=int(row.interval),
            suspended=bool(row.suspended),
            leech=bool(row.leech),
        )
        for row in conn.execute(q)
    ]


def gather(bank: Bank, *, today: date, days: int = 365, deck: str | None = None) -> StatsInput:
    """Run every stats query for ``bank``'s learner (``deck``: a deck name or key, else all)."""
    info = bank.get_deck(deck) if deck is not None else None  # UnknownDeckError names the decks
    learner = bank.learner
    with bank.engine.connect() as conn:
        deck_id: int | None = None
        if info is not None:
            deck_id = conn.execute(sa.select(decks.c.id).where(decks.c.key == info.key)).scalar_one()
        log = day_logs(conn, learner, deck_id)
        counts, due = card_counts(conn, learner, today, deck_id)
        hardest = hardest_cards(conn, learner, deck_id)
    return StatsInput(
        today=today,
        days=days,
        learner=learner,
        deck=info.name if info is not None else None,
        log=log,
        due=due,
        new_cards=sum(c.new for c in counts),
        decks=counts,
        hardest=hardest,
    )


def load_stats(bank: Bank, *, today: date, days: int = 365, deck: str | None = None) -> StatsReport:
    """All figures of ``quizkit stats`` for ``bank``'s learner."""
    return build_report(gather(bank, today=today, days=days, deck=deck))
