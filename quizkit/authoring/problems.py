"""One authoring problem (``file:line: error|warning: message``) and the rule names lint knows."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"

# Rule name -> default severity.  deck.toml's ``[lint] warn = [...]`` turns an error into a warning.
RULES: dict[str, str] = {
    "deck-toml": ERROR,  # unparsable deck.toml, missing or mistyped field
    "unknown-field": WARNING,  # a deck.toml key quizkit does not know (a typo?)
    "missing-chapter": ERROR,  # a chapter or cards file listed in deck.toml does not exist
    "bad-chapter": ERROR,  # a chapter cannot be read or parsed (unterminated fence, not UTF-8)
    "empty-side": ERROR,  # an authored card with an empty question or answer
    "bad-card": ERROR,  # an authored card the parser cannot use (unknown kind, field twice...)
    "cloze-no-deletion": ERROR,
    "choice-answers": ERROR,  # multiple choice with no or several right answers (unless multi)
    "duplicate-key": ERROR,  # two cards with one key (same id, or same section and question)
    "identical-card": ERROR,  # two cards with the same question and answer under different keys
    "orphan-options": ERROR,  # an option block with no command before it
    "single-dash": WARNING,  # `-tail` where the command's own help spells `--tail`
    "missing-image": ERROR,  # an image that does not exist
    "chapter-warning": WARNING,  # what the chapter compiler warns about (no cards found...)
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    severity: str  # "error" | "warning"
    message: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def problem(file: str, line: int, rule: str, message: str, warn: frozenset[str] = frozenset()) -> Problem:
    severity = RULES[rule]
    if rule in warn:
        severity = WARNING
    return Problem(file, line, severity, message, rule)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    unique = [p for p in problems if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
    return sorted(unique, key=lambda p: (p.file, p.line, p.severity != ERROR))
