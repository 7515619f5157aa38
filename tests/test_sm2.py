"""SM-2: golden sequences worked out by hand, E-Factor arithmetic, leeches, properties."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizkit import sm2
from quizkit.errors import InputError
from quizkit.model import CardState

DAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def run(grades: list[int], *, start: CardState | None = None, **kw: int) -> list[CardState]:
    """Review a card on each due date; returns the state after every review."""
    state = start or CardState()
    day = DAY
    states = []
    for g in grades:
        state = sm2.review(state, g, day, now=datetime.combine(day, NOW.timetz()), **kw)  # type: ignore[arg-type]
        states.append(state)
        assert state.due is not None
        day = state.due
    return states


def triples(states: list[CardState]) -> list[tuple[float, int, int]]:
    return [(s.ef / 1000, s.interval, s.repetitions) for s in states]


def test_golden_sequence_from_the_issue() -> None:
    states = run([5, 5, 5, 3, 1, 4, 5])
    assert triples(states) == [
        (2.6, 1, 1),
        (2.7, 6, 2),
        (2.8, 17, 3),
        (2.66, 48, 4),
        (2.66, 1, 0),
        (2.66, 1, 1),
        (2.76, 6, 2),
    ]
    assert [s.lapses for s in states] == [0, 0, 0, 0, 1, 1, 1]


def test_exact_ceiling_125_times_2_8_is_350() -> None:
    states = run([5, 5, 4, 4, 5, 3])
    # 1, 6, ceil(6*2.7)=17, ceil(17*2.7)=46, ceil(46*2.7)=125, ceil(125*2.8)=350 (a float gives 351).
    assert [s.interval for s in states] == [1, 6, 17, 46, 125, 350]
    assert [s.ef for s in states] == [2600, 2700, 2700, 2700, 2800, 2660]
    # The trap the integer E-Factor avoids: a float EF built by the same updates is 2.8000000000000003.
    ef = 2.5
    for q in (5, 5, 4, 4, 5):
        ef += 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)
    assert math.ceil(125 * ef) == 351


def test_hand_worked_sequence_with_hard_grades_and_the_floor() -> None:
    # q=3 lowers EF by 0.14 each time: 2.36, 2.22, 2.08, 1.94, 1.80, 1.66, 1.52, 1.38, then floor 1.3.
    states = run([3] * 10)
    assert [s.ef for s in states] == [2360, 2220, 2080, 1940, 1800, 1660, 1520, 1380, 1300, 1300]
    # Intervals use the EF before each update: 1, 6, ceil(6*2.22)=14, ceil(14*2.08)=30, ceil(30*1.94)=59
    assert [s.interval for s in states[:5]] == [1, 6, 14, 30, 59]


def test_failing_keeps_the_e_factor_and_restarts() -> None:
    (s1, s2, s3, s4) = run([4, 4, 0, 2])
    assert (s2.ef, s2.interval, s2.repetitions) == (2500, 6, 2)
    assert (s3.ef, s3.interval, s3.repetitions, s3.lapses) == (2500, 1, 0, 1)
    assert (s4.ef, s4.interval, s4.repetitions, s4.lapses) == (2500, 1, 0, 2)


def test_first_review_of_a_new_card_with_every_grade() -> None:
    got = {g: sm2.review(CardState(), g, DAY, now=NOW) for g in range(6)}
    assert {g: (s.ef, s.interval, s.repetitions, s.lapses) for g, s in got.items()} == {
        0: (2500, 1, 0, 1),
        1: (2500, 1, 0, 1),
        2: (2500, 1, 0, 1),
        3: (2360, 1, 1, 0),
        4: (2500, 1, 1, 0),
        5: (2600, 1, 1, 0),
    }
    assert all(s.due == DAY + timedelta(days=1) and s.last_review == NOW for s in got.values())


@pytest.mark.parametrize(("grade", "delta"), [(5, 100), (4, 0), (3, -140), (2, -320), (1, -540), (0, -800)])
def test_ef_formula_in_permille(grade: int, delta: int) -> None:
    assert sm2.ef_after(3000, grade) == 3000 + delta
    assert sm2.ef_after(1400, grade) == max(1300, 1400 + delta)


def test_no_upper_cap_on_ef_and_intervals_stop_at_the_calendar_limit() -> None:
    states = run([5] * 20)
    assert states[-1].ef == 4500
    assert max(s.interval for s in states) == sm2.MAX_INTERVAL


def test_late_review_gets_no_bonus_and_due_counts_from_the_review_day() -> None:
    state = run([5, 5])[-1]  # interval 6, due DAY+7
    late = DAY + timedelta(days=30)
    after = sm2.review(state, 4, late, now=NOW)
    assert after.interval == 17  # ceil(6 * 2.7), as if on time
    assert after.due == late + timedelta(days=17)


def test_leech_after_eight_lapses_is_tagged_and_suspended() -> None:
    states = run([1] * 8)
    assert [s.leech for s in states] == [False] * 7 + [True]
    assert states[-1].suspended and states[-1].lapses == 8
    # unsuspending clears the tag; the next leech mark comes half a threshold later (12)
    back = CardState(**{**states[-1].__dict__, "suspended": False, "leech": False})
    more = run([1] * 4, start=back)
    assert [s.leech for s in more] == [False, False, False, True]


def test_leech_is_configurable() -> None:
    assert not any(s.leech or s.suspended for s in run([0] * 10, leech_threshold=0))
    tagged = run([0] * 3, leech_threshold=3, suspend_leeches=False)  # type: ignore[arg-type]
    assert tagged[-1].leech and not tagged[-1].suspended


def test_review_kind() -> None:
    assert sm2.review_kind(CardState()) == "new"
    s = run([4])[-1]
    assert sm2.review_kind(s) == "review"
    assert sm2.review_kind(sm2.review(s, 1, DAY, now=NOW)) == "relearn"


@pytest.mark.parametrize(
    ("text", "grade"),
    [("0", 0), ("5", 5), (" 3 ", 3), ("again", 1), ("A", 1), ("hard", 3), ("h", 3), ("Good", 4), ("e", 5)],
)
def test_parse_grade(text: str, grade: int) -> None:
    assert sm2.parse_grade(text) == grade


@pytest.mark.parametrize("text", ["6", "-1", "", "45", "x", "great", "3.5"])
def test_parse_grade_rejects(text: str) -> None:
    with pytest.raises(InputError, match="grade must be 0-5"):
        sm2.parse_grade(text)


@pytest.mark.parametrize("grade", [-1, 6, True])
def test_review_rejects_bad_grades(grade: int) -> None:
    with pytest.raises(InputError):
        sm2.review(CardState(), grade, DAY, now=NOW)


grades = st.lists(st.integers(min_value=0, max_value=5), max_size=60)
gaps = st.lists(st.integers(min_value=-3, max_value=40), max_size=60)


@given(grades, gaps)
def test_properties_ef_floor_interval_and_reproducibility(gs: list[int], late: list[int]) -> None:
    def replay() -> list[CardState]:
        state, day, out = CardState(), DAY, []
        for i, g in enumerate(gs):
            state = sm2.review(state, g, day, now=NOW)
            out.append(state)
            assert state.due is not None
            day = state.due + timedelta(days=late[i] if i < len(late) else 0)
        return out

    first = replay()
    assert first == replay()
    for g, s in zip(gs, first, strict=True):
        assert s.ef >= sm2.EF_MIN
        assert s.interval >= 1
        assert s.repetitions >= 0
        assert (s.repetitions == 0) == (g < 3)
    assert sum(1 for g in gs if g < 3) == (first[-1].lapses if first else 0)
