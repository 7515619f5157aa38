"""A small bank to study in tests: one deck with every kind of card, built with Bank.sync_deck."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from quizkit.model import CardKind, CardSpec, CardStyle, Choice, DeckInfo
from quizkit.storage.bank import open_bank

DECK = DeckInfo(key="k8s", name="Kubernetes")
BUILT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SECTION = ("Kubernetes", "容器")


def _spec(
    kind: CardKind, style: CardStyle, front: str, back: str, fact: str, line: int, **kw: object
) -> CardSpec:
    return CardSpec(
        kind=kind,
        style=style,
        front=front,
        back=back,
        fact=fact,
        section=SECTION,
        source_file="k8s.md",
        source_line=line,
        **kw,  # type: ignore[arg-type]
    )


# In source order: the order new cards are introduced.
SPECS = [
    _spec(
        CardKind.COMMAND,
        CardStyle.TYPE,
        "列出当前存储的所有镜像",
        "docker images",
        "command:docker images:recall",
        1,
    ),
    _spec(CardKind.OPTION, CardStyle.BASIC, "docker ps -a", "所有容器", "option:docker ps:-a", 2),
    _spec(
        CardKind.CONCEPT, CardStyle.BASIC, "Why use [imageName]?", "Because [tags] matter", "concept:why", 3
    ),
    _spec(
        CardKind.CONCEPT,
        CardStyle.CLOZE,
        "{{c1::VirtualBox}} runs on {{c2::Intel::chip}}",
        "",
        "concept:vbox",
        4,
    ),
    _spec(CardKind.OPTION, CardStyle.BASIC, "docker ps -q", "只显示 ID", "option:docker ps:-q", 5),
    _spec(
        CardKind.CONCEPT,
        CardStyle.CHOICE,
        "Which runs containers?",
        "",
        "concept:runtime",
        6,
        choices=(Choice("containerd", True), Choice("etcd", False)),
    ),
    _spec(
        CardKind.COMMAND,
        CardStyle.BASIC,
        "docker pull [imageName]",
        "拉取镜像",
        "command:docker pull:meaning",
        7,
    ),
]
IDS = {s.fact.split(":")[1] if s.kind != CardKind.CONCEPT else s.fact: s.key(DECK.key) for s in SPECS}
TYPE_ID = SPECS[0].key(DECK.key)
OPT_A_ID = SPECS[1].key(DECK.key)
WHY_ID = SPECS[2].key(DECK.key)
CLOZE_ID = SPECS[3].key(DECK.key)


def build_bank(
    path: Path, *, settings: dict[str, object] | None = None, specs: list[CardSpec] | None = None
) -> None:
    info = DeckInfo(key=DECK.key, name=DECK.name, settings=settings or {})
    with open_bank(str(path), learner="tester") as bank:
        bank.sync_deck(info, specs if specs is not None else SPECS, now=BUILT)
