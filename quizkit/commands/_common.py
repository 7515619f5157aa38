"""Shared CLI plumbing: --db/--learner/--json options, consoles, opening the bank.

One ``Console`` for results (stdout) and one for messages (stderr); rich
decides colour from the terminal and ``NO_COLOR``.  ``--json`` output is
plain ``json.dumps`` on stdout, never styled.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from quizkit.storage.bank import Bank

F = TypeVar("F", bound=Callable[..., Any])

_consoles: dict[str, Console] = {}


def out() -> Console:
    """The console for results (stdout)."""
    if "out" not in _consoles:
        from rich.console import Console

        _consoles["out"] = Console(highlight=False, soft_wrap=True)
    return _consoles["out"]


def err() -> Console:
    """The console for messages and progress (stderr)."""
    if "err" not in _consoles:
        from rich.console import Console

        _consoles["err"] = Console(stderr=True, highlight=False, soft_wrap=True)
    return _consoles["err"]


def reset_consoles() -> None:
    """Forget cached consoles (CliRunner swaps sys.stdout between invocations)."""
    _consoles.clear()


def escape(text: str) -> str:
    """Chapter text is data: ``[imageName]`` must print, not be taken as a style."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def bank_options(func: F) -> F:
    """``--db`` and ``--learner`` for every command that opens the bank."""

    @click.option(
        "--db",
        "db",
        metavar="PATH|URL",
        envvar="QUIZKIT_DB",
        help="Bank to use: a SQLite file path or a SQLAlchemy URL [env: QUIZKIT_DB; default: user data dir].",
    )
    @click.option(
        "--learner",
        metavar="NAME",
        envvar="QUIZKIT_LEARNER",
        help="Whose progress to use [env: QUIZKIT_LEARNER; default: your OS user name].",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        reset_consoles()
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def json_option(func: F) -> F:
    """``--json``: machine-readable output on stdout (passed as ``json_``)."""
    return click.option("--json", "json_", is_flag=True, help="Print JSON for scripts instead of tables.")(
        func
    )


def open_bank(db: str | None, learner: str | None, *, create: bool = True) -> Bank:
    from quizkit.config import default_learner, resolve_db
    from quizkit.storage.bank import open_bank as _open

    bank = _open(resolve_db(db), learner=learner or default_learner(), create=create)
    if bank.backup:
        err().print(f"Backed up the bank before upgrading it: {escape(bank.backup)}")
    return bank


def now() -> datetime:
    from quizkit import clock

    return clock.now()


def today(moment: datetime | None = None, day_start_hour: int | None = None) -> date:
    from quizkit import clock

    return clock.study_day(
        moment or now(), clock.DEFAULT_DAY_START_HOUR if day_start_hour is None else day_start_hour
    )


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def is_terminal() -> bool:
    return sys.stdout.isatty()


def print_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Rows as a table on stdout: a rich table in a terminal, plain aligned columns otherwise.

    The plain path writes text itself, without rich's table and markup machinery
    (~10 ms of imports), for commands on the start-up budget such as ``quizkit due``.
    Cells are plain text (no markup).
    """
    if out().is_terminal:
        from rich.markup import escape as _escape

        table = new_table(*columns)
        for row in rows:
            table.add_row(*(_escape(cell) for cell in row))
        out().print(table)
        return
    from rich.cells import cell_len

    widths = [max(cell_len(str(c)) for c in col) for col in zip(columns, *rows, strict=True)]
    for line in (columns, *rows):
        cells = [c + " " * (w - cell_len(c)) for c, w in zip(line, widths, strict=True)]
        click.echo(" " + "  ".join(cells).rstrip())


def new_table(*columns: str) -> Any:
    """A rich table: boxed in a terminal, plain aligned columns when piped."""
    from rich import box
    from rich.table import Table

    table = Table(header_style="bold", box=box.SIMPLE_HEAD if out().is_terminal else None)
    for col in columns:
        table.add_column(col, overflow="fold")
    return table
