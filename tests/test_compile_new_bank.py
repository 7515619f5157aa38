"""Compiling into a new bank: chapters stored while others compile; the bank appears whole.

The bank is built under ``<bank>.partial-<pid>`` and linked to its name once
committed (quizkit/storage/staging.py); anything that goes wrong leaves no bank.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.cli import cli
from quizkit.compiler import compile_path
from quizkit.errors import DeckError
from quizkit.model import DeckInfo
from quizkit.storage import staging
from quizkit.storage.bank import open_bank
from quizkit.storage.rows import card_rows

NOW = "2026-11-27T10:00:00+00:00"
FIXTURES = Path(__file__).parent / "fixtures" / "chapters"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"QUIZKIT_NOW": NOW, **(env or {})})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def _folder(tmp_path: Path, n: int = 70) -> Path:
    """``n`` chapters (enough for worker processes), every heading numbered per copy."""
    sources = sorted(FIXTURES.glob("*.md"))
    folder = tmp_path / "notes"
    for i in range(n):
        dest = folder / f"part{i // 10}" / f"ch{i:02d}.md"
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = sources[i % len(sources)].read_text(encoding="utf-8")
        text = re.sub(r"(?m)^(\S.*)\n(=+|-+)$", rf"\1 {i}\n\2", text)  # setext headings
        dest.write_text(re.sub(r"(?m)^(#{1,6} .*)$", rf"\1 {i}", text), encoding="utf-8")
    return folder


def _rows(bank: Path, table: str, order: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(bank)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    finally:
        con.close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name)


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", "2")


def test_a_new_bank_holds_what_a_compile_into_an_existing_bank_stores(
    tmp_path: Path, workers: None
) -> None:
    folder = _folder(tmp_path)
    new, old = tmp_path / "new.sqlite3", tmp_path / "old.sqlite3"
    open_bank(str(old), learner="ann").close()  # exists (empty): the classic path
    for bank in (new, old):
        code, out, err = run("compile", str(folder), "-d", "Notes", "--json", env={"QUIZKIT_DB": str(bank)})
        assert code == 0, err
        assert json.loads(out)[0]["added"] > 1000
    assert _rows(new, "cards", "position") == _rows(old, "cards", "position")
    assert _rows(new, "decks", "id") == _rows(old, "decks", "id")
    assert _leftovers(tmp_path) == []
    with open_bank(str(new), learner="ann") as bank:  # quizkit's own pragmas: WAL again
        with bank.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert [s.name for s in bank.deck_summaries(_now().date())] == ["Notes"]
    assert _rows(new, "alembic_version", "version_num") == _rows(old, "alembic_version", "version_num")
    # A second compile goes into the existing bank and changes nothing.
    code, out, err = run("compile", str(folder), "--deck", "Notes", "--json", env={"QUIZKIT_DB": str(new)})
    assert code == 0, err
    assert json.loads(out)[0]["added"] == 0 and json.loads(out)[0]["unchanged"] > 1000


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failed_compile_leaves_no_bank_and_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", jobs)
    folder = _folder(tmp_path)
    (folder / "part6" / "ch65.md").write_text("# X\n\n```bash\ndocker ps\n", encoding="utf-8")
    bank = tmp_path / "made" / "for" / "it" / "bank.sqlite3"
    code, out, err = run("compile", str(folder), "--deck", "Notes", env={"QUIZKIT_DB": str(bank)})
    assert code == 1
    assert err.strip().splitlines()[-1].endswith("ch65.md:3: unterminated code fence '```'"), err
    assert not (tmp_path / "made").exists()  # not the bank, not its partial file, not its folders


def test_a_duplicate_fact_found_while_storing_leaves_no_bank(tmp_path: Path, workers: None) -> None:
    folder = _folder(tmp_path)
    # The same chapter twice under the same headings: its cards collide with the first copy's.
    (folder / "part5" / "ch51.md").write_text((folder / "part0" / "ch01.md").read_text("utf-8"), "utf-8")
    bank = tmp_path / "bank.sqlite3"
    code, out, err = run("compile", str(folder), "--deck", "Notes", env={"QUIZKIT_DB": str(bank)})
    assert code == 1
    assert "two cards test the same fact" in err and "ch51.md" in err and "(first at " in err
    assert len(err.strip().splitlines()) == 1 + err.count("warning")  # one error line
    assert not bank.exists() and _leftovers(tmp_path) == []


def test_a_bank_another_process_created_meanwhile_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: None
) -> None:
    folder = _folder(tmp_path)
    bank = tmp_path / "bank.sqlite3"
    real = staging.NewBank.publish

    def someone_else_first(self: staging.NewBank) -> None:
        with open_bank(str(self.final), learner="bob") as other:
            other.sync_deck(DeckInfo(key="theirs", name="Theirs"), [], now=_now())
        real(self)

    monkeypatch.setattr(staging.NewBank, "publish", someone_else_first)
    code, out, err = run("compile", str(folder), "--deck", "Notes", env={"QUIZKIT_DB": str(bank)})
    assert code == 1
    assert "another process created this bank during the compile" in err
    assert [r[1] for r in _rows(bank, "decks", "id")] == ["theirs"]
    assert _rows(bank, "cards", "id") == []
    assert _leftovers(tmp_path) == []


def test_without_hard_links_the_bank_is_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: None
) -> None:
    folder = _folder(tmp_path)
    bank = tmp_path / "bank.sqlite3"

    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(staging.os, "link", no_links)
    code, out, err = run("compile", str(folder), "--deck", "Notes", "--json", env={"QUIZKIT_DB": str(bank)})
    assert code == 0, err
    assert json.loads(out)[0]["added"] == len(_rows(bank, "cards", "id")) > 1000
    assert _leftovers(tmp_path) == []


def test_a_compile_killed_while_storing_leaves_no_bank(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    bank = tmp_path / "bank.sqlite3"
    script = f"""
        import os, signal
        from datetime import UTC, datetime
        from pathlib import Path
        from quizkit.loader import compile_into_new_bank
        stored = 0
        def progress(n):
            global stored
            stored += n
            if stored > 500:
                os.kill(os.getpid(), signal.SIGKILL)
        compile_into_new_bank([Path({str(folder)!r})], deck="Notes", target={str(bank)!r}, learner="ann",
                              now=datetime(2026, 11, 27, tzinfo=UTC), progress=progress)
        print("not reached")
    """
    env = {**os.environ, "QUIZKIT_COMPILE_JOBS": "2"}
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120, env=env
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not bank.exists()  # only a partial file, which no quizkit command ever opens
    left = [tmp_path / name for name in _leftovers(tmp_path)]
    assert left
    # The next compile into that bank removes it once it is clearly abandoned.
    code, out, err = run("compile", str(folder), "-d", "Notes", env={"QUIZKIT_DB": str(bank)})
    assert code == 0, err
    assert _leftovers(tmp_path) == [p.name for p in left]  # still fresh: it could be a live compile
    bank.unlink()
    old = time.time() - staging.ABANDONED_AFTER - 60
    for path in left:
        os.utime(path, (old, old))
    code, out, err = run("compile", str(folder), "-d", "Notes", env={"QUIZKIT_DB": str(bank)})
    assert code == 0, err
    assert bank.exists() and _leftovers(tmp_path) == []


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_only_abandoned_partial_files_are_removed(tmp_path: Path) -> None:
    final = tmp_path / "bank.sqlite3"
    now = time.time()
    old = now - staging.ABANDONED_AFTER - 1
    dead, alive = _dead_pid(), os.getppid()
    files = {
        "dead-old": (f"bank.sqlite3.partial-{dead}", old),
        "dead-old-side": (f"bank.sqlite3.partial-{dead}-journal", old),
        "dead-fresh": (f"bank.sqlite3.partial-{dead + 1_000_000}", now),
        "alive-old": (f"bank.sqlite3.partial-{alive}", old),
        "not-a-pid": ("bank.sqlite3.partial-x", old),
        "other-bank": (f"other.sqlite3.partial-{dead}", old),
    }
    for name, mtime in files.values():
        (tmp_path / name).write_bytes(b"")
        os.utime(tmp_path / name, (mtime, mtime))
    os.utime(tmp_path / files["dead-fresh"][0], (now, now))
    removed = staging.remove_abandoned(final, now=now)
    assert removed == [tmp_path / files["dead-old"][0]]
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted(name for key, (name, _) in files.items() if not key.startswith("dead-old"))


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 11, 27, 10, tzinfo=UTC)


def _specs(tmp_path: Path) -> list[object]:
    return [card for result in compile_path(_folder(tmp_path, 6)) for card in result.cards]


def test_storing_in_batches_equals_storing_at_once(tmp_path: Path) -> None:
    specs = _specs(tmp_path)
    info = DeckInfo(key="notes", name="Notes")
    rows = card_rows(specs, info.key)  # type: ignore[arg-type]
    whole, batched = tmp_path / "whole.sqlite3", tmp_path / "batched.sqlite3"
    # A first compile, then a recompile that edits, moves, drops and adds cards.
    edited = [replace(c, back=c.back + " (edited)") if i % 7 == 0 else c for i, c in enumerate(specs)]
    second = list(reversed(card_rows(edited, info.key)[10:])) + rows[:3]  # type: ignore[arg-type]
    reports = {}
    for path, step in ((whole, None), (batched, 5)):
        with open_bank(str(path), learner="ann") as bank:
            for n, batch in enumerate((rows, second)):
                now = _now().replace(hour=10 + n)
                if step is None:
                    report = bank.sync_rows(info, batch, now=now)
                else:
                    with bank.syncing(info, now=now) as sync:
                        for i in range(0, len(batch), step):
                            sync.add(batch[i : i + step])
                    report = sync.report
                reports.setdefault(path, []).append(report)
    assert reports[whole] == reports[batched]
    assert reports[whole][1].updated and reports[whole][1].retired and reports[whole][1].unchanged
    assert _rows(whole, "cards", "id") == _rows(batched, "cards", "id")


def test_a_duplicate_in_a_later_batch_names_the_first_one(tmp_path: Path) -> None:
    rows = card_rows(_specs(tmp_path), "notes")  # type: ignore[arg-type]
    with open_bank(str(tmp_path / "b.sqlite3"), learner="ann") as bank:
        with pytest.raises(DeckError, match=rf"first at {re.escape(str(rows[3][7]))}:{rows[3][8]}\)"):
            with bank.syncing(DeckInfo(key="notes", name="Notes"), now=_now()) as sync:
                sync.add(rows[:10])
                sync.add(rows[10:20] + [rows[3]])
        assert bank.deck_summaries(_now().date()) == []  # rolled back: not even the deck


def test_on_ready_gets_every_chapter_in_order_and_can_stop_the_compile(
    tmp_path: Path, workers: None
) -> None:
    folder = _folder(tmp_path)
    whole = [r.path for r in compile_path(folder)]
    seen: list[str] = []
    assert compile_path(folder, lambda r: r.path, on_ready=seen.append) == []
    assert seen == whole

    class Stop(Exception):
        pass

    def stop_at_ten(path: str) -> None:
        seen.append(path)
        if len(seen) == 10:
            raise Stop

    seen.clear()
    before = _children()
    with pytest.raises(Stop):
        compile_path(folder, lambda r: r.path, on_ready=stop_at_ten)
    assert seen == whole[:10]
    assert _children() == before  # no worker left behind, not even a zombie


def _children() -> set[int]:
    """Processes whose parent is this one (Linux /proc)."""
    mine = os.getpid()
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == mine:
            found.add(int(stat.parent.name))
    return found


def test_a_bank_that_cannot_be_created_is_named_as_the_user_named_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quizkit.storage.bank as bank_module
    from quizkit.errors import DatabaseError

    def refuse(target: str, **kwargs: object) -> object:
        raise DatabaseError(f"{target}: cannot open database: unable to open database file")

    monkeypatch.setattr(bank_module, "open_bank", refuse)
    bank = tmp_path / "bank.sqlite3"
    chapter_file = str(FIXTURES / "zh-nginx-notes.md")
    code, out, err = run("compile", chapter_file, "-d", "N", env={"QUIZKIT_DB": str(bank)})
    assert code == 1
    assert err.strip() == f"Error: {bank}: cannot open database: unable to open database file"
    assert not bank.exists() and _leftovers(tmp_path) == []
