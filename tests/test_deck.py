"""Deck folders: the load_deck/compile_deck contract, the shipped Kubernetes deck, new → build → rebuild."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.authoring.deckdir import compile_deck, derived_anki_id, is_deck_dir, load_deck
from quizkit.authoring.lint import lint_path
from quizkit.cli import cli
from quizkit.errors import DeckError
from quizkit.model import CardKind, CardStyle
from quizkit.storage.bank import open_bank
from tests.conftest import REPO, SEED

KUBERNETES = REPO / "decks" / "kubernetes"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_deck_reads_every_field(tmp_path: Path) -> None:
    deck = tmp_path / "k8s"
    write(
        deck / "deck.toml",
        'id = "k8s"\nname = "K8s"\ndescription = "d"\nauthor = "a"\nversion = "1.2"\n'
        'chapters = ["b.md", "a.md"]\ntags = ["k8s", "course"]\n'
        "new_cards_per_day = 7\nanki_id = 1234567890\n",
    )
    write(deck / "a.md", "# A\n")
    write(deck / "b.md", "# B\n")
    write(deck / "cards.md", "Q: q\nA: a\n")
    assert is_deck_dir(deck) and not is_deck_dir(deck / "a.md") and not is_deck_dir(tmp_path)
    source = load_deck(deck)
    assert source.chapters == ("b.md", "a.md")
    assert source.card_files == ("cards.md",)  # found without being listed
    info = source.info
    assert info.key == "k8s" and info.name == "K8s" and info.description == "d"
    assert info.anki_id == 1234567890
    assert info.source_dir == str(deck.resolve())
    assert info.settings == {"new_cards_per_day": 7, "author": "a", "version": "1.2"}


def test_anki_id_is_derived_from_the_key_when_absent(tmp_path: Path) -> None:
    write(tmp_path / "d" / "deck.toml", 'id = "net"\nname = "Net"\nchapters = []\n')
    info = load_deck(tmp_path / "d").info
    assert info.anki_id == derived_anki_id("net")
    assert 1 << 30 <= info.anki_id < 1 << 31
    assert derived_anki_id("net") != derived_anki_id("net2")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('id = "x"\nname = "X"\nchapters = [1]\n', "deck.toml:3: 'chapters' must be a list of strings"),
        (
            'id = "x"\nname = "X"\n[chapters\n',
            "deck.toml:3: deck.toml is not valid TOML: Expected ']' at the end of a table declaration",
        ),
        (
            'id = "x"\nname = "X"\nchapters = ["gone.md"]\n',
            "deck.toml:3: chapter 'gone.md' is listed but missing",
        ),
        ('name = "X"\nchapters = []\n', "deck.toml:1: deck.toml has no 'id' field"),
    ],
)
def test_load_deck_errors_name_file_and_line(tmp_path: Path, toml: str, message: str) -> None:
    write(tmp_path / "d" / "deck.toml", toml)
    with pytest.raises(DeckError) as exc:
        load_deck(tmp_path / "d")
    assert str(exc.value) == f"{tmp_path}/d/{message}"


def test_load_deck_without_deck_toml(tmp_path: Path) -> None:
    with pytest.raises(DeckError) as exc:
        load_deck(tmp_path)
    assert str(exc.value) == f"{tmp_path}: not a deck folder: no deck.toml (create one with 'quizkit new')"


def test_compile_deck_merges_extracted_and_authored_cards(tmp_path: Path) -> None:
    deck = tmp_path / "d"
    write(deck / "deck.toml", 'id = "d"\nname = "D"\nchapters = ["01.md"]\ntags = ["course"]\n')
    write(
        deck / "01.md",
        "# D\n\n## Cmds\n\n```bash\ndocker ps   # 列出容器\n```\n\n"
        "```quizkit\nQ: docker ps 列出的是什么？\nA: 正在运行的容器\n```\n",
    )
    write(deck / "cards.md", "# D\n\n## More\n\nT: 列出镜像\nA: docker images\n")
    build = compile_deck(load_deck(deck))
    assert [(c.source_file, c.source_line, c.style) for c in build.cards] == [
        ("01.md", 6, CardStyle.BASIC),
        ("01.md", 6, CardStyle.TYPE),
        ("01.md", 10, CardStyle.BASIC),
        ("cards.md", 5, CardStyle.TYPE),
    ]
    authored = build.cards[2]
    assert authored.section == ("D", "Cmds") and authored.fact == "authored:q:docker ps 列出的是什么？"
    assert authored.tags == ("D", "Cmds", "concept", "course")
    assert build.cards[0].tags[-1] == "course"
    # The quizkit block is not mistaken for chapter text.
    assert not any("Q:" in c.front for c in build.cards)
    assert [ch.path for ch in build.chapters] == ["01.md"]


def test_compile_deck_refuses_broken_cards_but_not_lint_findings(tmp_path: Path) -> None:
    deck = tmp_path / "d"
    write(deck / "deck.toml", 'id = "d"\nname = "D"\nchapters = ["01.md"]\n')
    write(deck / "01.md", "# D\n\n```bash\ndocker ps   # 列出容器\n  -tail n  : x\n```\n\n![x](gone.png)\n")
    build = compile_deck(load_deck(deck))  # a single-dash option and a missing image are lint's business
    assert [str(w) for w in build.warnings] == [f"{deck}/01.md:8: warning: image not found: gone.png"]
    write(deck / "cards.md", "Q: no answer\n")
    with pytest.raises(DeckError) as exc:
        compile_deck(load_deck(deck))
    assert str(exc.value) == f"{deck}/cards.md:1: empty answer (A:)"


def test_shipped_deck_is_the_seed_plus_authored_cards() -> None:
    assert (KUBERNETES / "01-docker.md").read_bytes() == SEED.read_bytes()
    assert [p for p in lint_path(KUBERNETES) if p.is_error] == []
    build = compile_deck(load_deck(KUBERNETES))
    assert build.info.key == "kubernetes" and build.info.name == "Kubernetes"
    authored = [c for c in build.cards if c.fact.startswith("authored:")]
    by_section: dict[str, list[str]] = {}
    for c in authored:
        by_section.setdefault(c.section[-1], []).append(c.front + "\n" + c.back)
    assert set(by_section) >= {"Docker 架构", "容器隔离", "容器与虚拟机的区别", "什么是容器化应用"}
    arch = "\n".join(by_section["Docker 架构"])
    assert "daemon" in arch and "Registry" in arch and "客户端" in arch
    vm = "\n".join(by_section["容器与虚拟机的区别"])
    assert "硬件" in vm and "内核" in vm and "{{c1::3}}" in vm and "{{c2::6}}" in vm
    styles = {c.style for c in authored}
    assert styles == {CardStyle.BASIC, CardStyle.CLOZE, CardStyle.CHOICE, CardStyle.TYPE}
    assert any(c.kind is CardKind.ARCHITECTURE for c in authored)
    # Every authored card has an explicit id: rewording never loses progress.
    assert all(not c.fact.startswith(("authored:q:", "authored:c:", "authored:t:")) for c in authored)


def test_compile_and_init_use_deck_folders(tmp_path: Path) -> None:
    db = str(tmp_path / "b.sqlite3")
    result = CliRunner().invoke(cli, ["compile", str(KUBERNETES), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    total = len(compile_deck(load_deck(KUBERNETES)).cards)
    assert row["deck"] == "Kubernetes" and row["added"] == total
    with open_bank(db, learner="t") as bank:
        info = bank.get_deck("kubernetes")
    assert info.anki_id == load_deck(KUBERNETES).info.anki_id
    assert info.settings["new_cards_per_day"] == 20


def _keys(db: str, deck: str) -> dict[str, str]:
    with open_bank(db, learner="t") as bank:
        return {v.id: v.spec.back for v in bank.iter_cards(deck)}


def test_round_trip_new_edit_build_rebuild_keeps_card_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "bank.sqlite3")
    runner = CliRunner()
    created = runner.invoke(cli, ["new", "course", "--name", "Git basics"])
    assert created.exit_code == 0, created.output
    assert (
        created.stdout
        == "created course/deck.toml\ncreated course/01-first-chapter.md\ncreated course/cards.md\n"
    )
    assert runner.invoke(cli, ["lint", "course"]).exit_code == 0

    first = runner.invoke(cli, ["build", "course", "--db", db])
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0] == "Git basics: 9 cards — 9 added, 0 updated, 0 unchanged, 0 retired"
    assert lines[-1] == "Wrote git-basics.apkg: 9 cards."
    before = _keys(db, "git-basics")
    assert len(before) == 9

    # Edit answers (chapter and cards.md) and reword a question that has an id: keys stay.
    cards = Path("course/cards.md")
    text = cards.read_text(encoding="utf-8")
    text = text.replace(
        "A: The history of changes to the files of a project.", "A: Every change, file by file."
    )
    text = text.replace("Q: What does Git keep track of?", "Q: What does Git record?")
    text = text.replace("A: git diff\n", "A: git diff --no-color\n")
    cards.write_text(text, encoding="utf-8")
    chapter = Path("course/01-first-chapter.md")
    chapter.write_text(
        chapter.read_text(encoding="utf-8").replace(
            "A: `git status`", "A: `git status` (or `git status -s`)"
        ),
        encoding="utf-8",
    )
    second = runner.invoke(cli, ["build", "course", "--db", db, "-o", "out.apkg"])
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[0] == "Git basics: 9 cards — 0 added, 3 updated, 6 unchanged, 0 retired"
    after = _keys(db, "git-basics")
    assert set(after) == set(before)
    changed = {k for k in after if after[k] != before[k]}
    assert len(changed) == 3
    assert "Every change, file by file." in after.values()

    # Removing a card retires it; the summary names it.
    cards.write_text(text.split("T: Show the changes")[0], encoding="utf-8")
    third = runner.invoke(cli, ["build", "course", "--db", db, "-o", "out.apkg", "--json"])
    assert third.exit_code == 0, third.output
    data = json.loads(third.stdout)
    assert (data["added"], data["updated"], data["retired"], data["cards"]) == (0, 0, 1, 8)
    assert data["changes"]["retired"][0] in before
    with zipfile.ZipFile(tmp_path / "out.apkg") as z:
        z.extract("collection.anki2", tmp_path / "x")
    with sqlite3.connect(tmp_path / "x" / "collection.anki2") as conn:
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 8


def test_build_stops_on_lint_errors_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["new", "d"]).exit_code == 0
    write(tmp_path / "d" / "cards.md", "C: no deletion here\n")
    result = runner.invoke(cli, ["build", "d", "--db", str(tmp_path / "b.sqlite3")])
    assert result.exit_code == 1
    assert result.stderr == (
        "d/cards.md:1: error: cloze has no deletion: mark hidden words as {{c1::words}}\n"
        "Error: build stopped: 1 error (nothing was written)\n"
    )
    assert not (tmp_path / "b.sqlite3").exists() and not (tmp_path / "d.apkg").exists()


def test_build_and_new_refuse_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["build", "."])
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: .: not a deck folder (no deck.toml); see 'quizkit new'\n",
    )
    assert runner.invoke(cli, ["new", "d"]).exit_code == 0
    again = runner.invoke(cli, ["new", "d"])
    assert (again.exit_code, again.stderr) == (
        1,
        "Error: d: already a deck folder (deck.toml exists); edit it instead\n",
    )
    bad_id = runner.invoke(cli, ["new", "e", "--id", "Bad Id"])
    assert (bad_id.exit_code, bad_id.stderr) == (
        1,
        "Error: --id must be lower-case letters, digits, '.', '_' or '-': 'Bad Id'\n",
    )
    wrong = runner.invoke(cli, ["build", "d", "-o", "d.zip"])
    assert wrong.exit_code == 2
    assert "the output file must end in .apkg (Anki imports only those): d.zip" in wrong.stderr
