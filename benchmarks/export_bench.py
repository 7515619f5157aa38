"""Time ``quizkit export`` against genanki writing the same notes directly.

Builds its own synthetic bank (commands, type-in, cloze, multiple choice cards
spread over sub-sections), then runs each side ``--runs`` times and prints
the medians and their ratio.  quizkit's side includes reading the bank and
rendering the fields; genanki's side gets the fields already rendered.

``time_genanki`` (the baseline ``benchmarks/run.py`` uses) is genanki's own API,
whose ``Deck.write_to_db`` rewrites the whole deck list once per deck: quadratic
in the number of sub-decks, so at 100k cards (thousands of sub-decks) it is
slow itself.  ``time_genanki_decks_once`` is printed beside it for reference:
genanki's ``Note.write_to_db`` per note with the deck list written once.

    .venv/bin/python benchmarks/export_bench.py            # 100k cards, 5 runs
    .venv/bin/python benchmarks/export_bench.py --cards 20000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from quizkit.exporters.anki import (
    DEFAULT_DEPTH,
    deck_path,
    export_apkg,
    genanki_models,
    note_guid,
    note_tags,
    subdeck_id,
)
from quizkit.exporters.templates import note_fields
from quizkit.model import CardKind, CardSpec, CardStyle, Choice, DeckInfo
from quizkit.storage.bank import Bank, open_bank

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
INFO = DeckInfo(key="bench", name="Bench")


def synthetic_specs(n: int) -> list[CardSpec]:
    specs = []
    for i in range(n):
        common = {
            "section": ("Bench", f"第 {i // 5000} 章", f"Section {i // 250}"),
            "source_file": f"ch{i // 5000}.md",
            "source_line": i,
            "tags": ("bench",),
        }
        match i % 4:
            case 0:
                spec = CardSpec(
                    kind=CardKind.COMMAND, style=CardStyle.BASIC, front=f"docker run --name=<n{i}> img",
                    back=f"运行容器 {i}：a && b", fact=f"command:{i}", **common,
                )
            case 1:
                spec = CardSpec(
                    kind=CardKind.COMMAND, style=CardStyle.TYPE, front=f"删除所有容器 {i}",
                    back=f"docker rm -f $(docker ps -aq) #{i}", fact=f"recall:{i}",
                    aliases=(f"docker ps -aq | xargs docker rm #{i}",), **common,
                )
            case 2:
                spec = CardSpec(
                    kind=CardKind.CONCEPT, style=CardStyle.CLOZE,
                    front="Pod 是 {{c1::最小调度单元::单元}}，由 {{c2::kubelet " + str(i) + "}} 管理",
                    back="", fact=f"concept:{i}", extra="`kubectl get pods`", **common,
                )
            case _:
                spec = CardSpec(
                    kind=CardKind.CONCEPT, style=CardStyle.CHOICE, front=f"哪个命令列出镜像？ {i}",
                    back="", fact=f"quiz:{i}",
                    choices=(Choice("docker ps", False), Choice("docker images", True)), **common,
                )
        specs.append(spec)
    return specs


def build_bank(path: Path, n: int) -> Bank:
    bank = open_bank(str(path), learner="bench")
    bank.sync_deck(INFO, synthetic_specs(n), now=NOW)
    return bank


def time_quizkit(bank: Bank, out: Path) -> float:
    start = time.perf_counter()
    export_apkg(bank, out, now=NOW, deck=INFO.name, stamp_file=None)
    return time.perf_counter() - start


def time_genanki(bank: Bank, out: Path) -> float:
    import genanki

    models = genanki_models()
    # The same notes, rendered beforehand: genanki's own cost only.
    rendered = []
    for view in bank.iter_cards(deck=INFO.name):
        nt, fields = note_fields(view.spec)
        did = subdeck_id(INFO, deck_path(INFO, view.spec.section, DEFAULT_DEPTH))
        rendered.append((did, models[nt.key], fields, note_tags(view), note_guid(view.id)))
    start = time.perf_counter()
    decks: dict[int, genanki.Deck] = {}
    for did, model, fields, tags, guid in rendered:
        deck = decks.get(did)
        if deck is None:
            deck = decks[did] = genanki.Deck(did, f"Bench::{did}")
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=guid))
    genanki.Package(list(decks.values())).write_to_file(str(out), timestamp=NOW.timestamp())
    return time.perf_counter() - start


def time_genanki_decks_once(bank: Bank, out: Path) -> float:
    """genanki writing the same notes note by note, the deck list and note types written once."""
    import itertools
    import json
    import os
    import sqlite3
    import zipfile

    import genanki

    models = genanki_models()
    rendered = []
    for view in bank.iter_cards(deck=INFO.name):
        nt, fields = note_fields(view.spec)
        did = subdeck_id(INFO, deck_path(INFO, view.spec.section, DEFAULT_DEPTH))
        rendered.append((did, models[nt.key], fields, note_tags(view), note_guid(view.id)))
    start = time.perf_counter()
    stamp = NOW.timestamp()
    fd, db_name = tempfile.mkstemp()
    os.close(fd)
    conn = sqlite3.connect(db_name)
    cursor = conn.cursor()
    ids = itertools.count(int(stamp * 1000))
    genanki.Package([]).write_to_db(cursor, stamp, ids)
    decks: dict[int, genanki.Deck] = {}
    for did, model, fields, tags, guid in rendered:
        if did not in decks:
            decks[did] = genanki.Deck(did, f"Bench::{did}")
        genanki.Note(model=model, fields=fields, tags=tags, guid=guid).write_to_db(cursor, stamp, did, ids)
    all_decks = json.loads(cursor.execute("SELECT decks FROM col").fetchone()[0])
    all_decks.update({str(d.deck_id): d.to_json() for d in decks.values()})
    last = list(decks)[-1]
    all_models = {str(m.model_id): m.to_json(stamp, last) for m in models.values()}
    cursor.execute("UPDATE col SET decks = ?, models = ?", (json.dumps(all_decks), json.dumps(all_models)))
    conn.commit()
    conn.close()
    with zipfile.ZipFile(out, "w") as z:  # as genanki.Package.write_to_file (stored, no media)
        z.write(db_name, "collection.anki2")
        z.writestr("media", "{}")
    os.unlink(db_name)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        t0 = time.perf_counter()
        bank = build_bank(tmpdir / "bench.sqlite3", args.cards)
        print(f"bank with {args.cards} cards built in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        # Alternating runs (after one warm-up of each), so load from other processes hits all alike.
        sides = (
            lambda: time_quizkit(bank, tmpdir / "quizkit.apkg"),
            lambda: time_genanki(bank, tmpdir / "genanki.apkg"),
            lambda: time_genanki_decks_once(bank, tmpdir / "genanki-once.apkg"),
        )
        for side in sides:
            side()
        q: list[float] = []
        g: list[float] = []
        o: list[float] = []
        for _ in range(args.runs):
            for side, times in zip(sides, (q, g, o), strict=True):
                times.append(side())
        bank.close()
    mq, mg, mo = statistics.median(q), statistics.median(g), statistics.median(o)

    def runs(ts: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in ts)

    print(f"cards: {args.cards}  runs: {args.runs}")
    print(f"quizkit export (bank + render + write):  median {mq:.2f}s  ({runs(q)})")
    print(f"genanki direct (pre-rendered notes):    median {mg:.2f}s  ({runs(g)})")
    print(f"genanki, deck list written once (ref.): median {mo:.2f}s  ({runs(o)})")
    print(f"ratio quizkit/genanki: {mq / mg:.2f}   quizkit/genanki-decks-once: {mq / mo:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
