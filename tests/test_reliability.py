"""Crash safety and concurrency of the bank: SIGKILL mid-write, two writers at once."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from quizkit.storage.bank import open_bank

SCRIPT_HEAD = """
import os, signal, sys
from datetime import UTC, datetime
from quizkit.model import CardKind, CardSpec, CardStyle, DeckInfo
from quizkit.storage.bank import open_bank

def specs(n, tag):
    return [CardSpec(kind=CardKind.COMMAND, style=CardStyle.BASIC, front=f"cmd{i}", back=f"{tag} {i}",
                     fact=f"command:cmd{i}:meaning", section=("S",), source_file="c.md", source_line=i + 1)
            for i in range(n)]

bank = open_bank(sys.argv[1], learner="ann")
deck = DeckInfo(key="big", name="Big")
now = datetime(2026, 11, 27, tzinfo=UTC)
"""


def _python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT_HEAD) + textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _integrity(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def test_compile_killed_half_way_leaves_the_previous_bank(tmp_path: Path) -> None:
    db = tmp_path / "bank.sqlite3"
    first = _python("print(bank.sync_deck(deck, specs(3000, 'v1'), now=now).counts())", str(db))
    assert first.returncode == 0, first.stderr
    # The second compile rewrites every card and adds 2000, then dies by SIGKILL before committing:
    # the progress callback runs once all rows are written, inside the transaction.
    killed = _python(
        """
        seen = 0
        def progress(n):
            global seen
            seen += n
            if seen >= 5000:
                os.kill(os.getpid(), signal.SIGKILL)
        bank.sync_deck(deck, specs(5000, 'v2'), now=now, progress=progress)
        print("not reached")
        """,
        str(db),
    )
    assert killed.returncode == -signal.SIGKILL
    assert "not reached" not in killed.stdout
    assert _integrity(db) == "ok"
    bank = open_bank(str(db), learner="ann")
    views = list(bank.iter_cards())
    assert len(views) == 3000
    assert {v.spec.back.split()[0] for v in views} == {"v1"}
    bank.close()


def test_reviews_committed_before_a_kill_survive(tmp_path: Path) -> None:
    db = tmp_path / "bank.sqlite3"
    setup = _python("bank.sync_deck(deck, specs(50, 'v1'), now=now)", str(db))
    assert setup.returncode == 0, setup.stderr
    killed = _python(
        """
        from datetime import date, timedelta
        from quizkit.model import CardState
        for i, view in enumerate(bank.new_cards()):
            after = CardState(due=date(2026, 11, 28), interval=1, ef=2600, repetitions=1, last_review=now)
            bank.record_review(view.id, before=view.state, after=after, grade=5, kind="new",
                               reviewed_at=now, study_day=date(2026, 11, 27))
            print(view.id, flush=True)
            if i == 16:
                os.kill(os.getpid(), signal.SIGKILL)
        """,
        str(db),
    )
    assert killed.returncode == -signal.SIGKILL
    answered = killed.stdout.split()
    assert len(answered) == 17
    assert _integrity(db) == "ok"
    bank = open_bank(str(db), learner="ann")
    logged = [r.card_id for r in bank.review_log()]
    assert logged == answered
    assert all(not bank.get_card(cid).state.is_new for cid in answered)
    bank.close()


def test_two_processes_reviewing_at_once_record_everything_once(tmp_path: Path) -> None:
    db = tmp_path / "bank.sqlite3"
    setup = _python("bank.sync_deck(deck, specs(200, 'v1'), now=now)", str(db))
    assert setup.returncode == 0, setup.stderr
    worker = textwrap.dedent(SCRIPT_HEAD) + textwrap.dedent(
        """
        from datetime import date
        from quizkit.model import CardState
        bank.learner = sys.argv[2]
        views = list(bank.iter_cards())
        part = views[int(sys.argv[3])::2]
        for view in part:
            after = CardState(due=date(2026, 11, 28), interval=1, ef=2600, repetitions=1, last_review=now)
            bank.record_review(view.id, before=view.state, after=after, grade=4, kind="new",
                               reviewed_at=now, study_day=date(2026, 11, 27))
        print(len(part))
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", worker, str(db), learner, half], stdout=subprocess.PIPE, text=True
        )
        for learner in ("ann", "bob")
        for half in ("0", "1")
    ]
    counts = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert counts == [100, 100, 100, 100]
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from reviews").fetchone() == (400,)
    assert con.execute(
        "select count(*) from (select card_id, learner from reviews group by 1, 2 having count(*) > 1)"
    ).fetchone() == (0,)
    assert con.execute("select learner, count(*) from card_states group by 1 order by 1").fetchall() == [
        ("ann", 200),
        ("bob", 200),
    ]
    con.close()
    assert _integrity(db) == "ok"
