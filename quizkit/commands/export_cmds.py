"""``quizkit export``: a deck (or every deck) as an Anki package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quizkit.commands._common import bank_options, err, escape, json_option, now, open_bank, out, print_json

if TYPE_CHECKING:
    from quizkit.exporters.anki import ExportResult

# Below this many cards a progress bar is only flicker.
PROGRESS_MIN_CARDS = 2000


@click.command("export")
@click.argument("deck", required=False)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The package to write (FILE.apkg); replaced if it exists.",
)
@click.option(
    "--with-scheduling",
    is_flag=True,
    help="Carry your intervals, ease and review log (import with 'Import any learning progress').",
)
@click.option(
    "--media-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Deck folder to take images from [default: the folder the deck was compiled from].",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Heading levels that become sub-decks (0: one deck per quizkit deck; sections stay as tags).",
)
@json_option
@bank_options
def export(
    deck: str | None,
    output: Path,
    with_scheduling: bool,
    media_dir: Path | None,
    depth: int,
    json_: bool,
    db: str | None,
    learner: str | None,
) -> None:
    """Export DECK (default: every deck) to an Anki package.

    One quizkit card becomes one Anki card; headings become sub-decks
    (Kubernetes::容器::Docker 命令) and tags.  Importing a newer export of the
    same deck updates the changed notes in place and keeps your Anki progress.
    Images the chapters reference are packed; missing ones are listed.

    \b
    Examples:
      quizkit export Kubernetes -o kubernetes.apkg
      quizkit export Kubernetes -o k8s.apkg --with-scheduling
      quizkit export -o all-decks.apkg --depth 0 --json
      quizkit export Kubernetes -o k8s.apkg --media-dir ~/notes/k8s
    """
    from quizkit.exporters.anki import default_stamp_path, export_apkg

    if output.suffix.lower() != ".apkg":
        raise click.UsageError(f"the output file must end in .apkg (Anki imports only those): {output}")
    with open_bank(db, learner) as bank:
        total = bank.count_cards(deck)
        if total == 0:
            what = f"deck {bank.get_deck(deck).name!r} has" if deck is not None else "the bank has"
            raise click.ClickException(f"{what} no cards to export (run 'quizkit compile' first)")
        moment = now()

        def run(progress: Callable[[int], None] | None = None) -> ExportResult:
            return export_apkg(
                bank, output, now=moment, deck=deck, with_scheduling=with_scheduling, media_dir=media_dir,
                depth=depth, stamp_file=default_stamp_path(), progress=progress,
            )

        if total >= PROGRESS_MIN_CARDS and not json_:
            from rich.progress import Progress

            with Progress(console=err(), transient=True) as bar:
                task = bar.add_task("Exporting", total=total)
                result = run(lambda n: bar.advance(task, n))
        else:
            result = run()
    problems = result.missing_media + result.refused_media
    if result.missing_media:
        err().print(f"Warning: {len(result.missing_media)} image(s) not found, not packed:")
        _list(result.missing_media)
    if result.refused_media:
        err().print(f"Warning: {len(result.refused_media)} image(s) outside the deck directory, refused:")
        _list(result.refused_media)
    if json_:
        print_json(result.to_json())
        return
    extra = f", {result.scheduled_cards} with progress, {result.reviews} reviews" if with_scheduling else ""
    media = f", {len(result.media)} image(s)" if result.media or problems else ""
    out().print(f"Wrote {escape(str(output))}: {result.cards} cards{extra}{media}.", soft_wrap=True)


MAX_LISTED = 20  # a big deck can miss thousands of images; --json has them all


def _list(items: list[Any]) -> None:
    for p in items[:MAX_LISTED]:
        err().print(f"  {escape(str(p))}", soft_wrap=True)
    if len(items) > MAX_LISTED:
        err().print(f"  … and {len(items) - MAX_LISTED} more (--json lists them all)")
