"""``quizkit lint``: every authoring problem of a deck folder, a chapter or a folder of chapters.

Besides what reading the deck and its cards reports (deck.toml, missing
chapters, broken authored cards, duplicate keys, missing images), two checks
look at the chapter text itself, where the extractor stays silent: option
lines with no command before them (the extractor drops them) and options
written with one dash where the command spells them with two (``-tail``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from quizkit.authoring.deckdir import (
    ChapterBuild,
    build_deck,
    check_duplicates,
    compile_chapter,
    is_deck_dir,
    read_deck,
)
from quizkit.authoring.problems import Problem, problem, sort_problems
from quizkit.compiler import chapter_files
from quizkit.errors import InputError, QuizkitError
from quizkit.model import CardKind, ChapterResult

_SHELL_INFOS = frozenset(["", "bash", "sh", "shell", "console", "zsh", "terminal", "shell-session", "fish"])

# Long options (without "--") of the commands chapters teach most, from their own --help.
# A chapter writing "-tail" for "docker logs" means "--tail".
KNOWN_LONG_OPTIONS: dict[str, frozenset[str]] = {
    name: frozenset(opts.split())
    for name, opts in {
        "docker logs": "details follow since tail timestamps until",
        "docker ps": "all filter format last latest no-trunc quiet size",
        "docker images": "all digests filter format no-trunc quiet",
        "docker image ls": "all digests filter format no-trunc quiet",
        "docker run": "add-host attach detach entrypoint env env-file expose hostname interactive label "
        "link memory mount name network publish publish-all privileged restart rm tty user volume workdir",
        "docker exec": "detach detach-keys env env-file interactive privileged tty user workdir",
        "docker search": "filter format limit no-trunc",
        "docker rm": "force link volumes",
        "docker rmi": "force no-prune",
        "docker image rm": "force no-prune",
        "docker build": "build-arg file label network no-cache platform pull quiet rm tag target",
        "docker pull": "all-tags disable-content-trust platform quiet",
        "docker push": "all-tags disable-content-trust quiet",
        "docker stop": "signal time",
        "docker start": "attach interactive",
        "docker inspect": "format size type",
        "docker top": "",
        "docker attach": "detach-keys no-stdin sig-proxy",
        "kubectl get": "all-namespaces output selector watch show-labels namespace",
        "kubectl logs": "all-containers container follow previous since tail timestamps namespace",
        "kubectl apply": "filename recursive dry-run namespace",
        "kubectl delete": "filename all force grace-period namespace selector",
        "kubectl describe": "filename namespace selector",
        "kubectl run": "image port env labels restart rm stdin tty dry-run namespace",
        "kubectl expose": "port target-port type name namespace",
        "kubectl exec": "container stdin tty namespace",
        "git log": "oneline graph all author since until stat patch decorate",
        "git commit": "all amend message no-verify",
    }.items()
}


def lint_path(path: Path) -> list[Problem]:
    """Lint a deck folder, a chapter file or a folder of chapters; problems sorted by file and line."""
    path = Path(path)
    if is_deck_dir(path):
        return lint_deck(path)
    if path.is_dir():
        files = chapter_files(path)
        if not files:
            raise InputError("no deck.toml and no Markdown chapters (*.md) in this folder", file=str(path))
        problems: list[Problem] = []
        for f in files:
            problems.extend(lint_chapter(f))
        return sort_problems(problems)
    if not path.exists():
        raise InputError("no such file or directory", file=str(path))
    return sort_problems(lint_chapter(path))


def lint_deck(path: Path) -> list[Problem]:
    source, problems = read_deck(path)
    if source is None:
        return sort_problems(problems)
    _build, more = build_deck(source)
    problems.extend(more)
    for rel in source.chapters:
        display = source.display(rel)
        try:
            ch = compile_chapter(source.root / rel, source_file=rel, display=display, warn=source.lint_warn)
        except QuizkitError:
            continue  # already reported by build_deck
        problems.extend(chapter_text_problems(ch, display, source.lint_warn))
    return sort_problems(problems)


def lint_chapter(path: Path) -> list[Problem]:
    """A chapter on its own (no deck): its authored blocks, images and text checks."""
    display = str(path)
    try:
        ch = compile_chapter(path, source_file=display, display=display)
    except QuizkitError as exc:
        return [problem(exc.file or display, exc.line or 1, "bad-chapter", exc.message)]
    problems = list(ch.problems)
    problems.extend(chapter_result_problems(ch.result, display))
    problems.extend(check_duplicates(ch.authored, lambda _rel: display))
    for card in ch.authored:
        for target in card.spec.media:
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not (path.parent / target).is_file():
                problems.append(problem(display, card.line, "missing-image", f"image not found: {target}"))
    problems.extend(chapter_text_problems(ch, display))
    return problems


def chapter_result_problems(result: ChapterResult, display: str) -> list[Problem]:
    problems = []
    for w in result.warnings:
        if not w.message.startswith("image not found: "):
            problems.append(problem(display, w.line, "chapter-warning", w.message))
    for ref in result.media:
        if ref.path is None:
            problems.append(
                problem(display, ref.source_line, "missing-image", f"image not found: {ref.target}")
            )
    return problems


def chapter_text_problems(
    ch: ChapterBuild, display: str, warn: frozenset[str] = frozenset()
) -> list[Problem]:
    return [*orphan_options(ch.text, display, warn), *single_dash_options(ch.result, display, ch.text, warn)]


def orphan_options(text: str, display: str, warn: frozenset[str] = frozenset()) -> list[Problem]:
    """Option lines in a shell block before any command of their top-level section.

    The extractor gives options to the last command above them in the same
    top section; options with none are dropped silently, so say so.
    """
    from quizkit.compiler.blocks import parse_blocks
    from quizkit.compiler.lines import OPTION_HEADER_RE, is_command, parse_option, split_comment, strip_prompt

    problems: list[Problem] = []
    seen: set[tuple[str, ...]] = set()  # top sections with a command so far
    for block in parse_blocks(text, display):
        top = block.section[:1]
        if block.kind in ("para", "item"):
            if any(s.kind == "code" and " " in s.text and is_command(s.text) for s in block.spans):
                seen.add(top)
            continue
        if block.kind != "code" or block.info not in _SHELL_INFOS:
            continue
        header: int | None = None
        reported = False
        for i, raw in enumerate(block.raw.split("\n")):
            lineno = block.line + i
            line = strip_prompt(raw) if strip_prompt(raw) is not None else raw
            assert line is not None
            if not line.strip():
                continue
            code, comment = split_comment(line)
            if not code.strip():
                if comment and OPTION_HEADER_RE.match(comment):
                    header = lineno
                continue
            if code.strip().startswith("-"):
                opt = parse_option(code if comment is None else line)
                if opt is not None and top not in seen and not reported:
                    problems.append(
                        problem(
                            display,
                            header or lineno,
                            "orphan-options",
                            "option block with no command before it",
                            warn,
                        )
                    )
                    reported = True
                continue
            if is_command(code):
                seen.add(top)
                header, reported = None, False
    return problems


def _owner_and_flags(front: str, fact: str) -> tuple[str, list[str]]:
    from quizkit.compiler.lines import flag_names

    owner = fact[len("option:") :].rsplit(":", 1)[0]
    spec = front[len(owner) :] if front.startswith(owner) else front
    return owner, flag_names(spec)


def single_dash_options(
    result: ChapterResult, display: str, text: str = "", warn: frozenset[str] = frozenset()
) -> list[Problem]:
    """``-tail`` where the command's help says ``--tail`` (from :data:`KNOWN_LONG_OPTIONS` or the chapter)."""
    problems: list[Problem] = []
    written_long: dict[str, set[str]] = {}
    options = [c for c in result.cards if c.kind is CardKind.OPTION and c.fact.startswith("option:")]
    for card in options:
        owner, flags = _owner_and_flags(card.front, card.fact)
        written_long.setdefault(owner, set()).update(f[2:] for f in flags if f.startswith("--"))
    for card in options:
        owner, flags = _owner_and_flags(card.front, card.fact)
        known = KNOWN_LONG_OPTIONS.get(owner, frozenset()) | written_long.get(owner, set())
        for flag in flags:
            name = flag[1:].split("=")[0]
            if flag.startswith("--") or len(name) < 2 or name not in known:
                continue
            problems.append(
                problem(
                    display,
                    card.source_line,
                    "single-dash",
                    f"{owner} {flag}: one dash, but {owner} spells it --{name}",
                    warn,
                )
            )
    return problems


def counts(problems: Iterable[Problem]) -> tuple[int, int]:
    errors = warnings = 0
    for p in problems:
        if p.is_error:
            errors += 1
        else:
            warnings += 1
    return errors, warnings
