"""Switching a deck between SM-2 and FSRS: log replay, config, study and review under FSRS, deck.toml."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit import fsrs_sched, sm2
from quizkit.authoring.deckdir import load_deck, read_deck
from quizkit.cli import cli
from quizkit.model import CardState, DeckInfo
from quizkit.session import review_once
from quizkit.storage.bank import Bank, open_bank
from tests.study_helpers import BUILT, DECK, IDS, OPT_A_ID, SPECS, TYPE_ID, WHY_ID, build_bank

DAY = date(2026, 11, 2)
NOON = "2026-11-27T12:00:00"


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def answer(bank: Bank, card_id: str, grade: int, day: date, hour: int = 12) -> None:
    """One answer as `quizkit review` gives it, under the deck's current scheduler."""
    from quizkit.schedulers import policy_from_settings

    policy = policy_from_settings(bank.get_deck(DECK.key).settings)
    moment = datetime.combine(day, time(hour), tzinfo=UTC)
    card = bank.get_card(card_id)
    out = review_once(
        card, grade, today=day, now=moment, graded_today=card_id in bank.day_grades(day), policy=policy
    )
    bank.record_review(
        card_id,
        before=out.before,
        after=out.after,
        grade=grade,
        kind=out.kind,
        reviewed_at=moment,
        study_day=day,
        scheduler=out.scheduler,
    )


HISTORY = {TYPE_ID: [4, 5, 1, 4], OPT_A_ID: [3, 4, 4, 5], WHY_ID: [2, 4]}


def study_history(bank: Bank) -> None:
    """A few weeks of SM-2 answers (with a re-drill and an undone answer that must not count)."""
    day = DAY
    for step in range(4):
        for card_id, grades in HISTORY.items():
            if step < len(grades):
                answer(bank, card_id, grades[step], day)
        day += timedelta(days=6)
    answer(bank, TYPE_ID, 2, day - timedelta(days=6), hour=13)  # a step-7 re-drill: logged, no schedule
    answer(bank, WHY_ID, 0, day)
    assert bank.undo_last(now=noon(day), study_day=day) is not None


def expected(card_id: str) -> tuple[CardState, CardState]:
    """The card's states replayed by hand: (SM-2 chain, FSRS chain)."""
    by_sm2 = by_fsrs = CardState()
    for step, grade in enumerate(HISTORY[card_id]):
        day = DAY + timedelta(days=6 * step)
        by_sm2 = sm2.review(by_sm2, grade, day, now=noon(day))
        by_fsrs = fsrs_sched.review(by_fsrs, grade, day, now=noon(day))
    return by_sm2, by_fsrs


def test_switching_replays_the_log_and_switching_back_restores_sm2(bank_url: str) -> None:
    build_bank(bank_url)  # type: ignore[arg-type]
    with open_bank(bank_url, learner="tester") as bank:
        study_history(bank)
        before = {cid: bank.state(cid) for cid in HISTORY}
        for cid in HISTORY:
            assert before[cid] == expected(cid)[0]
        log_rows = len(list(bank.review_log()))

        switch = bank.set_scheduler("kubernetes", "fsrs", now=BUILT)
        assert (switch.deck, switch.before, switch.after) == ("Kubernetes", "sm2", "fsrs")
        assert (switch.states, switch.answers, switch.learners) == (3, 10, 1)
        assert bank.get_deck(DECK.key).settings["scheduler"] == "fsrs"
        for cid in HISTORY:
            assert bank.state(cid) == expected(cid)[1]
        assert bank.state(IDS["concept:vbox"]) == CardState()  # never studied: untouched
        assert len(list(bank.review_log())) == log_rows  # the log is not changed

        back = bank.set_scheduler(DECK.name, "sm2", now=BUILT)
        assert (back.before, back.after, back.states) == ("fsrs", "sm2", 3)
        for cid in HISTORY:
            by_sm2, by_fsrs = expected(cid)
            assert bank.state(cid) == replace(
                by_sm2, stability=by_fsrs.stability, difficulty=by_fsrs.difficulty
            )

        same = bank.set_scheduler(DECK.name, "sm2", now=BUILT)
        assert (same.changed, same.states) == (False, 0)


def test_switching_keeps_suspension_and_every_learner(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    build_bank(path)
    with open_bank(str(path), learner="ann") as ann:
        answer(ann, TYPE_ID, 4, DAY)
        answer(ann, TYPE_ID, 4, DAY + timedelta(days=1))
        ann.set_suspended(TYPE_ID, True, now=noon(DAY), study_day=DAY)
    with open_bank(str(path), learner="bob") as bob:
        answer(bob, TYPE_ID, 1, DAY)
        switch = bob.set_scheduler(DECK.key, "fsrs", now=BUILT)
        assert (switch.states, switch.answers, switch.learners) == (2, 3, 2)
        assert bob.state(TYPE_ID).lapses == 1
        assert bob.state(TYPE_ID).interval == 1
    with open_bank(str(path), learner="ann") as ann:
        state = ann.state(TYPE_ID)
        assert state.suspended and state.stability is not None
        assert (
            state.interval
            == fsrs_sched.replay(
                [
                    fsrs_sched.LoggedGrade(4, DAY, noon(DAY)),
                    fsrs_sched.LoggedGrade(4, DAY + timedelta(days=1), noon(DAY + timedelta(days=1))),
                ]
            )[1].interval
        )


def test_unknown_scheduler_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    from quizkit.errors import InputError

    build_bank(tmp_path / "b.sqlite3")
    with open_bank(str(tmp_path / "b.sqlite3"), learner="tester") as bank:
        with pytest.raises(InputError, match="scheduler must be 'sm2' or 'fsrs', not 'anki'"):
            bank.set_scheduler(DECK.key, "anki", now=BUILT)
        assert "scheduler" not in bank.get_deck(DECK.key).settings


def test_undo_of_an_fsrs_answer_restores_its_memory_state(tmp_path: Path) -> None:
    build_bank(tmp_path / "b.sqlite3", settings={"scheduler": "fsrs"})
    with open_bank(str(tmp_path / "b.sqlite3"), learner="tester") as bank:
        answer(bank, TYPE_ID, 4, DAY)
        first = bank.state(TYPE_ID)
        answer(bank, TYPE_ID, 5, DAY + timedelta(days=2))
        assert bank.state(TYPE_ID).stability != first.stability
        row = bank.undo_last(now=noon(DAY), study_day=DAY)
        assert row is not None and row.scheduler == "fsrs"
        assert bank.state(TYPE_ID) == first
        log = list(bank.review_log())
        assert [(r.kind, r.scheduler) for r in log] == [("new", "fsrs"), ("review", "fsrs"), ("undo", "fsrs")]
        assert log[1].before == first and log[1].after.stability is not None


# -- compile: deck.toml's scheduler ---------------------------------------------------
def test_recompiling_keeps_a_configured_scheduler_and_deck_toml_switches_with_replay(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    build_bank(path)
    with open_bank(str(path), learner="tester") as bank:
        answer(bank, TYPE_ID, 4, DAY)
        bank.set_scheduler(DECK.key, "fsrs", now=BUILT)
        bank.set_deck_setting(DECK.key, "desired_retention", 0.85, now=BUILT)
        bank.sync_deck(DeckInfo(key=DECK.key, name=DECK.name, settings={"author": "me"}), SPECS, now=BUILT)
        assert bank.get_deck(DECK.key).settings == {
            "scheduler": "fsrs",
            "desired_retention": 0.85,
            "author": "me",
        }
        fsrs_state = bank.state(TYPE_ID)
        bank.sync_deck(
            DeckInfo(key=DECK.key, name=DECK.name, settings={"scheduler": "sm2"}), SPECS, now=BUILT
        )
        assert bank.get_deck(DECK.key).settings["scheduler"] == "sm2"
        state = bank.state(TYPE_ID)
        assert (state.interval, state.ef, state.stability) == (1, 2500, fsrs_state.stability)
        assert fsrs_state.interval == 2


def _deck_dir(tmp_path: Path, scheduler: str) -> Path:
    folder = tmp_path / "deck"
    folder.mkdir()
    (folder / "ch1.md").write_text("# Git\n\nGit tracks content.\n", encoding="utf-8")
    (folder / "deck.toml").write_text(
        f'id = "git"\nname = "Git"\nchapters = ["ch1.md"]\nscheduler = {scheduler}\n', encoding="utf-8"
    )
    return folder


def test_deck_toml_scheduler_goes_into_the_deck_settings(tmp_path: Path) -> None:
    source = load_deck(_deck_dir(tmp_path, '"fsrs"'))
    assert source.scheduler == "fsrs"
    assert source.info.settings["scheduler"] == "fsrs"


@pytest.mark.parametrize(("value", "shown"), [('"anki"', "'anki'"), ("1", "1"), ('"FSRS"', "'FSRS'")])
def test_deck_toml_scheduler_must_be_sm2_or_fsrs(tmp_path: Path, value: str, shown: str) -> None:
    _source, problems = read_deck(_deck_dir(tmp_path, value))
    assert [(p.line, p.message) for p in problems if p.is_error] == [
        (4, f'\'scheduler\' must be "sm2" or "fsrs", not {shown}')
    ]


# -- CLI: config, review, study under FSRS ------------------------------------------------
def run(*args: str, now: str = NOON, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"QUIZKIT_NOW": now}, input=input)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bank_path(isolated_env: Path) -> Path:
    build_bank(isolated_env)
    return isolated_env


def test_config_switches_the_scheduler_with_replay(bank_path: Path) -> None:
    assert run("review", TYPE_ID, "4", now="2026-11-20T12:00")[0] == 0
    assert run("review", TYPE_ID, "5", now="2026-11-21T12:00")[0] == 0
    code, out, err = run("config", "Kubernetes", "scheduler", "fsrs")
    assert code == 0, err
    assert out == "Kubernetes now uses FSRS (was SM-2): replayed 2 answers into 1 card state of 1 learner.\n"
    assert run("config", "Kubernetes", "scheduler", "fsrs")[1] == "Kubernetes already uses FSRS.\n"
    assert run("config", "kubernetes", "scheduler") == (0, "fsrs\n", "")
    code, out, _ = run("config", "Kubernetes", "scheduler", "sm2", "--json")
    assert json.loads(out) == {
        "deck": "Kubernetes",
        "scheduler": "sm2",
        "before": "fsrs",
        "states": 1,
        "answers": 2,
        "learners": 1,
    }


def test_config_lists_and_sets_other_settings(bank_path: Path) -> None:
    assert run("config", "Kubernetes", "desired_retention", "0.85") == (
        0,
        "Kubernetes: desired_retention = 0.85\n",
        "",
    )
    code, out, _ = run("config", "Kubernetes", "--json")
    assert json.loads(out) == {
        "deck": "Kubernetes",
        "settings": {
            "scheduler": "sm2",
            "desired_retention": 0.85,
            "new_per_day": 20,
            "reviews_per_day": 200,
            "day_start_hour": 4,
            "leech_threshold": 8,
            "leech_action": "suspend",
        },
    }
    code, out, _ = run("config", "Kubernetes")
    assert code == 0
    assert out.splitlines()[0] == "Settings of Kubernetes:"
    assert "desired_retention  0.85 " in out and "scheduler          sm2 (default)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Kubernetes", "scheduler", "anki"), "Error: scheduler must be 'sm2' or 'fsrs', not 'anki'\n"),
        (
            ("Kubernetes", "desired_retention", "2"),
            "Error: desired_retention must be between 0.7 and 0.99, not 2.0\n",
        ),
        (("Kubernetes", "colour", "red"), "Error: unknown deck setting 'colour' (settings: scheduler, "),
        (("Nope", "scheduler", "fsrs"), "Error: no deck named 'Nope' (decks: Kubernetes)\n"),
    ],
)
def test_config_mistakes_are_one_line_errors(bank_path: Path, args: tuple[str, ...], message: str) -> None:
    code, out, err = run("config", *args)
    assert (code, out) == (1, "")
    assert err.startswith(message)


def test_review_on_an_fsrs_deck_uses_fsrs(bank_path: Path) -> None:
    assert run("config", "Kubernetes", "scheduler", "fsrs")[0] == 0
    code, out, err = run("review", TYPE_ID, "4")
    assert code == 0, err
    assert out == (
        f"{TYPE_ID}: graded 4, next review 2026-11-29 (in 2 days, FSRS stability 2.3d, difficulty 2.1)\n"
    )
    code, out, _ = run("review", TYPE_ID, "good", "--json", now="2026-11-29T12:00")
    data = json.loads(out)
    assert (data["kind"], data["state"]["interval"], data["state"]["due"]) == ("review", 11, "2026-12-10")
    assert data["state"]["stability"] == pytest.approx(10.9643, abs=1e-4)
    with open_bank(str(bank_path), learner="tester") as bank:
        assert [r.scheduler for r in bank.review_log()] == ["fsrs", "fsrs"]


def test_study_on_an_fsrs_deck_uses_fsrs(bank_path: Path) -> None:
    assert run("config", "Kubernetes", "scheduler", "fsrs")[0] == 0
    # The first new card is the typed command: type it, accept the suggested grade (5), quit.
    code, out, err = run("study", "Kubernetes", "--new", "1", input="docker images\n\n")
    assert code == 0, err
    assert "Next review in 8 days" in out
    with open_bank(str(bank_path), learner="tester") as bank:
        state = bank.state(TYPE_ID)
        assert (state.interval, state.due) == (8, date(2026, 12, 5))
        assert state.stability == pytest.approx(8.2956)
        assert [(r.kind, r.grade, r.scheduler) for r in bank.review_log()] == [("new", 5, "fsrs")]


def test_quiz_record_on_an_fsrs_deck_uses_fsrs(bank_path: Path) -> None:
    assert run("config", "Kubernetes", "scheduler", "fsrs")[0] == 0
    code, _out, err = run("quiz", "Kubernetes", "-n", "1", "--seed", "1", "--record", input="\n3\n")
    assert code == 0, err
    with open_bank(str(bank_path), learner="tester") as bank:
        log = list(bank.review_log())
        assert [(r.kind, r.scheduler) for r in log] == [("new", "fsrs")]
        assert bank.state(log[0].card_id).stability is not None
