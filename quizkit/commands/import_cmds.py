"""``quizkit import``: an Anki package (.apkg/.colpkg) with its scheduling and history."""

from __future__ import annotations

from pathlib import Path

import click

from quizkit.commands._common import (
    bank_options,
    err,
    escape,
    json_option,
    new_table,
    now,
    open_bank,
    out,
    print_json,
)


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--deck",
    metavar="NAME",
    help="Put every card into this deck [default: one deck per top-level Anki deck].",
)
@click.option(
    "--media-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the package's images and sounds [default: BANK-media next to a SQLite bank].",
)
@click.option(
    "--no-scheduling",
    is_flag=True,
    help="Import the cards only: no intervals, ease or review history.",
)
@json_option
@bank_options
def import_cmd(
    file: Path,
    deck: str | None,
    media_dir: Path | None,
    no_scheduling: bool,
    json_: bool,
    db: str | None,
    learner: str | None,
) -> None:
    """Import an Anki package FILE (.apkg or .colpkg) into the bank.

    Reads packages from current Anki (collection.anki21b) and older ones
    (collection.anki21/anki2).  Each Anki card becomes one quizkit card: basic
    and reversed cards, type-in cards and one cloze card per deletion, with the
    note's tags.  The top-level Anki deck becomes the quizkit deck and the
    sub-deck path its section.  Images and sounds the notes use are copied to
    the media folder.

    Intervals, ease, lapses and suspension become your progress (--learner),
    and Anki's review log is added to yours.  Cards are keyed by the Anki note
    GUID: importing a newer package of the same notes updates them in place,
    keeps your progress and adds no review twice.

    \b
    Examples:
      quizkit import spanish.apkg
      quizkit import collection.colpkg --learner alice
      quizkit import shared-deck.apkg --deck "Spanish verbs" --no-scheduling
      quizkit import spanish.apkg --media-dir ~/quizkit-media --json
    """
    from quizkit.importers.anki import import_anki

    with open_bank(db, learner) as bank:
        show = not json_ and err().is_terminal

        def progress(name: str) -> None:
            if show:
                err().print(f"Importing deck {escape(name)}...")

        result = import_anki(
            bank,
            file,
            now=now(),
            deck=deck,
            media_dir=media_dir,
            scheduling=not no_scheduling,
            progress=progress,
        )
    if result.missing_media:
        err().print(f"Warning: {len(result.missing_media)} media file(s) referenced but not in the package:")
        for name in result.missing_media:
            err().print(f"  {escape(name)}", soft_wrap=True)
    if json_:
        print_json(result.to_json())
        return
    table = new_table("deck", "added", "updated", "unchanged", "retired")
    for d in result.decks:
        table.add_row(
            escape(str(d["deck"])), str(d["added"]), str(d["updated"]), str(d["unchanged"]), str(d["retired"])
        )
    out().print(table)
    parts = [f"{result.cards} cards from {result.notes} notes"]
    if result.scheduling:
        parts.append(f"{result.states} with progress")
        parts.append(
            f"{result.reviews} new reviews"
            + (f" ({result.reviews_known} already here)" if result.reviews_known else "")
        )
    if result.media:
        parts.append(f"{len(result.media)} media file(s) in {result.media_dir}")
    out().print(escape(f"Imported {file}: " + ", ".join(parts) + "."), soft_wrap=True)
