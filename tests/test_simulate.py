"""The simulated learner: seeded and repeatable, within daily limits, fast; the simulate command."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.cli import cli
from quizkit.errors import InputError
from quizkit.simulate import Learner, simulate
from tests.study_helpers import build_bank


def test_a_small_run_is_golden() -> None:
    sm2 = simulate(5, 12, scheduler="sm2", seed=3, new_per_day=2)
    fsrs = simulate(5, 12, scheduler="fsrs", seed=3, new_per_day=2)
    assert [(d.new, d.reviews, d.lapses) for d in sm2.days] == [
        (2, 0, 0), (2, 2, 0), (1, 4, 0), (0, 2, 0), (0, 0, 0), (0, 0, 0),
        (0, 0, 0), (0, 0, 0), (0, 3, 0), (0, 2, 0), (0, 0, 0), (0, 0, 0),
    ]  # fmt: skip
    assert [(d.new, d.reviews, d.lapses) for d in fsrs.days] == [
        (2, 0, 0), (2, 2, 0), (1, 1, 0), (0, 5, 1), (0, 1, 0), (0, 1, 0),
        (0, 2, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 1, 0), (0, 1, 1),
    ]  # fmt: skip
    assert sm2.days[0].retention is None and 0 < (sm2.days[1].retention or 0) < 1


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    one = simulate(300, 60, scheduler="fsrs", seed=7)
    assert simulate(300, 60, scheduler="fsrs", seed=7) == one
    assert simulate(300, 60, scheduler="fsrs", seed=8) != one


def test_daily_limits_hold_and_the_backlog_is_counted() -> None:
    run = simulate(1000, 120, scheduler="sm2", seed=1, new_per_day=15, reviews_per_day=40)
    assert all(d.new <= 15 and d.reviews <= 40 for d in run.days)
    assert run.seen == 1000
    assert any(d.backlog > 0 for d in run.days)
    assert all(d.backlog == 0 for d in run.days if d.reviews < 40)
    assert run.answers == run.seen + run.reviews


def test_fsrs_recall_follows_its_desired_retention() -> None:
    runs = {
        r: simulate(1500, 200, scheduler="fsrs", seed=2, desired_retention=r, reviews_per_day=10**6)
        for r in (0.8, 0.9, 0.95)
    }
    assert runs[0.8].reviews < runs[0.9].reviews < runs[0.95].reviews
    recall = {r: run.recall_rate or 0 for r, run in runs.items()}
    assert recall[0.8] < recall[0.9] < recall[0.95]
    assert recall[0.9] == pytest.approx(0.9, abs=0.03)


def test_the_learner_model_matters() -> None:
    forgetful = simulate(500, 90, scheduler="sm2", seed=1, learner=Learner(growth=2.0, lapse_keep=0.1))
    default = simulate(500, 90, scheduler="sm2", seed=1)
    assert (forgetful.mean_retention or 0) < (default.mean_retention or 0)
    assert forgetful.reviews - sum(d.lapses for d in forgetful.days) < default.reviews


def test_empty_and_bad_inputs() -> None:
    assert simulate(0, 3, scheduler="sm2").days[2].retention is None
    assert simulate(10, 0, scheduler="fsrs").answers == 0
    with pytest.raises(InputError, match="must be 0 or more"):
        simulate(-1, 3, scheduler="sm2")
    with pytest.raises(InputError, match="scheduler must be 'sm2' or 'fsrs'"):
        simulate(1, 3, scheduler="anki")  # type: ignore[arg-type]


def test_ten_thousand_cards_over_a_year_take_seconds() -> None:
    started = time.perf_counter()
    runs = [simulate(10_000, 365, scheduler=s, seed=0) for s in ("sm2", "fsrs")]  # type: ignore[misc]
    assert time.perf_counter() - started < 15
    assert all(r.seen == 7300 and len(r.days) == 365 for r in runs)


# -- the command ------------------------------------------------------------------------
def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"QUIZKIT_NOW": "2026-11-27T12:00"})
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bank_path(isolated_env: Path) -> Path:
    build_bank(isolated_env)
    return isolated_env


def test_simulate_prints_both_schedulers_side_by_side(bank_path: Path) -> None:
    code, out, err = run("simulate", "Kubernetes", "--days", "60", "--cards", "400")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "Simulated 400 cards of Kubernetes over 60 days: 20 new and at most 200 reviews a day, "
        "seed 0, FSRS desired retention 0.9."
    )
    header = next(line for line in lines if line.lstrip().startswith("Days"))
    assert header.split() == [
        "Days",
        "SM-2",
        "reviews/day",
        "SM-2",
        "retention",
        "FSRS",
        "reviews/day",
        "FSRS",
        "retention",
    ]
    rows = [line.split() for line in lines if line.lstrip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["1-30", "31-60"]
    assert any(line.startswith("SM-2: ") and "reviews (400 new cards" in line for line in lines)
    assert any(line.startswith("FSRS: ") for line in lines)


def test_simulate_json_follows_the_deck_settings(bank_path: Path) -> None:
    assert run("config", "Kubernetes", "new_per_day", "3")[0] == 0
    assert run("config", "Kubernetes", "desired_retention", "0.85")[0] == 0
    code, out, err = run(
        "simulate", "Kubernetes", "--days", "10", "--scheduler", "fsrs", "--json", "--seed", "4"
    )
    assert code == 0, err
    data = json.loads(out)
    assert {k: data[k] for k in ("deck", "cards", "days", "seed", "new_per_day", "desired_retention")} == {
        "deck": "Kubernetes",
        "cards": 7,
        "days": 10,
        "seed": 4,
        "new_per_day": 3,
        "desired_retention": 0.85,
    }
    (only,) = data["runs"]
    assert only["scheduler"] == "fsrs" and only["seen"] == 7
    assert [d["new"] for d in only["days"]][:4] == [3, 3, 1, 0]


def test_simulate_unknown_deck_is_an_error(bank_path: Path) -> None:
    code, out, err = run("simulate", "Nope")
    assert (code, out) == (1, "")
    assert err == "Error: no deck named 'Nope' (decks: Kubernetes)\n"
