"""Shell command lines as facts: tokenising and a canonical identity.

Two spellings of one command (``sudo docker ps``, ``docker  ps``) must be the
same fact for the compiler (one card, one stable key) and the same answer for
the grader.  Placeholders (``[imageName]``, ``{{pod}}``, ``<name>``,
``${USER}``) are kept in what a learner sees but all compare equal.
"""

from __future__ import annotations

import re
import shlex

PLACEHOLDER = "<…>"

# [imageName], [imageId...], {{pod}}, <name>, ${USER}, $(cmd) are placeholders.
_PLACEHOLDER_RE = re.compile(
    r"""\{\{[^{}]*\}\}      # {{pod}}
      | \[[^\[\]\s]*\]      # [imageName]  (no spaces: not a char class)
      | <[^<>\s]+>          # <name>
      | \$\{[^}]*\}         # ${USER}
    """,
    re.VERBOSE,
)


# Without quotes or backslashes shlex (posix, whitespace_split) only splits on these four.
_SHLEX_SPECIAL_RE = re.compile(r"[\"'\\]")
_SHLEX_SPACE_RE = re.compile(r"[ \t\r\n]+")


def tokenize(command: str) -> list[str]:
    """Split like a shell would; fall back to whitespace on bad quoting."""
    if _SHLEX_SPECIAL_RE.search(command) is None:
        return [t for t in _SHLEX_SPACE_RE.split(command) if t]  # what shlex.split returns, faster
    try:
        return shlex.split(command, posix=True)
    except ValueError:
        return command.split()


def _is_placeholder(token: str) -> bool:
    return bool(_PLACEHOLDER_RE.fullmatch(token))


def command_identity(command: str) -> str:
    """Canonical form of a command line, used as a fact key and for equality.

    Drops a leading ``sudo``, collapses whitespace and quoting, and replaces
    whole-token placeholders by one marker so ``docker top [containerId]`` and
    ``docker top <id>`` are the same fact.
    """
    text = _PLACEHOLDER_RE.sub(PLACEHOLDER, command.strip())
    tokens = tokenize(text)
    while tokens and tokens[0] == "sudo":
        tokens = tokens[1:]
    out: list[str] = []
    for tok in tokens:
        if PLACEHOLDER in tok and _is_placeholder(tok.replace(PLACEHOLDER, "{{x}}")):
            out.append(PLACEHOLDER)
        else:
            out.append(tok)
    return " ".join(out)
