"""The pure study queue: order, daily limits, step-7 re-drills, undo, summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from quizkit.model import CardKind, CardSpec, CardState, CardStyle, CardView
from quizkit.session import Limits, Session, most_overdue_first, within_limit

DAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SEEN = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def card(cid: str, *, due: date | None = None, interval: int = 1, reps: int = 1) -> CardView:
    spec = CardSpec(kind=CardKind.CONCEPT, style=CardStyle.BASIC, front=cid, back="b", fact=f"concept:{cid}")
    state = (
        CardState()
        if due is None
        else CardState(due=due, interval=interval, repetitions=reps, last_review=SEEN)
    )
    return CardView(id=cid, deck="D", spec=spec, state=state)


def ids(session: Session, grade: int = 5) -> list[str]:
    """Answer everything with ``grade``; the order cards came in."""
    seen = []
    while (item := session.current()) is not None:
        seen.append(f"{item.phase}:{item.card.id}")
        session.answer(grade, today=DAY, now=NOW)
    return seen


def test_reviews_first_then_new_cards() -> None:
    s = Session([card("r1", due=DAY), card("r2", due=DAY)], [card("n1"), card("n2")])
    assert s.remaining == 4
    assert ids(s) == ["review:r1", "review:r2", "new:n1", "new:n2"]
    assert s.remaining == 0 and s.current() is None and s.done == 4


def test_most_overdue_first_merges_decks() -> None:
    a = card("a", due=DAY, interval=6)
    b = card("b", due=DAY - timedelta(days=3), interval=17)
    c = card("c", due=DAY, interval=1)
    assert [x.id for x in most_overdue_first([a, b, c])] == ["b", "c", "a"]


def test_daily_limits_count_what_was_already_done_today() -> None:
    due = [card(f"r{i}", due=DAY) for i in range(5)]
    new = [card(f"n{i}") for i in range(5)]
    s = Session(due, new, limits=Limits(new_per_day=3, reviews_per_day=4), new_done=1, reviews_done=2)
    assert s.remaining_by_phase() == {"review": 2, "new": 2, "drill": 0}
    assert ids(s) == ["review:r0", "review:r1", "new:n0", "new:n1"]
    done = Session(due, new, limits=Limits(new_per_day=3, reviews_per_day=4), new_done=5, reviews_done=9)
    assert done.current() is None
    assert within_limit(due, 0, 0) == []


def test_defaults_are_20_new_and_200_reviews() -> None:
    s = Session([card(f"r{i}", due=DAY) for i in range(250)], [card(f"n{i}") for i in range(30)])
    assert s.remaining_by_phase() == {"review": 200, "new": 20, "drill": 0}


def test_step_7_redrills_below_4_until_at_least_4_without_rescheduling() -> None:
    s = Session([card("r1", due=DAY)], [card("n1"), card("n2")])
    o1 = s.answer(3, today=DAY, now=NOW)  # r1: passes SM-2 but below 4 -> re-drill
    o2 = s.answer(1, today=DAY, now=NOW)  # n1: fails -> re-drill
    o3 = s.answer(4, today=DAY, now=NOW)  # n2: done
    assert (o1.kind, o1.after.interval, o1.after.repetitions) == ("review", 6, 2)
    assert (o2.kind, o2.after.lapses, o3.kind) == ("new", 1, "new")
    assert s.remaining_by_phase() == {"review": 0, "new": 0, "drill": 2}
    item = s.current()
    assert item is not None and (item.phase, item.card.id) == ("drill", "r1")
    assert item.card.state == o1.after  # the drill carries the new state
    d1 = s.answer(2, today=DAY, now=NOW)  # still below 4: asked again at the end
    assert (d1.kind, d1.before, d1.after) == ("drill", o1.after, o1.after)
    assert ids(s, grade=4) == ["drill:n1", "drill:r1"]
    summary = s.summary()
    assert (summary.reviewed, summary.new, summary.reviews, summary.drills, summary.correct) == (
        3,
        2,
        1,
        3,
        2,
    )
    assert summary.correct_percent == 67


def test_drills_left_from_earlier_today_come_last_and_once() -> None:
    earlier = card("x", due=DAY + timedelta(days=1))
    s = Session([card("r", due=DAY)], [], drills=[earlier, card("r", due=DAY)])
    assert ids(s, grade=4) == ["review:r", "drill:x"]


def test_a_leech_is_not_redrilled() -> None:
    worn = CardView(
        id="w",
        deck="D",
        spec=card("w").spec,
        state=CardState(due=DAY, interval=1, lapses=7, last_review=SEEN),
    )
    s = Session([worn], [])
    out = s.answer(0, today=DAY, now=NOW)
    assert out.after.leech and out.after.suspended and out.kind == "relearn"
    assert s.current() is None


def test_undo_restores_the_card_and_the_queue() -> None:
    s = Session([card("r1", due=DAY)], [card("n1")])
    s.answer(1, today=DAY, now=NOW)
    assert s.remaining_by_phase() == {"review": 0, "new": 1, "drill": 1}
    back = s.undo()
    assert back is not None and (back.phase, back.card.id, back.card.state.lapses) == ("review", "r1", 0)
    assert s.remaining_by_phase() == {"review": 1, "new": 1, "drill": 0}
    assert s.done == 0 and s.outcomes == []
    suspended = s.suspend()
    assert suspended.id == "r1" and s.summary().suspended == 1
    again = s.undo()
    assert again is not None and again.card.id == "r1" and s.summary().suspended == 0
    assert s.undo() is None and not s.can_undo


def test_answer_rejects_bad_grades_and_an_empty_queue() -> None:
    from quizkit.errors import InputError

    s = Session([], [card("n")])
    with pytest.raises(InputError):
        s.answer(6, today=DAY, now=NOW)
    assert s.remaining == 1
    s.answer(5, today=DAY, now=NOW)
    with pytest.raises(IndexError):
        s.answer(5, today=DAY, now=NOW)
    assert Session([], []).summary().correct_percent is None


def test_review_once_schedules_the_first_grade_of_the_day_only() -> None:
    from quizkit.session import review_once

    first = review_once(card("n"), 5, today=DAY, now=NOW, graded_today=False)
    assert (first.kind, first.phase, first.after.interval, first.after.ef) == ("new", "new", 1, 2600)
    later = review_once(
        CardView(id="n", deck="D", spec=card("n").spec, state=first.after),
        1,
        today=DAY,
        now=NOW,
        graded_today=True,
    )
    assert (later.kind, later.before, later.after) == ("drill", first.after, first.after)
    lapse = review_once(card("r", due=DAY, reps=3, interval=10), 2, today=DAY, now=NOW, graded_today=False)
    assert (lapse.kind, lapse.after.repetitions, lapse.after.lapses) == ("review", 0, 1)
