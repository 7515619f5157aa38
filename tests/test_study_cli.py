"""``quizkit study`` on piped input: the queue, grading, re-drills, undo, suspend, limits, day cutoff."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.cli import cli
from quizkit.storage.bank import open_bank
from tests.study_helpers import CLOZE_ID, OPT_A_ID, TYPE_ID, WHY_ID, build_bank

NOON = "2026-11-27T12:00:00"


def run(*args: str, input: str = "", now: str = NOON) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"QUIZKIT_NOW": now}, input=input)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bank_path(bank_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The study tests run on a SQLite file and on a PostgreSQL database (see conftest.bank_url)."""
    monkeypatch.setenv("QUIZKIT_DB", bank_url)
    build_bank(Path(bank_url) if "://" not in bank_url else bank_url)  # type: ignore[arg-type]
    return bank_url  # type: ignore[return-value]


def log(path: Path) -> list[tuple[str, str, int | None, str | None]]:
    with open_bank(str(path), learner="tester") as bank:
        return [(r.card_id, r.kind, r.grade, r.answer) for r in bank.review_log()]


def test_a_session_grades_typed_choice_and_self_graded_cards_and_redrills(bank_path: Path) -> None:
    # typed command (alias accepted, Enter takes the suggested 5), option as multiple choice
    # (pick 1, override to 4), concept revealed and self-graded 3 -> re-drilled at the end with 5.
    lines = ["docker image ls", "", "1", "4", "", "3", "", "5"]
    code, out, err = run("study", "--new", "3", input="\n".join(lines) + "\n")
    assert code == 0, err
    assert out.startswith("Studying: 0 reviews, 3 new, 0 to drill again.\n")
    assert "── 0 done · 3 left (0 reviews · 3 new · 0 again) ──" in out
    assert "✓ Answer: docker images" in out
    assert f"Kubernetes > 容器 · {TYPE_ID}" in out and "Kubernetes > Kubernetes" not in out
    assert "Suggested grade: 5 (correct)" in out
    assert "所有容器\n" in out and "Choice> " in out
    assert "Why use [imageName]?" in out and "Answer: Because [tags] matter" in out
    assert "Again (graded below 4 today; this does not change the schedule)" in out
    assert "Reviewed 3 (3 new, 0 reviews), 1 re-drill, 100% correct" in out
    assert out.rstrip().endswith("Next due: 2026-11-28 (tomorrow)")
    assert log(bank_path) == [
        (TYPE_ID, "new", 5, "docker image ls"),
        (OPT_A_ID, "new", 4, "1"),
        (WHY_ID, "new", 3, None),
        (WHY_ID, "drill", 5, None),
    ]
    with open_bank(str(bank_path), learner="tester") as bank:
        why = bank.state(WHY_ID)
    assert (why.ef, why.interval, why.repetitions, str(why.due)) == (2360, 1, 1, "2026-11-28")


def test_typed_mistake_shows_the_difference(bank_path: Path) -> None:
    code, out, _ = run("study", "--new", "1", input="docker image rm\n\n\n")
    assert code == 0
    assert "✗ Answer: docker images" in out
    assert "Suggested grade: 2 (close, but not the same command)" in out
    assert "  Difference: docker +images -image -rm" in out


def test_undo_suspend_and_quit(bank_path: Path) -> None:
    lines = ["ls -la", "", "u", "docker images", "", "s", "q"]
    code, out, _ = run("study", "--new", "3", input="\n".join(lines) + "\n")
    assert code == 0
    assert "Undone: 列出当前存储的所有镜像" in out
    assert "Suspended." in out
    assert "Reviewed 1 (1 new, 0 reviews), 0 re-drills, 100% correct" in out
    assert "1 card left for today." in out
    assert log(bank_path) == [
        (TYPE_ID, "new", 1, "ls -la"),
        (TYPE_ID, "undo", None, None),
        (TYPE_ID, "new", 5, "docker images"),
        (OPT_A_ID, "suspend", None, None),
    ]
    with open_bank(str(bank_path), learner="tester") as bank:
        assert bank.state(TYPE_ID).lapses == 0 and bank.state(TYPE_ID).repetitions == 1
        assert bank.state(OPT_A_ID).suspended


def test_undo_with_nothing_answered_and_bad_grades_are_asked_again(bank_path: Path) -> None:
    # a blank typed answer suggests 0; 'u' has nothing to undo, so the card is asked again;
    # a grade of 9 is refused and asked again.
    lines = ["", "u", "", "9", "4", "q"]
    code, out, _ = run("study", "--new", "1", input="\n".join(lines) + "\n")
    assert code == 0
    assert "Suggested grade: 0 (no answer)" in out
    assert "Nothing to undo in this session." in out
    assert "grade must be 0-5 (or again/hard/good/easy), not '9'" in out
    assert out.count("Command> ") == 2
    assert log(bank_path) == [(TYPE_ID, "new", 4, "")]


def test_end_of_input_ends_the_session_keeping_what_was_answered(bank_path: Path) -> None:
    code, out, _ = run("study", input="docker images\n\n")
    assert code == 0
    assert "Reviewed 1 (1 new, 0 reviews)" in out
    assert log(bank_path) == [(TYPE_ID, "new", 5, "docker images")]


def test_cloze_is_blanked_and_typed_terms_are_graded(isolated_env: Path) -> None:
    from tests.study_helpers import SPECS

    build_bank(isolated_env, specs=[SPECS[3]])
    code, out, _ = run("study", input="virtualbox; intel\n\n")
    assert code == 0
    assert "[...] runs on [chip]" in out
    assert "Answer: VirtualBox runs on Intel" in out
    assert "Suggested grade: 5 (correct)" in out
    assert log(isolated_env) == [(CLOZE_ID, "new", 5, "virtualbox; intel")]


def test_authored_choice_is_numbered(isolated_env: Path) -> None:
    from tests.study_helpers import SPECS

    build_bank(isolated_env, specs=[SPECS[5]])
    code, out, _ = run("study", "--seed", "0", input="1,2\n\n")
    assert code == 0
    assert "Which runs containers?" in out and "  1. " in out and "  2. " in out
    assert "Suggested grade: 1 (wrong)" in out  # two picks, one correct answer


def test_daily_new_limit_holds_across_sessions(bank_path: Path) -> None:
    run("study", "--new", "1", input="docker images\n\n")
    code, out, _ = run("study", "--new", "1")
    assert (code, out) == (0, "Nothing to study today.\nNext due: 2026-11-28 (tomorrow)\n")


def test_per_deck_settings_limit_new_cards(isolated_env: Path) -> None:
    build_bank(isolated_env, settings={"new_per_day": 2})
    code, out, _ = run("study", "Kubernetes", input="q\n")
    assert out.startswith("Studying in Kubernetes: 0 reviews, 2 new, 0 to drill again.\n")
    bad = run("study", "Kubernetes", "--new", "x")
    assert bad[0] == 2


def test_a_resumed_session_owes_its_redrills(bank_path: Path) -> None:
    run("review", WHY_ID, "2")
    code, out, _ = run("study", "--new", "0", input="\n4\n")
    assert out.startswith("Studying: 0 reviews, 0 new, 1 to drill again.\n")
    assert log(bank_path)[-1] == (WHY_ID, "drill", 4, None)
    code, out, _ = run("study", "--new", "0")
    assert out.startswith("Nothing to study today.")


def test_day_cutoff_at_4am(bank_path: Path) -> None:
    run("review", TYPE_ID, "4")  # due 2026-11-28
    code, out, _ = run("study", "--new", "0", now="2026-11-28T03:30:00")
    assert out == "Nothing to study today.\nNext due: 2026-11-28 (tomorrow)\n"
    code, out, _ = run("study", "--new", "0", now="2026-11-28T04:00:00", input="docker images\n\n")
    assert out.startswith("Studying: 1 reviews, 0 new, 0 to drill again.\n")
    assert log(bank_path)[-1] == (TYPE_ID, "review", 5, "docker images")
    with open_bank(str(bank_path), learner="tester") as bank:
        assert str(bank.state(TYPE_ID).due) == "2026-12-04"
