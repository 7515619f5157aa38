"""New-card cursors (storage/cursors.py): random sequences of every writer, checked against a plain walk.

The cursor only decides where the search for new cards starts, so a wrong one
would silently hide new cards.  After each step the bank's new cards and
``due`` counts must equal the ones found by walking every card from the top,
and every cursor must satisfy its invariant.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizkit import sm2
from quizkit.model import CardKind, CardSpec, CardStyle, DeckInfo
from quizkit.storage import cursors
from quizkit.storage.bank import Bank, open_bank
from quizkit.storage.importing import ImportedProgress, write_progress
from quizkit.storage.schema import card_states, cards, new_card_cursors
from quizkit.storage.transfer import copy_bank

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 27)
DECKS = [DeckInfo(key="k8s", name="Kubernetes"), DeckInfo(key="git", name="Git")]


def spec(n: int, back: str = "b") -> CardSpec:
    return CardSpec(
        kind=CardKind.CONCEPT,
        style=CardStyle.BASIC,
        front=f"q{n}",
        back=back,
        fact=f"concept:f{n}",
        section=("S",),
        source_file="ch.md",
        source_line=n,
    )


def learn_first(bank: Bank, n: int, *, deck: str | None = None) -> None:
    """Answer the first ``n`` new cards (of ``deck``), in order, with grade 4 on DAY."""
    for view in bank.new_cards(deck=deck, limit=n):
        after = sm2.review(view.state, 4, DAY, now=NOW)
        bank.record_review(
            view.id, before=view.state, after=after, grade=4, kind="new", reviewed_at=NOW, study_day=DAY
        )


def walk_new(bank: Bank, deck_key: str) -> list[str]:
    """The learner's new cards of a deck, by looking at every card (no cursor)."""
    with bank.engine.connect() as conn:
        deck_id = conn.execute(sa.text("select id from decks where key = :k"), {"k": deck_key}).scalar_one()
        seen = {
            r.card_id
            for r in conn.execute(
                sa.select(card_states.c.card_id).where(
                    card_states.c.learner == bank.learner,
                    sa.or_(card_states.c.last_review.is_not(None), card_states.c.suspended.is_(True)),
                )
            )
        }
        ids = conn.execute(
            sa.select(cards.c.id)
            .where(cards.c.deck_id == deck_id, cards.c.retired_at.is_(None))
            .order_by(cards.c.position)
        ).scalars()
        return [i for i in ids if i not in seen]


def check(bank: Bank, learners: list[str]) -> None:
    for learner in learners:
        b = Bank(bank._opened, learner)  # same engine, another learner's view
        for info in DECKS:
            try:
                expected = walk_new(b, info.key)
            except sa.exc.NoResultFound:
                continue
            got = [v.id for v in b.new_cards(deck=info.key)]
            assert got == expected, (learner, info.key)
            assert [v.id for v in b.new_cards(deck=info.key, limit=3)] == expected[:3]
        caps = {info.key: 4 for info in DECKS}
        later = DAY + timedelta(days=3)
        full = b.due_summary(later)
        for row, whole in zip(b.due_summary(later, new_caps=caps, due_caps={"k8s": 2}), full, strict=True):
            key = next(i.key for i in DECKS if i.name == row["deck"])
            assert row["new"] == min(4, len(walk_new(b, key))) and whole["new"] == len(walk_new(b, key))
            assert row["due"] == (min(2, whole["due"]) if key == "k8s" else whole["due"])
    # quizkit due's sqlite3 path and the bank's SQLAlchemy path run the same SQL: same rows.
    if bank.engine.dialect.name == "sqlite":
        from quizkit.storage.due_queries import today_rows
        from quizkit.storage.readers import SqliteReader, open_sqlite

        con = open_sqlite(str(bank.engine.url.database))
        assert con is not None
        for learner in learners:
            for day in (DAY, DAY + timedelta(days=2)):
                fast = today_rows(SqliteReader(con), learner, day, lambda _s: (3, 5))
                assert fast == Bank(bank._opened, learner).today_rows(day, lambda _s: (3, 5))
        con.close()
    # The invariant itself, row by row.
    with bank.engine.connect() as conn:
        for cur in conn.execute(sa.select(new_card_cursors)):
            below = conn.execute(
                sa.select(cards.c.id).where(
                    cards.c.deck_id == cur.deck_id,
                    cards.c.retired_at.is_(None),
                    cards.c.position < cur.position,
                )
            ).scalars()
            b = Bank(bank._opened, cur.learner)
            deck_key = conn.execute(
                sa.text("select key from decks where id = :i"), {"i": cur.deck_id}
            ).scalar_one()
            new = set(walk_new(b, deck_key))
            assert not new.intersection(below), cur


@pytest.mark.parametrize("seed", range(5))
def test_random_writers_keep_new_cards_exact(tmp_path: Path, seed: int) -> None:
    _random_writers(open_bank(str(tmp_path / "b.sqlite3"), learner="ann"), seed, steps=140)


def test_random_writers_on_sqlite_and_postgresql(bank_url: str) -> None:
    _random_writers(open_bank(bank_url, learner="ann"), 99, steps=60)


def _random_writers(bank: Bank, seed: int, *, steps: int) -> None:
    rng = random.Random(seed)
    learners = ["ann", "bob"]
    # Each deck's chapter: card numbers in source order (edited between compiles).
    chapters = {info.key: list(range(100 * i, 100 * i + 25)) for i, info in enumerate(DECKS)}
    next_n = 1000
    for info in DECKS:
        bank.sync_deck(info, [spec(n) for n in chapters[info.key]], now=NOW)
    moment = NOW
    for _step in range(steps):
        moment += timedelta(minutes=1)
        learner = rng.choice(learners)
        b = Bank(bank._opened, learner)
        info = rng.choice(DECKS)
        op = rng.choices(
            ["first", "review", "suspend", "unsuspend", "undo", "compile"], weights=[8, 3, 2, 2, 3, 2]
        )[0]
        if op == "first":
            new = b.new_cards(deck=info.key, limit=5)
            if new:
                view = rng.choice(new)  # usually not the first one: the cursor must cope
                after = sm2.review(view.state, rng.choice([2, 4, 5]), DAY, now=moment)
                b.record_review(
                    view.id,
                    before=view.state,
                    after=after,
                    grade=4,
                    kind="new",
                    reviewed_at=moment,
                    study_day=DAY,
                )
        elif op == "review":
            due = b.due_cards(DAY + timedelta(days=30), deck=info.key, limit=5)
            if due:
                view = due[0]
                after = sm2.review(view.state, 3, DAY, now=moment)
                b.record_review(
                    view.id,
                    before=view.state,
                    after=after,
                    grade=3,
                    kind="review",
                    reviewed_at=moment,
                    study_day=DAY,
                )
        elif op in ("suspend", "unsuspend"):
            ids = [v.id for v in b.iter_cards(deck=info.key)]
            if ids:
                b.set_suspended(rng.choice(ids), op == "suspend", now=moment, study_day=DAY)
        elif op == "undo":
            b.undo_last(now=moment, study_day=DAY)
        else:
            chapter = chapters[info.key]
            for _ in range(rng.randint(1, 4)):
                edit = rng.choice(["insert", "delete", "move", "revive"])
                if edit == "insert":
                    chapter.insert(rng.randrange(len(chapter) + 1), next_n)
                    next_n += 1
                elif edit == "delete" and len(chapter) > 3:
                    chapter.pop(rng.randrange(len(chapter)))
                elif edit == "move":
                    chapter.insert(rng.randrange(len(chapter)), chapter.pop(rng.randrange(len(chapter))))
                else:  # bring back a card number used before (a retired card comes back)
                    gone = [n for n in range(next_n) if n not in chapter and (n < 250 or n >= 1000)]
                    if gone:
                        chapter.insert(rng.randrange(len(chapter) + 1), rng.choice(gone))
            specs = [spec(n) for n in chapter]
            if rng.random() < 0.3 and specs:
                k = rng.randrange(len(specs))
                specs[k] = replace(specs[k], back=f"edited {moment}")
            bank.sync_deck(info, specs, now=moment)
        check(bank, learners)
    bank.close()


def test_cursor_moves_past_the_cards_a_learner_has_seen(tmp_path: Path) -> None:
    bank = open_bank(str(tmp_path / "b.sqlite3"), learner="ann")
    bank.sync_deck(DECKS[0], [spec(n) for n in range(10)], now=NOW)
    learn_first(bank, 4)
    with bank.engine.connect() as conn:
        assert cursors.start_of(conn, "ann", 1) == 4
        assert cursors.start_of(conn, "bob", 1) == 0  # no row: from the top
    # Undoing the last first review makes card 3 new again: the cursor goes back to it.
    bank.undo_last(now=NOW, study_day=DAY)
    with bank.engine.connect() as conn:
        assert cursors.start_of(conn, "ann", 1) == 3
    assert [v.spec.front for v in bank.new_cards(limit=2)] == ["q3", "q4"]
    # A card inserted at the top of the chapter is new, and found.
    bank.sync_deck(DECKS[0], [spec(99)] + [spec(n) for n in range(10)], now=NOW)
    assert [v.spec.front for v in bank.new_cards(limit=2)] == ["q99", "q3"]
    bank.close()


def test_imports_and_copies_keep_cursors_true(tmp_path: Path) -> None:
    src = open_bank(str(tmp_path / "src.sqlite3"), learner="ann")
    src.sync_deck(DECKS[0], [spec(n) for n in range(12)], now=NOW)
    learn_first(src, 5)
    dst = open_bank(str(tmp_path / "dst.sqlite3"), learner="ann")
    dst.sync_deck(DECKS[0], [spec(n) for n in range(12)], now=NOW)
    assert len(dst.new_cards()) == 12
    copy_bank(src, dst)
    check(dst, ["ann"])
    assert [v.spec.front for v in dst.new_cards(limit=1)] == ["q5"]

    # Imported progress (an Anki package) on cards 5-7 moves the cursor on.
    views = dst.new_cards(limit=3)
    later = NOW + timedelta(hours=1)
    items = [
        ImportedProgress(
            card_id=v.id,
            state=sm2.review(v.state, 4, DAY, now=later),
            first_day=DAY,
            reviews=(),
        )
        for v in views
    ]
    write_progress(dst, items)
    check(dst, ["ann"])
    assert [v.spec.front for v in dst.new_cards(limit=1)] == ["q8"]
    with dst.engine.connect() as conn:
        assert cursors.start_of(conn, "ann", 1) == 8
    src.close()
    dst.close()


def _reviewed_bank(url: str) -> Bank:
    """Two learners, two decks: ann saw cards 0-5 of Kubernetes (and suspended 7), bob card 0."""
    bank = open_bank(url, learner="ann")
    for info in DECKS:
        bank.sync_deck(info, [spec(n + 100 * DECKS.index(info)) for n in range(10)], now=NOW)
    for learner, n in (("ann", 6), ("bob", 1)):
        learn_first(Bank(bank._opened, learner), n, deck="k8s")
    bank.set_suspended(bank.new_cards(deck="k8s")[1].id, True, now=NOW, study_day=DAY)
    return bank


def test_revision_0003_fills_cursors_from_existing_progress(bank_url: str) -> None:
    """From 0002 with progress in the bank, the migration computes the cursors the code would."""
    from alembic import command
    from alembic.config import Config

    from quizkit.storage.db import migrations_dir, upgrade

    bank = _reviewed_bank(bank_url)
    with bank.engine.begin() as conn:
        expected = sorted(tuple(r) for r in conn.execute(sa.select(new_card_cursors)))
        cursors.rebuild(conn)
        assert sorted(tuple(r) for r in conn.execute(sa.select(new_card_cursors))) == expected
    assert [r[0] for r in expected] == ["ann", "bob"] and [r[2] for r in expected] == [6, 1]
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    with bank.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    assert "new_card_cursors" not in sa.inspect(bank.engine).get_table_names()
    upgrade(bank.engine, "0003")
    with bank.engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(sa.select(new_card_cursors))) == expected
    check(bank, ["ann", "bob"])
    bank.close()
