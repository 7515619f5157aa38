"""Line-level recognisers: shell commands, trailing comments, prompts, option lines.

These work on one line (or one table cell) at a time; the block walker in
:mod:`quizkit.compiler.extract` decides what a line means from its neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quizkit.commandline import tokenize

CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
URL_RE = re.compile(r"(?:https?|ftp)://\S+")

# `$ cmd`, `root@host:~# cmd`, `[root@host ~]# cmd`, `user@host:/path$ cmd`
PROMPT_RE = re.compile(r"^\s*(?:\$|[\w.-]+@[\w.-]+:[^\s#$]*[#$]|\[[\w.-]+@[\w.-]+[^\]]*\][#$])(?:\s+|$)")
# A program name: lowercase word or path; no ':' (YAML keys), '=' (ini), digits first (IPs, ids).
_PROGRAM_RE = re.compile(r"^(?:\.{1,2}/|/|~/)?[a-z_][a-z0-9_.+-]*(?:/[a-z0-9_.+-]+)*$")
_HEX_ID_RE = re.compile(r"^[0-9a-f]{10,}$")
_BASE_WORD_RE = re.compile(r"^[a-z][a-z0-9._-]*$")
_HEREDOC_RE = re.compile(r"<<-?\s*['\"]?([A-Za-z_]\w*)['\"]?")
_COLUMNS_RE = re.compile(r"\S(?: {2,}|\t)\S")

# Comment lines that open an option block (`# 可选项`, `# Options:`, `<环境参数>`).
OPTION_HEADER_RE = re.compile(
    r"^(?:<[^<>]{1,12}>|(?:常用|可选|全局)?(?:可选项|选项|参数|选项参数|环境参数|options?|flags?)"
    r"(?:\s*(?:参数|说明|列表|list))?\s*[:：]?)$",
    re.IGNORECASE,
)

_FLAG = r"-{1,2}[A-Za-z0-9?][\w.-]*(?:\[?=(?:\"[^\"]*\"|'[^']*'|[^\s,;|\"']*)\]?)?"
_OPTION_RE = re.compile(
    rf"^(?P<flags>{_FLAG}(?:\s*[,;/|]\s*{_FLAG})*)"
    r"(?P<arg>[ =](?:<[^<>]+>|\[[^\[\]]+\]|\{\{[^{}]*\}\}|[A-Za-z_][\w.-]*)(?=\s|$|[：:]))?"
    r"(?P<rest>.*)$"
)
_FLAG_NAME_RE = re.compile(r"(?<![\w-])-{1,2}[A-Za-z0-9?][\w.-]*")
# What may separate an option (or a `command`) from its description.
_DESC_SEP_RE = re.compile(r"^(?:\s*(?:#+|//|：|:(?=\s)|[-–—](?=\s))|\t|\s{2,})\s*")


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


def strip_prompt(line: str) -> str | None:
    """The command after a shell prompt, or None when the line has no prompt."""
    m = PROMPT_RE.match(line)
    if m is None:
        return None
    return line[m.end() :]


def split_comment(line: str) -> tuple[str, str | None]:
    """Split ``code  # comment`` (or ``//``) outside quotes; also ``word<TAB>说明``."""
    if "#" not in line and "//" not in line and "\t" not in line:
        return line.rstrip(), None  # what the scan below returns for such a line
    if "'" not in line and '"' not in line and "$(" not in line:
        # No quotes or $(…): the scan below stops at the first # or // after a blank (or at 0).
        m = _COMMENT_START_RE.search(line)
        if m is not None:
            i = m.start()
            code = line[:i].rstrip()
            comment = line[i:].lstrip("#/ \t").strip()
            return code, comment or None
        return _split_tab(line)
    quote = ""
    depth = 0
    prev = " "
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(" and prev == "$":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth and prev in " \t" and (ch == "#" or line.startswith("//", i)):
            code = line[:i].rstrip()
            comment = line[i:].lstrip("#/ \t").strip()
            if code:
                return code, comment or None
            return "", comment or None
        prev = ch
    return _split_tab(line)


_COMMENT_START_RE = re.compile(r"(?<![^ \t])(?:#|//)")


def _split_tab(line: str) -> tuple[str, str | None]:
    if "\t" in line.strip():
        left, _, right = line.strip().partition("\t")
        right = right.strip()
        if right and (has_cjk(right[:1]) or (len(left.split()) == 1 and len(right.split()) >= 2)):
            return left.strip(), right
    return line.rstrip(), None


def _words(command: str) -> list[str]:
    toks = command.split()
    while toks and toks[0] == "sudo":
        toks = toks[1:]
    return toks


def program(command: str) -> str:
    toks = _words(command)
    return toks[0] if toks else ""


def is_command(code: str) -> bool:
    """Does this text look like a shell command line (not YAML, output, prose)?"""
    toks = _words(code.strip())
    if not toks:
        return False
    first = toks[0]
    if not _PROGRAM_RE.match(first) or _HEX_ID_RE.match(first):
        return False
    if len(toks) > 1 and toks[1] in ("=", ":", "->", "=>", "|"):
        return False
    if has_cjk(first):
        return False
    # Output tables (`web-1   1/1   Running`) align columns with runs of spaces.
    return len(_COLUMNS_RE.findall(code.strip())) < 2


def base_command(command: str) -> str:
    """The words that name a (sub)command: ``docker run [x] --rm img`` -> ``docker run``."""
    out: list[str] = []
    for tok in _words(command.split("|")[0]):
        if not _BASE_WORD_RE.match(tok) or len(out) >= 4:
            break
        out.append(tok)
    return " ".join(out)


def heredoc_end(code: str) -> str | None:
    m = _HEREDOC_RE.search(code)
    return m.group(1) if m else None


def flag_names(text: str) -> list[str]:
    return _FLAG_NAME_RE.findall(text)


@dataclass
class OptionLine:
    flags: list[str]
    spec: str  # flags (and argument) as written
    description: str
    indent: int
    sublines: list[str] = field(default_factory=list)


def parse_option(line: str) -> OptionLine | None:
    """``-a, --all   说明`` / ``-a\t：说明`` / ``--name="x"  # 说明``; description may be ''."""
    indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
    text = line.strip()
    m = _OPTION_RE.match(text)
    if m is None:
        return None
    rest = m.group("rest")
    description = ""
    if rest:
        sep = _DESC_SEP_RE.match(rest)
        if sep is None:
            return OptionLine(flag_names(m.group("flags")), text, "", indent)
        description = rest[sep.end() :].strip()
        # `-d,--driver<TAB>bridge<TAB>说明`: a default value column before the description.
        if "\t" in description:
            description = description.split("\t")[-1].strip()
        description = description.lstrip("：:#").strip()
    spec = " ".join((m.group("flags") + (m.group("arg") or "")).split())
    flags = flag_names(m.group("flags"))
    if not flags:
        return None
    return OptionLine(flags, spec, description, indent)


def split_command_tokens(command: str) -> list[str]:
    return tokenize(command)


_SEE_TAIL_RE = re.compile(r"(?:参考|see|参见)\s*[:：]\s*$", re.IGNORECASE)
_NUMBERING_RE = re.compile(r"^\s*(?:\d+|[一二三四五六七八九十]+)\s*[、.．)）]\s*")


def clean_description(text: str) -> str:
    if "://" in text:
        text = URL_RE.sub("", text)
    text = _SEE_TAIL_RE.sub("", text.strip())
    text = _NUMBERING_RE.sub("", text)
    text = " ".join(text.split())
    return text.strip(" \t:：,，;；")
