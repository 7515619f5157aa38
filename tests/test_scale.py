"""Scale: a bank of 100k cards and 1M review-log rows works for every command, in bounded memory."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from quizkit.model import CardKind, CardSpec, CardStyle, DeckInfo
from quizkit.storage.bank import open_bank

N_CARDS = 100_000
N_REVIEWS = 1_000_000
N_DECKS = 4
TODAY = date(2026, 11, 27)
NOW = "2026-11-27T12:00:00+00:00"
RSS_LIMIT_KB = 150 * 1024

MEASURE = """
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    child = subprocess.run(sys.argv[3:], stdin=open(sys.argv[2]), stdout=out, stderr=subprocess.PIPE)
code = child.returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.fixture(scope="module")
def big_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("scale") / "big.sqlite3"
    built = datetime(2026, 1, 1, tzinfo=UTC)
    per_deck = N_CARDS // N_DECKS
    with open_bank(str(db), learner="ann") as bank:
        for d in range(N_DECKS):
            specs = [
                CardSpec(
                    kind=CardKind.COMMAND if i % 3 else CardKind.CONCEPT,
                    style=CardStyle.BASIC,
                    front=f"tool{d} sub{i} [name]",
                    back=f"does thing {i} of deck {d}",
                    fact=f"command:tool{d} sub{i}:meaning",
                    section=(f"Deck {d}", f"Part {i // 500}"),
                    source_file=f"deck{d}.md",
                    source_line=i + 1,
                )
                for i in range(per_deck)
            ]
            bank.sync_deck(DeckInfo(key=f"deck{d}", name=f"Deck {d}"), specs, now=built)
    # Learner state for 60% of the cards and a year of review history, written in bulk.
    rng = random.Random(7)
    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute("select id from cards order by id")]
    seen = ids[: int(len(ids) * 0.6)]
    con.executemany(
        "insert into card_states (card_id, learner, due, interval, ef, repetitions, lapses, suspended, leech,"
        " last_review, first_review_day) values (?, 'ann', ?, ?, ?, ?, ?, 0, 0, ?, ?)",
        [
            (
                cid,
                (TODAY + timedelta(days=rng.randint(-30, 200))).isoformat(),
                rng.randint(1, 300),
                rng.randint(1300, 3000),
                rng.randint(1, 12),
                rng.randint(0, 4),
                "2026-11-01 09:00:00.000000",
                "2026-01-02",
            )
            for cid in seen
        ],
    )
    start = TODAY - timedelta(days=365)

    def rows():
        for n in range(N_REVIEWS):
            day = start + timedelta(days=n * 365 // N_REVIEWS)
            g = rng.randint(0, 5)
            yield (
                seen[n % len(seen)],
                "ann",
                f"{day.isoformat()} 10:00:00.000000",
                day.isoformat(),
                "review" if n >= len(seen) else "new",
                g,
                rng.randint(800, 20000),
                5,
                2500,
                3,
                0,
                0,
                0,
                6,
                2500,
                4,
                0 if g >= 3 else 1,
                0,
                0,
            )

    con.executemany(
        "insert into reviews (card_id, learner, reviewed_at, study_day, kind, grade, duration_ms,"
        " interval_before, ef_before, reps_before, lapses_before, suspended_before, leech_before,"
        " interval_after, ef_after, reps_after, lapses_after, suspended_after, leech_after)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return db


def _run(db: Path, tmp_path: Path, *args: str, stdin: str = "") -> tuple[int, int, str]:
    """Run ``quizkit ARGS`` in a child; return (exit code, peak RSS in KB, stdout)."""
    out, inp = tmp_path / "out.txt", tmp_path / "in.txt"
    inp.write_text(stdin)
    env = {**os.environ, "QUIZKIT_DB": str(db), "QUIZKIT_LEARNER": "ann", "QUIZKIT_NOW": NOW}
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, str(out), str(inp), sys.executable, "-m", "quizkit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    code, rss = (int(x) for x in measured.stdout.split())
    return code, rss, out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("due", "--json"), ""),
        (("decks", "--json"), ""),
        (("study", "Deck 1"), "\n4\n\n4\nq\n"),
        (("stats", "--json"), ""),
        (("cards", "--deck", "Deck 2", "--json"), ""),
        (("show", "--json", "{first}"), ""),
        (("class", "report", "--json"), ""),
        (("export", "Deck 3", "-o", "{tmp}/deck3.apkg", "--with-scheduling", "--json"), ""),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else None,
)
def test_every_command_works_on_a_big_bank_in_bounded_memory(
    big_bank: Path, tmp_path: Path, args: tuple[str, ...], stdin: str, figures: Callable[[str], None]
) -> None:
    if "{first}" in args:
        con = sqlite3.connect(big_bank)
        first = con.execute("select card_id from reviews order by id limit 1").fetchone()[0]
        con.close()
        args = tuple(first if a == "{first}" else a for a in args)
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    code, rss, out = _run(big_bank, tmp_path, *args, stdin=stdin)
    figures(f"100k cards / 1M reviews: quizkit {' '.join(args[:2])}: peak RSS {rss / 1024:.0f} MB")
    assert code == 0, out[-2000:]
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss / 1024:.0f} MB"
    if "--json" in args:
        data = json.loads(out)
        if args[0] == "cards":
            assert len(data) == N_CARDS // N_DECKS
        if args[0] == "show":
            assert len(data["reviews"]) >= N_REVIEWS // (N_CARDS * 6 // 10)
    if args[0] == "study":
        assert "Reviewed 2" in out


def test_a_big_compile_is_one_transaction_and_leaves_counts_right(big_bank: Path) -> None:
    con = sqlite3.connect(big_bank)
    assert con.execute("select count(*) from cards where retired_at is null").fetchone() == (N_CARDS,)
    assert con.execute("select count(*) from reviews").fetchone()[0] >= N_REVIEWS
    con.close()
