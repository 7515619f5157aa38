"""Scheduler commands: ``simulate`` (SM-2 against FSRS on a model learner) and ``config`` (deck settings).

The simulation and the settings checks live in the library
(:mod:`quizkit.simulate`, :mod:`quizkit.schedulers`); these commands parse,
open the bank, call one library function and render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from quizkit.commands._common import (
    bank_options,
    escape,
    json_option,
    new_table,
    now,
    open_bank,
    out,
    print_json,
    today,
)

if TYPE_CHECKING:
    from quizkit.model import SchedulerSwitch
    from quizkit.simulate import Run

_NAMES = {"sm2": "SM-2", "fsrs": "FSRS"}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _whole(settings: dict[str, object], key: str, default: int) -> int:
    value = settings.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def _periods(runs: list[Run], every: int) -> list[list[str]]:
    rows = []
    n_days = len(runs[0].days)
    for first in range(0, n_days, every):
        last = min(n_days, first + every)
        row = [f"{first + 1}-{last}" if last > first + 1 else str(first + 1)]
        for run in runs:
            span = run.days[first:last]
            per_day = sum(d.answers for d in span) / len(span)
            # Retention as the period's last day starts: where the learner stands.
            row += [f"{per_day:.0f}", _pct(span[-1].retention)]
        rows.append(row)
    return rows


@click.command()
@click.argument("deck")
@click.option(
    "--days",
    type=click.IntRange(1, 36500),
    default=365,
    show_default=True,
    help="Study days to simulate.",
)
@click.option(
    "--scheduler",
    "only",
    type=click.Choice(["sm2", "fsrs"]),
    help="Simulate one scheduler only [default: both, side by side].",
)
@click.option(
    "--cards", "n_cards", type=click.IntRange(min=1), help="Cards [default: the deck's active cards]."
)
@click.option(
    "--new-per-day", type=click.IntRange(min=0), help="New cards per day [default: deck setting, else 20]."
)
@click.option(
    "--reviews-per-day", type=click.IntRange(min=0), help="Reviews per day [default: deck setting, else 200]."
)
@click.option(
    "--retention",
    type=click.FloatRange(0.7, 0.99),
    help="FSRS desired retention [default: the deck's desired_retention, else 0.9].",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulated learner.")
@click.option(
    "--every", type=click.IntRange(min=1), default=30, show_default=True, help="Days per table row."
)
@json_option
@bank_options
def simulate(
    deck: str,
    days: int,
    only: str | None,
    n_cards: int | None,
    new_per_day: int | None,
    reviews_per_day: int | None,
    retention: float | None,
    seed: int,
    every: int,
    db: str | None,
    learner: str | None,
    json_: bool,
) -> None:
    """Simulate a learner studying DECK under SM-2 and FSRS, to choose a scheduler knowingly.

    A model learner (seeded; the forgetting model is in docs/fsrs.md) starts
    the deck from scratch and studies every day within the daily limits. For
    each scheduler you get the reviews per day and the expected retention
    (the learner's mean chance of recalling a card seen so far), side by side.
    Nothing in the bank changes.

    \b
    Examples:
      quizkit simulate Kubernetes
      quizkit simulate Kubernetes --days 90 --every 7
      quizkit simulate Kubernetes --scheduler fsrs --retention 0.85 --json
    """
    from quizkit.schedulers import SCHEDULERS, check_scheduler, policy_from_settings
    from quizkit.simulate import simulate as run_simulation

    with open_bank(db, learner) as bank:
        info = bank.get_deck(deck)
        summary = next(s for s in bank.deck_summaries(today()) if s.key == info.key)
    settings = dict(info.settings)
    cards = n_cards if n_cards is not None else summary.cards
    new_limit = new_per_day if new_per_day is not None else _whole(settings, "new_per_day", 20)
    review_limit = (
        reviews_per_day if reviews_per_day is not None else _whole(settings, "reviews_per_day", 200)
    )
    target = retention if retention is not None else policy_from_settings(settings).desired_retention
    names = [only] if only else list(SCHEDULERS)
    runs = [
        run_simulation(
            cards,
            days,
            scheduler=check_scheduler(name),
            seed=seed,
            new_per_day=new_limit,
            reviews_per_day=review_limit,
            desired_retention=target,
        )
        for name in names
    ]
    if json_:
        print_json(
            {
                "deck": info.name,
                "cards": cards,
                "days": days,
                "seed": seed,
                "new_per_day": new_limit,
                "reviews_per_day": review_limit,
                "desired_retention": target,
                "runs": [r.to_json() for r in runs],
            }
        )
        return
    console = out()
    console.print(
        f"Simulated {cards} cards of {escape(info.name)} over {days} days: {new_limit} new and at most "
        f"{review_limit} reviews a day, seed {seed}, FSRS desired retention {target:g}."
    )
    columns = ["Days"]
    for run in runs:
        label = _NAMES[run.scheduler]
        columns += [f"{label} reviews/day", f"{label} retention"]
    table = new_table(*columns)
    for row in _periods(runs, every):
        table.add_row(*row)
    console.print(table)
    for run in runs:
        console.print(
            f"{_NAMES[run.scheduler]}: {run.answers} reviews ({run.seen} new cards, {run.reviews} repeats), "
            f"{run.answers / days:.0f} a day; recalled at repeats {_pct(run.recall_rate)}; "
            f"mean expected retention {_pct(run.mean_retention)}."
        )
    console.print(
        "[dim]Reviews count every answer, new cards included. Retention: the learner's mean chance "
        "of recalling a card seen so far (see docs/fsrs.md).[/]"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _print_switch(switch: SchedulerSwitch, json_: bool) -> None:
    if json_:
        print_json(
            {
                "deck": switch.deck,
                "scheduler": switch.after,
                "before": switch.before,
                "states": switch.states,
                "answers": switch.answers,
                "learners": switch.learners,
            }
        )
    elif not switch.changed:
        out().print(f"{escape(switch.deck)} already uses {_NAMES[switch.after]}.")
    else:
        out().print(
            f"{escape(switch.deck)} now uses {_NAMES[switch.after]} (was {_NAMES[switch.before]}): "
            f"replayed {_plural(switch.answers, 'answer')} into {_plural(switch.states, 'card state')} "
            f"of {_plural(switch.learners, 'learner')}."
        )


@click.command()
@click.argument("deck")
@click.argument("key", required=False)
@click.argument("value", required=False)
@json_option
@bank_options
def config(
    deck: str, key: str | None, value: str | None, db: str | None, learner: str | None, json_: bool
) -> None:
    """Show or change a deck's settings, such as its scheduler (sm2 or fsrs).

    With DECK alone, lists the settings; with KEY, shows one; with KEY VALUE,
    stores it in the bank. Changing the scheduler replays every learner's
    review log into the new scheduler's state, so no history is lost and
    switching back restores SM-2's intervals. A deck.toml that names a
    scheduler sets it again on the next compile. Settings: scheduler,
    desired_retention, new_per_day, reviews_per_day, day_start_hour,
    leech_threshold, leech_action.

    \b
    Examples:
      quizkit config Kubernetes
      quizkit config Kubernetes scheduler fsrs
      quizkit config Kubernetes desired_retention 0.85
      quizkit config Kubernetes scheduler --json
    """
    from quizkit.schedulers import SETTING_DEFAULTS, SETTINGS, parse_setting

    if key is not None and key not in SETTINGS:
        parse_setting(key, value or "")  # raises the unknown-setting error with the list
    with open_bank(db, learner) as bank:
        if key is not None and value is not None:
            parsed = parse_setting(key, value)
            if key == "scheduler":
                _print_switch(bank.set_scheduler(deck, str(parsed), now=now()), json_)
                return
            info = bank.set_deck_setting(deck, key, parsed, now=now())
            if json_:
                print_json({"deck": info.name, key: parsed})
            else:
                out().print(f"{escape(info.name)}: {key} = {parsed}")
            return
        info = bank.get_deck(deck)
    stored = dict(info.settings)
    if key is not None:
        shown = stored.get(key, SETTING_DEFAULTS[key])
        if json_:
            print_json({"deck": info.name, key: shown})
        else:
            out().print(f"{escape(str(shown))}")
        return
    effective = {name: stored.get(name, SETTING_DEFAULTS[name]) for name in SETTINGS}
    if json_:
        print_json({"deck": info.name, "settings": effective})
        return
    table = new_table("Setting", "Value", "Meaning")
    for name, meaning in SETTINGS.items():
        note = "" if name in stored else " (default)"
        table.add_row(name, escape(str(effective[name])) + note, escape(meaning))
    out().print(f"Settings of {escape(info.name)}:")
    out().print(table)
