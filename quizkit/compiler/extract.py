"""Command and option facts from code blocks, tables, lists and inline code.

One pass over the blocks.  A small context remembers the last real command
line (options without a command of their own belong to it) and the program
it runs (one-word subcommands in a ``| 命令 | 介绍 |`` table are its
subcommands).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quizkit.compiler.blocks import Block
from quizkit.compiler.lines import (
    OPTION_HEADER_RE,
    OptionLine,
    base_command,
    clean_description,
    flag_names,
    has_cjk,
    heredoc_end,
    is_command,
    parse_option,
    program,
    split_comment,
    strip_prompt,
)

# Fenced blocks in these languages hold no shell commands.
_NOT_SHELL = frozenset(
    "yaml yml json jsonc xml html css ini toml properties conf cfg dockerfile python py java go js "
    "javascript ts typescript c cpp c++ rust rs sql nginx diff csv markdown md text txt output log "
    "plaintext mermaid dot quizkit".split()  # quizkit: authored cards, parsed by quizkit.authoring
)
_GENERIC_HEADINGS = re.compile(
    r"^(?:语法|用法|格式|命令格式|示例|实例|例子|举例|演示|例如|说明|参数|选项|选项参数|可选项|"
    r"syntax|usage|synopsis|examples?|options?|flags|notes?|description|aliases|别名)$",
    re.IGNORECASE,
)
_ALIAS_HEADINGS = re.compile(r"^(?:aliases|alias|别名)$", re.IGNORECASE)
_CMD_HEADERS = frozenset("命令 command commands cmd 指令 子命令 subcommand 命令行 操作".split())
_DESC_HEADERS = frozenset(
    "介绍 说明 描述 作用 含义 功能 用途 解释 备注 description desc meaning purpose explanation".split()
)
_OPT_HEADERS = frozenset("name option options flag flags 选项 参数 参数名 可选项".split())
_INLINE_CMD_RE = re.compile(
    r"^\s*(?:(?:如|例如|比如|e\.g\.|eg)\s*[:：,，]?\s*)?`([^`\n]+)`(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)
_EXAMPLE_PREFIX_RE = re.compile(r"^\s*(?:如|例如|比如|e\.g\.|eg)\s*[:：,，]?\s*`", re.IGNORECASE)
_INLINE_SEP_RE = re.compile(r"^(?:\s*(?:：|:|[-–—](?=\s))|\t|\s{2,})\s*")
_MARKUP_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)|[`*]")


@dataclass
class CommandFact:
    command: str
    description: str
    line: int
    section: tuple[str, ...]
    aliases: list[str] = field(default_factory=list)


@dataclass
class OptionFact:
    owner: str  # base command, e.g. "docker ps"
    option: OptionLine
    line: int
    section: tuple[str, ...]


@dataclass
class Facts:
    commands: list[CommandFact] = field(default_factory=list)
    options: list[OptionFact] = field(default_factory=list)
    # Blocks consumed as commands; the prose extractor skips them.
    used: set[int] = field(default_factory=set)


@dataclass
class _Context:
    command: str = ""  # base of the last real command line
    section: tuple[str, ...] = ()
    last_fact: CommandFact | None = None


def _strip_markup(text: str) -> str:
    text = _MARKUP_RE.sub(lambda m: m.group(1) or "", text)
    return " ".join(text.replace("`", "").replace("*", "").split())


class Extractor:
    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.facts = Facts()
        self.ctx = _Context()

    # -- helpers -------------------------------------------------------------
    def _emit(self, command: str, description: str, line: int, section: tuple[str, ...]) -> CommandFact:
        description = clean_description(description)
        command = " ".join(command.split()) if "\n" not in command else command.strip()
        last = self.ctx.last_fact
        # Two commands in a row with one description are variants of one fact.
        if (
            last is not None
            and last.section == section
            and last.description == description
            and program(last.command) == program(command)
        ):
            if command != last.command and command not in last.aliases:
                last.aliases.append(command)
            return last
        fact = CommandFact(command, description, line, section)
        self.facts.commands.append(fact)
        self.ctx.last_fact = fact
        return fact

    def _set_context(self, command: str, section: tuple[str, ...]) -> None:
        base = base_command(command)
        if base:
            self.ctx.command = base
            self.ctx.section = section

    def _owner(self, section: tuple[str, ...]) -> str:
        # An option list belongs to the last command seen under the same top sections.
        if self.ctx.command and self.ctx.section[:1] == section[:1]:
            return self.ctx.command
        return ""

    def _option(self, owner: str, opt: OptionLine, line: int, section: tuple[str, ...]) -> OptionFact | None:
        if not owner or not opt.description:
            return None
        fact = OptionFact(owner, opt, line, section)
        self.facts.options.append(fact)
        return fact

    def _subcommand(self, word: str, section: tuple[str, ...]) -> str:
        """``create`` in a kubectl table is ``kubectl create``."""
        if " " in word.strip():
            return word.strip()
        prog = program(self.ctx.command)
        if prog and prog != word:
            heading_text = " ".join(section).lower()
            if prog.lower() in heading_text or self.ctx.section[:2] == section[:2]:
                return f"{prog} {word}"
        return word

    def _intro(self, idx: int) -> str:
        """Text that introduces block ``idx``: the paragraph or heading right before it."""
        if idx == 0:
            return ""
        prev = self.blocks[idx - 1]
        block = self.blocks[idx]
        if prev.kind in ("para", "item") and prev.plain.strip():
            if idx - 1 in self.facts.used or prev.images and not prev.plain.strip():
                return ""
            text = clean_description(prev.plain)
            if 0 < len(text) <= 200:
                return text
            return ""
        if prev.kind == "heading" and block.section and block.item is None:
            title = block.section[-1]
            if not _GENERIC_HEADINGS.match(title.strip()) and not is_command(title):
                return clean_description(title)
        return ""

    # -- code blocks ---------------------------------------------------------
    def code(self, idx: int) -> None:
        block = self.blocks[idx]
        if block.info in _NOT_SHELL:
            return
        section = block.section
        lines = block.raw.split("\n")
        console = any(strip_prompt(ln) is not None for ln in lines if ln.strip())
        intro = self._intro(idx)
        pending: list[str] = []
        current: CommandFact | None = None
        alias_open = False
        option_owner = ""
        last_option: OptionLine | None = None
        heredoc: str | None = None
        lone: list[tuple[str, int, bool]] = []  # uncommented commands: (text, line, after blank)
        blank_before = False
        commented = 0
        i = 0
        while i < len(lines):
            raw = lines[i]
            lineno = block.line + i
            i += 1
            if heredoc is not None:
                if raw.strip() == heredoc:
                    heredoc = None
                continue
            if not raw.strip():
                pending, alias_open, last_option, blank_before = [], False, None, True
                continue
            text = raw
            if console:
                after = strip_prompt(raw)
                if after is None:
                    alias_open = False
                    continue
                text = after
            stripped = text.strip()
            code, comment = split_comment(text)
            if not code.strip():
                if comment is None:
                    continue
                if last_option is not None and raw[:1] in " \t":
                    last_option.sublines.append(comment)  # a wrapped option description
                    continue
                if OPTION_HEADER_RE.match(comment):
                    option_owner = base_command(current.command) if current else self._owner(section)
                    last_option = None
                    continue
                pending.append(comment)
                alias_open = False
                continue
            if stripped.startswith("<") and OPTION_HEADER_RE.match(stripped):
                option_owner = base_command(current.command) if current else self._owner(section)
                continue
            if stripped.startswith("-"):
                opt = parse_option(text)
                if opt is not None:
                    if opt.description:
                        owner = option_owner or (base_command(current.command) if current else "")
                        owner = owner or self._owner(section)
                        if self._option(owner, opt, lineno, section) is not None:
                            last_option = opt
                    elif last_option is not None and (
                        opt.indent > last_option.indent or opt.flags[:1] == last_option.flags[:1]
                    ):
                        last_option.sublines.append(stripped)
                    elif last_option is not None and last_option.description:
                        last_option.sublines.append(stripped)
                    continue
                alias_open = False
                continue
            # A continued command line: join, and keep `--flag \  # 说明` as options.
            cont_options: list[tuple[OptionLine, int]] = []
            while code.rstrip().endswith("\\") and i < len(lines):
                nxt = lines[i]
                nxt_code, nxt_comment = split_comment(nxt)
                code = code.rstrip()[:-1].rstrip() + " " + nxt_code.strip()
                opt = parse_option(nxt_code.rstrip().rstrip("\\").rstrip())
                if opt is not None and nxt_comment:
                    opt.description = nxt_comment
                    cont_options.append((opt, block.line + i))
                i += 1
            code = code.rstrip().rstrip("\\").rstrip()
            # `attach<TAB>说明`: a subcommand list line.
            if comment and "#" not in text and "//" not in text and len(code.split()) == 1 and not console:
                if is_command(code):
                    self._emit(self._subcommand(code, section), comment, lineno, section)
                    commented += 1
                continue
            if not is_command(code):
                alias_open = False
                continue
            end = heredoc_end(code)
            if end:
                heredoc = end
            joined = "；".join(p for p in map(clean_description, pending) if p)
            description = comment or clean_description(joined)
            pending = []
            if description:
                fact = self._emit(code, description, lineno, section)
                current, alias_open, option_owner, last_option = fact, True, "", None
                commented += 1
            elif alias_open and current is not None and program(code) == program(current.command):
                if code not in current.aliases and code != current.command:
                    current.aliases.append(code)
            else:
                lone.append((code, lineno, blank_before))
                alias_open = False
            self._set_context(code, section)
            for opt, ln in cont_options:
                self._option(base_command(code), opt, ln, section)
            blank_before = False
        if lone and not commented and intro:
            first, line, _ = lone[0]
            fact = self._emit(first, intro, line, section)
            for text, _, after_blank in lone[1:]:
                if after_blank or program(text) != program(first):
                    break
                if text not in fact.aliases and text != fact.command:
                    fact.aliases.append(text)
            self.facts.used.add(idx - 1)
        if lone:
            self._set_context(lone[0][0], section)

    # -- tables --------------------------------------------------------------
    def table(self, idx: int) -> None:
        block = self.blocks[idx]
        if len(block.rows) < 2:
            return
        header = [_strip_markup(c).lower() for c in block.rows[0]]
        desc_col = next((j for j, h in enumerate(header) if h in _DESC_HEADERS), None)
        if desc_col is None:
            return
        cmd_col = next((j for j, h in enumerate(header) if h in _CMD_HEADERS), None)
        opt_col = next((j for j, h in enumerate(header) if h in _OPT_HEADERS), None)
        for r, row in enumerate(block.rows[1:], start=1):
            if max(desc_col, cmd_col or 0, opt_col or 0) >= len(row):
                continue
            line = block.row_lines[r] if r < len(block.row_lines) else block.line
            desc = _strip_markup(row[desc_col].replace("<br>", " "))
            if not desc:
                continue
            if cmd_col is not None:
                cell = _strip_markup(row[cmd_col])
                if cell and is_command(cell):
                    self._emit(self._subcommand(cell, block.section), desc, line, block.section)
            elif opt_col is not None:
                cell = _strip_markup(row[opt_col])
                flags = flag_names(cell)
                if flags and cell.startswith("-"):
                    opt = OptionLine(flags, ", ".join(flags), desc, 0)
                    self._option(self._owner(block.section), opt, line, block.section)
        self.facts.used.add(idx)

    # -- paragraphs and list items ---------------------------------------------
    def inline(self, idx: int) -> None:
        block = self.blocks[idx]
        raw = block.raw.strip()
        if not raw:
            return
        section = block.section
        # `- --port：说明` / `` - `-a`: 说明 ``: an option of the command above.
        plain_head = _strip_markup(raw.split("\n")[0])
        if block.kind == "item" and plain_head.startswith("-"):
            opt = parse_option(plain_head)
            if opt is not None and opt.description:
                owner = ""
                if block.parent_item is not None:
                    parent = self.blocks[block.parent_item]
                    m = _INLINE_CMD_RE.match(parent.raw)
                    if m and is_command(m.group(1)):
                        owner = base_command(m.group(1))
                owner = owner or self._owner(section)
                if self._option(owner, opt, block.line, section):
                    self.facts.used.add(idx)
                return
        codes = [s.text for s in block.spans if s.kind == "code"]
        # `docker container ls`, `docker ps`: one command spelled several ways.
        if len(codes) >= 2 and all(is_command(c) and " " in c for c in codes):
            rest = re.sub(r"`[^`]*`", "", raw)
            if not re.sub(r"[\s,，、;；]|\bor\b|或|和|and", "", rest):
                main = min(codes, key=lambda c: (len(c.split()), len(c)))
                desc = self._alias_group_description(idx)
                if desc:
                    fact = self._emit(main, desc, block.line, section)
                    for c in codes:
                        if c != fact.command and c not in fact.aliases:
                            fact.aliases.append(c)
                    self.facts.used.add(idx)
                self._set_context(main, section)
                return
        m = _INLINE_CMD_RE.match(raw)
        if m is None or len(codes) > 1 and not _EXAMPLE_PREFIX_RE.match(raw):
            return
        command = m.group(1).strip()
        if not is_command(command) or "\n" in m.group("rest").strip():
            return
        rest = m.group("rest")
        sep = _INLINE_SEP_RE.match(rest)
        last = self.ctx.last_fact
        bare = not rest.strip() and block.kind == "para"
        if _EXAMPLE_PREFIX_RE.match(raw) or (bare and self._is_example(idx)):
            if last is not None and last.section == section and program(last.command) == program(command):
                if command != last.command and command not in last.aliases:
                    last.aliases.append(command)
                self.facts.used.add(idx)
                return
        description = ""
        if rest.strip():
            if sep is None:
                return  # `docker ps` groups ports ...: a sentence about the command
            description = rest[sep.end() :]
            if block.kind == "item" and "`" in description and not has_cjk(description):
                return
        elif " " in command:
            description = self._inline_intro(idx)
        self._set_context(command, section)
        if description:
            self._emit(command, description, block.line, section)
            self.facts.used.add(idx)

    def _is_example(self, idx: int) -> bool:
        # A bare `command` paragraph right after another command of the same list item.
        prev = self.blocks[idx - 1] if idx else None
        return prev is not None and prev.kind == "para" and idx - 1 in self.facts.used and (
            prev.item == self.blocks[idx].item
        )

    def _inline_intro(self, idx: int) -> str:
        block = self.blocks[idx]
        prev = self.blocks[idx - 1] if idx else None
        if prev is not None and prev.kind in ("para", "item") and idx - 1 not in self.facts.used:
            text = prev.plain.strip()
            same_container = prev.kind == "para" and prev.item == block.item and block.item is not None
            if (text.endswith((":", "：")) or same_container) and len(text) <= 200:
                self.facts.used.add(idx - 1)
                return text
        if block.item is not None:
            item = self.blocks[block.item]
            m = _INLINE_CMD_RE.match(item.raw)
            if item.plain.strip() and not (m and is_command(m.group(1))):
                text = clean_description(item.plain.split("\n")[0])
                if 0 < len(text) <= 120:
                    return text
        return ""

    def _alias_group_description(self, idx: int) -> str:
        block = self.blocks[idx]
        prev = self.blocks[idx - 1] if idx else None
        if prev is not None and prev.kind == "para" and prev.plain.strip().endswith((":", "：")):
            return prev.plain
        if block.section and _ALIAS_HEADINGS.match(block.section[-1]):
            parent = block.section[:-1]
            for b in self.blocks:
                if b.kind == "para" and b.section == parent and b.plain.strip():
                    return b.plain
        return ""

    def run(self) -> Facts:
        for idx, block in enumerate(self.blocks):
            if block.kind == "code":
                self.code(idx)
            elif block.kind == "table":
                self.table(idx)
            elif block.kind in ("para", "item"):
                self.inline(idx)
        return self.facts


def extract_commands(blocks: list[Block]) -> Facts:
    return Extractor(blocks).run()
