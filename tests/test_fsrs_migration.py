"""Revision 0002 (FSRS columns) on a bank that already holds data at 0001: every row kept, a backup made."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from quizkit.storage.bank import open_bank
from quizkit.storage.db import SCHEMA_HEAD, open_database, upgrade

AT = datetime(2026, 11, 20, 9, 30)  # naive UTC, as stored


def _bank_at_0001(path: Path) -> None:
    """A 0001 bank: a deck, cards, two states and a log with an undo (inserted as 0001's tables were)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    upgrade(engine, "0001")
    with engine.begin() as conn:
        old = sa.MetaData()
        old.reflect(conn)
        assert "stability" not in old.tables["card_states"].c
        conn.execute(
            old.tables["decks"].insert(),
            [
                {
                    "id": 1,
                    "key": "k8s",
                    "name": "Kubernetes",
                    "description": "",
                    "source_dir": "",
                    "settings": '{"new_per_day": 5}',
                    "created_at": AT,
                    "updated_at": AT,
                }
            ],
        )
        empty = {k: "[]" for k in ("section", "tags", "media", "aliases", "choices")}
        conn.execute(
            old.tables["cards"].insert(),
            [
                {
                    "id": f"c{i}",
                    "deck_id": 1,
                    "fact": f"concept:{i}",
                    "kind": "concept",
                    "style": "basic",
                    "front": f"Q{i}",
                    "back": "back",
                    "source_file": "k8s.md",
                    "source_line": i,
                    "extra": "",
                    "content_hash": "h",
                    "position": i,
                    "created_at": AT,
                    "updated_at": AT,
                    **empty,
                }
                for i in range(3)
            ],
        )
        base = {"learner": "ann", "suspended": False, "leech": False, "last_review": AT}
        conn.execute(
            old.tables["card_states"].insert(),
            [
                {"card_id": "c0", "due": date(2026, 11, 26), "interval": 6, "ef": 2600, "repetitions": 2,
                 "lapses": 0, "first_review_day": date(2026, 11, 14), **base},
                {"card_id": "c1", "due": date(2026, 11, 21), "interval": 1, "ef": 2180, "repetitions": 0,
                 "lapses": 1, "first_review_day": date(2026, 11, 20), **base},
            ],
        )  # fmt: skip
        before = {"interval_before": 0, "ef_before": 2500, "reps_before": 0, "lapses_before": 0}
        flags = {
            "suspended_before": False,
            "leech_before": False,
            "suspended_after": False,
            "leech_after": False,
        }
        log = [
            (1, "c0", "review", 4, None, 1, 2500, 1, 0),
            (2, "c0", "review", 5, None, 6, 2600, 2, 0),
            (3, "c1", "review", 1, None, 1, 2180, 0, 1),
            (4, "c1", "undo", None, 3, 0, 2500, 0, 0),
        ]
        conn.execute(
            old.tables["reviews"].insert(),
            [
                {"id": n, "card_id": card, "learner": "ann", "reviewed_at": AT, "study_day": AT.date(),
                 "kind": kind, "grade": grade, "undoes": undoes, "interval_after": ivl, "ef_after": ef,
                 "reps_after": reps, "lapses_after": lapses, "last_review_after": AT, **before, **flags}
                for n, card, kind, grade, undoes, ivl, ef, reps, lapses in log
            ],
        )  # fmt: skip
    engine.dispose()


def _rows(path: Path, table: str, columns: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(f"select {columns} from {table} order by 1, 2"))]
    engine.dispose()
    return rows


COLUMNS = {
    "decks": "id, key, name, settings, created_at",
    "cards": "id, deck_id, fact, front, position",
    "card_states": "card_id, learner, due, interval, ef, repetitions, lapses, suspended, last_review",
    "reviews": "id, card_id, kind, grade, undoes, interval_after, ef_after, reps_after, last_review_after",
}


def test_upgrading_a_0001_bank_with_data_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _bank_at_0001(path)
    before = {table: _rows(path, table, cols) for table, cols in COLUMNS.items()}
    assert [len(v) for v in before.values()] == [1, 3, 2, 4]
    upgrade(sa.create_engine(f"sqlite:///{path}"), "0002")
    after = {table: _rows(path, table, cols) for table, cols in COLUMNS.items()}
    assert after == before
    assert _rows(path, "card_states", "card_id, stability, difficulty") == [
        ("c0", None, None),
        ("c1", None, None),
    ]
    assert {r[1:] for r in _rows(path, "reviews", "id, scheduler, stability_after")} == {("sm2", None)}


def test_opening_a_0001_bank_backs_it_up_and_it_works_afterwards(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _bank_at_0001(path)
    opened = open_database(str(path))
    opened.engine.dispose()
    assert opened.backup is not None and opened.backup.parent == tmp_path
    assert opened.backup.name.startswith(f"old.sqlite3.pre-{SCHEMA_HEAD}-") and opened.backup.suffix == ".bak"
    assert _rows(opened.backup, "alembic_version", "version_num, 1") == [("0001", 1)]
    assert len(_rows(opened.backup, "reviews", "id, 1")) == 4
    with open_bank(str(path), learner="ann") as bank:
        assert bank.backup is None  # already upgraded: no second copy
        state = bank.state("c0")
        assert (state.interval, state.ef, state.due, state.stability) == (6, 2600, date(2026, 11, 26), None)
        assert [r.scheduler for r in bank.review_log()] == ["sm2"] * 4
        switch = bank.set_scheduler("Kubernetes", "fsrs", now=datetime(2026, 11, 27, tzinfo=UTC))
        # c1's only answer was undone, so only c0's two answers are replayed.
        assert (switch.states, switch.answers) == (1, 2)
        assert bank.state("c0").stability is not None and bank.state("c1").stability is None
