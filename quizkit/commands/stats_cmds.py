"""``quizkit stats``: heatmap, streaks, forecast, retention, card counts, time, hardest cards.

The figures come from :func:`quizkit.storage.stats_queries.load_stats`; this
module only renders them: rich in a terminal, plain aligned text (ASCII
shades, no colour, no boxes) when piped, JSON with ``--json``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

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
    from quizkit.storage.stats_queries import load_stats

    day = today()
    with open_bank(db, learner) as bank:
        report = load_stats(bank, today=day, days=days, deck=deck)
    if json_:
        print_json(report.to_json())
        return
    render(report, out())


# -- rendering ---------------------------------------------------------------
def render(report: StatsReport, console: Console) -> None:
    plain = not console.is_terminal
    scope = f"deck {escape(report.deck)}" if report.deck else "all decks"
    console.print(
        f"[bold]Stats for {escape(report.learner)}[/], {scope}, study day {report.today.isoformat()}"
    )
    for section in (_heatmap, _forecast, _retention, _cards, _time, _hardest):
        console.print()
        section(report, console, plain)


def _title(console: Console, text: str) -> None:
    console.print(f"[bold underline]{text}[/]")


def _heatmap(report: StatsReport, console: Console, plain: bool) -> None:
    from rich.text import Text

    from quizkit.stats import heatmap_grid

    counts = report.counts()
    total, active = sum(counts.values()), len(counts)
    _title(console, f"Reviews, last {report.days} days")
    console.print(f"{total} answers on {active} days")
    label_width = 4
    grid = heatmap_grid(counts, report.start, report.today, max_weeks=max(1, console.width - label_width))
    months = [" "] * len(grid.mondays)
    free_from = 0
    for col, name in grid.month_labels():
        if col >= free_from and col + len(name) <= len(months):
            months[col : col + len(name)] = list(name)
            free_from = col + len(name) + 1
    console.print(Text(" " * label_width + "".join(months).rstrip()))
    shades = PLAIN_SHADES if plain else TERMINAL_SHADES
    for wd, row in enumerate(grid.rows):
        line = Text(f"{WEEKDAYS[wd]:<{label_width}}")
        for count in row:
            level = grid.level(count)
            if level is None:
                line.append(" ")
            else:
                line.append(shades[level], style=None if plain else SHADE_STYLES[level])
        console.print(line)
    legend = Text(" " * label_width + "less ")
    for level, glyph in enumerate(shades):
        legend.append(glyph, style=None if plain else SHADE_STYLES[level])
    legend.append(f" more (busiest day: {grid.peak})")
    console.print(legend)
    s = report.streak
    longest = f"{_days(s.longest)}"
    if s.longest_end is not None and s.longest:
        start = s.longest_end - timedelta(days=s.longest - 1)
        longest += f" ({start.isoformat()} to {s.longest_end.isoformat()})"
    console.print(f"Streak: current {_days(s.current)}, longest {longest}")


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _bar(value: int, peak: int, plain: bool) -> Text:
    from rich.text import Text

    width = 0 if peak == 0 else -(-value * BAR_WIDTH // peak)
    return Text("#" * width if plain else "█" * width, style="" if plain else "cyan")


def _forecast(report: StatsReport, console: Console, plain: bool) -> None:
    from rich.text import Text

    _title(console, f"Due forecast, next {len(report.forecast)} days")
    notes = [f"{report.overdue} overdue counted today"] if report.overdue else []
    notes.append(f"{report.new_cards} new cards not yet seen (not in the bars)")
    console.print("; ".join(notes))
    peak = max(report.forecast, default=0)
    for offset, n in enumerate(report.forecast):
        day = report.today + timedelta(days=offset)
        line = Text(f"{day:%a %d %b}  {n:>5}  ")
        line.append_text(_bar(n, peak, plain))
        console.print(line)
    console.print(f"{sum(report.forecast)} reviews due in {len(report.forecast)} days")


def _pct(rate: Rate) -> str:
    if rate.rate is None:
        return "-"
    return f"{rate.rate * 100:.1f}% ({rate.passed}/{rate.reviews})"


def _retention(report: StatsReport, console: Console, plain: bool) -> None:
    from quizkit.stats import MATURE_DAYS, PASS_GRADE

    _title(console, "True retention")
    console.print(
        f"Reviews graded {PASS_GRADE} or more; mature = interval of {MATURE_DAYS}+ days before the review."
    )
    table = new_table("Week of", "Mature", "Young", "All")
    weeks = [w for w in report.weeks if w.all.reviews][-RECENT_WEEKS:]
    for w in weeks:
        assert w.week is not None
        table.add_row(w.week.isoformat(), _pct(w.mature), _pct(w.young), _pct(w.all))
    o = report.overall
    table.add_row(f"last {report.days} days", _pct(o.mature), _pct(o.young), _pct(o.all), style="bold")
    console.print(table)


def _cards(report: StatsReport, console: Console, plain: bool) -> None:
    _title(console, "Cards")
    table = new_table("Deck", "Total", "New", "Young", "Mature", "Suspended", "Leech", "Avg EF")
    rows = list(report.decks)
    if report.deck is None and len(rows) > 1:
        rows.append(report.total)
    if not rows:
        console.print("The bank has no decks yet. Try: quizkit init")
        return
    for d in rows:
        ef = "-" if d.average_ef is None else f"{d.average_ef:.2f}"
        table.add_row(
            escape(d.deck),
            str(d.total),
            str(d.new),
            str(d.young),
            str(d.mature),
            str(d.suspended),
            str(d.leech),
            ef,
            style="bold" if d is report.total else None,
        )
    console.print(table)


def _time(report: StatsReport, console: Console, plain: bool) -> None:
    from rich.text import Text

    from quizkit.stats import format_duration

    _title(console, "Time spent")
    active = [log for log in report.activity.values() if log.answers]
    total = report.time_total_ms()
    week_start = report.today - timedelta(days=6)
    week = sum(log.ms for d, log in report.activity.items() if d >= week_start)
    line = f"today {format_duration(report.time_today_ms())}, last 7 days {format_duration(week)}"
    line += f", last {report.days} days {format_duration(total)}"
    if active:
        line += f" (about {format_duration(total // len(active))} per study day)"
    console.print(line)
    shown = [report.today - timedelta(days=i) for i in range(min(RECENT_DAYS, report.days))][::-1]
    ms = [report.activity[d].ms if d in report.activity else 0 for d in shown]
    peak = max(ms, default=0)
    for d, value in zip(shown, ms, strict=True):
        answers = report.activity[d].answers if d in report.activity else 0
        noun = "answer " if answers == 1 else "answers"
        row = Text(f"{d:%a %d %b}  {format_duration(value):>8}  {answers:>4} {noun}  ")
        row.append_text(_bar(value, peak, plain))
        console.print(row)


def _hardest(report: StatsReport, console: Console, plain: bool) -> None:
    _title(console, "Hardest cards")
    if not report.hardest:
        console.print("No card has lapsed or lost E-Factor yet.")
        return
    table = new_table("Id", "Deck", "Lapses", "EF", "Interval", "Front")
    for c in report.hardest:
        flags = " (leech)" if c.leech else (" (suspended)" if c.suspended else "")
        table.add_row(
            c.id,
            escape(c.deck),
            str(c.lapses),
            f"{c.ef / 1000:.2f}",
            _days(c.interval),
            escape(_short(c.front)) + flags,
        )
    console.print(table)


def _short(text: str, width: int = 50) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"
