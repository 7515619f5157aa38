"""The note types, HTML fields and the Python rendering shared with the HTML preview."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from quizkit.exporters.anki import deck_path, export_apkg, tag
from quizkit.exporters.templates import (
    CSS,
    MODEL_IDS,
    NOTE_TYPES,
    note_fields,
    render_card_html,
    render_card_page,
    text_html,
)
from quizkit.model import CardKind, CardSpec, CardStyle, CardView, Choice, DeckInfo
from quizkit.storage.bank import open_bank
from tests.conftest import SEED

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def spec(**kw: Any) -> CardSpec:
    base: dict[str, Any] = {
        "kind": CardKind.COMMAND, "style": CardStyle.BASIC, "front": "docker ps", "back": "列出容器",
        "fact": "command:docker ps:meaning", "section": ("K8s", "容器"), "source_file": "k8s.md",
        "source_line": 3,
    }
    return CardSpec(**{**base, **kw})


def test_text_is_escaped_before_markup() -> None:
    assert text_html("run `docker rm $(docker ps -aq)` if a && b\n<name>") == (
        "run <code>docker rm $(docker ps -aq)</code> if a &amp;&amp; b<br>&lt;name&gt;"
    )
    front, back = render_card_html(spec(front="docker run --name=<name> <img src=x>", back="<b>not bold</b>"))
    assert '<code class="qk-cmd">docker run --name=&lt;name&gt; &lt;img src=x&gt;</code>' in front
    assert "&lt;b&gt;not bold&lt;/b&gt;" in back and "<b>" not in back


def test_command_basic_front_is_monospace_and_back_has_answer_and_source() -> None:
    front, back = render_card_html(CardView(id="abc", deck="K8s", spec=spec()))
    assert front == '<div class="qk-q"><code class="qk-cmd">docker ps</code></div>'
    assert '<hr id=answer>\n<div class="qk-a">列出容器</div>' in back
    assert '<div class="qk-source">K8s › 容器 · k8s.md:3</div>' in back


def test_type_card_has_input_in_front_and_answer_with_aliases_on_back() -> None:
    s = spec(style=CardStyle.TYPE, front="列出所有容器", back="docker ps -a",
             aliases=("docker container ls -a",))
    note_type, fields = note_fields(s)
    assert note_type.key == "type" and fields[1] == "docker ps -a"
    front, back = render_card_html(s)
    assert "列出所有容器" in front and 'id="typeans"' in front and "docker ps -a" not in front
    assert "<code id=typeans>docker ps -a</code>" in back
    assert '<code class="qk-cmd">docker container ls -a</code>' in back


def test_cloze_is_one_card_with_hints_and_the_answer_on_the_back() -> None:
    s = spec(kind=CardKind.CONCEPT, style=CardStyle.CLOZE, front="{{c1::Pod::单元}} 由 {{c2::kubelet}} 管理",
             back="K8s > 容器", extra="Pod 由 kubelet 管理")
    note_type, fields = note_fields(s)
    assert note_type.key == "cloze" and note_type.cloze
    assert fields[0] == "{{c1::Pod::单元}} 由 {{c1::kubelet}} 管理"
    assert fields[2] == "Pod 由 kubelet 管理"  # the back only repeats the heading path: not shown
    front, back = render_card_html(s)
    assert '<span class="cloze">[单元]</span> 由 <span class="cloze">[...]</span>' in front
    assert '<span class="cloze">Pod</span> 由 <span class="cloze">kubelet</span>' in back


def test_cloze_without_deletions_falls_back_to_basic() -> None:
    s = spec(kind=CardKind.CONCEPT, style=CardStyle.CLOZE, front="没有挖空", back="答案")
    note_type, fields = note_fields(s)
    assert note_type.key == "basic" and fields[:2] == ["没有挖空", "答案"]


def test_choice_lists_options_in_front_and_marks_the_answer_on_back() -> None:
    s = spec(kind=CardKind.CONCEPT, style=CardStyle.CHOICE, front="哪个命令列出镜像？", back="镜像在本地",
             choices=(Choice("docker ps", False), Choice("docker <images>", True)))
    front, back = render_card_html(s)
    assert '<ol class="qk-choices" type="A"><li>docker ps</li><li>docker &lt;images&gt;</li></ol>' in front
    assert "qk-correct" not in front
    assert '<div class="qk-correct">B. docker &lt;images&gt;</div><div>镜像在本地</div>' in back


def test_hint_media_and_page() -> None:
    s = spec(hint="以 d 开头", media=("../picture/a b.png",))
    front, back = render_card_html(s)
    assert "<summary>提示 / hint</summary>以 d 开头</details>" in front
    assert '<img src="a b.png">' in back
    assert render_card_html(s, ["x-1.png"])[1].count('<img src="x-1.png">') == 1
    page = render_card_page(s)
    assert page.startswith("<!DOCTYPE html>") and CSS in page and front in page


def test_note_types_have_fixed_ids_and_monospace_css() -> None:
    assert {k: nt.id for k, nt in NOTE_TYPES.items()} == MODEL_IDS
    ids = [f["id"] for nt in NOTE_TYPES.values() for f in nt.field_dicts()]
    ids += [t["id"] for nt in NOTE_TYPES.values() for t in nt.template_dicts()]
    assert len(set(ids)) == len(ids)
    assert "monospace" in CSS and "PingFang SC" in CSS


def test_tags_and_deck_paths() -> None:
    assert tag("Docker 命令") == "Docker_命令" and tag("全角\u3000空格") == "全角_空格" and tag('"q"') == "q"
    info = DeckInfo(key="k", name="Kubernetes")
    assert deck_path(info, ("Kubernetes", "容器", "Docker 命令", "更深"), 2) == ("容器", "Docker 命令")
    assert deck_path(info, ("a::b", "c"), 5) == ("a:b", "c")
    assert deck_path(info, ("容器",), 0) == ()


# -- the seed chapter, compiled for real ------------------------------------------
@pytest.fixture
def col(tmp_path: Path) -> Iterator[Any]:
    from anki.collection import Collection

    (tmp_path / "anki").mkdir()
    c = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        yield c
    finally:
        c.close()


def test_seed_chapter_exports_one_anki_card_per_card(tmp_path: Path, col: Any) -> None:
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from quizkit.compiler.chapter import compile_file

    chapter = compile_file(SEED)
    with open_bank(str(tmp_path / "seed.sqlite3"), learner="tester") as bank:
        info = DeckInfo(key="k8s", name="Kubernetes", source_dir=str(SEED.parent))
        bank.sync_deck(info, chapter.cards, now=NOW)
        result = export_apkg(bank, tmp_path / "seed.apkg", now=NOW, stamp_file=tmp_path / "stamp.json")
    assert result.cards == result.notes == len(chapter.cards) > 50
    package = str(tmp_path / "seed.apkg")
    options = ImportAnkiPackageOptions()
    col.import_anki_package(ImportAnkiPackageRequest(package_path=package, options=options))
    assert col.card_count() == len(chapter.cards)
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        assert card.question().strip() and card.answer().strip()
        assert col.decks.name(card.did).startswith("Kubernetes")
