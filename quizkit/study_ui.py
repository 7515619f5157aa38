"""The terminal study and quiz screens: asking cards, reading answers, committing them.

Works on a terminal and on plain piped stdin alike (lines are read with
``Console.input``; end of input is quitting).  All card text is escaped:
``[imageName]`` in a chapter prints as written.  Every answer is stored
(state and log row, one transaction) before the next card is shown.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from rich.console import Console

from quizkit import grading, sm2
from quizkit.clock import study_day
from quizkit.commands._common import escape
from quizkit.model import CardKind, CardStyle, CardView
from quizkit.schedulers import Policy
from quizkit.session import Outcome, Session, Summary, review_once
from quizkit.storage.bank import Bank

KEYS_HELP = "[dim]Enter accepts · 0-5 or a/h/g/e (again/hard/good/easy) · u undo · s suspend · q quit[/]"

# What ask_card returns besides a grade: the learner pressed a control key.
QUIT, UNDO, SUSPEND = "quit", "undo", "suspend"


@dataclass(frozen=True)
class Answer:
    grade: int
    text: str | None  # what the learner typed or picked, for the log
    duration_ms: int


class Screen:
    """Reads lines and prints card text on one console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def ask(self, prompt: str) -> str | None:
        """One line of input; None at end of input (piped stdin ran out, Ctrl-D)."""
        try:
            return self.console.input(prompt)
        except EOFError:
            self.console.print()
            return None

    def say(self, text: str = "") -> None:
        self.console.print(text)


def _control(text: str, allow: tuple[str, ...]) -> str | None:
    word = text.strip().casefold()
    for key in allow:
        if word == key[0]:
            return key
    return None


def _mark(graded: grading.Graded) -> str:
    return "[green]✓[/]" if graded.grade >= 3 else "[red]✗[/]"


def _show_diff(screen: Screen, graded: grading.Graded) -> None:
    if not graded.diff or all(p.op == "same" for p in graded.diff):
        return
    pieces = []
    for p in graded.diff:
        if p.op == "same":
            pieces.append(escape(p.given or p.expected))
        elif p.op == "typo":
            pieces.append(f"[yellow]{escape(p.given)}→{escape(p.expected)}[/]")
        elif p.op == "missing":
            pieces.append(f"[green]+{escape(p.expected)}[/]")
        else:
            pieces.append(f"[red]-{escape(p.given)}[/]")
    screen.say("  Difference: " + " ".join(pieces))


class CardAsker:
    """Asks one card in the way its kind and style call for."""

    def __init__(
        self, screen: Screen, rng: random.Random, siblings: Callable[[CardView], list[CardView]]
    ) -> None:
        self.screen = screen
        self.rng = rng
        self.siblings = siblings

    def ask(self, card: CardView, allow: tuple[str, ...]) -> Answer | str:
        """The learner's (possibly overridden) grade, or a control key from ``allow``."""
        started = time.monotonic()
        spec = card.spec
        # A chapter's top heading usually repeats the deck's name: say it once.
        section = spec.section[1:] if spec.section[:1] == (card.deck,) else spec.section
        where = " > ".join(section)
        self.screen.say(f"[dim]{escape(card.deck)}{' > ' + escape(where) if where else ''} · {card.id}[/]")
        result: tuple[grading.Graded | None, str | None] | str
        if spec.style == CardStyle.TYPE and spec.kind == CardKind.COMMAND:
            result = self._typed_command(card, allow)
        elif spec.style == CardStyle.CHOICE and spec.choices:
            result = self._choice(grading.authored_choice(card, self.rng), allow)
        elif spec.kind == CardKind.OPTION and spec.style == CardStyle.BASIC:
            question = grading.option_choice(card, self.siblings(card), self.rng)
            result = self._choice(question, allow) if question else self._reveal(card, allow)
        elif spec.style == CardStyle.CLOZE:
            result = self._cloze(card, allow)
        else:
            result = self._reveal(card, allow)
        if isinstance(result, str):
            return result
        graded, text = result
        if spec.extra and spec.style != CardStyle.CLOZE:
            self.screen.say(f"[dim]{escape(spec.extra)}[/]")
        grade = self._grade(graded, allow)
        if isinstance(grade, str):
            return grade
        return Answer(grade, text, int((time.monotonic() - started) * 1000))

    # -- ways of asking ---------------------------------------------------------
    def _ask(self, prompt: str, allow: tuple[str, ...]) -> tuple[str, str | None]:
        """(what was typed, control key or None); end of input is the ``quit`` key."""
        line = self.screen.ask(prompt)
        if line is None:
            return "", QUIT
        return line, _control(line, allow)

    def _show_front(self, card: CardView) -> None:
        self.screen.say(f"[bold]{escape(card.spec.front)}[/]")
        if card.spec.hint:
            self.screen.say(f"[dim]Hint: {escape(card.spec.hint)}[/]")

    def _typed_command(self, card: CardView, allow: tuple[str, ...]) -> tuple[grading.Graded, str] | str:
        self._show_front(card)
        line, key = self._ask("Command> ", allow)
        if key:
            return key
        graded = grading.grade_command(line, card.spec.back, card.spec.aliases)
        self.screen.say(f"{_mark(graded)} Answer: [bold]{escape(graded.expected)}[/]")
        if graded.expected != card.spec.back:
            self.screen.say(f"  (a variant of {escape(card.spec.back)})")
        _show_diff(self.screen, graded)
        return graded, line

    def _choice(self, q: grading.ChoiceQuestion, allow: tuple[str, ...]) -> tuple[grading.Graded, str] | str:
        self.screen.say(f"[bold]{escape(q.prompt)}[/]")
        for i, option in enumerate(q.options, 1):
            self.screen.say(f"  {i}. {escape(option)}")
        while True:
            line, key = self._ask("Choice> ", allow)
            if key:
                return key
            picks = grading.parse_choice(line, len(q.options)) if line.strip() else []
            if picks is not None:
                break
            self.screen.say(f"Type a number from 1 to {len(q.options)}.")
        graded = grading.grade_choice(picks, q.correct)
        answers = "; ".join(f"{i + 1}. {q.options[i]}" for i in q.correct)
        self.screen.say(f"{_mark(graded)} Answer: [bold]{escape(answers)}[/]")
        return graded, ",".join(str(p + 1) for p in picks)

    def _cloze(
        self, card: CardView, allow: tuple[str, ...]
    ) -> tuple[grading.Graded | None, str | None] | str:
        self.screen.say(f"[bold]{escape(grading.cloze_question(card.spec.front))}[/]")
        line, key = self._ask("Fill in (Enter to reveal)> ", allow)
        if key:
            return key
        self.screen.say(f"Answer: {escape(grading.cloze_answer(card.spec.front))}")
        if not line.strip():
            return None, None
        graded = grading.grade_text(line, grading.cloze_terms(card.spec.front))
        self.screen.say(f"{_mark(graded)} Terms: [bold]{escape(graded.expected)}[/]")
        return graded, line

    def _reveal(self, card: CardView, allow: tuple[str, ...]) -> tuple[None, None] | str:
        self._show_front(card)
        _line, key = self._ask("(Enter to reveal)> ", allow)
        if key:
            return key
        self.screen.say(f"Answer: {escape(card.spec.back)}")
        return None, None

    def _grade(self, graded: grading.Graded | None, allow: tuple[str, ...]) -> int | str:
        if graded is not None:
            self.screen.say(f"Suggested grade: {graded.grade} ({escape(graded.reason)})")
        keys = KEYS_HELP if "undo" in allow else "[dim]Enter accepts · 0-5 or a/h/g/e · q quit[/]"
        self.screen.say(keys)
        while True:
            default = f" [{graded.grade}]" if graded is not None else ""
            line, key = self._ask(f"Grade 0-5{escape(default)}> ", allow)
            if key:
                return key
            if not line.strip():
                if graded is not None:
                    return graded.grade
                self.screen.say("How well did you know it? 0 (blank) … 5 (perfect), or a/h/g/e.")
                continue
            try:
                return sm2.parse_grade(line)
            except Exception as exc:  # InputError: ask again rather than end the session
                self.screen.say(escape(str(exc)))


@dataclass(frozen=True)
class StudyOptions:
    day_start_hour: int
    deck: str | None
    leech_threshold: int = sm2.LEECH_THRESHOLD
    suspend_leeches: bool = True
    # deck name -> scheduling policy (decks not listed: SM-2 with the leech settings above)
    policies: Mapping[str, Policy] = field(default_factory=dict)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _day_text(day: date | None, today: date) -> str:
    if day is None:
        return "nothing scheduled"
    delta = (day - today).days
    if delta == 1:
        return f"{day.isoformat()} (tomorrow)"
    return f"{day.isoformat()} (in {delta} days)" if delta > 1 else day.isoformat()


class _Siblings:
    """Distractor candidates for an option card: its neighbours in the deck (Bank.neighbours)."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank

    def __call__(self, card: CardView) -> list[CardView]:
        return self.bank.neighbours(card.id)


def commit_outcome(
    bank: Bank,
    outcome: Outcome,
    *,
    moment: datetime,
    day: date,
    answer: str | None = None,
    duration_ms: int | None = None,
) -> int:
    """Commit one answer's outcome (new state and its log row, one transaction)."""
    return bank.record_review(
        outcome.card_id,
        before=outcome.before,
        after=outcome.after,
        grade=outcome.grade,
        kind=outcome.kind,
        reviewed_at=moment,
        study_day=day,
        answer=answer,
        duration_ms=duration_ms,
        scheduler=outcome.scheduler,
    )


def run_study(
    bank: Bank,
    session: Session,
    *,
    console: Console,
    options: StudyOptions,
    clock: Callable[[], datetime],
    rng: random.Random,
) -> Summary:
    """The study loop: ask, commit, repeat; ends when the queue is empty, on ``q`` or end of input."""
    screen = Screen(console)
    asker = CardAsker(screen, rng, _Siblings(bank))
    started = time.monotonic()
    allow = (QUIT, UNDO, SUSPEND)
    while (item := session.current()) is not None:
        left = session.remaining_by_phase()
        screen.say(
            f"\n[dim]── {session.done} done · {session.remaining} left "
            f"({left['review']} reviews · {left['new']} new · {left['drill']} again) ──[/]"
        )
        if item.phase == "drill":
            screen.say("[dim]Again (graded below 4 today; this does not change the schedule)[/]")
        answer = asker.ask(item.card, allow)
        moment = clock()
        day = study_day(moment, options.day_start_hour)
        if answer == QUIT:
            break
        if answer == UNDO:
            if not session.can_undo:
                screen.say("Nothing to undo in this session.")
                continue
            bank.undo_last(now=moment, study_day=day)
            back = session.undo()
            screen.say(f"Undone: {escape(back.card.spec.front) if back else ''}")
            continue
        if answer == SUSPEND:
            card = session.suspend()
            bank.set_suspended(card.id, True, now=moment, study_day=day)
            screen.say("Suspended.")
            continue
        assert isinstance(answer, Answer)
        outcome = session.answer(answer.grade, today=day, now=moment)
        commit_outcome(
            bank, outcome, moment=moment, day=day, answer=answer.text, duration_ms=answer.duration_ms
        )
        if outcome.kind != "drill":
            note = f"Next review in {outcome.after.interval} day{'s' if outcome.after.interval != 1 else ''}"
            if outcome.after.leech:
                note += " · [red]leech: suspended[/]" if outcome.after.suspended else " · [red]leech[/]"
            screen.say(f"[dim]{note}[/]")
    summary = session.summary()
    moment = clock()
    day = study_day(moment, options.day_start_hour)
    pct = summary.correct_percent
    screen.say(
        f"\nReviewed {summary.reviewed} ({summary.new} new, {summary.reviews} reviews), "
        f"{summary.drills} re-drill{'' if summary.drills == 1 else 's'}, "
        f"{'-' if pct is None else f'{pct}%'} correct, "
        f"{_duration(time.monotonic() - started)}."
    )
    if session.remaining:
        left_n = session.remaining
        screen.say(f"{left_n} card{'' if left_n == 1 else 's'} left for today.")
    screen.say(f"Next due: {_day_text(bank.next_due(day, deck=options.deck), day)}")
    return summary


def run_quiz(
    bank: Bank,
    cards: list[CardView],
    *,
    console: Console,
    options: StudyOptions,
    clock: Callable[[], datetime],
    rng: random.Random,
    record: bool,
) -> tuple[int, int]:
    """An exam: every card once, scored at the end; the schedule changes only with ``record``."""
    screen = Screen(console)
    asker = CardAsker(screen, rng, _Siblings(bank))
    correct = asked = 0
    graded_today: set[str] | None = None
    for i, card in enumerate(cards, 1):
        screen.say(f"\n[dim]── question {i} of {len(cards)} ──[/]")
        answer = asker.ask(card, (QUIT,))
        if not isinstance(answer, Answer):
            break
        asked += 1
        correct += answer.grade >= sm2.PASSING
        if record:
            moment = clock()
            day = study_day(moment, options.day_start_hour)
            if graded_today is None:
                graded_today = set(bank.day_grades(day))
            current = bank.get_card(card.id)
            outcome = review_once(
                current,
                answer.grade,
                today=day,
                now=moment,
                graded_today=card.id in graded_today,
                leech_threshold=options.leech_threshold,
                suspend_leeches=options.suspend_leeches,
                policy=options.policies.get(current.deck),
            )
            commit_outcome(
                bank, outcome, moment=moment, day=day, answer=answer.text, duration_ms=answer.duration_ms
            )
            graded_today.add(card.id)
    pct = round(100 * correct / len(cards)) if cards else 0
    screen.say(
        f"\nScore: {correct}/{len(cards)} ({pct}%)" + ("" if asked == len(cards) else f", {asked} answered")
    )
    return correct, len(cards)
