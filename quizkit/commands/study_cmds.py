"""Study commands: ``study``, ``due``, ``review``, ``quiz``, ``undo``, ``suspend``, ``unsuspend``.

Kept light at import time: ``quizkit due`` runs in a shell prompt, so the
grader (rapidfuzz) and the study screens load only in the commands that ask
cards.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from quizkit.commands._common import (
    bank_options,
    err,
    escape,
    json_option,
    now,
    open_bank,
    out,
    print_json,
    print_table,
)
from quizkit.errors import InputError

if TYPE_CHECKING:
    from datetime import date

    from quizkit.model import CardView
    from quizkit.schedulers import Policy
    from quizkit.storage.bank import Bank

DEFAULT_NEW = 20
DEFAULT_REVIEWS = 200
DEFAULT_DAY_START = 4

_day_start_option = click.option(
    "--day-start",
    "day_start",
    type=click.IntRange(0, 23),
    metavar="HOUR",
    help="Hour (0-23, local time) at which a new study day starts "
    "[default: the deck's day_start_hour setting, else 4].",
)


def _setting(settings: dict[str, object], key: str, default: int, minimum: int = 0) -> int:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"deck setting {key} must be a whole number >= {minimum}, not {value!r}")
    return value


def _deck_settings(bank: Bank, deck: str | None) -> dict[str, object]:
    return dict(bank.get_deck(deck).settings) if deck is not None else {}


def _day_start(settings: dict[str, object], option: int | None) -> int:
    if option is not None:
        return option
    hour = _setting(settings, "day_start_hour", DEFAULT_DAY_START)
    if hour > 23:
        raise InputError(f"deck setting day_start_hour must be 0-23, not {hour}")
    return hour


def _study_day(day_start: int) -> tuple[Any, date]:
    from quizkit.clock import study_day

    moment = now()
    return moment, study_day(moment, day_start)


def _leech_settings(settings: dict[str, object]) -> tuple[int, bool]:
    threshold = _setting(settings, "leech_threshold", 8)
    action = settings.get("leech_action", "suspend")
    if action not in ("suspend", "tag"):
        raise InputError(f"deck setting leech_action must be 'suspend' or 'tag', not {action!r}")
    return threshold, action == "suspend"


def _policies(bank: Bank, deck: str | None, leech_threshold: int, suspend_leeches: bool) -> dict[str, Policy]:
    """Deck name -> scheduling policy (the deck's scheduler, the session's leech settings)."""
    from quizkit.schedulers import policy_from_settings

    infos = [bank.get_deck(deck)] if deck is not None else bank.list_deck_infos()
    return {
        info.name: policy_from_settings(
            info.settings, leech_threshold=leech_threshold, suspend_leeches=suspend_leeches
        )
        for info in infos
    }


def _queue_for_day(
    bank: Bank, deck: str | None, day: date, new_opt: int | None, reviews_opt: int | None
) -> tuple[list[CardView], list[CardView], list[CardView], tuple[int, int, int, int]]:
    """Due reviews, new cards and pending re-drills for ``day``, per-deck limits applied.

    Returns the lists and (new limit, new done, reviews limit, reviews done)
    for the session as a whole: an option caps the whole session, deck
    settings cap each deck.
    """
    from quizkit.session import most_overdue_first

    infos = [bank.get_deck(deck)] if deck is not None else bank.list_deck_infos()
    due: list[CardView] = []
    new: list[CardView] = []
    total_new = total_reviews = 0
    for info in infos:
        new_limit = new_opt if new_opt is not None else _setting(info.settings, "new_per_day", DEFAULT_NEW)
        rev_limit = (
            reviews_opt
            if reviews_opt is not None
            else _setting(info.settings, "reviews_per_day", DEFAULT_REVIEWS)
        )
        new_done, reviews_done = bank.studied_today(day, deck=info.key)
        total_new += new_done
        total_reviews += reviews_done
        due += bank.due_cards(day, deck=info.key, limit=max(0, rev_limit - reviews_done))
        new += bank.new_cards(deck=info.key, limit=max(0, new_limit - new_done))
    drills = []
    for card_id, grade in bank.day_grades(day, deck=deck).items():
        if grade < 4:
            view = bank.get_card(card_id)
            if not view.state.suspended and not view.retired:
                drills.append(view)
    unlimited = 10**9
    limits = (
        new_opt if new_opt is not None else unlimited,
        total_new if new_opt is not None else 0,
        reviews_opt if reviews_opt is not None else unlimited,
        total_reviews if reviews_opt is not None else 0,
    )
    return most_overdue_first(due), new, drills, limits


@click.command()
@click.argument("deck", required=False)
@click.option(
    "--new", "new_opt", type=click.IntRange(min=0), metavar="N", help="New cards per day [default: 20]."
)
@click.option(
    "--reviews",
    "reviews_opt",
    type=click.IntRange(min=0),
    metavar="N",
    help="Reviews per day [default: 200].",
)
@_day_start_option
@click.option("--seed", type=int, hidden=True, help="Seed for shuffling choices (tests, demos).")
@bank_options
def study(
    deck: str | None,
    new_opt: int | None,
    reviews_opt: int | None,
    day_start: int | None,
    seed: int | None,
    db: str | None,
    learner: str | None,
) -> None:
    """Today's review: due cards (most overdue first), then new cards, then re-drills.

    Command cards ask you to type the command and grade it (a typo is a 3 or 4);
    option cards are multiple choice; concept cards are revealed with Enter and
    self-graded 0-5 (a/h/g/e = again/hard/good/easy = 1/3/4/5). Enter accepts the
    suggested grade; u undoes the last answer, s suspends the card, q quits.
    Every answer is saved at once. Cards graded below 4 come back at the end
    (SM-2 step 7) without changing their schedule.

    Daily limits come from --new/--reviews, else the deck settings new_per_day
    and reviews_per_day, else 20 and 200. See docs/studying.md.

    \b
    Examples:
      quizkit study                      # every deck
      quizkit study Kubernetes --new 5   # one deck, at most 5 new cards
      quizkit study --day-start 0        # days start at midnight
    """
    import random

    from quizkit import clock
    from quizkit.session import Limits, Session

    with open_bank(db, learner) as bank:
        settings = _deck_settings(bank, deck)
        hour = _day_start(settings, day_start)
        leech_threshold, suspend_leeches = _leech_settings(settings)
        _moment, day = _study_day(hour)
        due, new, drills, (new_limit, new_done, rev_limit, rev_done) = _queue_for_day(
            bank, deck, day, new_opt, reviews_opt
        )
        session = Session(
            due,
            new,
            limits=Limits(new_per_day=new_limit, reviews_per_day=rev_limit),
            new_done=new_done,
            reviews_done=rev_done,
            drills=drills,
            leech_threshold=leech_threshold,
            suspend_leeches=suspend_leeches,
            policies=_policies(bank, deck, leech_threshold, suspend_leeches),
        )
        where = f" in {deck}" if deck else ""
        if session.current() is None:
            from quizkit.study_ui import _day_text

            out().print(f"Nothing to study{escape(where)} today.")
            out().print(f"Next due: {_day_text(bank.next_due(day, deck=deck), day)}")
            return
        from quizkit.study_ui import StudyOptions, run_study

        left = session.remaining_by_phase()
        out().print(
            f"Studying{escape(where)}: {left['review']} reviews, {left['new']} new, "
            f"{left['drill']} to drill again."
        )
        run_study(
            bank,
            session,
            console=out(),
            options=StudyOptions(hour, deck, leech_threshold, suspend_leeches),
            clock=clock.now,
            rng=random.Random(seed),
        )


@click.command()
@_day_start_option
@json_option
@bank_options
def due(day_start: int | None, db: str | None, learner: str | None, json_: bool) -> None:
    """Due and new card counts per deck for today, within today's limits.

    Cheap enough for a shell prompt. The counts are what 'quizkit study' would
    show now: due reviews and new cards, less what you already did today.

    \b
    Examples:
      quizkit due
      quizkit due --json     # [{"deck": ..., "due": 3, "new": 20}, ...]
    """
    from quizkit.config import default_learner, resolve_db
    from quizkit.storage import due_queries
    from quizkit.storage.readers import SqliteReader, open_sqlite

    _moment, day = _study_day(day_start if day_start is not None else DEFAULT_DAY_START)

    def limits(settings_json: str) -> tuple[int, int]:
        settings = json.loads(settings_json)
        return _setting(settings, "new_per_day", DEFAULT_NEW), _setting(
            settings, "reviews_per_day", DEFAULT_REVIEWS
        )

    # A SQLite bank at the current schema is read with sqlite3 alone (no SQLAlchemy to import:
    # most of this command's time otherwise); anything else goes through open_bank, which
    # creates, checks and migrates.  Both run the same SQL (storage/due_queries.py).
    con = open_sqlite(resolve_db(db))
    if con is not None:
        try:
            rows = due_queries.today_rows(SqliteReader(con), learner or default_learner(), day, limits)
        finally:
            con.close()
    else:
        with open_bank(db, learner) as bank:
            rows = bank.today_rows(day, limits)
    if json_:
        print_json(rows)
        return
    if not rows:
        err().print("The bank has no decks yet. Try: quizkit init, or quizkit compile CHAPTER.md --deck NAME")
        return
    print_table(("Deck", "Due", "New"), [(str(r["deck"]), str(r["due"]), str(r["new"])) for r in rows])


@click.command()
@click.argument("card_id")
@click.argument("grade")
@click.option("--answer", metavar="TEXT", help="What was answered (kept in the review log).")
@_day_start_option
@json_option
@bank_options
def review(
    card_id: str,
    grade: str,
    answer: str | None,
    day_start: int | None,
    db: str | None,
    learner: str | None,
    json_: bool,
) -> None:
    """Record one review of a card without the study screen (scripts, editor plugins).

    GRADE is 0-5 or again/hard/good/easy. The first grade of a study day
    schedules the card (SM-2, or FSRS if its deck uses it); later grades that
    day are logged as re-drills and leave the schedule alone.

    \b
    Examples:
      quizkit review 3f2a9c1b0d4e 4
      quizkit review 3f2a good --answer "docker ps -a" --json
    """
    from quizkit import sm2
    from quizkit.schedulers import policy_from_settings
    from quizkit.session import review_once
    from quizkit.study_ui import commit_outcome

    value = sm2.parse_grade(grade)
    with open_bank(db, learner) as bank:
        card = bank.get_card(card_id)
        settings = dict(bank.get_deck(card.deck).settings)
        hour = _day_start(settings, day_start)
        threshold, suspend_leeches = _leech_settings(settings)
        policy = policy_from_settings(settings, leech_threshold=threshold, suspend_leeches=suspend_leeches)
        moment, day = _study_day(hour)
        outcome = review_once(
            card,
            value,
            today=day,
            now=moment,
            graded_today=card.id in bank.day_grades(day),
            policy=policy,
        )
        commit_outcome(bank, outcome, moment=moment, day=day, answer=answer)
    state = outcome.after
    if json_:
        print_json({"id": card.id, "grade": value, "kind": outcome.kind, "state": state.to_json(day)})
        return
    if outcome.kind == "drill":
        out().print(f"{card.id}: graded {value} (re-drill; already reviewed today, schedule unchanged)")
        return
    if outcome.scheduler == "fsrs" and state.stability is not None and state.difficulty is not None:
        memory = f"FSRS stability {state.stability:.1f}d, difficulty {state.difficulty:.1f}"
    else:
        memory = f"EF {state.ef / 1000:g}"
    line = (
        f"{card.id}: graded {value}, next review {state.due} "
        f"(in {state.interval} day{'s' if state.interval != 1 else ''}, {memory})"
    )
    if state.leech:
        line += " — leech" + (", suspended" if state.suspended else "")
    out().print(line)


@click.command()
@click.argument("deck", required=False)
@click.option(
    "-n", "count", type=click.IntRange(min=1), default=20, show_default=True, help="Number of questions."
)
@click.option("--record", is_flag=True, help="Record the answers as reviews (changes the schedule).")
@click.option("--seed", type=int, help="Seed for picking and shuffling (the same exam again).")
@_day_start_option
@bank_options
def quiz(
    deck: str | None,
    count: int,
    record: bool,
    seed: int | None,
    day_start: int | None,
    db: str | None,
    learner: str | None,
) -> None:
    """An exam: N random cards, typed or multiple choice, scored at the end.

    The schedule is not touched unless --record is given (then the first grade
    of the day for each card schedules it, as in 'quizkit review').

    \b
    Examples:
      quizkit quiz Kubernetes -n 10
      quizkit quiz --seed 7            # the same questions again
      quizkit quiz Kubernetes --record
    """
    import random

    from quizkit import clock
    from quizkit.study_ui import StudyOptions, run_quiz

    rng = random.Random(seed)
    with open_bank(db, learner) as bank:
        settings = _deck_settings(bank, deck)
        hour = _day_start(settings, day_start)
        threshold, suspend_leeches = _leech_settings(settings)
        pool = [c for c in bank.iter_cards(deck) if not c.state.suspended]
        if not pool:
            raise InputError(f"no cards to quiz{' in ' + deck if deck else ''}")
        cards = rng.sample(pool, min(count, len(pool)))
        run_quiz(
            bank,
            cards,
            console=out(),
            options=StudyOptions(
                hour, deck, threshold, suspend_leeches, _policies(bank, deck, threshold, suspend_leeches)
            ),
            clock=clock.now,
            rng=rng,
            record=record,
        )


@click.command()
@_day_start_option
@json_option
@bank_options
def undo(day_start: int | None, db: str | None, learner: str | None, json_: bool) -> None:
    """Undo your last answer (or suspension): the card gets its previous state back.

    The review log keeps both the answer and the undo. Run it again to undo
    the answer before.

    \b
    Examples:
      quizkit undo
      quizkit undo --json
    """
    with open_bank(db, learner) as bank:
        moment, day = _study_day(day_start if day_start is not None else DEFAULT_DAY_START)
        row = bank.undo_last(now=moment, study_day=day)
        card = bank.get_card(row.card_id) if row is not None else None
    if row is None or card is None:
        if json_:
            print_json(None)
        else:
            out().print("Nothing to undo.")
        return
    if json_:
        print_json(
            {
                "undid": row.id,
                "id": row.card_id,
                "kind": row.kind,
                "grade": row.grade,
                "state": card.state.to_json(day),
            }
        )
        return
    what = f"{row.kind} (grade {row.grade})" if row.grade is not None else row.kind
    out().print(f"Undid {what} of {card.id}: {escape(card.spec.front)}")


def _set_suspended(
    card_ids: tuple[str, ...], value: bool, db: str | None, learner: str | None, json_: bool
) -> None:
    with open_bank(db, learner) as bank:
        views = [bank.get_card(cid) for cid in card_ids]  # every id is checked before any change
        moment, day = _study_day(DEFAULT_DAY_START)
        done = [bank.set_suspended(v.id, value, now=moment, study_day=day) for v in views]
    if json_:
        print_json([{"id": v.id, "state": v.state.to_json(day)} for v in done])
        return
    verb = "Suspended" if value else "Unsuspended"
    for before, after in zip(views, done, strict=True):
        same = before.state.suspended == value
        note = f" (already {'suspended' if value else 'active'})" if same else ""
        out().print(f"{verb} {after.id}{note}: {escape(after.spec.front)}")


@click.command()
@click.argument("card_ids", nargs=-1, required=True, metavar="CARD_ID...")
@json_option
@bank_options
def suspend(card_ids: tuple[str, ...], db: str | None, learner: str | None, json_: bool) -> None:
    """Take cards out of the review queue until you unsuspend them.

    \b
    Examples:
      quizkit suspend 3f2a9c1b0d4e
      quizkit suspend 3f2a 9b1c --json
    """
    _set_suspended(card_ids, True, db, learner, json_)


@click.command()
@click.argument("card_ids", nargs=-1, required=True, metavar="CARD_ID...")
@json_option
@bank_options
def unsuspend(card_ids: tuple[str, ...], db: str | None, learner: str | None, json_: bool) -> None:
    """Put suspended cards (leeches included) back into the review queue.

    \b
    Examples:
      quizkit unsuspend 3f2a9c1b0d4e
      quizkit cards --json | jq -r '.[] | select(.state.leech) | .id' | xargs quizkit unsuspend
    """
    _set_suspended(card_ids, False, db, learner, json_)
