"""Bank commands: ``compile``, ``init``, ``decks``, ``cards``, ``show``."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
    today,
)
from quizkit.model import CardKind

MAX_WARNINGS = 20  # per deck: a folder of chapters with the same missing image would flood the terminal


@contextmanager
def _progress(total: int | None, label: str) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr for large jobs in a terminal; nothing otherwise.

    ``total=None``: a count without an end (cards stored while chapters still compile).
    """
    if (total is not None and total < 2000) or not err().is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err(), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _load_storage_code() -> None:
    import alembic.command  # noqa: F401 - creating or upgrading a bank runs Alembic

    import quizkit.storage.bank  # noqa: F401


def _compile_into_bank(
    paths: list[Path],
    deck: str | None,
    db: str | None,
    learner: str | None,
    json_: bool,
    *,
    list_warnings: bool = True,
) -> None:
    from quizkit.config import default_learner, resolve_db
    from quizkit.loader import collect, compile_into_new_bank, store, streams_into_new_bank

    target = resolve_db(db)
    if streams_into_new_bank(paths, target):
        # A new bank: chapters are stored as they compile; the bank appears when complete.
        with _progress(None, "Compiling and storing cards") as advance:
            report, warnings = compile_into_new_bank(
                paths,
                deck=deck,
                target=target,
                learner=learner or default_learner(),
                now=now(),
                progress=advance,
            )
        _print_warnings(report.deck, warnings, list_warnings, paths[0])
        reports = [report]
    else:
        # Compile everything before opening the bank; a large folder compiles in worker
        # processes while this one loads the storage code.
        compiled = collect(paths, deck=deck, meanwhile=_load_storage_code)
        # The compiled cards live until the end of the command: keep the cyclic GC from
        # walking them again on every collection that opening the bank (Alembic on a new
        # bank) and storing trigger — ~0.7 s on 100k cards.
        gc.freeze()
        for c in compiled:
            _print_warnings(c.info.name, c.warnings, list_warnings, c.info.source_dir or c.info.name)
        reports = []
        with open_bank(db, learner) as bank:
            moment = now()
            for c in compiled:
                with _progress(len(c.rows), f"Storing {c.info.name}") as advance:
                    reports.append(store(bank, c, now=moment, progress=advance))
    if json_:
        print_json([{"deck": r.deck, **r.counts()} for r in reports])
        return
    for r in reports:
        out().print(escape(r.describe()))


def _print_warnings(deck: str, warnings: list[Any], list_warnings: bool, source: object) -> None:
    if list_warnings:
        for w in warnings[:MAX_WARNINGS]:
            err().print(escape(str(w)))
        if len(warnings) > MAX_WARNINGS:
            more = len(warnings) - MAX_WARNINGS
            err().print(f"… and {more} more warning(s); 'quizkit lint' lists them all")
    elif warnings:
        # Shipped decks: the author knows; a learner only needs to know where to look.
        err().print(escape(f"{deck}: {len(warnings)} warning(s); see 'quizkit lint {source}'"))


@click.command("compile")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--deck", "-d", metavar="NAME", help="Deck to compile chapters into [default: the first file's name]."
)
@json_option
@bank_options
def compile_cmd(
    paths: tuple[Path, ...], deck: str | None, db: str | None, learner: str | None, json_: bool
) -> None:
    """Compile Markdown chapters, chapter folders or deck folders into the bank.

    Cards keep stable ids: recompiling an edited chapter updates changed cards in
    place, adds new ones and retires (never deletes) cards whose source is gone,
    so your progress on unchanged cards is kept. Prints added / updated /
    unchanged / retired counts.

    A compile is one transaction; into a bank that does not exist yet, the bank
    only appears once everything is stored. Folders of 64 or more chapters
    compile in worker processes (QUIZKIT_COMPILE_JOBS=N sets how many, 1 none).

    \b
    Examples:
      quizkit compile notes/kubernetes-01.md --deck Kubernetes
      quizkit compile notes/                 # every .md below notes/, one deck
      quizkit compile decks/kubernetes       # a deck folder with deck.toml
      quizkit compile ch1.md --json          # {"deck", "added", ...} per deck
    """
    _compile_into_bank(list(paths), deck, db, learner, json_)


@click.command()
@json_option
@bank_options
def init(db: str | None, learner: str | None, json_: bool) -> None:
    """Load (or refresh) the decks shipped with quizkit into the bank.

    Safe to run again: unchanged cards and your progress are kept.

    \b
    Examples:
      quizkit init
      quizkit init --db /tmp/try.sqlite3    # into another bank
    """
    from quizkit.shipped import shipped_deck_dirs

    dirs = shipped_deck_dirs()
    if not dirs:
        raise click.ClickException("no shipped decks found in this installation")
    _compile_into_bank(dirs, None, db, learner, json_, list_warnings=False)


@click.command("decks")
@json_option
@bank_options
def decks_cmd(db: str | None, learner: str | None, json_: bool) -> None:
    """List the decks in the bank with card counts and what is due today.

    \b
    Examples:
      quizkit decks
      quizkit decks --json
    """
    with open_bank(db, learner) as bank:
        summaries = bank.deck_summaries(today())
    if json_:
        print_json(
            [
                {
                    "key": s.key,
                    "name": s.name,
                    "cards": s.cards,
                    "by_kind": s.by_kind,
                    "new": s.new,
                    "due": s.due,
                    "suspended": s.suspended,
                    "retired": s.retired,
                }
                for s in summaries
            ]
        )
        return
    if not summaries:
        err().print("The bank has no decks yet. Try: quizkit init, or quizkit compile CHAPTER.md --deck NAME")
        return
    table = new_table("Deck", "Cards", "Kinds", "New", "Due", "Suspended", "Retired")
    for s in summaries:
        kinds = ", ".join(f"{k} {n}" for k, n in s.by_kind.items())
        table.add_row(
            escape(s.name), str(s.cards), kinds, str(s.new), str(s.due), str(s.suspended), str(s.retired)
        )
    out().print(table)


@click.command("cards")
@click.option("--deck", "-d", metavar="NAME", help="Only this deck.")
@click.option("--kind", "-k", type=click.Choice([k.value for k in CardKind]), help="Only this kind of card.")
@click.option("--section", "-s", metavar="TEXT", help="Only cards whose heading path contains TEXT.")
@click.option("--retired", is_flag=True, help="Include retired cards (source gone, history kept).")
@click.option("--limit", "-n", type=click.IntRange(min=1), help="At most N cards.")
@json_option
@bank_options
def cards_cmd(
    deck: str | None,
    kind: str | None,
    section: str | None,
    retired: bool,
    limit: int | None,
    db: str | None,
    learner: str | None,
    json_: bool,
) -> None:
    """List cards with their ids, kinds and state.

    \b
    Examples:
      quizkit cards --deck Kubernetes
      quizkit cards --deck Kubernetes --kind option --json
      quizkit cards --section "Docker 命令" -n 5
    """
    day = today()
    with open_bank(db, learner) as bank:
        views = bank.iter_cards(deck, kind, include_retired=retired, section=section)
        if json_:
            # Streamed: a 100k-card bank is never held in memory at once.
            click.echo("[", nl=False)
            import json

            for i, view in enumerate(views):
                if limit is not None and i >= limit:
                    break
                click.echo(
                    ("," if i else "") + "\n  " + json.dumps(view.to_json(day), ensure_ascii=False), nl=False
                )
            click.echo("\n]")
            return
        table = new_table("Id", "Kind", "Front", "Back", "Due")
        shown = 0
        for view in views:
            if limit is not None and shown >= limit:
                break
            st = view.state
            due = "new" if st.is_new else (st.due.isoformat() if st.due else "")
            if st.suspended:
                due = "suspended"
            if view.retired:
                due = "retired"
            table.add_row(
                view.id, view.spec.kind, escape(_short(view.spec.front)), escape(_short(view.spec.back)), due
            )
            shown += 1
    if shown == 0:
        err().print("No cards match.")
        return
    out().print(table)


def _short(text: str, width: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


@click.command()
@click.argument("card_id")
@json_option
@bank_options
def show(card_id: str, db: str | None, learner: str | None, json_: bool) -> None:
    """Show one card (id or unique id prefix) with its state and review history.

    \b
    Examples:
      quizkit show 3f2a9c
      quizkit show 3f2a9c1b07de --json
    """
    day = today()
    with open_bank(db, learner) as bank:
        view = bank.get_card(card_id)
        log = list(bank.review_log(card_id=view.id))
    if json_:
        data: dict[str, Any] = view.to_json(day)
        data["reviews"] = [
            {
                "id": r.id,
                "at": r.reviewed_at.isoformat(),
                "day": r.study_day.isoformat(),
                "kind": r.kind,
                "grade": r.grade,
                "answer": r.answer,
                "interval": r.after.interval,
                "ef": r.after.ef / 1000,
                "undoes": r.undoes,
            }
            for r in log
        ]
        print_json(data)
        return
    s, st = view.spec, view.state
    console = out()
    console.print(
        f"[bold]{view.id}[/]  {s.kind}/{s.style}  deck {escape(view.deck)}"
        + ("  [red](retired)[/]" if view.retired else "")
    )
    console.print(f"section: {escape(' > '.join(s.section))}   source: {escape(s.source)}")
    console.print(f"[bold]Front:[/] {escape(s.front)}")
    console.print(f"[bold]Back:[/]  {escape(s.back)}")
    if s.aliases:
        console.print(f"also accepted: {escape(', '.join(s.aliases))}")
    state = "new" if st.is_new else f"due {st.due}, interval {st.interval}d"
    console.print(
        f"state: {state}, EF {st.ef / 1000:g}, repetitions {st.repetitions}, lapses {st.lapses}"
        + (", suspended" if st.suspended else "")
        + (", leech" if st.leech else "")
    )
    for r in log:
        grade = "" if r.grade is None else f" grade {r.grade}"
        console.print(f"  {r.reviewed_at:%Y-%m-%d %H:%M} {r.kind}{grade} → interval {r.after.interval}d")


@click.command()
@click.argument("deck_dir", type=click.Path(path_type=Path, file_okay=False))
@json_option
@bank_options
def publish(deck_dir: Path, db: str | None, learner: str | None, json_: bool) -> None:
    """Build a deck folder into a (shared) bank for a class.

    Card ids are the same stable keys as everywhere, so republishing an edited
    deck updates cards in place and keeps every student's progress.

    \b
    Examples:
      quizkit publish decks/kubernetes --db postgresql+psycopg://teacher@school/quizkit
      QUIZKIT_DB=postgresql+psycopg://teacher@school/quizkit quizkit publish decks/kubernetes --json
    """
    from quizkit.authoring.deckdir import is_deck_dir

    if not is_deck_dir(deck_dir):
        raise click.ClickException(f"{deck_dir}: not a deck folder (no deck.toml); see 'quizkit new'")
    _compile_into_bank([deck_dir], None, db, learner, json_)
