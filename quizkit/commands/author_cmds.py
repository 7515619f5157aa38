"""Authoring commands: ``preview``, ``lint``, ``new``, ``build``."""

from __future__ import annotations

import re
from pathlib import Path

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
)
from quizkit.model import CardSpec, CardStyle


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also write one self-contained HTML page with every card as Anki will show it.",
)
@json_option
def preview(path: Path, html_file: Path | None, json_: bool) -> None:
    """Show every card a deck folder or chapter would produce, front and back, by section.

    Nothing is written to the bank. PATH is a deck folder (with deck.toml), one
    chapter file or a folder of chapters. --html writes a page using the same
    card templates and CSS as the Anki export.

    \b
    Examples:
      quizkit preview decks/kubernetes
      quizkit preview notes/kubernetes-01.md
      quizkit preview decks/kubernetes --html /tmp/kubernetes.html
      quizkit preview notes/ch1.md --json      # card objects, as 'cards --json' without state
    """
    from quizkit.authoring.preview import card_json, load_preview, render_html

    pv = load_preview(path)
    for w in pv.warnings:
        err().print(escape(str(w)))
    if html_file is not None:
        html_file.write_text(render_html(pv), encoding="utf-8")
        err().print(f"Wrote {escape(str(html_file))}: {len(pv.cards)} cards.")
    if json_:
        print_json([card_json(pv, c) for c in pv.cards])
        return
    if html_file is not None:
        return
    console = out()
    for section, cards in pv.sections():
        console.print(f"[bold]{escape(' › '.join(section) or '(no heading)')}[/]")
        for spec in cards:
            console.print(
                f"  [dim]{spec.kind}/{spec.style}  {escape(spec.source)}  {pv.card_id(spec)}[/]",
            )
            for label, text in _sides(spec):
                console.print(_indent(label, text))
        console.print()
    err().print(
        f"{len(pv.cards)} cards in {len(pv.sections())} sections ({escape(pv.name)}); nothing written."
    )


_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


def _sides(spec: CardSpec) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if spec.style is CardStyle.CLOZE:
        rows.append(("Q", _CLOZE.sub(lambda m: f"[{m.group(3) or '...'}]", spec.front)))
        rows.append(("A", _CLOZE.sub(lambda m: m.group(2), spec.front)))
        if spec.back.strip() and " > ".join(spec.section) != spec.back:
            rows.append(("extra", spec.back))
    else:
        rows.append(("Q", spec.front))
        for i, choice in enumerate(spec.choices):
            rows.append(
                ("(x)" if choice.correct else "( )", f"{chr(65 + i) if i < 26 else i + 1}. {choice.text}")
            )
        if spec.back.strip():
            rows.append(("A (typed)" if spec.style is CardStyle.TYPE else "A", spec.back))
    if spec.aliases:
        rows.append(("also", " | ".join(spec.aliases)))
    if spec.hint:
        rows.append(("hint", spec.hint))
    if spec.extra and not (spec.style is CardStyle.CLOZE and spec.extra == rows[1][1]):
        rows.append(("note", spec.extra))
    for target in spec.media:
        rows.append(("image", target))
    return rows


def _indent(label: str, text: str) -> str:
    lines = text.strip().split("\n") or [""]
    pad = " " * (len(label) + 6)
    body = ("\n" + pad).join(escape(ln) for ln in lines)
    return f"    [bold]{escape(label)}:[/] {body}"


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too (exit 1).")
@json_option
def lint(path: Path, strict: bool, json_: bool) -> None:
    """Check a deck folder, chapter or folder of chapters for authoring mistakes.

    Prints one 'file:line: error|warning: message' line per problem and exits
    with status 1 when there is an error (with --strict, any problem). Rules and
    how to turn an error into a warning in deck.toml: docs/authoring.md.

    \b
    Examples:
      quizkit lint decks/kubernetes
      quizkit lint notes/kubernetes-01.md
      quizkit lint decks/kubernetes --strict --json
    """
    from quizkit.authoring.lint import counts, lint_path

    problems = lint_path(path)
    errors, warnings = counts(problems)
    if json_:
        print_json(
            [
                {"file": p.file, "line": p.line, "severity": p.severity, "rule": p.rule, "message": p.message}
                for p in problems
            ]
        )
    else:
        for p in problems:
            click.echo(str(p))
        if problems:
            err().print(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}.")
        else:
            err().print("No problems found.")
    if errors or (strict and warnings):
        click.get_current_context().exit(1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@click.command()
@click.argument("deck_dir", type=click.Path(path_type=Path))
@click.option("--name", metavar="NAME", help="The deck's name [default: the folder's name].")
@click.option(
    "--id",
    "deck_id",
    metavar="ID",
    help="The deck's stable id (lower-case, never changed later) [default: from the name].",
)
def new(deck_dir: Path, name: str | None, deck_id: str | None) -> None:
    """Create a deck folder: a commented deck.toml, an example chapter and cards.md.

    Existing files are never overwritten.

    \b
    Examples:
      quizkit new decks/git --name "Git basics"
      quizkit new ~/teaching/networks --id networks-2024
    """
    from quizkit.authoring.scaffold import create_deck

    files = create_deck(deck_dir, name=name, deck_id=deck_id)
    for f in files:
        out().print(f"created {escape(str(f))}")
    err().print(
        f"Next: edit the files, then 'quizkit preview {escape(str(deck_dir))}' "
        f"and 'quizkit build {escape(str(deck_dir))}'."
    )


@click.command()
@click.argument("deck_dir", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.apkg",
    help="The Anki package to write [default: <deck id>.apkg in the current folder].",
)
@json_option
@bank_options
def build(deck_dir: Path, output: Path | None, json_: bool, db: str | None, learner: str | None) -> None:
    """Lint a deck folder, compile it into the bank and export it to Anki, in one step.

    Stops before writing anything when lint finds an error. Prints what changed
    since the last build: cards added, updated (same key, new text) and retired
    (gone from the source; learners' history is kept).

    \b
    Examples:
      quizkit build decks/kubernetes
      quizkit build decks/kubernetes -o dist/kubernetes.apkg
      quizkit build decks/kubernetes --db /tmp/class.sqlite3 --json
    """
    from quizkit.authoring.deckdir import compile_deck, is_deck_dir, load_deck
    from quizkit.authoring.lint import counts, lint_deck
    from quizkit.exporters.anki import default_stamp_path, export_apkg

    if not is_deck_dir(deck_dir):
        raise click.ClickException(f"{deck_dir}: not a deck folder (no deck.toml); see 'quizkit new'")
    if output is not None and output.suffix.lower() != ".apkg":
        raise click.UsageError(f"the output file must end in .apkg (Anki imports only those): {output}")
    problems = lint_deck(deck_dir)
    for p in problems:
        err().print(escape(str(p)))
    errors, _ = counts(problems)
    if errors:
        raise click.ClickException(f"build stopped: {_plural(errors, 'error')} (nothing was written)")
    deck = compile_deck(load_deck(deck_dir))
    info = deck.info
    target = output if output is not None else Path(f"{info.key}.apkg")
    by_id = {c.key(info.key): c for c in deck.cards}
    moment = now()
    with open_bank(db, learner) as bank:
        report = bank.sync_deck(info, deck.cards, now=moment)
        retired_fronts = {cid: bank.get_card(cid).spec for cid in report.retired}
        result = export_apkg(bank, target, now=moment, deck=info.key, stamp_file=default_stamp_path())
    c = report.counts()
    if json_:
        print_json(
            {
                "deck": info.name,
                "key": info.key,
                **c,
                "cards": len(deck.cards),
                "changes": {
                    "added": report.added,
                    "updated": report.updated,
                    "retired": report.retired,
                    "revived": report.revived,
                },
                "apkg": str(target),
                "exported": result.cards,
            }
        )
        return
    console = out()
    console.print(escape(report.describe()))
    for what, ids, specs in (
        ("added", report.added, by_id),
        ("updated", report.updated, by_id),
        ("revived", report.revived, by_id),
        ("retired", report.retired, retired_fronts),
    ):
        for cid in ids[:_SHOW]:
            spec = specs[cid]
            console.print(f"  {what:8} {cid}  {escape(_short(spec.front))}  [dim]{escape(spec.source)}[/]")
        if len(ids) > _SHOW:
            console.print(f"  {what:8} … and {len(ids) - _SHOW} more")
    console.print(f"Wrote {escape(str(target))}: {result.cards} cards.")


_SHOW = 20


def _short(text: str, width: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"
