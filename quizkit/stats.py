"""Progress figures for ``quizkit stats``: streaks, retention, forecast, heatmap.

Pure computations over small, already-aggregated inputs (one row per study
day, one count per due date, one row per deck): the SQL in
``quizkit/storage/stats_queries.py`` does the heavy grouping, this module
turns it into the figures documented in ``docs/stats.md``.  No sqlalchemy,
click or rich here; ``today`` is always an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

MATURE_DAYS = 21  # interval (days) from which a card counts as mature, as in Anki
PASS_GRADE = 3  # SM-2: grades 3-5 are correct recalls
FORECAST_DAYS = 30
HEAT_LEVELS = 4  # shades for days with reviews (level 0 = no review)


@dataclass(frozen=True)
class DayLog:
    """What the review log says about one study day (undone answers already taken out).

    ``answers`` counts every answer (new, review, relearn, drill); the four
    retention counters only count ``review``/``relearn`` answers, split by the
    interval before the answer.
    """

    day: date
    answers: int = 0
    ms: int = 0
    mature_reviews: int = 0
    mature_passed: int = 0
    young_reviews: int = 0
    young_passed: int = 0

    def minus(self, other: DayLog) -> DayLog:
        return DayLog(
            day=self.day,
            answers=self.answers - other.answers,
            ms=self.ms - other.ms,
            mature_reviews=self.mature_reviews - other.mature_reviews,
            mature_passed=self.mature_passed - other.mature_passed,
            young_reviews=self.young_reviews - other.young_reviews,
            young_passed=self.young_passed - other.young_passed,
        )


@dataclass(frozen=True)
class DeckCounts:
    """Card counts by state for one deck (retired cards left out).

    ``new``, ``young``, ``mature`` and ``suspended`` partition the deck's cards;
    ``leech`` overlaps them (a leech is usually suspended too).
    """

    deck: str
    new: int = 0
    young: int = 0
    mature: int = 0
    suspended: int = 0
    leech: int = 0
    ef_sum: int = 0  # permille, over reviewed cards
    ef_cards: int = 0

    @property
    def total(self) -> int:
        return self.new + self.young + self.mature + self.suspended

    def plus(self, other: DeckCounts, name: str) -> DeckCounts:
        return DeckCounts(
            deck=name,
            new=self.new + other.new,
            young=self.young + other.young,
            mature=self.mature + other.mature,
            suspended=self.suspended + other.suspended,
            leech=self.leech + other.leech,
            ef_sum=self.ef_sum + other.ef_sum,
            ef_cards=self.ef_cards + other.ef_cards,
        )

    @property
    def average_ef(self) -> float | None:
        """Mean E-Factor of the reviewed cards (None when none was reviewed)."""
        if self.ef_cards == 0:
            return None
        return round(self.ef_sum / self.ef_cards / 1000, 3)

    def to_json(self) -> dict[str, object]:
        return {
            "deck": self.deck,
            "total": self.total,
            "new": self.new,
            "young": self.young,
            "mature": self.mature,
            "suspended": self.suspended,
            "leech": self.leech,
            "average_ef": self.average_ef,
        }


@dataclass(frozen=True)
class HardCard:
    id: str
    deck: str
    front: str
    lapses: int
    ef: int  # permille
    interval: int
    suspended: bool
    leech: bool

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "deck": self.deck,
            "front": self.front,
            "lapses": self.lapses,
            "ef": self.ef / 1000,
            "interval": self.interval,
            "suspended": self.suspended,
            "leech": self.leech,
        }


@dataclass(frozen=True)
class StatsInput:
    """Everything the figures are computed from, as the queries return it."""

    today: date
    days: int
    learner: str
    deck: str | None
    log: Sequence[DayLog]  # every study day with activity, whole history
    due: Mapping[date, int]  # due reviews per due date, for dates before today + FORECAST_DAYS
    new_cards: int
    decks: Sequence[DeckCounts]
    hardest: Sequence[HardCard]


# -- streaks ---------------------------------------------------------------
@dataclass(frozen=True)
class Streak:
    current: int
    longest: int
    longest_end: date | None  # last day of the longest run (the latest one on ties)


def streaks(active_days: Iterable[date], today: date) -> Streak:
    """Current and longest runs of consecutive study days with at least one answer.

    The current streak ends today, or yesterday while today has no answer yet
    (the day is not over, so the streak is not broken).  Days after ``today``
    are ignored.
    """
    days = sorted({d for d in active_days if d <= today})
    longest, longest_end, run = 0, None, 0
    prev: date | None = None
    for d in days:
        run = run + 1 if prev is not None and d - prev == timedelta(days=1) else 1
        if run >= longest:
            longest, longest_end = run, d
        prev = d
    current = 0
    if days and days[-1] >= today - timedelta(days=1):
        current = run
    return Streak(current=current, longest=longest, longest_end=longest_end)


# -- retention -------------------------------------------------------------
@dataclass(frozen=True)
class Rate:
    reviews: int = 0
    passed: int = 0

    @property
    def rate(self) -> float | None:
        return None if self.reviews == 0 else round(self.passed / self.reviews, 4)

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.reviews + other.reviews, self.passed + other.passed)

    def to_json(self) -> dict[str, object]:
        return {"reviews": self.reviews, "passed": self.passed, "rate": self.rate}


@dataclass(frozen=True)
class RetentionRow:
    """Retention over a span: ``week`` is its Monday (None for the overall row)."""

    week: date | None
    mature: Rate
    young: Rate

    @property
    def all(self) -> Rate:
        return self.mature + self.young

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {} if self.week is None else {"week": self.week.isoformat()}
        data.update(mature=self.mature.to_json(), young=self.young.to_json(), all=self.all.to_json())
        return data


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def retention(log: Iterable[DayLog], start: date, end: date) -> tuple[list[RetentionRow], RetentionRow]:
    """Per-week (Monday-based, every week touching [start, end]) and overall retention."""
    per_week: dict[date, tuple[Rate, Rate]] = {}
    first = week_start(start)
    w = first
    while w <= end:
        per_week[w] = (Rate(), Rate())
        w += timedelta(days=7)
    mature, young = Rate(), Rate()
    for d in log:
        if not start <= d.day <= end:
            continue
        m = Rate(d.mature_reviews, d.mature_passed)
        y = Rate(d.young_reviews, d.young_passed)
        wk = week_start(d.day)
        old_m, old_y = per_week[wk]
        per_week[wk] = (old_m + m, old_y + y)
        mature, young = mature + m, young + y
    weeks = [RetentionRow(week=wk, mature=m, young=y) for wk, (m, y) in per_week.items()]
    return weeks, RetentionRow(week=None, mature=mature, young=young)


# -- forecast --------------------------------------------------------------
def forecast(due: Mapping[date, int], today: date, horizon: int = FORECAST_DAYS) -> tuple[list[int], int]:
    """Reviews due on each of ``horizon`` days from today, and how many of today's are overdue.

    Overdue cards (due before today) are counted on today's bar.
    """
    bars = [0] * horizon
    overdue = 0
    for day, n in due.items():
        offset = (day - today).days
        if offset < 0:
            overdue += n
            bars[0] += n
        elif offset < horizon:
            bars[offset] += n
    return bars, overdue


# -- heatmap ---------------------------------------------------------------
def heat_level(count: int, peak: int) -> int:
    """Shade 0-4 for a day's answer count: 0 = none, then quarters of the busiest day."""
    if count <= 0 or peak <= 0:
        return 0
    return min(HEAT_LEVELS, max(1, -(-count * HEAT_LEVELS // peak)))


@dataclass(frozen=True)
class HeatmapGrid:
    """A contributions calendar: ``rows[weekday][column]``, None outside the window.

    Column ``i`` is the week starting on ``mondays[i]``; row 0 is Monday.
    """

    mondays: list[date]
    rows: list[list[int | None]]  # counts
    peak: int

    def level(self, count: int | None) -> int | None:
        return None if count is None else heat_level(count, self.peak)

    def month_labels(self) -> list[tuple[int, str]]:
        """(column, "Jan") where a month's first Monday falls, for a header line."""
        labels: list[tuple[int, str]] = []
        last_month = None
        for i, monday in enumerate(self.mondays):
            if monday.month != last_month:
                if i > 0 or monday.day <= 7:
                    labels.append((i, monday.strftime("%b")))
                last_month = monday.month
        return labels


def heatmap_grid(
    counts: Mapping[date, int], start: date, end: date, max_weeks: int | None = None
) -> HeatmapGrid:
    """Lay the days from ``start`` to ``end`` out as week columns (keeping the latest ``max_weeks``)."""
    first = week_start(start)
    n_weeks = (end - first).days // 7 + 1
    if max_weeks is not None and n_weeks > max_weeks:
        first += timedelta(days=7 * (n_weeks - max_weeks))
        n_weeks = max_weeks
    mondays = [first + timedelta(days=7 * i) for i in range(n_weeks)]
    rows: list[list[int | None]] = [[None] * n_weeks for _ in range(7)]
    peak = 0
    for col, monday in enumerate(mondays):
        for wd in range(7):
            day = monday + timedelta(days=wd)
            if start <= day <= end:
                n = counts.get(day, 0)
                rows[wd][col] = n
                peak = max(peak, n)
    return HeatmapGrid(mondays=mondays, rows=rows, peak=peak)


# -- time ------------------------------------------------------------------
def format_duration(ms: int) -> str:
    """``1h 02m``, ``12m 30s``, ``45s``: rounded down to the second."""
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


# -- the report --------------------------------------------------------------
@dataclass(frozen=True)
class StatsReport:
    """Every figure of ``quizkit stats`` (definitions in docs/stats.md)."""

    today: date
    start: date  # first day of the --days window
    learner: str
    deck: str | None
    streak: Streak
    activity: dict[date, DayLog]  # days in the window with activity
    forecast: list[int]  # FORECAST_DAYS bars from today
    overdue: int
    new_cards: int
    weeks: list[RetentionRow]
    overall: RetentionRow
    decks: list[DeckCounts]
    total: DeckCounts
    hardest: list[HardCard] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.today - self.start).days + 1

    def counts(self) -> dict[date, int]:
        return {d: log.answers for d, log in self.activity.items() if log.answers}

    def time_today_ms(self) -> int:
        log = self.activity.get(self.today)
        return log.ms if log is not None else 0

    def time_total_ms(self) -> int:
        return sum(log.ms for log in self.activity.values())

    def to_json(self) -> dict[str, object]:
        counts = self.counts()
        timed = {d: log for d, log in self.activity.items() if log.answers or log.ms}
        return {
            "learner": self.learner,
            "deck": self.deck,
            "today": self.today.isoformat(),
            "window": {"from": self.start.isoformat(), "to": self.today.isoformat(), "days": self.days},
            "streak": {
                "current": self.streak.current,
                "longest": self.streak.longest,
                "longest_end": self.streak.longest_end.isoformat() if self.streak.longest_end else None,
            },
            "heatmap": {
                "total": sum(counts.values()),
                "active_days": len(counts),
                "max": max(counts.values(), default=0),
                "days": {d.isoformat(): n for d, n in sorted(counts.items())},
            },
            "forecast": {
                "from": self.today.isoformat(),
                "due": self.forecast,
                "overdue": self.overdue,
                "total": sum(self.forecast),
                "new": self.new_cards,
            },
            "retention": {
                "mature_days": MATURE_DAYS,
                "pass_grade": PASS_GRADE,
                "overall": self.overall.to_json(),
                "weeks": [w.to_json() for w in self.weeks],
            },
            "cards": {
                "total": self.total.to_json(),
                "decks": [d.to_json() for d in self.decks],
            },
            "time": {
                "today_ms": self.time_today_ms(),
                "total_ms": self.time_total_ms(),
                "days": {
                    d.isoformat(): {"ms": log.ms, "answers": log.answers} for d, log in sorted(timed.items())
                },
            },
            "hardest": [c.to_json() for c in self.hardest],
        }


def build_report(data: StatsInput) -> StatsReport:
    """Compute every figure from the aggregated input."""
    if data.days < 1:
        raise ValueError(f"days must be at least 1, not {data.days}")
    today = data.today
    start = today - timedelta(days=data.days - 1)
    active = [d.day for d in data.log if d.answers > 0]
    window = {d.day: d for d in data.log if start <= d.day <= today}
    weeks, overall = retention(data.log, start, today)
    bars, overdue = forecast(data.due, today)
    decks = sorted(data.decks, key=lambda d: d.deck.casefold())
    total = DeckCounts(deck="(all)")
    for d in decks:
        total = total.plus(d, "(all)")
    return StatsReport(
        today=today,
        start=start,
        learner=data.learner,
        deck=data.deck,
        streak=streaks(active, today),
        activity=dict(sorted(window.items())),
        forecast=bars,
        overdue=overdue,
        new_cards=data.new_cards,
        weeks=weeks,
        overall=overall,
        decks=decks,
        total=total,
        hardest=list(data.hardest),
    )
