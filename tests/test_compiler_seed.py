"""The seed chapter: exact commands, options, prose cards per section, media."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizkit.commandline import command_identity
from quizkit.compiler import compile_file
from quizkit.model import CardKind, CardStyle, ChapterResult

SEED = Path("/work/shared/seeds/kubernetes-01.md")

pytestmark = pytest.mark.skipif(not SEED.exists(), reason="shared seed chapter not mounted")


@pytest.fixture(scope="module")
def seed() -> ChapterResult:
    return compile_file(SEED, display_path="seeds/kubernetes-01.md")


EXPECTED_COMMANDS = {
    # written command: aliases/variants
    "sudo apt install -y docker.io": (),
    "sudo service docker start": (),
    "sudo usermod -aG docker ${USER}": (),
    "docker ps": (),
    "docker pull [imageName]:tag": (),
    "docker images": ("docker image ls",),
    "docker image rm [imageName]": ("docker rmi -f [imageId...]",),
    "docker rm [imageId]": (),
    "docker rm -f $(docker ps -aq)": ("docker ps -a -q|xargs docker rm",),
    "docker search [imageName]": (),
    "docker run [参数] [imageName]": (),
    "docker logs": (),
    "docker top [containerId]": (),
    "docker inspect [imageId]": (),
    "docker exec -it [containerId] bashShell": (),
    "docker attach [containerId]": (),
    "docker stop [containerId]": (),
    "docker start [containerId]": (),
}

EXPECTED_OPTIONS = {
    ("docker ps", "-a"): ("docker ps -a", "所有容器，也会带上历史运行过的容器"),
    ("docker ps", "-n"): ("docker ps -n", "显示最近创建的容器"),
    ("docker ps", "-q"): ("docker ps -q", "只显示容器的编号"),
    ("docker images", "-a"): ("docker images -a,--all", "列出所有镜像"),
    ("docker images", "-q"): ("docker images -q,--quiet", "只显示镜像的id"),
    ("docker search", "-f"): ("docker search -f;--filter", "过滤"),
    ("docker run", "--name"): ('docker run --name="Name"', "容器名称，如tomcat01、tomcat02，用来区分容器"),
    ("docker run", "-d"): ("docker run -d", "后台方式运行"),
    ("docker run", "-it"): ("docker run -it", "使用交互方式运行，进入容器查看内容"),
    ("docker run", "-p"): (
        "docker run -p",
        "指定容器的端口，如-p 8080:8080\n-p ip:主机端口:容器端口\n"
        "-p 主机端口:容器端口（常用）\n-p 容器端口:容器端口",
    ),
    ("docker run", "-P"): ("docker run -P", "随机指定端口"),
    ("docker logs", "-tf"): ("docker logs -tf", "显示日志"),
    ("docker logs", "-tail"): ("docker logs -tail number", "显示日志条数"),
}


def test_exact_commands(seed: ChapterResult) -> None:
    typed = {c.back: c for c in seed.cards if c.kind == CardKind.COMMAND and c.style == CardStyle.TYPE}
    assert set(typed) == set(EXPECTED_COMMANDS)
    for command, aliases in EXPECTED_COMMANDS.items():
        assert typed[command].aliases == aliases, command
        assert typed[command].fact == f"command:{command_identity(command)}:recall"
    basic = {c.front: c.back for c in seed.cards if c.kind == CardKind.COMMAND and c.style == CardStyle.BASIC}
    assert set(basic) == set(EXPECTED_COMMANDS)
    assert basic["docker ps"] == "列出当前系统里运行的容器"
    assert basic["sudo usermod -aG docker ${USER}"] == "当前用户加入docker组"
    assert basic["docker rm -f $(docker ps -aq)"] == "删除所有容器"
    assert typed["docker ps"].front == "列出当前系统里运行的容器"
    assert typed["docker ps"].section == ("Kubernetes", "容器", "Docker 命令")
    assert typed["docker ps"].tags == ("Kubernetes", "容器", "Docker_命令", "command")
    assert typed["docker ps"].source_line == 49
    assert typed["sudo apt install -y docker.io"].source_line == 32


def test_exact_options(seed: ChapterResult) -> None:
    opts = {c.fact: c for c in seed.cards if c.kind == CardKind.OPTION}
    expected = {f"option:{owner}:{flag}" for owner, flag in EXPECTED_OPTIONS}
    assert set(opts) == expected
    for (owner, flag), (front, back) in EXPECTED_OPTIONS.items():
        card = opts[f"option:{owner}:{flag}"]
        assert (card.front, card.back) == (front, back)
        assert card.style == CardStyle.BASIC and card.tags[-1] == "option"


SECTION_TERMS = {
    "配置": ["2c2g", "4g", "40G"],
    "Docker 安装": ["用户组", "root", "重新登录", "usermod"],
    "Docker 架构": ["client", "Docker daemon", "Registry"],
    "容器隔离": ["安全", "资源隔离", "沙盒"],
    "容器与虚拟机的区别": ["硬件", "重", "轻量级", "隔离程度", "3", "6"],
    "什么是容器化应用": ["镜像", "只读", "拍扁", "Build once", "Run anywhere", "容器化的应用"],
}


@pytest.mark.parametrize("section", list(SECTION_TERMS))
def test_every_prose_section_yields_cards_with_key_terms(seed: ChapterResult, section: str) -> None:
    cards = [
        c for c in seed.cards
        if c.section[-1:] == (section,) and c.kind in (CardKind.CONCEPT, CardKind.ARCHITECTURE)
    ]
    assert cards, section
    text = "\n".join(c.front + "\n" + c.back + "\n" + c.extra for c in cards).lower()
    text = text.replace(" ", "")
    for term in SECTION_TERMS[section]:
        assert term.lower().replace(" ", "") in text, (section, term)


def test_section_shapes(seed: ChapterResult) -> None:
    by_section: dict[str, list[str]] = {}
    for c in seed.cards:
        by_section.setdefault(c.section[-1], []).append(f"{c.kind}/{c.style}")
    assert "architecture/cloze" in by_section["Docker 架构"]
    assert "architecture/basic" in by_section["Docker 架构"]
    assert all(k.startswith("architecture") for k in by_section["Docker 架构"])
    assert "concept/basic" in by_section["Docker 安装"]  # why re-login / why the docker group
    assert "concept/basic" in by_section["容器与虚拟机的区别"]  # comparison Q/A
    assert "concept/cloze" in by_section["配置"]
    why = [c.front for c in seed.cards if c.fact.startswith("concept:why:")]
    assert any("重新登录" in q for q in why)
    assert any("用户组" in q for q in why)


def test_cloze_shape(seed: ChapterResult) -> None:
    cloze = [c for c in seed.cards if c.style == CardStyle.CLOZE]
    assert cloze
    for c in cloze:
        assert "{{c1::" in c.front
        assert c.back and "{{" not in c.back  # the back is the revealed sentence
        plain = c.front
        for n in range(1, 5):
            plain = plain.replace(f"{{{{c{n}::", "")
        assert plain.replace("}}", "") == c.back
    config = next(c for c in cloze if c.section[-1] == "配置")
    assert config.front == "最低要求是 {{c1::2c2g}}，推荐 {{c2::4g}}，硬盘容量 {{c3::40G}} 以上。"


def test_media(seed: ChapterResult) -> None:
    assert [(m.section[-1], m.target, m.path, m.source_line) for m in seed.media] == [
        ("Docker 架构", "../picture/K8s Docker 架构图.png", None, 107),
        ("容器与虚拟机的区别", "../picture/c.png", None, 121),
    ]
    assert [str(w) for w in seed.warnings] == [
        "seeds/kubernetes-01.md:107: warning: image not found: ../picture/K8s Docker 架构图.png",
        "seeds/kubernetes-01.md:121: warning: image not found: ../picture/c.png",
    ]
    arch = [c for c in seed.cards if c.section[-1] == "Docker 架构"]
    assert arch and all(c.media == ("../picture/K8s Docker 架构图.png",) for c in arch)
    assert all(c.media == () for c in seed.cards if c.kind in (CardKind.COMMAND, CardKind.OPTION))


def test_no_duplicates_or_empty_cards(seed: ChapterResult) -> None:
    keys = [(c.section, c.fact) for c in seed.cards]
    assert len(keys) == len(set(keys))
    for c in seed.cards:
        assert c.front.strip() and c.fact and c.source_file == "seeds/kubernetes-01.md" and c.source_line > 0
        if c.style != CardStyle.CLOZE:
            assert c.back.strip()
