"""The authored-card syntax: every form, its key, and every card-level problem with its message and line."""

from __future__ import annotations

from quizkit.authoring.cards import parse_cards
from quizkit.model import CardKind, CardStyle, Choice


def parse(text: str, **kw: object):  # type: ignore[no-untyped-def]
    return parse_cards(text, source_file="cards.md", **kw)  # type: ignore[arg-type]


def messages(text: str) -> list[str]:
    return [str(p) for p in parse(text).problems]


def test_question_answer_multi_line_with_fields() -> None:
    text = (
        "# Docker\n"
        "## 架构\n"
        "\n"
        "Some prose that is not a card.\n"
        "\n"
        "Q: Docker 客户端和谁通信？\n"
        "   (一句话回答)\n"
        "A: 和 Docker daemon 通信。\n"
        "   客户端不能直接访问 Registry。\n"
        "id: client-daemon\n"
        "tags: docker, arch  #k8s\n"
        "hint: 不是 Registry\n"
        "note: 见 Docker 架构图。\n"
        "kind: architecture\n"
    )
    result = parse(text)
    assert result.problems == []
    (card,) = result.cards
    s = card.spec
    assert card.explicit_id == "client-daemon"
    assert (s.style, s.kind) == (CardStyle.BASIC, CardKind.ARCHITECTURE)
    assert s.front == "Docker 客户端和谁通信？\n(一句话回答)"
    assert s.back == "和 Docker daemon 通信。\n客户端不能直接访问 Registry。"
    assert s.fact == "authored:client-daemon"
    assert s.section == ("Docker", "架构")
    assert (s.source_file, s.source_line) == ("cards.md", 6)
    assert s.tags == ("docker", "arch", "k8s")
    assert s.hint == "不是 Registry"
    assert s.extra == "见 Docker 架构图。"


def test_full_width_colons_and_code_fences_inside_answers() -> None:
    text = "Q：怎样列出容器？\nA：\n```bash\ndocker ps\nQ: not a card, inside a fence\n```\n"
    (card,) = parse(text).cards
    assert card.spec.front == "怎样列出容器？"
    assert card.spec.back == "```bash\ndocker ps\nQ: not a card, inside a fence\n```"


def test_cloze_with_several_deletions_and_a_hint() -> None:
    text = (
        "## 容器与虚拟机\n\n"
        "C: 虚拟机虚拟化{{c1::硬件}}，容器共用{{c2::操作系统内核::哪一层}}。\n"
        "A: 所以容器更轻。\n"
    )
    (card,) = parse(text).cards
    s = card.spec
    assert s.style is CardStyle.CLOZE and s.kind is CardKind.CONCEPT
    assert s.front == "虚拟机虚拟化{{c1::硬件}}，容器共用{{c2::操作系统内核::哪一层}}。"
    assert s.back == "所以容器更轻。"
    # The key ignores what is deleted: fixing a deleted word keeps learners' progress.
    assert s.fact == "authored:c:虚拟机虚拟化{{c1}}，容器共用{{c2}}。"


def test_multiple_choice_and_multi() -> None:
    text = (
        "Q: 同样的资源，虚拟机能跑几个应用？\n"
        "- [ ] 6\n"
        "- [x] 3\n"
        "* [ ] 1\n"
        "A: 容器能跑 6 个。\n"
        "\n"
        "Q: 哪些是容器的隔离？\n"
        "multi: yes\n"
        "- [x] 安全隔离\n"
        "- [X] 资源隔离\n"
        "- [ ] 硬件隔离\n"
    )
    result = parse(text)
    assert result.problems == []
    one, two = (c.spec for c in result.cards)
    assert one.style is CardStyle.CHOICE
    assert one.choices == (Choice("6", False), Choice("3", True), Choice("1", False))
    assert one.back == "容器能跑 6 个。"
    assert two.choices == (Choice("安全隔离", True), Choice("资源隔离", True), Choice("硬件隔离", False))


def test_typed_command_card_with_other_accepted_answers() -> None:
    text = (
        "T: 列出所有容器，包括停止的\nA: docker ps -a\nalso: docker ps --all\n      docker container ls -a\n"
    )
    (card,) = parse(text).cards
    s = card.spec
    assert (s.style, s.kind) == (CardStyle.TYPE, CardKind.COMMAND)
    assert s.back == "docker ps -a"
    assert s.aliases == ("docker ps --all", "docker container ls -a")
    assert s.fact == "authored:t:列出所有容器，包括停止的"


def test_derived_key_ignores_the_answer_and_whitespace_but_not_the_section() -> None:
    a = parse("# A\nQ: What is  a pod?\nA: one answer\n").cards[0].spec
    b = parse("# A\n\n\nQ: What is a pod?\nA: another answer\nhint: new\n").cards[0].spec
    c = parse("# B\nQ: What is a pod?\nA: one answer\n").cards[0].spec
    assert a.key("k8s") == b.key("k8s")
    assert a.key("k8s") != c.key("k8s")
    with_id = parse("# A\nQ: Reworded question?\nA: x\nid: pod\n").cards[0].spec
    assert with_id.key("k8s") == parse("# A\nQ: What is a pod?\nA: y\nid: pod\n").cards[0].spec.key("k8s")


def test_cards_end_at_headings_and_rules() -> None:
    text = "Q: one\nA: 1\n---\nnot part of the answer\n# Next\nQ: two\nA: 2\n"
    one, two = (c.spec for c in parse(text).cards)
    assert one.back == "1" and one.section == ()
    assert two.section == ("Next",)


def test_images_go_to_media() -> None:
    (card,) = parse("Q: 这张图里哪个是 daemon？\n![架构](img/arch.png)\nA: 中间那个\n").cards
    assert card.spec.front == "这张图里哪个是 daemon？"
    assert card.spec.media == ("img/arch.png",)


def test_block_inside_a_chapter_keeps_line_numbers_and_section() -> None:
    result = parse_cards(
        "Q: a\nA: b\n", source_file="01.md", first_line=40, section=("K8s", "Pods"), headings=False
    )
    assert (result.cards[0].spec.source_line, result.cards[0].spec.section) == (40, ("K8s", "Pods"))


def test_empty_sides() -> None:
    assert messages("Q: 没有答案\n\nQ:\nA: 有答案\n\nQ: 空答案\nA:\n\nT: 输入命令\n") == [
        "cards.md:1: error: empty answer (A:)",
        "cards.md:3: error: empty question (Q:)",
        "cards.md:7: error: empty answer (A:)",
        "cards.md:9: error: empty answer (A:)",
    ]


def test_cloze_problems() -> None:
    assert messages("C: 没有挖空的句子\n\nC: 单冒号 {{c1:硬件}}\n\nC: 空的 {{c1::}} 挖空\n") == [
        "cards.md:1: error: cloze has no deletion: mark hidden words as {{c1::words}}",
        "cards.md:3: error: cloze has no deletion: mark hidden words as {{c1::words}}",
        "cards.md:5: error: empty cloze deletion {{c1::}}",
    ]


def test_multiple_choice_problems() -> None:
    text = (
        "Q: 没有正确答案\n- [ ] a\n- [ ] b\n\n"
        "Q: 两个正确答案\n- [x] a\n- [x] b\n\n"
        "Q: 只有一个选项\n- [x] a\n\n"
        "Q: 空选项\n- [x] a\n- [ ]\n\n"
        "Q: multi 写错\nmulti: maybe\n- [x] a\n- [ ] b\n"
    )
    assert messages(text) == [
        "cards.md:1: error: multiple choice has no right answer: mark it - [x]",
        "cards.md:5: error: multiple choice has 2 right answers: keep one, or add 'multi: yes'",
        "cards.md:10: error: multiple choice needs at least two options",
        "cards.md:14: error: empty option",
        "cards.md:17: error: multi: must be yes or no, not 'maybe'",
    ]


def test_bad_fields() -> None:
    text = (
        "Q: a\nA: b\nA: c\n\nQ: d\nA: e\nkind: trivia\n\nQ: f\nA: g\nid: two words\n\nQ: h\nA: i\nalso: j\n"
    )
    assert messages(text) == [
        "cards.md:3: error: A: given twice in one card",
        "cards.md:7: error: unknown kind 'trivia' (use one of: command, option, concept, architecture)",
        "cards.md:11: error: id: must be one word, not 'two words'",
        "cards.md:15: error: also: is only for typed cards (T:)",
    ]
    assert parse(text).cards == []


def test_display_file_and_warn_only_change_the_report() -> None:
    result = parse("C: no deletion\n", display_file="decks/x/cards.md", warn=frozenset({"cloze-no-deletion"}))
    assert [str(p) for p in result.problems] == [
        "decks/x/cards.md:1: warning: cloze has no deletion: mark hidden words as {{c1::words}}"
    ]
    assert [c.spec.source_file for c in result.cards] == ["cards.md"]
