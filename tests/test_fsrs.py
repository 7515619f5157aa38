"""FSRS behind CardState: grade mapping, golden intervals, study days, SM-2 fields, replay, lazy import."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Card, Rating, Scheduler, State

from quizkit import fsrs_sched, schedulers, sm2
from quizkit.errors import InputError
from quizkit.model import CardState
from quizkit.schedulers import Answer, Policy
from tests.conftest import REPO

DAY = date(2026, 11, 1)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@pytest.mark.parametrize(
    ("grade", "rating"),
    [
        (0, Rating.Again),
        (1, Rating.Again),
        (2, Rating.Again),
        (3, Rating.Hard),
        (4, Rating.Good),
        (5, Rating.Easy),
    ],
)
def test_grades_map_onto_fsrs_ratings(grade: int, rating: Rating) -> None:
    assert fsrs_sched.rating(grade) is rating


@pytest.mark.parametrize("grade", [-1, 6, True])
def test_out_of_range_grades_are_refused(grade: int) -> None:
    with pytest.raises(InputError, match="grade must be 0-5"):
        fsrs_sched.rating(grade)


def test_golden_sequence_each_review_on_its_due_day() -> None:
    state, day, seen = CardState(), DAY, []
    for grade in (4, 4, 4, 1, 3, 5):
        state = fsrs_sched.review(state, grade, day, now=noon(day))
        seen.append((state.interval, round(state.stability or 0, 4), round(state.difficulty or 0, 4)))
        assert state.due == day + timedelta(days=state.interval)
        assert state.last_review == noon(day)
        day = state.due
    assert seen == [
        (2, 2.3065, 2.1181),
        (11, 10.9643, 2.1112),
        (46, 46.2802, 2.1043),
        (3, 2.9326, 7.39),
        (6, 5.8468, 8.2526),
        (18, 18.1492, 7.6539),
    ]


def test_intervals_are_the_fsrs_packages_own() -> None:
    """Same answers straight through py-fsrs (no steps, no fuzz) give the same days and memory."""
    package = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = Card(card_id=7, state=State.Learning, due=noon(DAY))
    state, day = CardState(), DAY
    for grade, rating in ((5, Rating.Easy), (2, Rating.Again), (4, Rating.Good), (3, Rating.Hard)):
        card, _ = package.review_card(card, rating, noon(day))
        state = fsrs_sched.review(state, grade, day, now=noon(day))
        assert state.interval == (card.due - noon(day)).days
        assert (state.stability, state.difficulty) == (card.stability, card.difficulty)
        day = state.due or day


def test_due_is_a_study_day_whatever_the_time_zone() -> None:
    # 01:30 in UTC+9 on Nov 2 belongs to study day Nov 1 (days start at 04:00).
    late = datetime(2026, 11, 2, 1, 30, tzinfo=timezone(timedelta(hours=9)))
    state = fsrs_sched.review(CardState(), 4, DAY, now=late)
    assert (state.interval, state.due) == (2, date(2026, 11, 3))
    assert state.last_review == late


def test_sm2_fields_move_as_sm2_moves_them() -> None:
    by_fsrs = by_sm2 = CardState()
    day = DAY
    for grade in (4, 5, 2, 3, 4):
        by_fsrs = fsrs_sched.review(by_fsrs, grade, day, now=noon(day))
        by_sm2 = sm2.review(by_sm2, grade, day, now=noon(day))
        assert (by_fsrs.ef, by_fsrs.repetitions, by_fsrs.lapses) == (
            by_sm2.ef,
            by_sm2.repetitions,
            by_sm2.lapses,
        )
        assert sm2.review_kind(by_fsrs) == sm2.review_kind(by_sm2)
        day += timedelta(days=3)


def test_leeches_are_caught_under_fsrs_too() -> None:
    state = CardState(due=DAY, interval=1, repetitions=0, lapses=3, last_review=noon(DAY - timedelta(days=1)))
    after = fsrs_sched.review(state, 1, DAY, now=noon(DAY), leech_threshold=4)
    assert (after.lapses, after.leech, after.suspended) == (4, True, True)
    tagged = fsrs_sched.review(state, 1, DAY, now=noon(DAY), leech_threshold=4, suspend_leeches=False)
    assert (tagged.leech, tagged.suspended) == (True, False)


def test_a_card_with_sm2_history_but_no_fsrs_memory_starts_from_its_interval() -> None:
    state = CardState(
        due=DAY, interval=10, ef=1900, repetitions=3, last_review=noon(DAY - timedelta(days=10))
    )
    after = fsrs_sched.review(state, 4, DAY, now=noon(DAY))
    package = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = Card(
        card_id=1,
        state=State.Review,
        stability=10.0,
        difficulty=7.5,  # 5 + (2500 - 1900) / 240
        due=noon(DAY),
        last_review=noon(DAY - timedelta(days=10)),
    )
    expected, _ = package.review_card(card, Rating.Good, noon(DAY))
    assert after.stability == expected.stability
    assert after.interval == (expected.due - noon(DAY)).days > 10


def test_lower_desired_retention_gives_longer_intervals() -> None:
    first = fsrs_sched.review(CardState(), 4, DAY, now=noon(DAY))
    later = first.due or DAY
    relaxed = fsrs_sched.review(first, 4, later, now=noon(later), desired_retention=0.8)
    strict = fsrs_sched.review(first, 4, later, now=noon(later), desired_retention=0.95)
    assert relaxed.interval > strict.interval


@pytest.mark.parametrize("value", [0.5, 1.0, 0.999])
def test_desired_retention_out_of_range_is_refused(value: float) -> None:
    with pytest.raises(InputError, match="desired retention must be between 0.7 and 0.99"):
        fsrs_sched.scheduler(value)
    with pytest.raises(InputError, match="desired_retention must be between 0.7 and 0.99"):
        schedulers.policy_from_settings({"desired_retention": value})


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        fsrs_sched.review(CardState(), 4, DAY, now=datetime(2026, 11, 1, 12))


def test_retrievability_falls_with_time() -> None:
    state = fsrs_sched.review(CardState(), 4, DAY, now=noon(DAY))
    assert fsrs_sched.retrievability(CardState(), noon(DAY)) == 0.0
    soon = fsrs_sched.retrievability(state, noon(DAY + timedelta(days=1)))
    due = fsrs_sched.retrievability(state, noon(DAY + timedelta(days=state.interval)))
    assert 1 > soon > due >= 0.89


# -- the scheduler interface -------------------------------------------------------
def test_policy_chooses_the_scheduler() -> None:
    sm = schedulers.review(CardState(), 4, DAY, now=noon(DAY), policy=Policy())
    fs = schedulers.review(CardState(), 4, DAY, now=noon(DAY), policy=Policy(scheduler="fsrs"))
    assert (sm.interval, sm.stability) == (1, None)
    assert (fs.interval, fs.stability) == (2, pytest.approx(2.3065))


def test_policy_from_settings_defaults_to_sm2() -> None:
    assert schedulers.policy_from_settings({}) == Policy()
    assert schedulers.policy_from_settings(
        {"scheduler": "fsrs", "desired_retention": 0.85}, leech_threshold=3, suspend_leeches=False
    ) == Policy("fsrs", 3, False, 0.85)
    with pytest.raises(InputError, match="scheduler must be 'sm2' or 'fsrs', not 'anki'"):
        schedulers.policy_from_settings({"scheduler": "anki"})


def _answers(grades: list[int], gap: int = 4) -> list[Answer]:
    return [
        Answer(g, DAY + timedelta(days=gap * i), noon(DAY + timedelta(days=gap * i)))
        for i, g in enumerate(grades)
    ]


def test_replay_rebuilds_both_schedulers_from_the_log() -> None:
    answers = _answers([4, 5, 1, 4, 3])
    by_sm2 = by_fsrs = CardState()
    for a in answers:
        by_sm2 = sm2.review(by_sm2, a.grade, a.study_day, now=a.reviewed_at)
        by_fsrs = fsrs_sched.review(by_fsrs, a.grade, a.study_day, now=a.reviewed_at)
    current = replace(by_sm2, suspended=True)
    to_fsrs = schedulers.replay(current, answers, policy=Policy(scheduler="fsrs"))
    assert to_fsrs == replace(by_fsrs, suspended=True)
    back = schedulers.replay(to_fsrs, answers, policy=Policy())
    assert back == replace(by_sm2, suspended=True, stability=by_fsrs.stability, difficulty=by_fsrs.difficulty)


def test_replay_without_answers_keeps_the_state() -> None:
    state = CardState(due=DAY, interval=5, repetitions=2, last_review=noon(DAY))
    assert schedulers.replay(state, [], policy=Policy(scheduler="fsrs")) is state


def test_replay_does_not_suspend_leeches_itself() -> None:
    answers = _answers([1] * 10, gap=1)
    state = schedulers.replay(CardState(last_review=noon(DAY)), answers, policy=Policy(leech_threshold=2))
    assert (state.lapses, state.leech, state.suspended) == (10, False, False)


def test_parse_setting() -> None:
    assert schedulers.parse_setting("scheduler", " FSRS ") == "fsrs"
    assert schedulers.parse_setting("desired_retention", "0.85") == 0.85
    assert schedulers.parse_setting("day_start_hour", "0") == 0
    assert schedulers.parse_setting("leech_action", "tag") == "tag"
    with pytest.raises(InputError, match=r"day_start_hour must be 0-23, not 24"):
        schedulers.parse_setting("day_start_hour", "24")
    with pytest.raises(InputError, match=r"new_per_day must be a whole number \(0 or more\), not 'ten'"):
        schedulers.parse_setting("new_per_day", "ten")
    with pytest.raises(InputError, match=r"unknown deck setting 'colour' \(settings: scheduler, "):
        schedulers.parse_setting("colour", "red")


def test_fsrs_is_not_imported_on_start_up_paths(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from quizkit.cli import cli\n"
        "import quizkit.session, quizkit.schedulers, quizkit.storage.bank, quizkit.commands.study_cmds\n"
        "for args in (['--help'], ['due'], ['config', '--help'], ['simulate', '--help']):\n"
        "    r = CliRunner().invoke(cli, args)\n"
        "    assert r.exit_code == 0, r.output\n"
        "assert 'fsrs' not in sys.modules, 'fsrs imported'\n"
        "print('ok')\n"
    )
    env = {**os.environ, "QUIZKIT_DB": str(tmp_path / "lazy.sqlite3")}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.stdout == "ok\n", done.stderr
