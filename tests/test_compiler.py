"""Unit tests for the chapter compiler: extractors, bad input, fuzz, stable facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizkit.commandline import command_identity
from quizkit.compiler import compile_file, compile_path, compile_text
from quizkit.errors import ChapterError, InputError, QuizkitError
from quizkit.model import CardKind, CardSpec, CardStyle, ChapterResult

FIXTURES = Path(__file__).parent / "fixtures" / "chapters"


def compile_md(text: str) -> ChapterResult:
    return compile_text(text, source_file="t.md", base_dir=Path("/nonexistent"))


def commands(result: ChapterResult) -> dict[str, CardSpec]:
    """Command identity -> its `type` card (front = description, back = command)."""
    return {
        command_identity(c.back): c
        for c in result.cards
        if c.kind == CardKind.COMMAND and c.style == CardStyle.TYPE
    }


def options(result: ChapterResult) -> dict[str, CardSpec]:
    return {c.fact: c for c in result.cards if c.kind == CardKind.OPTION}


# -- code blocks ----------------------------------------------------------------


def test_trailing_comment_commands_hash_slash_and_tab() -> None:
    r = compile_md(
        "# T\n\n```bash\ndocker ps  # 列出容器\nnginx -t    // 检查配置\ndocker logs\t#查看日志\n```\n"
    )
    cmds = commands(r)
    assert set(cmds) == {"docker ps", "nginx -t", "docker logs"}
    assert cmds["docker ps"].front == "列出容器"
    assert cmds["nginx -t"].front == "检查配置"
    basic = [c for c in r.cards if c.kind == CardKind.COMMAND and c.style == CardStyle.BASIC]
    assert {(c.front, c.back) for c in basic} == {
        ("docker ps", "列出容器"),
        ("nginx -t", "检查配置"),
        ("docker logs", "查看日志"),
    }
    assert {c.fact for c in basic} == {"command:docker ps:meaning", "command:nginx -t:meaning",
                                       "command:docker logs:meaning"}


def test_uncommented_followers_are_aliases_not_cards() -> None:
    r = compile_md(
        "```\ndocker images  # 列出镜像\ndocker image ls\n\n"
        "docker image rm x # 删除镜像\ndocker rmi -f y\n```\n"
    )
    cmds = commands(r)
    assert set(cmds) == {"docker images", "docker image rm x"}
    assert cmds["docker images"].aliases == ("docker image ls",)
    assert cmds["docker image rm x"].aliases == ("docker rmi -f y",)
    assert all(c.front != "docker image ls" for c in r.cards)


def test_terminal_output_and_prompts_are_not_commands() -> None:
    r = compile_md(
        "Build the image:\n\n```\nroot@host:~# docker build -t app .\n"
        "Sending build context to Docker daemon  2.048kB\nStep 1/2 : FROM ubuntu\n"
        " ---> d385\nroot@host:~#\n```\n"
    )
    cmds = commands(r)
    assert set(cmds) == {"docker build -t app ."}
    assert cmds["docker build -t app ."].front == "Build the image"
    fronts = " ".join(c.front + c.back for c in r.cards)
    assert "Sending" not in fronts and "--->" not in fronts and "root@host" not in fronts


def test_yaml_blocks_give_no_commands() -> None:
    r = compile_md("The manifest:\n\n```\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n```\n"
                   "\n```yaml\n# 注释\nspec: {}\n```\n")
    assert commands(r) == {}


def test_heredoc_body_is_not_commands() -> None:
    r = compile_md("```\ncat > f << EOF  # 写文件\nls -la\nEOF\n```\n")
    assert set(commands(r)) == {"cat > f << EOF"}


def test_preceding_comment_line_describes_command() -> None:
    r = compile_md("```bash\n# 获取kubectl的命令\nkubectl --help\n```\n")
    assert commands(r)["kubectl --help"].front == "获取kubectl的命令"


def test_sudo_and_placeholders_keep_display_but_share_identity() -> None:
    r = compile_md("```\nsudo docker top [containerId]  # 查看进程\n```\n")
    card = commands(r)["docker top <…>"]
    assert card.back == "sudo docker top [containerId]"
    assert card.fact == "command:docker top <…>:recall"


# -- options ----------------------------------------------------------------------


def test_option_block_with_sublines() -> None:
    r = compile_md(
        "```\ndocker run [参数] img # 新建容器\n\n# 可选项\n\t-d\t\t：后台运行\n\t-p\t\t：指定端口\n"
        "\t\t-p ip:主机端口:容器端口\n\t\t-p 容器端口:容器端口\n"
        "\t-f;--filter\t：过滤\n\t--name=\"Name\"\t：名称\n```\n"
    )
    opts = options(r)
    assert set(opts) == {"option:docker run:-d", "option:docker run:-p", "option:docker run:-f",
                         "option:docker run:--name"}
    p = opts["option:docker run:-p"]
    assert p.front == "docker run -p"
    assert p.back == "指定端口\n-p ip:主机端口:容器端口\n-p 容器端口:容器端口"
    assert opts["option:docker run:-f"].front == "docker run -f;--filter"
    assert p.source_line == 6


def test_help_style_options_in_code_block() -> None:
    r = compile_md(
        "```\ndocker create [options] IMAGE\n```\n\n```\n-a, --attach list   # 连接到 STDIN\n"
        "    --rm             # 退出时删除\n```\n"
    )
    opts = options(r)
    assert set(opts) == {"option:docker create:-a", "option:docker create:--rm"}
    assert opts["option:docker create:-a"].back == "连接到 STDIN"


def test_option_table_belongs_to_command() -> None:
    r = compile_md(
        "# ps\n\nList containers\n\n## Aliases\n\n`docker container ls`, `docker ps`\n\n## Options\n\n"
        "| Name | Type | Default | Description |\n|---|---|---|---|\n"
        "| [`-a`](#all), [`--all`](#all) | `bool` | | Show all containers |\n"
        "| `-n`, `--last` | `int` | `-1` | Show n last created containers |\n"
    )
    assert commands(r)["docker ps"].aliases == ("docker container ls",)
    opts = options(r)
    assert opts["option:docker ps:-a"].front == "docker ps -a, --all"
    assert opts["option:docker ps:-n"].back == "Show n last created containers"


def test_bullet_list_options_under_a_command() -> None:
    r = compile_md("- `git log`: show history\n  - `--oneline`: one line each\n  - -p: show patches\n")
    assert commands(r)["git log"].front == "show history"
    assert set(options(r)) == {"option:git log:--oneline", "option:git log:-p"}


# -- tables, lists, inline ------------------------------------------------------------


def test_command_table_with_subcommands_of_context_program() -> None:
    r = compile_md(
        "# kubectl\n\n```\nkubectl get --help  # 帮助\n```\n\n| 命令 | 介绍 |\n| --- | --- |\n"
        "| create | 创建资源 |\n| get | 显示资源 |\n|  |  |\n"
    )
    cmds = commands(r)
    assert {"kubectl create", "kubectl get"} <= set(cmds)
    assert cmds["kubectl create"].front == "创建资源"


def test_non_command_tables_are_ignored() -> None:
    r = compile_md("| Filter | Description |\n|---|---|\n| `id` | Container's ID |\n")
    assert commands(r) == {} and options(r) == {}


def test_tldr_layout() -> None:
    r = compile_md("# kubectl\n\n- List all resources:\n\n`kubectl get all`\n\n- Show logs:\n\n"
                   "`kubectl logs {{pod_name}}`\n")
    cmds = commands(r)
    assert cmds["kubectl get all"].front == "List all resources"
    assert cmds["kubectl logs <…>"].back == "kubectl logs {{pod_name}}"


def test_inline_code_with_tab_description() -> None:
    r = compile_md("1. 关闭swap\n\n   `swapoff -a`\t临时关闭\n\n   `sed -i 's/x/y/' /etc/fstab`\t永久关闭\n")
    cmds = commands(r)
    assert cmds["swapoff -a"].front == "临时关闭"
    assert cmds["sed -i s/x/y/ /etc/fstab"].front == "永久关闭"


def test_sentence_about_a_command_is_not_a_command_card() -> None:
    r = compile_md("`docker ps` groups exposed ports into a single range if possible.\n")
    assert commands(r) == {}


# -- prose -------------------------------------------------------------------------------


def test_cloze_of_definition_terms() -> None:
    r = compile_md("# 网络\n\n**反向代理**是指以代理服务器来接受连接请求。\n")
    cloze = [c for c in r.cards if c.style == CardStyle.CLOZE]
    assert len(cloze) == 1
    assert cloze[0].front.startswith("{{c1::反向代理}}是指")
    assert cloze[0].back == "反向代理是指以代理服务器来接受连接请求。"  # revealed sentence
    assert cloze[0].extra == ""
    assert cloze[0].kind == CardKind.CONCEPT and cloze[0].tags == ("网络", "concept")


def test_english_terms_and_quantities_inside_chinese() -> None:
    r = compile_md("# 配置\n\n最低要求是 2c2g，推荐 4g，客户端 client 与 Docker daemon 通信。\n")
    front = next(c.front for c in r.cards if c.style == CardStyle.CLOZE)
    for term in ("2c2g", "4g", "client", "Docker daemon"):
        assert f"::{term}}}}}" in front


def test_why_and_comparison_questions() -> None:
    r = compile_md(
        "## 甲与乙的区别\n\n从实现的角度来看，甲虚拟化硬件，乙共享内核。\n\n"
        "## 安装\n\n把用户加入 docker 组。这是因为直接使用root用户不够安全。\n"
    )
    qa = {c.front: c.back for c in r.cards if c.style == CardStyle.BASIC}
    assert qa["甲与乙在「实现」上有什么区别？"].startswith("从实现的角度来看")
    assert qa["为什么把用户加入 docker 组？"] == "这是因为直接使用root用户不够安全。"


def test_architecture_cards_and_media() -> None:
    r = compile_text(
        "## Docker 架构\n\n![图](pic/arch.png)\n\n"
        "命令行的`docker`是客户端 client，它与 Docker daemon 通信，镜像在 Registry 里。\n",
        source_file="ch.md",
        base_dir=Path("/nonexistent"),
    )
    arch = [c for c in r.cards if c.kind == CardKind.ARCHITECTURE]
    assert arch and all(c.media == ("pic/arch.png",) for c in arch)
    comps = next(c for c in arch if c.fact == "architecture:components")
    assert {"client", "Docker daemon", "Registry"} <= set(comps.back.split("、"))
    assert [m.target for m in r.media] == ["pic/arch.png"] and r.media[0].path is None
    assert [(w.line, w.message) for w in r.warnings] == [(3, "image not found: pic/arch.png")]


def test_existing_image_resolves_and_remote_is_not_media(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a b.png").write_bytes(b"png")
    ch = tmp_path / "ch.md"
    ch.write_text("# T\n\n![x](img/a b.png)\n\n![y](https://example.com/y.png)\n", encoding="utf-8")
    r = compile_file(ch)
    assert [(m.target, m.path) for m in r.media] == [("img/a b.png", str(tmp_path / "img" / "a b.png"))]
    assert [w for w in r.warnings if "image" in w.message] == []


# -- dedup, tags, source lines -----------------------------------------------------------


def test_same_fact_in_one_section_is_merged() -> None:
    r = compile_md("# A\n\n```\ndocker ps  # 列出容器\n```\n\n```\nsudo docker ps  # 列出运行中的容器\n```\n")
    facts = [(c.section, c.fact) for c in r.cards]
    assert len(facts) == len(set(facts))
    assert [c.back for c in r.cards if c.fact == "command:docker ps:meaning"] == ["列出容器"]


def test_tags_and_source_lines() -> None:
    r = compile_md("# Kubernetes\n\n## Docker 命令\n\n```\n\ndocker ps  # 列出容器\n```\n")
    card = commands(r)["docker ps"]
    assert card.tags == ("Kubernetes", "Docker_命令", "command")
    assert card.section == ("Kubernetes", "Docker 命令")
    assert card.source_line == 7 and card.source_file == "t.md"


# -- stable facts ----------------------------------------------------------------------------


def _facts(text: str) -> set[str]:
    return {c.fact for c in compile_md(text).cards}


def test_editing_a_description_keeps_the_fact() -> None:
    before = "# D\n\n```\ndocker ps  # 列出容器\n\n# 可选项\n\t-a\t：所有容器\n```\n"
    after = "# D\n\n```\ndocker ps  # 列出当前系统里运行的容器\n\n# 可选项\n\t-a\t：所有容器，包括历史\n```\n"
    assert _facts(before) == _facts(after) == {
        "command:docker ps:meaning", "command:docker ps:recall", "option:docker ps:-a"
    }


def test_sudo_docker_ps_and_docker_ps_are_one_fact() -> None:
    assert _facts("```\nsudo docker ps  # 列出容器\n```\n") == _facts("```\ndocker ps  # 列出容器\n```\n")


def test_concept_fact_survives_rewording() -> None:
    a = _facts("# X\n\n**镜像**是只读的模板。\n")
    b = _facts("# X\n\n**镜像**就是一个只读的模板。\n")
    assert a & b


# -- bad input ----------------------------------------------------------------------------


def test_missing_file() -> None:
    with pytest.raises(InputError) as exc:
        compile_file(Path("/nonexistent/ch.md"), display_path="decks/ch.md")
    assert str(exc.value) == "decks/ch.md: no such file"


def test_file_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        compile_file(tmp_path)
    assert exc.value.file == str(tmp_path) and "directory" in exc.value.message


def test_directory_without_markdown(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError) as exc:
        compile_path(tmp_path)
    assert exc.value.message == "no Markdown chapters (*.md, *.markdown) in directory"
    assert exc.value.file == str(tmp_path)


def test_missing_path() -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        compile_path(Path("/nonexistent/deck"))


def test_non_utf8_names_line_of_first_bad_byte(tmp_path: Path) -> None:
    p = tmp_path / "bad.md"
    p.write_bytes("# 标题\n\nok\n".encode() + b"caf\xe9\n")
    with pytest.raises(InputError) as exc:
        compile_file(p, display_path="bad.md")
    assert (exc.value.file, exc.value.line) == ("bad.md", 4)
    assert str(exc.value) == "bad.md:4: not valid UTF-8 (byte 0xe9)"


def test_binary_file(tmp_path: Path) -> None:
    p = tmp_path / "img.md"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError) as exc:
        compile_file(p, display_path="img.md")
    assert exc.value.line == 3 and "binary" in exc.value.message


def test_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    p = tmp_path / "bom.md"
    p.write_bytes(b"\xef\xbb\xbf# T\r\n\r\n```\r\ndocker ps  # list\r\n```\r\n")
    r = compile_file(p)
    assert set(commands(r)) == {"docker ps"} and commands(r)["docker ps"].source_line == 4


@pytest.mark.parametrize("text", ["", "   \n\n", "# Only a heading\n"])
def test_empty_chapter_is_a_warning(text: str) -> None:
    r = compile_md(text)
    assert r.cards == []
    assert len(r.warnings) == 1 and r.warnings[0].file == "t.md"
    assert r.warnings[0].message in ("empty chapter", "no cards found in chapter")


def test_unterminated_fence_names_opening_line() -> None:
    with pytest.raises(ChapterError) as exc:
        compile_md("# T\n\ntext\n\n```bash\ndocker ps  # x\n")
    assert exc.value.line == 5 and exc.value.file == "t.md"
    assert str(exc.value) == "t.md:5: unterminated code fence '```'"


def test_unterminated_fence_in_list_item() -> None:
    with pytest.raises(ChapterError) as exc:
        compile_md("- item\n\n  ~~~\n  ls -l\n")
    assert exc.value.line == 3


def test_compile_path_sorted(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("```\nls  # 列出\n```\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.markdown").write_text("```\npwd  # 当前目录\n```\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.md").write_text("# hidden\n", encoding="utf-8")
    results = compile_path(tmp_path)
    assert [Path(r.path).relative_to(tmp_path).as_posix() for r in results] == ["b.md", "sub/a.markdown"]


_md_alphabet = st.sampled_from(
    [*"ab -*#`>|:：。\n\t[](){}<>!\\$~_=，是", "```", "~~~", "docker ps", "  # 注释", "-a", "\x00", "\r"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(_md_alphabet, max_size=80).map("".join)))
def test_fuzz_only_quizkit_errors(text: str) -> None:
    try:
        r = compile_text(text, source_file="fuzz.md")
    except QuizkitError:
        return
    keys = [(c.section, c.fact) for c in r.cards]
    assert len(keys) == len(set(keys))
    assert all(c.front.strip() for c in r.cards)


def test_fixture_chapters_in_other_layouts() -> None:
    results = {Path(r.path).name: r for r in compile_path(FIXTURES)}
    git = results["en-git-cheatsheet.md"]
    assert set(commands(git)) == {"git status", "git log", "git commit <…>", "git stash", "git stash pop",
                                  "docker build -t app ."}
    assert {"option:git log:--oneline", "option:git log:-p", "option:git commit:-a", "option:git commit:-m",
            "option:git commit:--amend"} == set(options(git))
    assert any(c.style == CardStyle.CLOZE and "{{c1::commit}}" in c.front for c in git.cards)
    assert [w.message for w in git.warnings] == ["image not found: images/missing.png"]
    nginx = results["zh-nginx-notes.md"]
    cmds = commands(nginx)
    assert set(cmds) == {"nginx -t", "nginx -s reload", "nginx -s stop", "systemctl enable nginx",
                         "systemctl status nginx", "systemctl start nginx"}
    assert cmds["nginx -s stop"].aliases == ("nginx -s quit",)
    assert set(options(nginx)) == {"option:nginx:-c", "option:nginx:-p"}
    fronts = [c.front for c in nginx.cards if c.kind == CardKind.CONCEPT]
    assert "负载均衡与反向代理在「作用」上有什么区别？" in fronts
    assert "为什么它能用很少的内存处理大量并发连接？" in fronts


def test_importing_compiler_does_not_import_the_segmenter() -> None:
    import subprocess
    import sys

    code = (
        "import sys, quizkit.compiler\n"
        "print(sorted(m for m in ('rjieba', 'jieba') if m in sys.modules))\n"
        "quizkit.compiler.compile_text('# T\\n\\n容器是一种轻量级的虚拟化技术。\\n', source_file='c.md')\n"
        "print('rjieba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]  # imported on the first copula sentence


def test_authored_quizkit_blocks_are_not_commands() -> None:
    from quizkit.compiler import compile_text

    text = "# T\n\n```quizkit\nQ: docker ps # what?\nA: lists containers\n```\n"
    assert compile_text(text, source_file="c.md").cards == []


def test_segmenter_is_jiebas_cut_memoised(monkeypatch: pytest.MonkeyPatch) -> None:
    """Segmentation is jieba's no-HMM posseg cut (computed by rjieba), once per sentence."""
    import logging

    import jieba  # type: ignore[import-untyped]
    import jieba.posseg  # type: ignore[import-untyped]

    from quizkit.compiler import segment

    jieba.setLogLevel(logging.WARNING)
    sentence = "Docker daemon 是 dockr42 的后台进程，3个容器共享 2c2g 的 VM。"
    expected = [(p.word, p.flag) for p in jieba.posseg.cut(sentence, HMM=False)]
    calls: list[str] = []
    segment.forget()
    real = segment._rjieba_cut()
    monkeypatch.setattr(segment, "_CUT", lambda s: calls.append(s) or real(s))
    assert segment.posseg_cut(sentence) == expected
    assert segment.posseg_cut(sentence) == expected
    assert calls == [sentence]
    segment.forget()


def test_command_tokenize_fast_path_matches_shlex() -> None:
    import random
    import shlex

    from quizkit.commandline import tokenize

    chars = list("ab -=_/.:[]{}<>$#|&;()*?~!'\"\\") + [" ", "\t", "\n", "\r", "\x0b", "\u3000", "\xa0", "容"]
    rng = random.Random(5)
    for _ in range(5000):
        line = "".join(rng.choice(chars) for _ in range(rng.randint(0, 16)))
        try:
            expected = shlex.split(line, posix=True)
        except ValueError:
            expected = line.split()
        assert tokenize(line) == expected, line
