"""``quizkit study`` in a pseudo-terminal (pexpect): three answers, quit, the database; a killed session."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pexpect

from quizkit.storage.bank import open_bank
from tests.study_helpers import OPT_A_ID, TYPE_ID, WHY_ID, build_bank

QUIZKIT = str(Path(sys.executable).with_name("quizkit"))


def spawn(db: Path) -> pexpect.spawn:
    env = {
        **os.environ,
        "QUIZKIT_DB": str(db),
        "QUIZKIT_LEARNER": "tester",
        "QUIZKIT_NOW": "2026-11-27T12:00:00",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    return pexpect.spawn(
        QUIZKIT, ["study", "--seed", "1"], env=env, encoding="utf-8", timeout=30, dimensions=(40, 200)
    )


def log(db: Path) -> list[tuple[str, str, int | None]]:
    with open_bank(str(db), learner="tester") as bank:
        return [(r.card_id, r.kind, r.grade) for r in bank.review_log()]


def test_study_three_cards_then_quit(tmp_path: Path) -> None:
    db = tmp_path / "pty.sqlite3"
    build_bank(db)
    child = spawn(db)
    child.expect_exact("Studying: 0 reviews, 7 new, 0 to drill again.")
    # 1: typed command, with the placeholder-free alias; accept the suggested grade
    child.expect_exact("列出当前存储的所有镜像")
    child.expect_exact("Command> ")
    child.sendline("docker image ls")
    child.expect_exact("Suggested grade: 5 (correct)")
    child.expect_exact("> ")
    child.sendline("")
    # 2: option card as multiple choice; find the right number on screen
    child.expect_exact("所有容器")
    child.expect(r"(\d)\. docker ps -a\r?\n")
    number = child.match.group(1)
    child.expect_exact("Choice> ")
    child.sendline(number)
    child.expect_exact("Suggested grade: 4 (correct)")
    child.expect_exact("> ")
    child.sendline("")
    # 3: concept card, revealed then self-graded "easy"; the [imageName] text prints literally
    child.expect_exact("Why use [imageName]?")
    child.expect_exact("(Enter to reveal)> ")
    child.sendline("")
    child.expect_exact("Answer: Because [tags] matter")
    child.expect_exact("> ")
    child.sendline("e")
    # 4: the cloze card, blanked with its hint; quit instead of answering
    child.expect_exact("[...] runs on [chip]")
    child.expect_exact("Fill in (Enter to reveal)> ")
    child.sendline("q")
    child.expect_exact("Reviewed 3 (3 new, 0 reviews), 0 re-drills, 100% correct")
    child.expect_exact("Next due: 2026-11-28 (tomorrow)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert log(db) == [(TYPE_ID, "new", 5), (OPT_A_ID, "new", 4), (WHY_ID, "new", 5)]
    with open_bank(str(db), learner="tester") as bank:
        assert [bank.state(c).ef for c in (TYPE_ID, OPT_A_ID, WHY_ID)] == [2600, 2500, 2600]


def test_a_killed_session_keeps_every_answer_given(tmp_path: Path) -> None:
    db = tmp_path / "killed.sqlite3"
    build_bank(db)
    child = spawn(db)
    child.expect_exact("Command> ")
    child.sendline("docker images")
    child.expect_exact("> ")
    child.sendline("3")
    child.expect_exact("Choice> ")  # the next card is on screen: the answer was committed before it
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == signal.SIGKILL
    assert log(db) == [(TYPE_ID, "new", 3)]
    with open_bank(str(db), learner="tester") as bank:
        assert bank.state(TYPE_ID).repetitions == 1
