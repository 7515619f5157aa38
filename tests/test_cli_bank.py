"""CLI: compile / decks / cards / show / db, the JSON contract and bad input."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.cli import cli
from tests.conftest import SEED

NOW = {"QUIZKIT_NOW": "2026-11-27T10:00:00+00:00"}


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={**NOW, **(env or {})})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def chapter(tmp_path: Path) -> Path:
    path = tmp_path / "notes" / "docker.md"
    path.parent.mkdir()
    path.write_text(
        "# Docker\n\n## 命令\n\n```bash\n"
        "docker ps  # 列出当前系统里运行的容器\n"
        "docker pull [imageName]:tag # 从外部镜像仓库拉取镜像\n"
        "docker images  # 列出当前存储的所有镜像\n"
        "docker image ls\n"
        "```\n",
        encoding="utf-8",
    )
    return path


def test_compile_then_recompile_reports_counts(chapter: Path) -> None:
    code, out, err = run("compile", str(chapter), "--deck", "Docker")
    assert code == 0, err
    assert out == "Docker: 6 cards — 6 added, 0 updated, 0 unchanged, 0 retired\n"
    code, out, _ = run("compile", str(chapter), "--deck", "Docker")
    assert out == "Docker: 6 cards — 0 added, 0 updated, 6 unchanged, 0 retired\n"


def test_edit_and_delete_keep_ids_and_retire(chapter: Path) -> None:
    run("compile", str(chapter), "--deck", "Docker")
    _, out, _ = run("cards", "--json")
    before = {c["fact"]: c["id"] for c in json.loads(out)}

    text = chapter.read_text(encoding="utf-8")
    text = text.replace("列出当前系统里运行的容器", "列出正在运行的容器")
    text = text.replace("docker pull [imageName]:tag # 从外部镜像仓库拉取镜像\n", "")
    chapter.write_text(text, encoding="utf-8")
    code, out, _ = run("compile", str(chapter), "--deck", "Docker", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"deck": "Docker", "added": 0, "updated": 2, "unchanged": 2, "retired": 2, "revived": 0}
    ]
    _, out, _ = run("cards", "--json")
    after = {c["fact"]: c for c in json.loads(out)}
    assert len(after) == 4
    for fact, card in after.items():
        assert before[fact] == card["id"]
    ps = next(c for c in after.values() if c["front"] == "docker ps")
    assert ps["back"] == "列出正在运行的容器"
    _, out, _ = run("cards", "--json", "--retired")
    assert len(json.loads(out)) == 6


def test_cards_json_contract(chapter: Path) -> None:
    run("compile", str(chapter), "--deck", "Docker")
    code, out, _ = run("cards", "--deck", "Docker", "--kind", "command", "--json")
    assert code == 0
    cards = json.loads(out)
    assert cards
    for card in cards:
        assert {"id", "deck", "kind", "front", "back", "section", "source", "tags", "state"} <= set(card)
        assert card["deck"] == "Docker" and card["kind"] == "command"
        assert card["source"].startswith(str(chapter) + ":")
        assert card["section"] == ["Docker", "命令"]
        state = card["state"]
        assert state == {
            "due": "2026-11-27",
            "interval": 0,
            "ef": 2.5,
            "repetitions": 0,
            "lapses": 0,
            "suspended": False,
            "leech": False,
            "new": True,
        }
    images = next(c for c in cards if c["style"] == "type" and c["back"] == "docker images")
    assert images["aliases"] == ["docker image ls"]


def test_seed_compiles_into_all_kinds() -> None:
    code, out, err = run("compile", str(SEED), "--deck", "Kubernetes")
    assert code == 0
    assert out.startswith("Kubernetes: ")
    assert "warning: image not found: ../picture/c.png" in err
    _, out, _ = run("decks", "--json")
    (deck,) = json.loads(out)
    assert set(deck["by_kind"]) == {"command", "option", "concept", "architecture"}
    assert deck["new"] == deck["cards"] > 50


def test_decks_table_is_plain_when_piped(chapter: Path) -> None:
    run("compile", str(chapter), "--deck", "Docker")
    code, out, _ = run("decks")
    assert code == 0
    assert "Docker" in out and "\x1b[" not in out
    assert out.splitlines()[0].split() == ["Deck", "Cards", "Kinds", "New", "Due", "Suspended", "Retired"]


def test_show_card_and_prefix(chapter: Path) -> None:
    run("compile", str(chapter), "--deck", "Docker")
    _, out, _ = run("cards", "--json", "--kind", "command")
    cid = json.loads(out)[0]["id"]
    code, out, _ = run("show", cid[:6], "--json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == cid and data["reviews"] == []
    code, out, _ = run("show", cid)
    assert code == 0 and cid in out


def test_markup_in_card_text_is_printed_literally(chapter: Path) -> None:
    run("compile", str(chapter), "--deck", "Docker")
    code, out, _ = run("cards", "--deck", "Docker")
    assert code == 0
    assert "[imageName]" in out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.md", "{p}: no such file"),
        (lambda d: _mkdir(d / "empty-dir"), "{p}: no Markdown chapters (*.md, *.markdown) in directory"),
        (
            lambda d: _write(d / "latin1.md", "# Titre\n\ncaf\xe9\n".encode("latin-1")),
            "{p}:3: not valid UTF-8 (byte 0xe9)",
        ),
        (
            lambda d: _write(d / "binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00"),
            "{p}:3: binary file (NUL byte), not a Markdown chapter",
        ),
        (
            lambda d: _write(d / "fence.md", b"# T\n\ntext\n\n```bash\ndocker ps # x\n"),
            "{p}:5: unterminated code fence",
        ),
    ],
)
def test_bad_chapters_give_one_line_and_write_nothing(
    tmp_path: Path, make, message: str, isolated_env: Path
) -> None:
    path = make(tmp_path)
    code, out, err = run("compile", str(path), "--deck", "X")
    assert code == 1
    assert err.startswith("Error: " + message.format(p=path)), err
    assert len(err.strip().splitlines()) == 1
    assert not isolated_env.exists()  # nothing written: the bank was not even created


def test_empty_chapter_warns(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.md", b"")
    code, out, err = run("compile", str(path), "--deck", "X")
    assert code == 0
    assert "warning" in err
    assert out == "X: 0 cards — 0 added, 0 updated, 0 unchanged, 0 retired\n"


def test_bad_databases(tmp_path: Path, chapter: Path) -> None:
    notdb = _write(tmp_path / "notes.sqlite3", b"hello, not a database")
    code, _, err = run("decks", "--db", str(notdb))
    assert (code, err) == (1, f"Error: {notdb}: not a SQLite database (nothing was changed)\n")
    assert notdb.read_bytes() == b"hello, not a database"

    newer = tmp_path / "newer.sqlite3"
    run("decks", "--db", str(newer))
    con = sqlite3.connect(newer)
    con.execute("update alembic_version set version_num = 'ffff'")
    con.commit()
    con.close()
    code, _, err = run("compile", str(chapter), "--db", str(newer))
    assert code == 1
    assert "written by a newer quizkit (schema ffff)" in err

    code, _, err = run("decks", "--db", str(tmp_path))
    assert (code, err) == (1, f"Error: {tmp_path}: is a directory, not a database file\n")
    code, _, err = run("decks", "--db", "nosuchdriver://x/y")
    assert code == 1 and err.startswith("Error: ") and len(err.splitlines()) == 1


def test_unknown_deck_and_card(chapter: Path) -> None:
    run("compile", str(chapter), "--deck", "Docker")
    code, _, err = run("cards", "--deck", "Nope")
    assert (code, err) == (1, "Error: no deck named 'Nope' (decks: Docker)\n")
    code, _, err = run("show", "0000ffff")
    assert (code, err) == (1, "Error: no card with id '0000ffff'\n")


def test_quizkit_db_env_and_db_option(tmp_path: Path, chapter: Path) -> None:
    other = tmp_path / "other.sqlite3"
    run("compile", str(chapter), "--deck", "Docker", "--db", str(other))
    _, out, _ = run("decks", "--json", env={"QUIZKIT_DB": str(other)})
    assert [d["name"] for d in json.loads(out)] == ["Docker"]
    _, out, _ = run("decks", "--json")
    assert json.loads(out) == []


def test_db_info_and_backup(tmp_path: Path, chapter: Path, isolated_env: Path) -> None:
    run("compile", str(chapter), "--deck", "Docker")
    code, out, _ = run("db", "info", "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["schema"], info["decks"], info["cards"], info["learner"]) == ("0003", 1, 6, "tester")
    dest = tmp_path / "copy.sqlite3"
    code, out, _ = run("db", "backup", "-o", str(dest))
    assert (code, out) == (0, f"Backed up to {dest}\n")
    con = sqlite3.connect(dest)
    assert con.execute("select count(*) from cards").fetchone() == (6,)
    con.close()
    code, _, err = run("db", "backup", "-o", str(dest))
    assert (code, err) == (1, f"Error: {dest}: already exists; not overwritten\n")


def test_bad_quizkit_now(chapter: Path) -> None:
    code, _, err = run("decks", env={"QUIZKIT_NOW": "yesterday"})
    assert (code, err) == (1, "Error: QUIZKIT_NOW is not an ISO-8601 date/time: 'yesterday'\n")


def _mkdir(path: Path) -> Path:
    path.mkdir()
    (path / "readme.txt").write_text("no markdown here")
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_many_warnings_are_summarised(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(25):
        (folder / f"c{i:02d}.md").write_text(
            f"# C{i}\n\n![pic](missing{i}.png)\n\n```bash\ndocker ps # 列出容器 {i}\n```\n", encoding="utf-8"
        )
    code, _, err = run("compile", str(folder), "--deck", "Many")
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 21
    assert lines[-1] == "… and 5 more warning(s); 'quizkit lint' lists them all"


def test_export_lists_at_most_twenty_missing_images(tmp_path: Path) -> None:
    chapter = tmp_path / "pics.md"
    chapter.write_text(
        "# Pics\n\n"
        + "".join(
            f"## S{i}\n\n![p](missing{i}.png)\n\n容器是一种轻量级的虚拟化技术{i}。\n\n" for i in range(25)
        ),
        encoding="utf-8",
    )
    assert run("compile", str(chapter), "--deck", "Pics")[0] == 0
    code, out, err = run("export", "Pics", "-o", str(tmp_path / "p.apkg"))
    assert code == 0, err
    lines = err.strip().splitlines()
    assert lines[0] == "Warning: 25 image(s) not found, not packed:"
    assert len(lines) == 22 and lines[-1] == "  … and 5 more (--json lists them all)"


def test_a_large_folder_compiled_by_workers_stores_what_a_serial_compile_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers build the card rows (ids, JSON columns, hashes); the bank must not tell."""
    sources = sorted((Path(__file__).parent / "fixtures" / "chapters").glob("*.md"))
    folder = tmp_path / "notes"
    for i in range(70):  # above PARALLEL_MIN_FILES
        dest = folder / f"part{i // 10}" / f"ch{i:02d}.md"
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = sources[i % len(sources)].read_text(encoding="utf-8")
        # Every heading numbered: the same fact under the same heading twice is an error.
        text = re.sub(r"(?m)^(\S.*)\n(=+|-+)$", rf"\1 {i}\n\2", text)  # setext headings
        dest.write_text(re.sub(r"(?m)^(#{1,6} .*)$", rf"\1 {i}", text), encoding="utf-8")
    banks = {}
    for jobs in ("1", "2"):
        banks[jobs] = tmp_path / f"bank-{jobs}.sqlite3"
        code, out, err = run(
            "compile", str(folder), "--deck", "Notes", "--json",
            env={"QUIZKIT_DB": str(banks[jobs]), "QUIZKIT_COMPILE_JOBS": jobs},
        )  # fmt: skip
        assert code == 0, err
        assert json.loads(out)[0]["added"] > 1000

    def cards(bank: Path) -> list[tuple[object, ...]]:
        con = sqlite3.connect(bank)
        try:
            return con.execute("SELECT * FROM cards ORDER BY position").fetchall()
        finally:
            con.close()

    assert cards(banks["1"]) == cards(banks["2"])
