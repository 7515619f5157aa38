"""Grading answers: typed commands, cloze terms, multiple choice; pure, no I/O.

A typed command is compared token by token after making equal what a shell
(or the tool) treats as equal: whitespace and quoting, a leading ``sudo``,
placeholders (``[imageName]`` matches any value), combined short flags
(``-aq`` = ``-a -q``), ``--opt=value`` = ``--opt value``, flag order, and
known aliases (``docker images`` = ``docker image ls``, ``kubectl get po`` =
``kubectl get pods``).  A small typo in a word is a 3 or 4; a different flag
or subcommand (``rm`` for ``rmi``) is wrong.
"""

from __future__ import annotations

import difflib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA
from rapidfuzz.fuzz import ratio

from quizkit.commandline import PLACEHOLDER, command_identity, tokenize
from quizkit.model import CardKind, CardStyle, CardView

# Tool subcommands that are the same command under another name (first = canonical).
COMMAND_ALIASES: tuple[tuple[str, ...], ...] = (
    ("docker image ls", "docker images", "docker image list"),
    ("docker container ls", "docker ps", "docker container ps", "docker container list"),
    ("docker image rm", "docker rmi"),
    ("docker container rm", "docker rm"),
    ("docker image pull", "docker pull"),
    ("docker image push", "docker push"),
    ("docker image build", "docker build"),
    ("docker image tag", "docker tag"),
    ("docker image history", "docker history"),
    ("docker container run", "docker run"),
    ("docker container exec", "docker exec"),
    ("docker container logs", "docker logs"),
    ("docker container start", "docker start"),
    ("docker container stop", "docker stop"),
    ("docker container restart", "docker restart"),
    ("docker container kill", "docker kill"),
    ("docker container top", "docker top"),
    ("docker container stats", "docker stats"),
    ("docker container cp", "docker cp"),
    ("docker container create", "docker create"),
    ("docker container port", "docker port"),
    ("docker container attach", "docker attach"),
    ("docker compose", "docker-compose"),
    ("git switch -c", "git checkout -b"),
)

# kubectl resource short names and singulars.
KUBECTL_RESOURCES: dict[str, tuple[str, ...]] = {
    "pods": ("po", "pod"),
    "services": ("svc", "service"),
    "deployments": ("deploy", "deployment"),
    "namespaces": ("ns", "namespace"),
    "nodes": ("no", "node"),
    "replicasets": ("rs", "replicaset"),
    "configmaps": ("cm", "configmap"),
    "secrets": ("secret",),
    "persistentvolumes": ("pv", "persistentvolume"),
    "persistentvolumeclaims": ("pvc", "persistentvolumeclaim"),
    "serviceaccounts": ("sa", "serviceaccount"),
    "daemonsets": ("ds", "daemonset"),
    "statefulsets": ("sts", "statefulset"),
    "ingresses": ("ing", "ingress"),
    "jobs": ("job",),
    "cronjobs": ("cj", "cronjob"),
    "events": ("ev", "event"),
    "endpoints": ("ep",),
}
_KUBE = {alt: full for full, alts in KUBECTL_RESOURCES.items() for alt in alts}
_ALIASES = sorted(
    ((tuple(alt.split()), tuple(group[0].split())) for group in COMMAND_ALIASES for alt in group[1:]),
    key=lambda pair: -len(pair[0]),
)
_SHORT_GROUP = re.compile(r"-[A-Za-z]{2,}")

# Grades for automatic answers (SM-2 qualities).
PERFECT, TYPO, HARD, CLOSE, WRONG, BLANK = 5, 4, 3, 2, 1, 0


@dataclass(frozen=True)
class DiffPart:
    """One piece of the comparison shown after an answer."""

    op: str  # "same" | "typo" | "missing" | "extra"
    expected: str = ""
    given: str = ""


@dataclass(frozen=True)
class Graded:
    """What an answer earned: a suggested grade, why, and what differed."""

    grade: int
    reason: str
    expected: str  # the accepted answer closest to what was given
    diff: tuple[DiffPart, ...] = field(default_factory=tuple)

    @property
    def correct(self) -> bool:
        return self.grade >= 3


def normalize_command(command: str, *, aliases: bool = True) -> list[str]:
    """Tokens of a command line in a canonical form (see the module docstring).

    ``aliases=False`` keeps the subcommand as written (used to show a diff in
    the learner's own words).
    """
    tokens = tokenize(command_identity(command))
    out: list[str] = []
    for tok in tokens:
        if tok.startswith("--") and "=" in tok:
            name, value = tok.split("=", 1)
            out.extend([name, value])
        elif _SHORT_GROUP.fullmatch(tok) and len(set(tok[1:])) == len(tok) - 1:
            out.extend(f"-{ch}" for ch in tok[1:])
        else:
            out.append(tok)
    for alias, canonical in _ALIASES if aliases else ():
        if tuple(out[: len(alias)]) == alias:
            out = [*canonical, *out[len(alias) :]]
            break
    if aliases and out[:1] == ["kubectl"]:
        out = [out[0], *(_KUBE.get(tok, tok) for tok in out[1:])]
    return out


def _flag_order_free(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Positional words in order, and the flags with their following value as a sorted list."""
    words: list[str] = []
    flags: list[str] = []
    for tok in tokens:
        (flags if tok.startswith("-") and tok != "-" else words).append(tok)
    return words, sorted(flags)


def _same_token(expected: str, given: str) -> bool:
    return expected == given or (expected == PLACEHOLDER and not given.startswith("-"))


def _typo_cost(expected: str, given: str) -> int | None:
    """Edits for a misspelt word, or None when the difference is not a typo.

    Flags, placeholders and short words must match exactly: ``-a`` is not a
    typo of ``-q`` and ``rm`` is a different command from ``rmi``.
    """
    if expected.startswith("-") or given.startswith("-") or expected == PLACEHOLDER:
        return None
    edits = OSA.distance(expected.casefold(), given.casefold())
    if expected.casefold() == given.casefold():
        return 1
    if edits == 1 and len(expected) >= 4:
        return 1
    if edits == 2 and len(expected) >= 8:
        return 2
    return None


def _compare(expected: list[str], given: list[str]) -> tuple[int, tuple[DiffPart, ...]]:
    """Typo edits needed (-1 when not a typo-level match) and the token diff."""
    parts: list[DiffPart] = []
    typos = 0
    ok = True
    matcher = difflib.SequenceMatcher(
        a=[PLACEHOLDER if t == PLACEHOLDER else t for t in expected], b=given, autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        exp, got = expected[i1:i2], given[j1:j2]
        if op == "equal":
            parts.extend(DiffPart("same", e, g) for e, g in zip(exp, got, strict=True))
            continue
        if op == "replace" and len(exp) == len(got):
            for e, g in zip(exp, got, strict=True):
                if _same_token(e, g):
                    parts.append(DiffPart("same", e, g))
                    continue
                cost = _typo_cost(e, g)
                if cost is None:
                    ok = False
                    parts.append(DiffPart("missing", e, ""))
                    parts.append(DiffPart("extra", "", g))
                else:
                    typos += cost
                    parts.append(DiffPart("typo", e, g))
            continue
        ok = False
        parts.extend(DiffPart("missing", e, "") for e in exp)
        parts.extend(DiffPart("extra", "", g) for g in got)
    return (typos if ok else -1), tuple(parts)


def _grade_one(expected: str, answer: str) -> Graded:
    exp, got = normalize_command(expected), normalize_command(answer)
    typos, diff = _compare(exp, got)
    if typos == 0:
        return Graded(PERFECT, "correct", expected, diff)
    (ew, ef), (gw, gf) = _flag_order_free(exp), _flag_order_free(got)
    if ef == gf and len(ew) == len(gw) and all(_same_token(e, g) for e, g in zip(ew, gw, strict=True)):
        return Graded(PERFECT, "correct (options in another order)", expected, diff)
    # Typos and the diff are judged on the words as written: an alias rewrite of
    # one side only (``docker imgaes`` is no alias) would hide a plain typo.
    raw_typos, raw_diff = _compare(
        normalize_command(expected, aliases=False), normalize_command(answer, aliases=False)
    )
    if typos < 0 or (0 <= raw_typos < typos):
        typos, diff = raw_typos, raw_diff
    if typos < 0:
        diff = raw_diff
    if typos == 1:
        return Graded(TYPO, "a small typo", expected, diff)
    if typos >= 2:
        return Graded(HARD, "typos", expected, diff)
    similarity = ratio(" ".join(exp), " ".join(got))
    if similarity >= 70:
        return Graded(CLOSE, "close, but not the same command", expected, diff)
    return Graded(WRONG, "a different command", expected, diff)


def grade_command(answer: str, expected: str, aliases: Sequence[str] = ()) -> Graded:
    """Grade a typed command against the card's answer and its accepted variants."""
    if not answer.strip():
        return Graded(BLANK, "no answer", expected, tuple(DiffPart("missing", t) for t in tokenize(expected)))
    results = [_grade_one(candidate, answer) for candidate in (expected, *aliases)]
    return max(results, key=lambda r: (r.grade, r is results[0]))


def _norm_text(text: str) -> str:
    return " ".join(text.casefold().replace("\u3000", " ").split())


def grade_text(answer: str, expected: Sequence[str]) -> Graded:
    """Grade typed free text (cloze terms): case and spacing ignored, a typo or two tolerated.

    Several terms may be given in order, separated by commas or semicolons.
    """
    want = " ; ".join(_norm_text(e) for e in expected)
    given = _norm_text(answer)
    shown = "; ".join(expected)
    if not given:
        return Graded(BLANK, "no answer", shown)
    parts = [_norm_text(p) for p in re.split(r"[,;，；、]", answer) if p.strip()]
    terms = [_norm_text(e) for e in expected]
    if parts == terms or given == want or (len(terms) == 1 and given == terms[0]):
        return Graded(PERFECT, "correct", shown)
    joined = " ; ".join(parts)
    edits = OSA.distance(joined, want)
    if len(parts) == len(terms) and edits <= max(1, len(want) // 10):
        return Graded(TYPO if edits <= 2 else HARD, "a small typo" if edits <= 2 else "typos", shown)
    if ratio(joined, want) >= 70:
        return Graded(CLOSE, "close", shown)
    return Graded(WRONG, "wrong", shown)


def grade_choice(picked: Sequence[int], correct: Sequence[int]) -> Graded:
    """Multiple choice: all correct options and nothing else is a 4 (recognition, not recall)."""
    shown = ", ".join(str(i + 1) for i in sorted(correct))
    if not picked:
        return Graded(BLANK, "no answer", shown)
    if sorted(set(picked)) == sorted(correct):
        return Graded(TYPO, "correct", shown)
    return Graded(WRONG, "wrong", shown)


# -- cloze -------------------------------------------------------------------
CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


def cloze_question(text: str) -> str:
    """The front with each deletion blanked: ``[...]``, or ``[hint]`` when the deletion has one."""
    return CLOZE_RE.sub(lambda m: f"[{m.group(3)}]" if m.group(3) else "[...]", text)


def cloze_answer(text: str) -> str:
    """The front with each deletion's term back in place."""
    return CLOZE_RE.sub(lambda m: m.group(2), text)


def cloze_terms(text: str) -> list[str]:
    """The deleted terms, in order of appearance."""
    return [m.group(2) for m in CLOZE_RE.finditer(text)]


# -- multiple choice -------------------------------------------------------------
@dataclass(frozen=True)
class ChoiceQuestion:
    """A card asked as numbered options."""

    prompt: str
    options: tuple[str, ...]
    correct: tuple[int, ...]  # 0-based indexes


def authored_choice(card: CardView, rng: random.Random) -> ChoiceQuestion:
    """A ``choice``-style card: its own options, shuffled."""
    options = list(card.spec.choices)
    rng.shuffle(options)
    return ChoiceQuestion(
        card.spec.front,
        tuple(c.text for c in options),
        tuple(i for i, c in enumerate(options) if c.correct),
    )


def _owner(card: CardView) -> str:
    # option:<owner identity>:<flag>
    parts = card.spec.fact.split(":")
    return parts[1] if len(parts) >= 3 else ""


def option_choice(
    card: CardView, siblings: Sequence[CardView], rng: random.Random, *, size: int = 4
) -> ChoiceQuestion | None:
    """An option card as "which option does this?": distractors are sibling options/commands.

    Options of the same command come first, then other options and commands
    of the deck.  None when the deck offers no distractor.
    """
    answer = card.spec.front
    same_owner: list[str] = []
    others: list[str] = []
    seen = {command_identity(answer)}
    for s in siblings:
        if s.id == card.id or s.spec.kind not in (CardKind.OPTION, CardKind.COMMAND):
            continue
        if s.spec.kind == CardKind.COMMAND and s.spec.style != CardStyle.BASIC:
            continue  # command cards come in pairs; the basic one's front is the command
        ident = command_identity(s.spec.front)
        if ident in seen or s.spec.back.strip() == card.spec.back.strip():
            continue
        seen.add(ident)
        (same_owner if s.spec.kind == CardKind.OPTION and _owner(s) == _owner(card) else others).append(
            s.spec.front
        )
    rng.shuffle(same_owner)
    rng.shuffle(others)
    distractors = (same_owner + others)[: size - 1]
    if not distractors:
        return None
    options = [answer, *distractors]
    rng.shuffle(options)
    return ChoiceQuestion(card.spec.back, tuple(options), (options.index(answer),))


def parse_choice(text: str, count: int) -> list[int] | None:
    """``"2"`` or ``"1,3"`` as 0-based indexes; None when it is not a valid pick."""
    picks: list[int] = []
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= count:
            return None
        picks.append(int(part) - 1)
    return picks or None
