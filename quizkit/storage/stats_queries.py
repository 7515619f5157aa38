"""The SQL behind ``quizkit stats``: a handful of grouped aggregates (SQLAlchemy Core).

Nothing here loads the review log into Python: the log is read in one
``GROUP BY study_day`` pass (plus, when there are undo rows, a lookup of the
answers they undid, which are subtracted), and card state in one grouped
pass and a top-N query.  Each returns at most one row per study day, per
deck and state or per due date, so memory stays flat on a bank with
millions of reviews.  Portable SQL only (no
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

RETENTION_KINDS = ("review", "relearn")
HARDEST = 10
# Two retention counters share one SUM: reviews + passed * PACK (a day never has 2**32 reviews).
# One CASE per row instead of two keeps the log pass close to a bare GROUP BY.
PACK = 2**32


def _day_columns(r: Any) -> list[sa.ColumnElement[Any]]:
    """Per-day aggregates over the review rows ``r`` (answers and every other kind)."""
    retained = r.c.kind.in_(RETENTION_KINDS)
    packed = sa.case((r.c.grade >= PASS_GRADE, PACK + 1), else_=1)
    return [
        r.c.study_day.label("day"),
        # Only answers have a grade (and a duration): undo/suspend rows add nothing here.
        sa.func.count(r.c.grade).label("answers"),
        sa.func.coalesce(sa.func.sum(r.c.duration_ms), 0).label("ms"),
        sa.func.count(r.c.undoes).label("undos"),
        sa.func.coalesce(
            sa.func.sum(sa.case((sa.and_(r.c.interval_before >= MATURE_DAYS, retained), packed))), 0
        ).label("mature"),
        sa.func.coalesce(
            sa.func.sum(sa.case((sa.and_(r.c.interval_before < MATURE_DAYS, retained), packed))), 0
        ).label("young"),
    ]


def _day_log(row: Any) -> DayLog:
    mature_passed, mature_reviews = divmod(int(row.mature), PACK)
    young_passed, young_reviews = divmod(int(row.young), PACK)
    return DayLog(
        day=row.day,
        answers=int(row.answers),
        ms=int(row.ms),
        mature_reviews=mature_reviews,
        mature_passed=mature_passed,
        young_reviews=young_reviews,
        young_passed=young_passed,
    )


def _deck_cards(deck_id: int, *, active_only: bool) -> sa.Select[Any]:
    q = sa.select(cards.c.id).where(cards.c.deck_id == deck_id)
    return q.where(cards.c.retired_at.is_(None)) if active_only else q


def day_logs(conn: Connection, learner: str, deck_id: int | None = None) -> list[DayLog]:
    """One :class:`DayLog` per study day with answers, whole history, undone answers taken out.

    One pass over the learner's log grouped by study day; it also counts the
    undo rows per day, so the answers they undid are looked up (by primary
    key, from the undo rows of those days only) just when there are any.
    """
    r = reviews.alias("r")
    main = sa.select(*_day_columns(r)).where(r.c.learner == learner).group_by(r.c.study_day)
    if deck_id is not None:
        main = main.where(r.c.card_id.in_(_deck_cards(deck_id, active_only=False)))
    rows = conn.execute(main).all()
    days = {row.day: _day_log(row) for row in rows}
    undo_days = [row.day for row in rows if row.undos]
    if undo_days:
        u = reviews.alias("u")
        undone = (
            sa.select(*_day_columns(r))
            .select_from(u.join(r, r.c.id == u.c.undoes))
            .where(u.c.learner == learner, u.c.study_day.in_(undo_days), u.c.undoes.is_not(None))
            .group_by(r.c.study_day)
        )
        if deck_id is not None:
            undone = undone.where(r.c.card_id.in_(_deck_cards(deck_id, active_only=False)))
        for row in conn.execute(undone):
            minus = _day_log(row)
            days[minus.day] = days[minus.day].minus(minus)
    return [d for _, d in sorted(days.items()) if d.answers > 0]


RETIRED_INLINE = 1000  # up to this many retired ids go into the query as a list


def active_states(conn: Connection, deck_id: int | None) -> sa.ColumnElement[bool]:
    """A condition on ``card_states`` keeping cards that are not retired (of one deck).

    It avoids joining every state row to the wide ``cards`` rows, which costs
    more than the grouping itself: retired cards are few, so their ids are
    read once and left out by ``NOT IN`` (no condition at all when there are
    none).
    """
    st = card_states
    if deck_id is not None:
        return st.c.card_id.in_(_deck_cards(deck_id, active_only=True))
    is_retired = cards.c.retired_at.is_not(None)
    # Counted from the (deck, retired_at, position) index: no read of the wide rows.
    n_retired = conn.execute(sa.select(sa.func.count()).select_from(cards).where(is_retired)).scalar_one()
    if n_retired == 0:
        return sa.true()
    retired = sa.select(cards.c.id).where(is_retired)
    if n_retired <= RETIRED_INLINE:
        return st.c.card_id.not_in(conn.execute(retired).scalars().all())
    return st.c.card_id.not_in(retired)


def card_counts(
    conn: Connection,
    learner: str,
    today: date,
    deck_id: int | None = None,
    active: sa.ColumnElement[bool] | None = None,
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
    names = conn.execute(sa.select(decks.c.id, decks.c.name).order_by(decks.c.name)).all()
    if deck_id is not None:
        names = [d for d in names if d.id == deck_id]
    columns = [
        state.label("state"),
        due_day.label("due_day"),
        sa.case((st.c.leech, 1)).label("leech"),
        sa.case((seen, st.c.ef)).label("ef"),
    ]
    if len(names) == 1:
        # One deck in scope: no need to know each card's deck.
        only = names[0].id
        inner = sa.select(sa.literal(only).label("deck_id"), *columns).where(
            st.c.learner == learner, active if active is not None else active_states(conn, deck_id)
        )
    else:
        inner = (
            sa.select(cards.c.deck_id, *columns)
            .select_from(st.join(cards, cards.c.id == st.c.card_id))
            .where(st.c.learner == learner, cards.c.retired_at.is_(None))
        )
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
    in_deck = sa.select(cards.c.deck_id, sa.func.count().label("n")).where(cards.c.retired_at.is_(None))
    if deck_id is not None:
        in_deck = in_deck.where(cards.c.deck_id == deck_id)

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
    n_active = {row.deck_id: int(row.n) for row in conn.execute(in_deck.group_by(cards.c.deck_id))}
    result = []
    for d in names:
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
    conn: Connection,
    learner: str,
    deck_id: int | None = None,
    limit: int = HARDEST,
    active: sa.ColumnElement[bool] | None = None,
) -> list[HardCard]:
    """Reviewed cards with lapses or a lowered E-Factor: most lapses first, then lowest E-Factor.

    The top ``limit`` states are picked first; only they are joined to their cards.
    """
    st = card_states
    top = (
        sa.select(st.c.card_id, st.c.lapses, st.c.ef, st.c.interval, st.c.suspended, st.c.leech)
        .where(
            st.c.learner == learner,
            st.c.last_review.is_not(None),
            sa.or_(st.c.lapses > 0, st.c.ef < EF_INITIAL),
            active if active is not None else active_states(conn, deck_id),
        )
        .order_by(st.c.lapses.desc(), st.c.ef, st.c.card_id)
        .limit(limit)
        .subquery("top")
    )
    q = (
        sa.select(top, cards.c.front, decks.c.name.label("deck"))
        .select_from(top.join(cards, cards.c.id == top.c.card_id).join(decks, decks.c.id == cards.c.deck_id))
        .order_by(top.c.lapses.desc(), top.c.ef, top.c.card_id)
    )
    return [
        HardCard(
            id=row.card_id,
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
        active = active_states(conn, deck_id)
        counts, due = card_counts(conn, learner, today, deck_id, active)
        hardest = hardest_cards(conn, learner, deck_id, active=active)
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
