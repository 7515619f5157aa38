"""``quizkit preview``: terminal, JSON and the HTML page (checked in headless Chromium)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.authoring.deckdir import compile_deck, load_deck
from quizkit.authoring.preview import load_preview, render_html
from quizkit.cli import cli
from quizkit.exporters.templates import CSS, render_card_html
from quizkit.model import card_key
from tests.conftest import REPO, SEED

KUBERNETES = REPO / "decks" / "kubernetes"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_preview_of_a_chapter_file_shows_its_cards_and_writes_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["preview", str(SEED)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    # Plain text when not a terminal, and chapter text is never taken as rich markup.
    assert "\x1b[" not in out
    assert "Kubernetes › 容器 › Docker 命令\n" in out
    assert "    Q: docker pull [imageName]:tag\n    A: 从外部镜像仓库拉取镜像\n" in out
    assert "    Q: 从外部镜像仓库拉取镜像\n    A (typed): docker pull [imageName]:tag\n" in out
    assert "    Q: docker logs -tail number\n" in out
    n = len(load_preview(SEED).cards)
    assert result.stderr.endswith(f"{n} cards in 8 sections (kubernetes-01); nothing written.\n")
    assert not (tmp_path / "bank.sqlite3").exists()


def test_preview_shows_authored_forms(tmp_path: Path) -> None:
    path = tmp_path / "ch.md"
    path.write_text(
        "# Ch\n\n```quizkit\n"
        "C: 容器共用{{c1::内核::哪一层}}。\n\n"
        "Q: 几个应用？\n- [x] 3\n- [ ] 6\nhint: 虚拟机\n\n"
        "T: 列出容器\nA: docker ps\nalso: docker container ls\n"
        "```\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["preview", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Ch\n"
        f"  concept/cloze  {path}:4  {card_key('ch', ('Ch',), 'authored:c:容器共用{{c1}}。')}\n"
        "    Q: 容器共用[哪一层]。\n"
        "    A: 容器共用内核。\n"
        f"  concept/choice  {path}:6  {card_key('ch', ('Ch',), 'authored:q:几个应用？')}\n"
        "    Q: 几个应用？\n"
        "    (x): A. 3\n"
        "    ( ): B. 6\n"
        "    hint: 虚拟机\n"
        f"  command/type  {path}:11  {card_key('ch', ('Ch',), 'authored:t:列出容器')}\n"
        "    Q: 列出容器\n"
        "    A (typed): docker ps\n"
        "    also: docker container ls\n"
        "\n"
    )


def test_preview_json_is_cards_json_without_state() -> None:
    result = CliRunner().invoke(cli, ["preview", str(KUBERNETES), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    build = compile_deck(load_deck(KUBERNETES))
    assert [d["id"] for d in data] == [c.key("kubernetes") for c in build.cards]
    assert all("state" not in d and d["deck"] == "Kubernetes" for d in data)
    typed = next(d for d in data if d["fact"] == "authored:cmd-ps-all")
    assert typed["style"] == "type" and typed["back"] == "docker ps -a"
    assert typed["aliases"] == ["docker ps --all", "docker container ls -a"]
    assert typed["source"] == "cards.md:" + str(typed["source"].split(":")[1])
    choice = next(d for d in data if d["fact"] == "authored:docker-arch-client-registry")
    assert [c["correct"] for c in choice["choices"]] == [False, True, False]


def test_preview_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("# x\n\n```quizkit\nQ: no answer\n```\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["preview", str(bad)])
    assert (result.exit_code, result.stderr) == (1, f"Error: {bad}:4: empty answer (A:)\n")
    missing = CliRunner().invoke(cli, ["preview", str(tmp_path / "nope.md")])
    assert (missing.exit_code, missing.stderr) == (
        1,
        f"Error: {tmp_path}/nope.md: no such file or directory\n",
    )


def test_html_uses_the_export_templates_and_embeds_images(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    chapter = tmp_path / "ch.md"
    chapter.write_text(
        "# Ch\n\n```quizkit\nQ: 哪个是 <daemon>？\n![图](img/a.png)\nA: 中间\n```\n", encoding="utf-8"
    )
    pv = load_preview(chapter)
    page = render_html(pv)
    assert CSS in page
    front, back = render_card_html(pv.cards[0], ["data:image/png;base64,iVBORw0KGgo="])
    assert front in page and back in page
    assert "哪个是 &lt;daemon&gt;？" in page
    assert "<script>" in page and "src=" not in page.split("<script>")[1]  # nothing loaded from elsewhere


def _chromium_dom(page: Path, tmp_path: Path) -> tuple[str, str]:
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def test_html_page_loads_in_chromium_and_shows_every_card(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    page = tmp_path / "kubernetes.html"
    result = CliRunner().invoke(cli, ["preview", str(KUBERNETES), "--html", str(page)])
    assert result.exit_code == 0, result.output
    build = compile_deck(load_deck(KUBERNETES))
    n = len(build.cards)
    assert result.stderr.endswith(f"Wrote {page}: {n} cards.\n")
    dom, log = _chromium_dom(page, tmp_path)
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None
    # Set by the page's own script: it ran, and counted every card with a non-empty front.
    assert f'data-cards="{n}"' in body.group(0)
    assert 'data-empty-fronts="0"' in body.group(0)
    shown = re.findall(r'data-card-id="([0-9a-f]{12})"', dom)
    assert sorted(shown) == sorted(c.key("kubernetes") for c in build.cards)
    assert "CONSOLE" not in log and "Uncaught" not in log
    # What students see: the cloze front hides, the back reveals, the type-in card has its input.
    assert '<span class="cloze">[...]</span>' in dom
    assert '<input class="qk-typein" id="typeans"' in dom
    assert "docker pull [imageName]:tag" in dom
