"""The ``quizkit`` command line: a thin layer over the library.

Commands live in ``quizkit/commands/`` and are imported only when invoked,
so ``quizkit --help`` and ``quizkit due`` do not pay for genanki, the segmenter (rjieba) or
the exporters.  Library errors become one line on stderr and exit status 1.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from quizkit import __version__

# name -> "module:attribute"; the order here is the order in --help.
COMMANDS: dict[str, str] = {
    "study": "quizkit.commands.study_cmds:study",
    "due": "quizkit.commands.study_cmds:due",
    "review": "quizkit.commands.study_cmds:review",
    "quiz": "quizkit.commands.study_cmds:quiz",
    "undo": "quizkit.commands.study_cmds:undo",
    "suspend": "quizkit.commands.study_cmds:suspend",
    "unsuspend": "quizkit.commands.study_cmds:unsuspend",
    "stats": "quizkit.commands.stats_cmds:stats",
    "simulate": "quizkit.commands.simulate_cmds:simulate",
    "config": "quizkit.commands.simulate_cmds:config",
    "compile": "quizkit.commands.bank_cmds:compile_cmd",
    "init": "quizkit.commands.bank_cmds:init",
    "decks": "quizkit.commands.bank_cmds:decks_cmd",
    "cards": "quizkit.commands.bank_cmds:cards_cmd",
    "show": "quizkit.commands.bank_cmds:show",
    "preview": "quizkit.commands.author_cmds:preview",
    "lint": "quizkit.commands.author_cmds:lint",
    "new": "quizkit.commands.author_cmds:new",
    "build": "quizkit.commands.author_cmds:build",
    "export": "quizkit.commands.export_cmds:export",
    "import": "quizkit.commands.import_cmds:import_cmd",
    "publish": "quizkit.commands.bank_cmds:publish",
    "class": "quizkit.commands.class_cmds:class_group",
    "db": "quizkit.commands.db_cmds:db",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or not _available(cmd_name):
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help without importing every command module.
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from quizkit.errors import QuizkitError

        try:
            return super().invoke(ctx)
        except QuizkitError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:
            # A file we were told to use cannot be read or written (permissions, full disk...).
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
        except Exception as exc:
            if type(exc).__module__.startswith(("sqlalchemy", "sqlite3")):  # sqlite3: due/stats read paths
                orig = getattr(exc, "orig", None) or exc
                raise click.ClickException(f"database error: {str(orig).splitlines()[0]}") from None
            if os.environ.get("QUIZKIT_DEBUG"):
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {exc} (this is a bug in quizkit; "
                "set QUIZKIT_DEBUG=1 to see the traceback)"
            ) from None


def _available(name: str) -> bool:
    module_name = COMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module_name) is not None


SHORT_HELP = {
    "study": "Daily review: due cards, then new ones, typed and self-graded.",
    "due": "Due and new card counts per deck for today.",
    "review": "Record one review of a card without the session UI.",
    "quiz": "An exam of random cards, scored at the end.",
    "undo": "Undo the last answer (or suspension).",
    "suspend": "Take cards out of the review queue.",
    "unsuspend": "Put suspended cards back into the review queue.",
    "stats": "Progress: heatmap, streaks, forecast, retention, hardest cards.",
    "simulate": "Simulate a learner on a deck under SM-2 and FSRS.",
    "config": "Per-deck settings, such as the scheduler (sm2 or fsrs).",
    "compile": "Compile chapters or a deck folder into the bank.",
    "init": "Load the decks shipped with quizkit into the bank.",
    "decks": "List decks with card counts.",
    "cards": "List cards, filtered by deck, kind or section.",
    "show": "Show one card with its state and review history.",
    "preview": "Show the cards a chapter or deck would produce.",
    "lint": "Check a deck folder or chapter for authoring mistakes.",
    "new": "Create a deck folder to start authoring.",
    "build": "Lint, compile and export a deck in one step.",
    "export": "Export a deck to an Anki package (.apkg).",
    "import": "Import an Anki package (.apkg/.colpkg) with its history.",
    "publish": "Teachers: build a deck folder into a shared bank.",
    "class": "Teachers: a class report from a shared bank.",
    "db": "Bank maintenance: upgrade, backup, copy, info.",
}


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  quizkit init                      # load the shipped Kubernetes deck
  quizkit study                     # today's review
  quizkit compile notes/ch1.md --deck Kubernetes
  quizkit cards --deck Kubernetes --kind option --json
  quizkit export Kubernetes -o kubernetes.apkg

The bank is a SQLite file in your user data dir; --db or QUIZKIT_DB choose another
(a path or a SQLAlchemy URL). QUIZKIT_NOW fixes the clock (ISO-8601).""",
)
@click.version_option(__version__, "-V", "--version", prog_name="quizkit")
def cli() -> None:
    """quizkit: spaced-repetition cards compiled from your Markdown notes."""


def main() -> None:
    try:
        cli(prog_name="quizkit")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
