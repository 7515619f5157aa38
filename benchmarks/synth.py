"""Benchmark inputs: synthetic chapters, compiled banks and a review history.

Everything is generated from one seed chapter (``/work/shared/seeds/kubernetes-01.md``
if present, else the shipped ``decks/kubernetes/01-docker.md``).  Copy ``i`` of the
seed gets its own top heading (``# Kubernetes 0042``) and its own command name
(``docker`` becomes ``dockr42``), so every copy yields distinct card ids *and*
distinct command facts: the compiler's per-command caches see new commands, as
they would on a real 100k-card collection.

Inputs are cached under ``$QUIZKIT_BENCH_CACHE`` (default ``<tmp>/quizkit-bench``),
in a folder named after :data:`GENERATOR_VERSION`; bump it whenever what is
generated changes.

    .venv/bin/python benchmarks/synth.py 100k      # build (or reuse) the 100k inputs
"""

from __future__ import annotations

import math
import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

GENERATOR_VERSION = 1

REPO = Path(__file__).resolve().parents[1]
SEED_CANDIDATES = (
    Path("/work/shared/seeds/kubernetes-01.md"),
    REPO / "decks" / "kubernetes" / "01-docker.md",
)

# The clock of every benchmark run (QUIZKIT_NOW) and the bank's learner.
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 3)
LEARNER = "bench"
DECK_NAME = "Bench"  # export_bench.py's deck: its helpers work on our banks as-is
DECK_KEY = "bench"

HISTORY_DAYS = 730  # the review log spans two years
SEEN_FRACTION = 0.6  # cards the learner has reviewed at least once
MAX_REVIEWS = 1_000_000


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1M`` -> 1000000, ``2500`` -> 2500."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise ValueError(f"not a size: {text!r}")
    mult = {"": 1, "k": 1000, "m": 1_000_000}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def cache_root() -> Path:
    base = os.environ.get("QUIZKIT_BENCH_CACHE") or str(Path(tempfile.gettempdir()) / "quizkit-bench")
    root = Path(base) / f"gen-v{GENERATOR_VERSION}"
    root.mkdir(parents=True, exist_ok=True)
    return root


def seed_path() -> Path:
    for p in SEED_CANDIDATES:
        if p.is_file():
            return p
    raise SystemExit("no seed chapter found (looked at: " + ", ".join(map(str, SEED_CANDIDATES)) + ")")


def seed_text() -> str:
    return seed_path().read_text(encoding="utf-8")


_H1_RE = re.compile(r"^# (.+)$", re.MULTILINE)
_DOCKER_RE = re.compile(r"docker")


def chapter_text(seed: str, i: int) -> str:
    """Copy ``i`` of the seed: its own top heading and its own command name."""
    text = _H1_RE.sub(lambda m: f"# {m.group(1)} {i:04d}", seed, count=1)
    return _DOCKER_RE.sub(f"dockr{i}", text)


def cards_per_chapter() -> int:
    """Cards the compiler makes from one copy of the seed (measured, not assumed)."""
    from quizkit.compiler import compile_text

    return len(compile_text(chapter_text(seed_text(), 1), source_file="probe.md").cards)


def _log(msg: str) -> None:
    print(f"[synth] {msg}", file=sys.stderr, flush=True)


def chapters_dir(n_cards: int) -> Path:
    """A folder of synthetic chapters compiling to at least ``n_cards`` cards (cached)."""
    root = cache_root()
    target = root / f"chapters-{size_label(n_cards)}"
    if (target / ".done").exists():
        return target
    per = cards_per_chapter()
    count = math.ceil(n_cards / per)
    _log(f"writing {count} chapters ({per} cards each) to {target}")
    tmp = root / f".tmp-{target.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    seed = seed_text()
    for i in range(count):
        # 100 chapters per folder keeps directories small; compile_path sorts the files.
        sub = tmp / f"part{i // 100:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"ch{i:05d}.md").write_text(chapter_text(seed, i), encoding="utf-8")
    (tmp / ".done").write_text(f"{count} chapters, {per} cards each\n")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def chapter_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.md"))


# -- banks ---------------------------------------------------------------------


def bank_path(n_cards: int) -> Path:
    """A compiled bank of the ``n_cards`` chapters, with learner state and review history (cached)."""
    root = cache_root()
    path = root / f"bank-{size_label(n_cards)}.sqlite3"
    done = path.with_suffix(".done")
    if done.exists() and path.exists():
        return path
    folder = chapters_dir(n_cards)
    tmp = root / f".tmp-{path.name}-{os.getpid()}"
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    n = compile_into(tmp, folder)
    _log(f"compiled {n} cards into {tmp.name} in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    n_reviews = min(10 * n, MAX_REVIEWS)
    add_history(tmp, n_reviews=n_reviews)
    _log(f"added states and {n_reviews} reviews in {time.perf_counter() - t0:.1f}s")
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("ANALYZE")
    con.close()
    path.unlink(missing_ok=True)
    tmp.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    done.write_text(f"{n} cards, {n_reviews} reviews\n")
    return path


def compile_into(db: Path, folder: Path) -> int:
    """Compile ``folder`` into the bank ``db`` through quizkit's library (deck ``Bench``)."""
    from quizkit.compiler import compile_path
    from quizkit.model import DeckInfo
    from quizkit.storage.bank import open_bank

    specs = [card for ch in compile_path(folder) for card in ch.cards]
    with open_bank(str(db), learner=LEARNER) as bank:
        bank.sync_deck(DeckInfo(key=DECK_KEY, name=DECK_NAME, source_dir=str(folder)), specs, now=NOW)
    return len(specs)


def _dt(moment: datetime) -> str:
    # SQLAlchemy's SQLite DateTime format (naive UTC).
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def add_history(db: Path, *, n_reviews: int, seed: int = 8) -> None:
    """Learner state for ``SEEN_FRACTION`` of the cards and ``n_reviews`` log rows.

    Realistic shape: intervals from 1 day to 2 years, ~2 % of seen cards due
    today or overdue, 1 % suspended, grades mostly 3-5, a few lapses and undos;
    reviews are spread over the last two years.
    """
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    ids = [r[0] for r in con.execute("SELECT id FROM cards ORDER BY position")]
    n_seen = int(len(ids) * SEEN_FRACTION)
    seen = ids[:n_seen]
    per_card = [n_reviews // max(n_seen, 1)] * n_seen
    for k in range(n_reviews - sum(per_card)):
        per_card[k % n_seen] += 1
    states = []
    review_rows = []
    start = TODAY - timedelta(days=HISTORY_DAYS)
    for cid, k in zip(seen, per_card, strict=True):
        # Walk the card's history forward: k reviews between its first day and today.
        first = start + timedelta(days=rng.randrange(HISTORY_DAYS - 5))
        span = (TODAY - first).days
        days = sorted(rng.randrange(max(span, 1)) for _ in range(k))
        interval, ef, reps, lapses = 0, 2500, 0, 0
        due: date | None = None
        last: datetime | None = None
        for j, offset in enumerate(days):
            day = first + timedelta(days=offset)
            at = datetime(day.year, day.month, day.day, 8 + rng.randrange(12), rng.randrange(60), tzinfo=UTC)
            grade = rng.choices((0, 1, 2, 3, 4, 5), weights=(3, 3, 4, 20, 40, 30))[0]
            before = (due, interval, ef, reps, lapses, last)
            if grade < 3:
                reps, interval, lapses = 0, 1, lapses + 1
                kind = "relearn"
            else:
                reps += 1
                interval = 1 if reps == 1 else 6 if reps == 2 else max(1, round(interval * ef / 1000))
                kind = "new" if j == 0 else "review"
            ef = max(1300, ef + (100 - (5 - grade) * (80 + (5 - grade) * 20)))
            interval = min(interval, 800)
            due = day + timedelta(days=interval)
            last = at
            review_rows.append(
                (
                    cid,
                    LEARNER,
                    _dt(at),
                    day.isoformat(),
                    kind,
                    grade,
                    None,
                    rng.randrange(1500, 20000),
                    None,
                    before[0].isoformat() if before[0] else None,
                    before[1],
                    before[2],
                    before[3],
                    before[4],
                    0,
                    0,
                    _dt(before[5]) if before[5] else None,
                    first.isoformat() if j else None,
                    due.isoformat(),
                    interval,
                    ef,
                    reps,
                    lapses,
                    0,
                    0,
                    _dt(at),
                )
            )
        # Bring the due date into a realistic spread around today.
        if rng.random() < 0.02:
            due = TODAY - timedelta(days=rng.randrange(0, 10))
        elif due is not None and due <= TODAY:
            due = TODAY + timedelta(days=1 + rng.randrange(max(interval, 1)))
        states.append(
            (
                cid,
                LEARNER,
                due.isoformat() if due else None,
                interval,
                ef,
                reps,
                lapses,
                1 if rng.random() < 0.01 else 0,
                1 if lapses >= 8 else 0,
                _dt(last) if last else None,
                first.isoformat(),
            )
        )
    review_rows.sort(key=lambda r: r[2])
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO card_states (card_id, learner, due, interval, ef, repetitions, lapses, suspended, "
        "leech, last_review, first_review_day) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        states,
    )
    con.executemany(
        "INSERT INTO reviews (card_id, learner, reviewed_at, study_day, kind, grade, answer, duration_ms, "
        "undoes, due_before, interval_before, ef_before, reps_before, lapses_before, suspended_before, "
        "leech_before, last_review_before, first_day_before, due_after, interval_after, ef_after, "
        "reps_after, lapses_after, suspended_after, leech_after, last_review_after) "
        "VALUES (" + ",".join("?" * 26) + ")",
        review_rows,
    )
    con.execute("COMMIT")
    con.close()
    # The states went in as raw rows: let quizkit compute the learner's new-card cursors, as
    # its own writers would have kept them (a bank upgraded to revision 0003 gets the same).
    from quizkit.storage import cursors
    from quizkit.storage.bank import open_bank

    with open_bank(str(db), learner=LEARNER) as bank, bank.engine.begin() as conn:
        cursors.rebuild(conn)


def copy_bank(src: Path, dest: Path) -> Path:
    """A private copy of a cached bank (for benchmarks that write)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dest)
    return dest


def main(argv: list[str]) -> int:
    for arg in argv or ["100k"]:
        n = parse_size(arg)
        t0 = time.perf_counter()
        path = bank_path(n)
        print(f"{size_label(n)}: {path} ({time.perf_counter() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
