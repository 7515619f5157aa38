"""Crash safety and concurrency of the bank: SIGKILL mid-write, two writers at once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizkit.cli import cli
from quizkit.errors import QuizkitError
from quizkit.storage.bank import open_bank

NOW_DT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

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


# -- bad input never crashes -------------------------------------------------------------------

_texty = st.lists(
    st.sampled_from(
        list("QACT:：-[]x {}c1:：\n#`*=\"'id tags hint 问题答案镜像") + ["{{c1::", "}}", "- [x] ", "- [ ] "]
    ),
    max_size=120,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(_texty, st.text(max_size=200)))
def test_fuzz_authored_card_parser_raises_only_quizkit_errors(text: str) -> None:
    from quizkit.authoring.cards import parse_cards

    try:
        parse_cards(text, source_file="cards.md")
    except QuizkitError:
        pass


_toml_lines = st.lists(
    st.sampled_from(
        [
            'id = "k8s"',
            'name = "K"',
            "chapters = []",
            'chapters = ["a.md"]',
            "chapters = 3",
            "[lint]",
            'warn = ["missing-image"]',
            "new_cards_per_day = -1",
            "new_cards_per_day = 'x'",
            "anki_id = 1.5",
            'scheduler = "fsrs"',
            "= broken",
            "[[x]]",
            'tags = ["a b"]',
            "id = 7",
            "",
        ]
    ),
    max_size=8,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=_toml_lines, raw=st.binary(max_size=40), use_raw=st.booleans())
def test_fuzz_deck_toml_loader_raises_only_quizkit_errors(
    tmp_path: Path, lines: list[str], raw: bytes, use_raw: bool
) -> None:
    from quizkit.authoring.deckdir import compile_deck, load_deck

    deck = tmp_path / "deck"
    deck.mkdir(exist_ok=True)
    (deck / "a.md").write_text("# A\n\n```bash\ndocker ps # list\n```\n", encoding="utf-8")
    (deck / "deck.toml").write_bytes(raw if use_raw else "\n".join(lines).encode("utf-8"))
    try:
        compile_deck(load_deck(deck))
    except QuizkitError:
        pass


# -- every bad invocation is one line and a non-zero exit --------------------------------------


def _bad_invocations(tmp: Path) -> list[tuple[list[str], str]]:
    chapter = tmp / "ok.md"
    chapter.write_text("# T\n\n```bash\ndocker ps # 列出容器\n```\n", encoding="utf-8")
    latin = tmp / "latin.md"
    latin.write_bytes("# T\n\ncaf\xe9\n".encode("latin-1"))
    corrupt = tmp / "corrupt.sqlite3"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    dangling = tmp / "dangling.md"
    dangling.symlink_to(tmp / "nowhere.md")
    return [
        (["show", "ffffffffffff"], "Error: no card with id 'ffffffffffff'"),
        (["review", "ffffffffffff", "4"], "Error: no card with id 'ffffffffffff'"),
        (["review", "{card}", "6"], "Error: "),
        (["cards", "--deck", "Nope"], "Error: no deck named 'Nope'"),
        (["decks", "--db", "notadriver://x"], "Error: "),
        (["decks", "--db", str(tmp)], f"Error: {tmp}: is a directory, not a database file"),
        (["decks", "--db", str(corrupt)], "Error: "),
        (["compile", str(dangling)], f"Error: {dangling}: "),
        (["compile", str(tmp / "missing.md")], f"Error: {tmp / 'missing.md'}: no such file"),
        (["compile", str(latin)], f"Error: {latin}:3: not valid UTF-8"),
        (["export", "Nope", "-o", str(tmp / "x.apkg")], "Error: no deck named 'Nope'"),
        (["lint", str(tmp / "missing")], "Error: "),
        (["preview", str(latin)], f"Error: {latin}:3: not valid UTF-8"),
        (["import", str(chapter)], "Error: "),
    ]


def test_bad_invocations_are_one_line_errors(tmp_path: Path, isolated_env: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["compile", str(_chapter(tmp_path)), "--deck", "D"])
    assert first.exit_code == 0, first.output
    card = json.loads(runner.invoke(cli, ["cards", "--json"]).stdout)[0]["id"]
    bank_before = isolated_env.read_bytes()
    for args, message in _bad_invocations(tmp_path):
        args = [a.replace("{card}", card) for a in args]
        result = runner.invoke(cli, args)
        assert result.exit_code != 0, (args, result.output)
        assert "Traceback" not in result.output, (args, result.output)
        assert result.stderr.startswith(message), (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
    assert isolated_env.read_bytes() == bank_before  # no bad invocation changed the bank


def _chapter(tmp: Path) -> Path:
    path = tmp / "good.md"
    path.write_text("# T\n\n```bash\ndocker ps # 列出容器\ndocker images # 列出镜像\n```\n", encoding="utf-8")
    return path


# -- two study sessions at once ------------------------------------------------------------------


def test_two_study_sessions_at_once_record_every_answer_once(tmp_path: Path) -> None:
    from quizkit.model import CardKind, CardSpec, CardStyle, DeckInfo

    db = tmp_path / "bank.sqlite3"
    specs = [
        CardSpec(
            kind=CardKind.CONCEPT,
            style=CardStyle.BASIC,
            front=f"Q{i}",
            back=f"A{i}",
            fact=f"concept:{i}",
            section=("S",),
            source_file="c.md",
            source_line=i + 1,
        )
        for i in range(15)
    ]
    with open_bank(str(db), learner="ann") as bank:
        bank.sync_deck(DeckInfo(key="d", name="D"), specs, now=NOW_DT)
    answers = "".join("\n4\n" for _ in specs) + "q\n"
    env = {**os.environ, "QUIZKIT_DB": str(db), "QUIZKIT_NOW": "2026-11-27T12:00:00"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "quizkit", "study", "--new", "15"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "QUIZKIT_LEARNER": name},
        )
        for name in ("ann", "bob")
    ]
    outs = [p.communicate(answers, timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "Reviewed 15 (15 new, 0 reviews)" in out
    con = sqlite3.connect(db)
    assert con.execute("select learner, count(*) from reviews group by 1 order by 1").fetchall() == [
        ("ann", 15),
        ("bob", 15),
    ]
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
