"""Bank maintenance: ``quizkit db upgrade | backup | info``."""

from __future__ import annotations

from pathlib import Path

import click

from quizkit.commands._common import bank_options, escape, json_option, open_bank, out, print_json


@click.group()
def db() -> None:
    """Bank maintenance: schema upgrades, backups, facts.

    \b
    Examples:
      quizkit db info
      quizkit db upgrade --db old-bank.sqlite3
      quizkit db backup -o ~/quizkit-backup.sqlite3
    """


@db.command()
@bank_options
def upgrade(db: str | None, learner: str | None) -> None:
    """Bring the bank's schema up to date (also done automatically on open).

    A copy of an existing SQLite bank is kept next to it before any migration.

    \b
    Examples:
      quizkit db upgrade
      quizkit db upgrade --db postgresql+psycopg://localhost/quizkit
    """
    from quizkit.storage.db import SCHEMA_HEAD

    with open_bank(db, learner) as bank:
        url = bank.url
    out().print(f"{escape(url)}: schema {SCHEMA_HEAD} (up to date)")


@db.command()
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Where to write the copy."
)
@bank_options
def backup(output: Path | None, db: str | None, learner: str | None) -> None:
    """Copy the SQLite bank (safe while another quizkit is studying).

    Without -o the copy is written next to the bank with a time stamp.

    \b
    Examples:
      quizkit db backup
      quizkit db backup -o ~/backups/quizkit.sqlite3
    """
    from quizkit.storage.db import backup_to

    with open_bank(db, learner) as bank:
        dest = backup_to(bank.engine, output)
    out().print(f"Backed up to {escape(str(dest))}")


@db.command()
@json_option
@bank_options
def info(db: str | None, learner: str | None, json_: bool) -> None:
    """Where the bank is, its schema and how much it holds.

    \b
    Examples:
      quizkit db info
      quizkit db info --json
    """
    with open_bank(db, learner) as bank:
        facts = bank.info()
    if json_:
        print_json(facts)
        return
    for key, value in facts.items():
        out().print(f"{key}: {escape(str(value))}")


@db.command()
@click.option("--from", "source", required=True, metavar="PATH|URL", help="Bank to copy from.")
@click.option(
    "--to", "target", required=True, metavar="PATH|URL", help="Bank to copy into (created if missing)."
)
@json_option
def copy(source: str, target: str, json_: bool) -> None:
    """Copy a bank into another, keeping all history (safe to repeat).

    Decks match by key, cards by id, learner state by card and learner (the
    more recently reviewed wins), and review-log rows are appended unless the
    target already has them. Nothing in the target is deleted.

    \b
    Examples:
      quizkit db copy --from ~/.local/share/quizkit/quizkit.sqlite3 --to postgresql+psycopg://me@school/quizkit
      quizkit db copy --from postgresql+psycopg://me@school/quizkit --to backup.sqlite3
    """
    from quizkit.storage.bank import open_bank as _open
    from quizkit.storage.transfer import copy_bank

    with _open(source, learner="", create=False) as src, _open(target, learner="") as dst:
        report = copy_bank(src, dst)
    if json_:
        print_json(report.to_json())
        return
    out().print(
        f"Copied {report.decks} decks, {report.cards} cards, {report.states} learner states "
        f"and {report.reviews} reviews into {escape(target)}"
    )
