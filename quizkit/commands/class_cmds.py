"""``quizkit class report``: what a class has done and what it fails."""

from __future__ import annotations

import click

from quizkit.commands._common import (
    bank_options,
    escape,
    json_option,
    new_table,
    open_bank,
    out,
    print_json,
    today,
)


@click.group("class")
def class_group() -> None:
    """Teachers: reports over a bank shared by many learners.

    \b
    Examples:
      quizkit class report --db postgresql+psycopg://teacher@school/quizkit
      quizkit class report Kubernetes --json
    """


@class_group.command()
@click.argument("deck", required=False)
@click.option(
    "--top", type=click.IntRange(min=1), default=10, show_default=True, help="How many hard cards to list."
)
@json_option
@bank_options
def report(deck: str | None, top: int, db: str | None, learner: str | None, json_: bool) -> None:
    """Per learner: reviews in the last 7 days, due now, retention, cards never seen;
    then the cards the class fails most, so you know what to re-teach.

    Retention is the share of reviews of already-learnt cards graded 3 or more
    in the last 30 days.

    \b
    Examples:
      quizkit class report
      quizkit class report Kubernetes --top 5
      quizkit class report --json --db "$CLASS_DB"
    """
    from quizkit.storage.classroom import class_report

    with open_bank(db, learner) as bank:
        rep = class_report(bank, today(), deck=deck, top=top)
    if json_:
        print_json(rep.to_json())
        return
    console = out()
    if not rep.learners:
        console.print("No learner has studied in this bank yet.")
        return
    table = new_table("Learner", "Reviews (7 days)", "Due now", "Retention (30 days)", "Never seen")
    for r in rep.learners:
        ret = "–" if r.retention is None else f"{r.retention:.0%}"
        table.add_row(escape(r.learner), str(r.reviews_7d), str(r.due_now), ret, str(r.never_seen))
    console.print(table)
    if rep.hardest:
        console.print("Cards the class fails most:")
        hard = new_table("Id", "Card", "Failed", "Of", "Learners failing")
        for c in rep.hardest:
            hard.add_row(
                c.card_id, escape(c.front), str(c.failures), str(c.attempts), str(c.learners_failing)
            )
        console.print(hard)
