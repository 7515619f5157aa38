"""CLI: review, due, undo, suspend, unsuspend, quiz — exit codes, exact messages, the database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.cli import cli
from quizkit.storage.bank import open_bank
from tests.study_helpers import CLOZE_ID, OPT_A_ID, TYPE_ID, WHY_ID, build_bank

NOON = "2026-11-27T12:00:00"  # local time: study day 2026-11-27


def run(*args: str, now: str = NOON, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"QUIZKIT_NOW": now}, input=input)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bank_path(bank_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The study tests run on a SQLite file and on a PostgreSQL database (see conftest.bank_url)."""
    monkeypatch.setenv("QUIZKIT_DB", bank_url)
    build_bank(Path(bank_url) if "://" not in bank_url else bank_url)  # type: ignore[arg-type]
    return bank_url  # type: ignore[return-value]


def log(path: Path) -> list[tuple[str, str, int | None]]:
    with open_bank(str(path), learner="tester") as bank:
        return [(r.card_id, r.kind, r.grade) for r in bank.review_log()]


def test_review_schedules_and_prints_the_new_state(bank_path: Path) -> None:
    code, out, err = run("review", TYPE_ID, "5")
    assert code == 0, err
    assert out == f"{TYPE_ID}: graded 5, next review 2026-11-28 (in 1 day, EF 2.6)\n"
    code, out, _ = run(
        "review", TYPE_ID[:6], "good", "--answer", "docker images", "--json", now="2026-11-28T09:00"
    )
    assert code == 0
    assert json.loads(out) == {
        "id": TYPE_ID,
        "grade": 4,
        "kind": "review",
        "state": {
            "due": "2026-12-04",
            "interval": 6,
            "ef": 2.6,
            "repetitions": 2,
            "lapses": 0,
            "suspended": False,
            "leech": False,
            "new": False,
        },
    }
    # same keys as `cards --json`
    _, cards_out, _ = run("cards", "--json", now="2026-11-28T09:00")
    card = next(c for c in json.loads(cards_out) if c["id"] == TYPE_ID)
    assert card["state"] == json.loads(out)["state"]
    with open_bank(str(bank_path), learner="tester") as bank:
        rows = list(bank.review_log(card_id=TYPE_ID))
    assert [(r.kind, r.grade, r.answer) for r in rows] == [("new", 5, None), ("review", 4, "docker images")]


def test_second_review_the_same_day_is_a_drill(bank_path: Path) -> None:
    run("review", WHY_ID, "2")
    code, out, _ = run("review", WHY_ID, "5")
    assert code == 0
    assert out == f"{WHY_ID}: graded 5 (re-drill; already reviewed today, schedule unchanged)\n"
    assert log(bank_path) == [(WHY_ID, "new", 2), (WHY_ID, "drill", 5)]
    with open_bank(str(bank_path), learner="tester") as bank:
        state = bank.state(WHY_ID)
    assert (state.repetitions, state.lapses, state.interval) == (0, 1, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", TYPE_ID, "6"], "Error: grade must be 0-5 (or again/hard/good/easy), not '6'\n"),
        (["review", "ffffffff", "4"], "Error: no card with id 'ffffffff'\n"),
        (["suspend", TYPE_ID, "nope"], "Error: no card with id 'nope'\n"),
        (["study", "Nope"], "Error: no deck named 'Nope' (decks: Kubernetes)\n"),
    ],
)
def test_user_mistakes_are_one_line_errors(bank_path: Path, args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert (code, out, err) == (1, "", message)
    assert log(bank_path) == []  # the bad suspend changed nothing, not even the good id


def test_bad_quizkit_now_is_an_error_not_a_traceback(bank_path: Path) -> None:
    code, _, err = run("review", TYPE_ID, "4", now="yesterday")
    assert (code, err) == (1, "Error: QUIZKIT_NOW is not an ISO-8601 date/time: 'yesterday'\n")


def test_due_counts_respect_the_day_start_and_daily_limits(bank_path: Path) -> None:
    code, out, _ = run("due", "--json")
    assert code == 0 and json.loads(out) == [{"deck": "Kubernetes", "due": 0, "new": 7}]
    # 03:30 on the 28th still belongs to study day 27: the card is due on the 28th.
    run("review", TYPE_ID, "4", now="2026-11-28T03:30:00")
    _, out, _ = run("due", "--json", now="2026-11-28T03:59:00")
    assert json.loads(out) == [{"deck": "Kubernetes", "due": 0, "new": 6}]
    _, out, _ = run("due", "--json", now="2026-11-28T04:00:00")
    assert json.loads(out) == [{"deck": "Kubernetes", "due": 1, "new": 6}]
    _, out, _ = run("due", "--json", "--day-start", "0", now="2026-11-28T03:59:00")
    assert json.loads(out) == [{"deck": "Kubernetes", "due": 1, "new": 6}]
    code, out, _ = run("due", now="2026-11-28T04:00:00")
    assert code == 0 and out.split() == ["Deck", "Due", "New", "Kubernetes", "1", "6"]


def test_due_uses_per_deck_new_limit(isolated_env: Path) -> None:
    build_bank(isolated_env, settings={"new_per_day": 2})
    run("review", TYPE_ID, "5")
    _, out, _ = run("due", "--json")
    assert json.loads(out) == [{"deck": "Kubernetes", "due": 0, "new": 1}]


def test_due_stays_off_the_heavy_imports(bank_path: Path) -> None:
    code = (
        "import sys; from quizkit.cli import main; sys.argv = ['quizkit', 'due']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "mods = ('rapidfuzz', 'genanki', 'rjieba', 'sqlalchemy.orm', 'alembic', 'quizkit.grading',"
        " 'quizkit.reports')\n"
        "import os\n"
        "if 'postgresql' not in os.environ.get('QUIZKIT_DB', ''):\n"
        "    mods += ('sqlalchemy',)  # a SQLite bank at the current schema is read with sqlite3\n"
        "heavy = [m for m in mods"
        " if m in sys.modules]\n"
        "print('heavy:', heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["Deck", "Due", "New", "Kubernetes", "0", "7", "heavy:", "[]"]


def test_leech_is_suspended_then_unsuspended(isolated_env: Path) -> None:
    build_bank(isolated_env, settings={"leech_threshold": 2})
    run("review", WHY_ID, "1", now="2026-11-27T09:00")
    code, out, _ = run("review", WHY_ID, "0", now="2026-11-28T09:00")
    assert out == f"{WHY_ID}: graded 0, next review 2026-11-29 (in 1 day, EF 2.5) — leech, suspended\n"
    _, out, _ = run("due", "--json", now="2026-11-29T09:00")
    assert json.loads(out) == [{"deck": "Kubernetes", "due": 0, "new": 6}]
    code, out, _ = run("unsuspend", WHY_ID, now="2026-11-29T09:00")
    assert (code, out) == (0, f"Unsuspended {WHY_ID}: Why use [imageName]?\n")
    _, out, _ = run("due", "--json", now="2026-11-29T09:00")
    assert json.loads(out) == [{"deck": "Kubernetes", "due": 1, "new": 6}]


def test_suspend_unsuspend_and_undo(bank_path: Path) -> None:
    code, out, _ = run("suspend", TYPE_ID, CLOZE_ID[:8])
    assert code == 0
    assert out == (
        f"Suspended {TYPE_ID}: 列出当前存储的所有镜像\n"
        f"Suspended {CLOZE_ID}: {{{{c1::VirtualBox}}}} runs on {{{{c2::Intel::chip}}}}\n"
    )
    _, out, _ = run("suspend", TYPE_ID)
    assert out == f"Suspended {TYPE_ID} (already suspended): 列出当前存储的所有镜像\n"
    _, out, _ = run("due", "--json")
    assert json.loads(out)[0]["new"] == 5
    code, out, _ = run("undo")
    assert (code, out) == (
        0,
        f"Undid suspend of {CLOZE_ID}: {{{{c1::VirtualBox}}}} runs on {{{{c2::Intel::chip}}}}\n",
    )
    _, out, _ = run("unsuspend", TYPE_ID, "--json")
    assert [(c["id"], c["state"]["suspended"]) for c in json.loads(out)] == [(TYPE_ID, False)]
    run("review", OPT_A_ID, "3")
    code, out, _ = run("undo", "--json")
    data = json.loads(out)
    assert (data["id"], data["kind"], data["grade"], data["state"]["new"]) == (OPT_A_ID, "new", 3, True)
    run("undo")  # the unsuspend
    run("undo")  # the first suspension
    code, out, _ = run("undo")
    assert (code, out) == (0, "Nothing to undo.\n")


def test_quiz_scores_without_touching_the_schedule(bank_path: Path) -> None:
    # Two questions, seed fixed: answer both by blanking/overriding grades.
    code, out, _ = run("quiz", "-n", "2", "--seed", "1", input="\n0\n\n5\n")
    assert code == 0, out
    assert out.rstrip().endswith("Score: 1/2 (50%)")
    assert log(bank_path) == []
    code, out, _ = run("quiz", "-n", "2", "--seed", "1", "--record", input="\n0\n\n5\n")
    assert out.rstrip().endswith("Score: 1/2 (50%)")
    assert [(kind, grade) for _, kind, grade in log(bank_path)] == [("new", 0), ("new", 5)]


def test_quiz_quits_on_q_and_end_of_input(bank_path: Path) -> None:
    code, out, _ = run("quiz", "-n", "3", "--seed", "1", input="q\n")
    assert code == 0 and out.rstrip().endswith("Score: 0/3 (0%), 0 answered")
    code, out, _ = run("quiz", "-n", "3", "--seed", "1", input="")
    assert code == 0 and "0 answered" in out


def test_quiz_on_an_empty_bank_is_an_error(isolated_env: Path) -> None:
    code, _, err = run("quiz")
    assert (code, err) == (1, "Error: no cards to quiz\n")


def test_plain_tables_align_wide_characters(capsys: pytest.CaptureFixture[str]) -> None:
    from quizkit.commands._common import print_table

    print_table(("Deck", "Due", "New"), [("容器", "3", "20"), ("Kubernetes", "12", "0")])
    lines = capsys.readouterr().out.splitlines()
    assert lines == [" Deck        Due  New", " 容器        3    20", " Kubernetes  12   0"]


def test_a_damaged_bank_read_by_due_is_a_one_line_database_error(tmp_path: Path) -> None:
    """due's sqlite3 read path reports a broken bank like the SQLAlchemy path: one line, exit 1."""
    import sqlite3

    db = tmp_path / "b.sqlite3"
    build_bank(db)
    con = sqlite3.connect(db)
    con.execute("DROP TABLE new_card_cursors")  # the schema says 0003, the table is gone
    con.commit()
    con.close()
    result = CliRunner().invoke(cli, ["due", "--db", str(db)], env={"QUIZKIT_NOW": NOON})
    assert result.exit_code == 1
    assert result.output.strip() == "Error: database error: no such table: new_card_cursors"
