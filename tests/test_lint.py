"""``quizkit lint``: every rule with its exact message and line, severities, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.authoring.lint import lint_path
from quizkit.cli import cli
from tests.conftest import SEED

DECK_TOML = 'id = "demo"\nname = "Demo"\nchapters = ["01.md"]\n'
CHAPTER = "# Demo\n\n## Basics\n\n```bash\ndocker ps   # 列出容器\n```\n"


def make_deck(root: Path, toml: str = DECK_TOML, chapter: str = CHAPTER, cards: str | None = None) -> Path:
    deck = root / "demo"
    deck.mkdir()
    (deck / "deck.toml").write_text(toml, encoding="utf-8")
    if chapter is not None:
        (deck / "01.md").write_text(chapter, encoding="utf-8")
    if cards is not None:
        (deck / "cards.md").write_text(cards, encoding="utf-8")
    return deck


def lines(path: Path) -> list[str]:
    return [str(p) for p in lint_path(path)]


def test_a_clean_deck_has_no_problems(tmp_path: Path) -> None:
    deck = make_deck(tmp_path, cards="Q: a?\nA: b\n")
    assert lines(deck) == []
    result = CliRunner().invoke(cli, ["lint", str(deck)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "No problems found.\n"


def test_unparsable_deck_toml(tmp_path: Path) -> None:
    deck = make_deck(tmp_path, toml='id = "demo"\nname = "Demo\nchapters = ["01.md"]\n')
    assert lines(deck) == [f"{deck}/deck.toml:2: error: deck.toml is not valid TOML: Illegal character '\\n'"]


def test_missing_and_mistyped_fields(tmp_path: Path) -> None:
    deck = make_deck(tmp_path, toml='description = "x"\nnew_cards_per_day = -1\ntags = "k8s"\n')
    t = f"{deck}/deck.toml"
    assert lines(deck) == [
        f"{t}:1: error: deck.toml has no 'id' field",
        f"{t}:1: error: deck.toml has no 'name' field",
        f"{t}:1: error: deck.toml has no 'chapters' field (a list of chapter files, in order)",
        f"{t}:2: error: 'new_cards_per_day' must be a whole number, 0 or more",
        f"{t}:3: error: 'tags' must be a list of strings",
    ]


def test_bad_id_and_unknown_fields(tmp_path: Path) -> None:
    toml = 'id = "My Deck"\nname = "Demo"\nchapters = ["01.md"]\nnew-cards-per-day = 5\n'
    deck = make_deck(tmp_path, toml=toml)
    t = f"{deck}/deck.toml"
    assert lines(deck) == [
        f"{t}:1: error: 'id' must be lower-case letters, digits, '.', '_' or '-': 'My Deck'",
        f"{t}:4: warning: unknown field 'new-cards-per-day' in deck.toml (did you mean 'new_cards_per_day'?)",
    ]


def test_chapter_listed_but_missing(tmp_path: Path) -> None:
    toml = 'id = "demo"\nname = "Demo"\nchapters = [\n  "01.md",\n  "02.md",\n]\ncards = ["extra.md"]\n'
    deck = make_deck(tmp_path, toml=toml)
    t = f"{deck}/deck.toml"
    assert lines(deck) == [
        f"{t}:5: error: chapter '02.md' is listed but missing",
        f"{t}:7: error: cards file 'extra.md' is listed but missing",
    ]


def test_authored_card_problems_in_a_deck_use_the_deck_path(tmp_path: Path) -> None:
    cards = "Q: 空答案\nA:\n\nC: 没有挖空\n\nQ: 选择\n- [x] a\n- [x] b\n"
    deck = make_deck(tmp_path, cards=cards)
    c = f"{deck}/cards.md"
    assert lines(deck) == [
        f"{c}:2: error: empty answer (A:)",
        f"{c}:4: error: cloze has no deletion: mark hidden words as {{{{c1::words}}}}",
        f"{c}:6: error: multiple choice has 2 right answers: keep one, or add 'multi: yes'",
    ]


def test_duplicate_keys_and_identical_cards(tmp_path: Path) -> None:
    cards = (
        "# S\n"
        "Q: 同一个问题\nA: 一\n\n"  # 2
        "Q: 同一个问题\nA: 二\n\n"  # 5: same section and question
        "Q: x\nA: y\nid: dup\n\n"  # 8
        "## T\nQ: z\nA: w\nid: dup\n\n"  # 13: same id, another section
        "Q: 相同\nA: 相同\nid: one\n\n"  # 17
        "Q: 相同\nA: 相同\nid: two\n"  # 21: same card, another key
    )
    chapter = CHAPTER + "\n```quizkit\nQ: x\nA: y\nid: dup\n```\n"  # 10 in the chapter
    deck = make_deck(tmp_path, cards=cards, chapter=chapter)
    c = f"{deck}/cards.md"
    assert lines(deck) == [
        f"{c}:5: error: duplicate card key: the same question in the same section as cards.md:2"
        " (give one an id:)",
        f"{c}:8: error: duplicate card key: id 'dup' is also used at 01.md:10",
        f"{c}:13: error: duplicate card key: id 'dup' is also used at 01.md:10",
        f"{c}:21: error: identical to the card at cards.md:17",
    ]


def test_option_block_with_no_command_before_it(tmp_path: Path) -> None:
    chapter = (
        "# Demo\n\n## Options first\n\n```bash\n# 可选项\n  -a   ：所有\n  -q   ：只显示编号\n```\n\n"
        "```bash\ndocker ps   # 列出容器\n\n# 可选项\n  -a   ：所有\n```\n\n"
        "# Other\n\n```bash\n  --name：名字\n```\n"
    )
    path = tmp_path / "ch.md"
    path.write_text(chapter, encoding="utf-8")
    assert lines(path) == [
        f"{path}:6: error: option block with no command before it",
        f"{path}:21: error: option block with no command before it",
    ]


def test_single_dash_where_the_command_uses_two(tmp_path: Path) -> None:
    assert lines(SEED) == [
        f"{SEED}:92: warning: docker logs -tail: one dash, but docker logs spells it --tail",
        f"{SEED}:107: error: image not found: ../picture/K8s Docker 架构图.png",
        f"{SEED}:121: error: image not found: ../picture/c.png",
    ]
    # A command quizkit does not know: the chapter's own "--verbose" elsewhere is the evidence.
    path = tmp_path / "tool.md"
    path.write_text(
        "# T\n\n```bash\nmytool run   # 运行\n\n# 可选项\n"
        "  --verbose  ：详细\n  -verbose   ：也是详细\n  -vq   ：两个短选项\n```\n",
        encoding="utf-8",
    )
    assert lines(path) == [
        f"{path}:8: warning: mytool run -verbose: one dash, but mytool run spells it --verbose"
    ]


def test_images_that_do_not_exist(tmp_path: Path) -> None:
    chapter = CHAPTER + "\n![图](img/here.png)\n\n![图](img/gone.png)\n\n![远程](https://example.com/x.png)\n"
    cards = "Q: 哪个？\n![图](img/missing.png)\nA: 这个\n"
    deck = make_deck(tmp_path, chapter=chapter, cards=cards)
    (deck / "img").mkdir()
    (deck / "img" / "here.png").write_bytes(b"\x89PNG\r\n")
    assert lines(deck) == [
        f"{deck}/01.md:11: error: image not found: img/gone.png",
        f"{deck}/cards.md:1: error: image not found: img/missing.png",
    ]


def test_lint_warn_in_deck_toml_turns_errors_into_warnings(tmp_path: Path) -> None:
    toml = DECK_TOML + '\n[lint]\nwarn = ["missing-image", "no-such-rule"]\n'
    deck = make_deck(tmp_path, toml=toml, chapter=CHAPTER + "\n![图](gone.png)\n")
    assert lines(deck) == [f"{deck}/deck.toml:6: error: unknown lint rule(s): no-such-rule"]
    (deck / "deck.toml").write_text(DECK_TOML + '\n[lint]\nwarn = ["missing-image"]\n', encoding="utf-8")
    assert lines(deck) == [f"{deck}/01.md:9: warning: image not found: gone.png"]


def test_unreadable_chapter_and_chapter_warnings(tmp_path: Path) -> None:
    deck = make_deck(tmp_path, chapter="# Demo\n\n```bash\ndocker ps\n")
    assert lines(deck) == [f"{deck}/01.md:3: error: unterminated code fence '```'"]
    empty = tmp_path / "empty.md"
    empty.write_text("just words\n", encoding="utf-8")
    assert lines(empty) == [f"{empty}:1: warning: no cards found in chapter"]
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"# x\n\x00")
    assert lines(binary) == [f"{binary}:2: error: binary file (NUL byte), not a Markdown file"]


def test_cli_prints_problems_and_exits_1_on_errors(tmp_path: Path) -> None:
    deck = make_deck(tmp_path, cards="Q: 没有答案\n")
    result = CliRunner().invoke(cli, ["lint", str(deck)])
    assert result.exit_code == 1
    assert result.stdout == f"{deck}/cards.md:1: error: empty answer (A:)\n"
    assert result.stderr == "1 error, 0 warnings.\n"


def test_cli_warnings_alone_pass_unless_strict(tmp_path: Path) -> None:
    path = tmp_path / "ch.md"
    path.write_text("# Logs\n\n```bash\ndocker logs   # 查看日志\n  -tail n  ：条数\n```\n", encoding="utf-8")
    expected = f"{path}:5: warning: docker logs -tail: one dash, but docker logs spells it --tail\n"
    result = CliRunner().invoke(cli, ["lint", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, expected, "0 errors, 1 warning.\n")
    strict = CliRunner().invoke(cli, ["lint", str(path), "--strict", "--json"])
    assert strict.exit_code == 1
    assert json.loads(strict.stdout) == [
        {
            "file": str(path),
            "line": 5,
            "severity": "warning",
            "rule": "single-dash",
            "message": "docker logs -tail: one dash, but docker logs spells it --tail",
        }
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nope", "Error: {p}/nope: no such file or directory\n"),
        (lambda p: p, "Error: {p}: no deck.toml and no Markdown chapters (*.md) in this folder\n"),
    ],
)
def test_cli_bad_paths_are_one_line(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["lint", str(make(tmp_path))])
    assert result.exit_code == 1
    assert result.stderr == message.format(p=tmp_path)
