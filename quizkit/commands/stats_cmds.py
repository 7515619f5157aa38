"""``quizkit stats``: heatmap, streaks, forecast, retention, card counts, time, hardest cards.

The figures come from :mod:`quizkit.storage.stats_queries`; this module only
renders them.  Each section is laid out once, as lines of styled text and
tables (:class:`Line`, :class:`Grid`), then written by one of two backends:
rich in a terminal, or plain aligned text (ASCII shades, no colour, no boxes)
when piped -- without importing rich at all; ``--json`` prints the figures.

On a SQLite bank at the current schema the queries run on a ``sqlite3``
connection of their own (:func:`quizkit.storage.stats_queries.open_sqlite`),
so a piped or ``--json`` ``quizkit stats`` imports neither SQLAlchemy nor rich;
anything else (PostgreSQL, a new or outdated bank) goes through ``open_bank``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from quizkit.commands._common import bank_options, json_option, open_bank, print_json, today

if TYPE_CHECKING:
    from rich.console import Console

    from quizkit.stats import Rate, StatsReport

# Shade glyphs for heatmap levels 0-4: block shades in a terminal (still
# readable with NO_COLOR), ASCII when piped.
TERMINAL_SHADES = ("·", "░", "▒", "▓", "█")
PLAIN_SHADES = (".", "-", "+", "*", "#")
SHADE_STYLES = ("grey42", "green4", "green3", "green1", "bright_green")
WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
BAR_WIDTH = 40
RECENT_WEEKS = 12  # retention weeks shown in the terminal (--json has all)
RECENT_DAYS = 14  # days of time spent shown in the terminal (--json has all)


@click.command()
@click.argument("deck", required=False)
@click.option(
    "--days",
    "-n",
    type=click.IntRange(min=1),
    default=365,
    show_default=True,
    metavar="N",
    help="Window for the heatmap, time spent and retention: the last N study days.",
)
@json_option
@bank_options
def stats(deck: str | None, days: int, db: str | None, learner: str | None, json_: bool) -> None:
    """Your progress: review heatmap and streaks, due forecast, retention,
    card counts by state, time spent and the hardest cards.

    Everything is computed from the review log and card states in the bank, so
    undone answers, recompiled decks and retired cards are accounted for. Give
    a DECK (name or key) to see only that deck. See docs/stats.md for the
    definition of every figure.

    \b
    Examples:
      quizkit stats                      # all decks, last 365 days
      quizkit stats Kubernetes           # one deck
      quizkit stats --days 30            # heatmap, time and retention for 30 days
      quizkit stats --json | jq .streak  # figures as numbers for scripts
    """
    from quizkit.config import default_learner, resolve_db
    from quizkit.storage import stats_queries

    day = today()
    con = stats_queries.open_sqlite(resolve_db(db))
    if con is not None:
        try:
            report = stats_queries.load_stats_sqlite(
                con, learner or default_learner(), today=day, days=days, deck=deck
            )
        finally:
            con.close()
    else:
        with open_bank(db, learner) as bank:
            report = stats_queries.load_stats(bank, today=day, days=days, deck=deck)
    if json_:
        print_json(report.to_json())
    elif _plain_stdout():
        render_plain(report, click.echo, _plain_width())
    else:
        from quizkit.commands._common import out

        render(report, out())


def _plain_stdout() -> bool:
    """Whether rich would print plain text to stdout (decided without importing it)."""
    if os.environ.get("TTY_COMPATIBLE") or os.environ.get("FORCE_COLOR") is not None:
        return False  # rich's own rules apply
    try:
        return not sys.stdout.isatty()
    except ValueError:
        return True


def _plain_width() -> int:
    """The width rich would use when piped: a terminal on stdin/stdout/stderr, ``COLUMNS``, else 80."""
    width = 0
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        width = int(columns)
    return width or 80


# -- layout ------------------------------------------------------------------
Segment = tuple[str, "str | None"]  # text, rich style (None: unstyled)


@dataclass
class Line:
    """One line of output: styled segments (styles only apply in a terminal)."""

    segments: list[Segment] = field(default_factory=list)

    def add(self, text: str, style: str | None = None) -> Line:
        self.segments.append((text, style))
        return self


@dataclass
class Grid:
    """A table: header and rows of cells (a bold row is a total)."""

    columns: tuple[str, ...]
    rows: list[tuple[list[str], bool]] = field(default_factory=list)

    def add(self, *cells: str, bold: bool = False) -> None:
        self.rows.append((list(cells), bold))


Block = Line | Grid


@dataclass(frozen=True)
class Look:
    """What the layout depends on: the width and whether to draw for a terminal."""

    width: int
    plain: bool


def line(text: str = "", style: str | None = None) -> Line:
    return Line().add(text, style)


def layout(report: StatsReport, look: Look) -> Iterator[Block]:
    """Every block of the stats screen, in order."""
    scope = f"deck {report.deck}" if report.deck else "all decks"
    yield (
        Line()
        .add(f"Stats for {report.learner}", "bold")
        .add(f", {scope}, study day {report.today.isoformat()}")
    )
    for section in (_heatmap, _forecast, _retention, _cards, _time, _hardest):
        yield line()
        yield from section(report, look)


# -- backends ----------------------------------------------------------------
def render_plain(report: StatsReport, write: Callable[[str], object], width: int = 80) -> None:
    """Plain aligned text: no colour, no boxes, no rich."""
    for block in layout(report, Look(width=width, plain=True)):
        if isinstance(block, Line):
            write("".join(text for text, _ in block.segments))
        else:
            for text in _plain_grid(block):
                write(text)


def _plain_grid(grid: Grid) -> list[str]:
    """Columns padded to their widest cell, one space of padding around each (as rich without a box)."""
    rows = [list(grid.columns), *(cells for cells, _ in grid.rows)]
    widths = [max(_cell_len(row[i]) for row in rows) for i in range(len(grid.columns))]
    return [
        "".join(
            f" {cell}{' ' * (w - _cell_len(cell))} " for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def _cell_len(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def render(report: StatsReport, console: Console) -> None:
    """Rich output (colours and boxes in a terminal, plain text otherwise)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    look = Look(width=console.width, plain=not console.is_terminal)
    for block in layout(report, look):
        if isinstance(block, Line):
            text = Text()
            for part, style in block.segments:
                text.append(part, style=style)
            console.print(text)
        else:
            table = Table(header_style="bold", box=None if look.plain else box.SIMPLE_HEAD)
            for col in block.columns:
                table.add_column(col, overflow="fold")
            for cells, bold in block.rows:
                table.add_row(*cells, style="bold" if bold else None)
            console.print(table)


# -- sections ----------------------------------------------------------------
def _title(text: str) -> Line:
    return line(text, "bold underline")


def _heatmap(report: StatsReport, look: Look) -> Iterator[Block]:
    from quizkit.stats import heatmap_grid

    counts = report.counts()
    total, active = sum(counts.values()), len(counts)
    yield _title(f"Reviews, last {report.days} days")
    yield line(f"{total} answer{'' if total == 1 else 's'} on {active} day{'' if active == 1 else 's'}")
    label_width = 4
    grid = heatmap_grid(counts, report.start, report.today, max_weeks=max(1, look.width - label_width))
    months = [" "] * len(grid.mondays)
    free_from = 0
    for col, name in grid.month_labels():
        if col >= free_from and col + len(name) <= len(months):
            months[col : col + len(name)] = list(name)
            free_from = col + len(name) + 1
    yield line(" " * label_width + "".join(months).rstrip())
    shades = PLAIN_SHADES if look.plain else TERMINAL_SHADES

    def style(level: int) -> str | None:
        return None if look.plain else SHADE_STYLES[level]

    for wd, row in enumerate(grid.rows):
        out = line(f"{WEEKDAYS[wd]:<{label_width}}")
        for count in row:
            level = grid.level(count)
            if level is None:
                out.add(" ")
            else:
                out.add(shades[level], style(level))
        yield out
    legend = line(" " * label_width + "less ")
    for level, glyph in enumerate(shades):
        legend.add(glyph, style(level))
    yield legend.add(f" more (busiest day: {grid.peak})")
    s = report.streak
    longest = f"{_days(s.longest)}"
    if s.longest_end is not None and s.longest:
        start = s.longest_end - timedelta(days=s.longest - 1)
        longest += f" ({start.isoformat()} to {s.longest_end.isoformat()})"
    yield line(f"Streak: current {_days(s.current)}, longest {longest}")


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _bar(out: Line, value: int, peak: int, look: Look) -> Line:
    width = 0 if peak == 0 else -(-value * BAR_WIDTH // peak)
    return out.add("#" * width, None) if look.plain else out.add("█" * width, "cyan")


def _forecast(report: StatsReport, look: Look) -> Iterator[Block]:
    yield _title(f"Due forecast, next {len(report.forecast)} days")
    notes = [f"{report.overdue} overdue counted today"] if report.overdue else []
    notes.append(f"{report.new_cards} new cards not yet seen (not in the bars)")
    yield line("; ".join(notes))
    peak = max(report.forecast, default=0)
    for offset, n in enumerate(report.forecast):
        day = report.today + timedelta(days=offset)
        yield _bar(line(f"{day:%a %d %b}  {n:>5}  "), n, peak, look)
    yield line(f"{sum(report.forecast)} reviews due in {len(report.forecast)} days")


def _pct(rate: Rate) -> str:
    if rate.rate is None:
        return "-"
    return f"{rate.rate * 100:.1f}% ({rate.passed}/{rate.reviews})"


def _retention(report: StatsReport, look: Look) -> Iterator[Block]:
    from quizkit.stats import MATURE_DAYS, PASS_GRADE

    yield _title("True retention")
    yield line(
        f"Reviews graded {PASS_GRADE} or more; mature = interval of {MATURE_DAYS}+ days before the review."
    )
    table = Grid(("Week of", "Mature", "Young", "All"))
    weeks = [w for w in report.weeks if w.all.reviews][-RECENT_WEEKS:]
    for w in weeks:
        assert w.week is not None
        table.add(w.week.isoformat(), _pct(w.mature), _pct(w.young), _pct(w.all))
    o = report.overall
    table.add(f"last {report.days} days", _pct(o.mature), _pct(o.young), _pct(o.all), bold=True)
    yield table


def _cards(report: StatsReport, look: Look) -> Iterator[Block]:
    yield _title("Cards")
    rows = list(report.decks)
    if report.deck is None and len(rows) > 1:
        rows.append(report.total)
    if not rows:
        yield line("The bank has no decks yet. Try: quizkit init")
        return
    table = Grid(("Deck", "Total", "New", "Young", "Mature", "Suspended", "Leech", "Avg EF"))
    for d in rows:
        ef = "-" if d.average_ef is None else f"{d.average_ef:.2f}"
        table.add(
            d.deck,
            str(d.total),
            str(d.new),
            str(d.young),
            str(d.mature),
            str(d.suspended),
            str(d.leech),
            ef,
            bold=d is report.total,
        )
    yield table


def _time(report: StatsReport, look: Look) -> Iterator[Block]:
    from quizkit.stats import format_duration

    yield _title("Time spent")
    active = [log for log in report.activity.values() if log.answers]
    total = report.time_total_ms()
    week_start = report.today - timedelta(days=6)
    week = sum(log.ms for d, log in report.activity.items() if d >= week_start)
    text = f"today {format_duration(report.time_today_ms())}, last 7 days {format_duration(week)}"
    text += f", last {report.days} days {format_duration(total)}"
    if active:
        text += f" (about {format_duration(total // len(active))} per study day)"
    yield line(text)
    shown = [report.today - timedelta(days=i) for i in range(min(RECENT_DAYS, report.days))][::-1]
    ms = [report.activity[d].ms if d in report.activity else 0 for d in shown]
    peak = max(ms, default=0)
    for d, value in zip(shown, ms, strict=True):
        answers = report.activity[d].answers if d in report.activity else 0
        noun = "answer " if answers == 1 else "answers"
        yield _bar(
            line(f"{d:%a %d %b}  {format_duration(value):>8}  {answers:>4} {noun}  "), value, peak, look
        )


def _hardest(report: StatsReport, look: Look) -> Iterator[Block]:
    yield _title("Hardest cards")
    if not report.hardest:
        yield line("No card has lapsed or lost E-Factor yet.")
        return
    table = Grid(("Id", "Deck", "Lapses", "EF", "Interval", "Front"))
    for c in report.hardest:
        flags = " (leech)" if c.leech else (" (suspended)" if c.suspended else "")
        table.add(
            c.id, c.deck, str(c.lapses), f"{c.ef / 1000:.2f}", _days(c.interval), _short(c.front) + flags
        )
    yield table


def _short(text: str, width: int = 50) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"
