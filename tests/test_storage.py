"""The bank: stable keys across recompiles, retire/revive, learner state, the log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from quizkit.errors import DeckError, UnknownCardError, UnknownDeckError
from quizkit.model import CardKind, CardSpec, CardState, CardStyle, DeckInfo, card_key
from quizkit.storage.bank import Bank, open_bank

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 27)
DECK = DeckInfo(key="k8s", name="Kubernetes")


def spec(fact: str, back: str = "desc", *, section: tuple[str, ...] = ("容器", "Docker 命令"), line: int = 1):
    return CardSpec(
        kind=CardKind.COMMAND,
        style=CardStyle.BASIC,
        front=fact.split(":")[1],
        back=back,
        fact=fact,
        section=section,
        source_file="ch.md",
        source_line=line,
    )


@pytest.fixture
def bank(bank_url: str) -> Iterator[Bank]:
    b = open_bank(bank_url, learner="ann")
    yield b
    b.close()


def test_card_key_is_stable_and_ignores_wording() -> None:
    a = spec("command:docker ps:meaning", "lists running containers")
    b = spec("command:docker ps:meaning", "列出当前系统里运行的容器")
    assert (
        a.key("k8s") == b.key("k8s") == card_key("k8s", ("容器", "Docker 命令"), "command:docker ps:meaning")
    )
    assert a.key("k8s") != a.key("other")
    assert len(a.key("k8s")) == 12


def test_sync_adds_updates_retires_and_revives(bank: Bank) -> None:
    ps, pull = spec("command:docker ps:meaning"), spec("command:docker pull:meaning")
    r1 = bank.sync_deck(DECK, [ps, pull], now=NOW)
    assert r1.counts() == {"added": 2, "updated": 0, "unchanged": 0, "retired": 0, "revived": 0}

    r2 = bank.sync_deck(DECK, [replace(ps, back="edited"), pull], now=NOW)
    assert r2.counts() == {"added": 0, "updated": 1, "unchanged": 1, "retired": 0, "revived": 0}
    assert r2.updated == [ps.key("k8s")]

    r3 = bank.sync_deck(DECK, [ps], now=NOW)
    assert r3.retired == [pull.key("k8s")]
    assert [v.id for v in bank.iter_cards()] == [ps.key("k8s")]
    retired = bank.get_card(pull.key("k8s"))
    assert retired.retired

    r4 = bank.sync_deck(DECK, [ps, pull], now=NOW)
    assert r4.revived == [pull.key("k8s")]
    assert not bank.get_card(pull.key("k8s")).retired


def test_recompile_keeps_history_of_unchanged_and_edited_cards(bank: Bank) -> None:
    ps = spec("command:docker ps:meaning")
    bank.sync_deck(DECK, [ps], now=NOW)
    cid = ps.key("k8s")
    after = CardState(due=date(2026, 11, 28), interval=1, ef=2600, repetitions=1, last_review=NOW)
    bank.record_review(
        cid, before=CardState(), after=after, grade=5, kind="new", reviewed_at=NOW, study_day=DAY
    )
    bank.sync_deck(DECK, [replace(ps, back="new wording", source_line=40)], now=NOW)
    bank.sync_deck(DECK, [], now=NOW)  # source gone: retired, not deleted
    bank.sync_deck(DECK, [ps], now=NOW)  # and back again
    view = bank.get_card(cid)
    assert view.state == after
    assert [r.grade for r in bank.review_log(card_id=cid)] == [5]


def test_duplicate_fact_in_one_compile_is_an_error(bank: Bank) -> None:
    with pytest.raises(DeckError) as info:
        bank.sync_deck(DECK, [spec("command:x:meaning", line=3), spec("command:x:meaning", line=9)], now=NOW)
    assert str(info.value).startswith("ch.md:9: two cards test the same fact 'command:x:meaning'")
    assert "first at ch.md:3" in str(info.value)
    assert list(bank.iter_cards()) == []


def test_positions_follow_the_source_order(bank: Bank) -> None:
    a, b, c = (spec(f"command:{n}:meaning") for n in "abc")
    bank.sync_deck(DECK, [a, b, c], now=NOW)
    report = bank.sync_deck(DECK, [c, a, b], now=NOW)
    assert report.counts()["unchanged"] == 3
    assert [v.spec.fact for v in bank.iter_cards()] == [c.fact, a.fact, b.fact]


def test_learners_do_not_see_each_others_state(bank_url: str) -> None:
    path = bank_url
    ann, bob = open_bank(path, learner="ann"), open_bank(path, learner="bob")
    ps = spec("command:docker ps:meaning")
    ann.sync_deck(DECK, [ps], now=NOW)
    after = CardState(due=date(2026, 11, 28), interval=1, ef=2600, repetitions=1, last_review=NOW)
    ann.record_review(
        ps.key("k8s"), before=CardState(), after=after, grade=5, kind="new", reviewed_at=NOW, study_day=DAY
    )
    assert ann.get_card(ps.key("k8s")).state == after
    assert bob.get_card(ps.key("k8s")).state.is_new
    assert list(bob.review_log()) == []
    assert bob.due_summary(DAY) == [{"deck": "Kubernetes", "due": 0, "new": 1}]
    ann.close()
    bob.close()


def test_due_new_and_daily_counts(bank: Bank) -> None:
    cards = [spec(f"command:c{i}:meaning") for i in range(5)]
    bank.sync_deck(DECK, cards, now=NOW)
    ids = [c.key("k8s") for c in cards]
    for i, due in ((0, date(2026, 11, 20)), (1, date(2026, 11, 25)), (2, date(2026, 12, 1))):
        st = CardState(due=due, interval=3, ef=2500, repetitions=2, last_review=NOW)
        bank.record_review(
            ids[i], before=CardState(), after=st, grade=4, kind="new", reviewed_at=NOW, study_day=DAY
        )
    assert [v.id for v in bank.due_cards(DAY)] == [ids[0], ids[1]]  # most overdue first
    assert [v.id for v in bank.new_cards()] == ids[3:]
    assert bank.new_cards(limit=1)[0].id == ids[3]
    assert bank.studied_today(DAY) == (3, 0)
    bank.set_suspended(ids[0], True, now=NOW, study_day=DAY)
    assert [v.id for v in bank.due_cards(DAY)] == [ids[1]]
    assert bank.count_cards() == bank.count_cards("Kubernetes") == 5
    summary = bank.deck_summaries(DAY)[0]
    assert (summary.cards, summary.new, summary.due, summary.suspended) == (5, 2, 1, 1)


def test_undo_appends_and_restores(bank: Bank) -> None:
    ps = spec("command:docker ps:meaning")
    bank.sync_deck(DECK, [ps], now=NOW)
    cid = ps.key("k8s")
    after = CardState(due=date(2026, 11, 28), interval=1, ef=2600, repetitions=1, last_review=NOW)
    rid = bank.record_review(
        cid, before=CardState(), after=after, grade=5, kind="new", reviewed_at=NOW, study_day=DAY
    )
    undone = bank.undo_last(now=NOW, study_day=DAY)
    assert undone is not None and undone.id == rid
    assert bank.get_card(cid).state.is_new
    assert bank.studied_today(DAY) == (0, 0)
    log = list(bank.review_log())
    assert [(r.kind, r.undoes) for r in log] == [("new", None), ("undo", rid)]
    assert list(bank.review_log(include_undone=False)) == []
    assert bank.undo_last(now=NOW, study_day=DAY) is None


def test_leech_suspension_round_trips_through_the_log(bank: Bank) -> None:
    ps = spec("command:docker ps:meaning")
    bank.sync_deck(DECK, [ps], now=NOW)
    cid = ps.key("k8s")
    before = CardState(due=DAY, interval=1, ef=1300, repetitions=0, lapses=7, last_review=NOW)
    after = replace(before, lapses=8, suspended=True, leech=True)
    bank.record_review(
        cid, before=before, after=after, grade=0, kind="relearn", reviewed_at=NOW, study_day=DAY
    )
    row = list(bank.review_log())[-1]
    assert row.after.leech and row.after.suspended and not row.before.suspended


def test_get_card_by_prefix_and_unknown(bank: Bank) -> None:
    ps = spec("command:docker ps:meaning")
    bank.sync_deck(DECK, [ps], now=NOW)
    cid = ps.key("k8s")
    assert bank.get_card(cid[:6]).id == cid
    assert bank.get_card(cid.upper()).id == cid
    with pytest.raises(UnknownCardError, match="no card with id 'zzzz'"):
        bank.get_card("zzzz")
    with pytest.raises(UnknownDeckError, match=r"no deck named 'Nope' \(decks: Kubernetes\)"):
        list(bank.iter_cards("Nope"))
    assert bank.get_deck("kubernetes").key == "k8s"  # names match case-insensitively


def test_review_of_unknown_card_is_refused(bank: Bank) -> None:
    with pytest.raises(UnknownCardError):
        bank.record_review(
            "deadbeef0000",
            before=CardState(),
            after=CardState(),
            grade=3,
            kind="new",
            reviewed_at=NOW,
            study_day=DAY,
        )


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    bank = open_bank(str(tmp_path / "b.sqlite3"), learner="ann")
    with bank.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_datetimes_come_back_aware_utc(bank: Bank) -> None:
    ps = spec("command:docker ps:meaning")
    bank.sync_deck(DECK, [ps], now=NOW)
    local = NOW.astimezone()
    after = CardState(due=date(2026, 11, 28), interval=1, ef=2600, repetitions=1, last_review=local)
    bank.record_review(
        ps.key("k8s"), before=CardState(), after=after, grade=5, kind="new", reviewed_at=local, study_day=DAY
    )
    state = bank.get_card(ps.key("k8s")).state
    assert state.last_review == NOW and state.last_review.tzinfo is not None


def test_review_log_rows_are_never_deleted_by_recompiles(tmp_path: Path) -> None:
    bank = open_bank(str(tmp_path / "b.sqlite3"), learner="ann")
    ps = spec("command:docker ps:meaning")
    bank.sync_deck(DECK, [ps], now=NOW)
    after = CardState(due=date(2026, 11, 28), interval=1, ef=2600, repetitions=1, last_review=NOW)
    bank.record_review(
        ps.key("k8s"), before=CardState(), after=after, grade=5, kind="new", reviewed_at=NOW, study_day=DAY
    )
    for _ in range(3):
        bank.sync_deck(DECK, [], now=NOW)
        bank.sync_deck(DECK, [replace(ps, back="x")], now=NOW)
    con = sqlite3.connect(str(tmp_path / "b.sqlite3"))
    assert con.execute("select count(*) from reviews").fetchone()[0] == 1
    assert con.execute("select count(*) from cards").fetchone()[0] == 1
    con.close()


def test_neighbours_are_the_command_and_option_cards_around_a_card(bank: Bank) -> None:
    specs = []
    for n in range(700):
        kind = (CardKind.COMMAND, CardKind.OPTION, CardKind.CONCEPT)[n % 3]
        specs.append(
            CardSpec(
                kind=kind,
                style=CardStyle.BASIC,
                front=f"cmd{n}",
                back=f"does {n}",
                fact=f"{kind}:cmd{n}:x",
                section=("S",),
                source_file="ch.md",
                source_line=n + 1,
            )
        )
    bank.sync_deck(DECK, specs, now=NOW)
    middle = specs[350].key("k8s")
    got = [int(v.spec.front[3:]) for v in bank.neighbours(middle, window=100)]
    assert got == [n for n in range(250, 451) if n % 3 != 2]  # in source order, concept cards left out
    assert len(bank.neighbours(specs[0].key("k8s"))) == len([n for n in range(0, 151) if n % 3 != 2])
    with pytest.raises(UnknownCardError):
        bank.neighbours("nope")


@pytest.mark.parametrize("upsert", [True, False], ids=["upsert", "update-then-insert"])
def test_answers_write_state_and_first_day_on_both_write_paths(
    bank: Bank, upsert: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite and PostgreSQL answer with prepared statements (log, upsert); others update, then insert."""
    from quizkit import sm2
    from quizkit.storage import bank as bank_module

    if not upsert:
        monkeypatch.setattr(bank_module, "_answer_statements", lambda dialect: None)
    ps = spec("command:docker ps:meaning")
    bank.sync_deck(DECK, [ps], now=NOW)
    cid = ps.key("k8s")
    first = sm2.review(CardState(), 4, DAY, now=NOW)
    bank.record_review(
        cid, before=CardState(), after=first, grade=4, kind="new", reviewed_at=NOW, study_day=DAY
    )
    later, later_day = NOW.replace(day=28), date(2026, 11, 28)
    second = sm2.review(first, 5, later_day, now=later)
    bank.record_review(
        cid, before=first, after=second, grade=5, kind="review", reviewed_at=later, study_day=later_day
    )
    assert bank.state(cid) == second
    log = list(bank.review_log(card_id=cid))
    assert [(r.kind, r.study_day) for r in log] == [("new", DAY), ("review", later_day)]
    assert bank.studied_today(DAY) == (1, 0) and bank.studied_today(later_day) == (0, 1)
    assert bank.new_cards() == []


def test_unknown_cards_fail_cleanly_on_the_answer_path(bank: Bank) -> None:
    from quizkit import sm2

    after = sm2.review(CardState(), 4, DAY, now=NOW)
    with pytest.raises(UnknownCardError):
        bank.record_review(
            "nope", before=CardState(), after=after, grade=4, kind="new", reviewed_at=NOW, study_day=DAY
        )
    assert list(bank.review_log()) == []  # nothing half-written


def test_a_locked_bank_fails_an_answer_as_sqlalchemy_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prepared answer path raises SQLAlchemy's OperationalError (one-line CLI error); nothing written."""
    import sqlalchemy as sa

    from quizkit import sm2
    from quizkit.storage import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "b.sqlite3"
    b = open_bank(str(path), learner="ann")
    ps = spec("command:docker ps:meaning")
    b.sync_deck(DECK, [ps], now=NOW)
    cid = ps.key("k8s")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    after = sm2.review(CardState(), 4, DAY, now=NOW)
    with pytest.raises(sa.exc.OperationalError, match="locked"):
        b.record_review(
            cid, before=CardState(), after=after, grade=4, kind="new", reviewed_at=NOW, study_day=DAY
        )
    other.execute("ROLLBACK")
    other.close()
    assert list(b.review_log()) == [] and b.state(cid) == CardState()
    b.record_review(cid, before=CardState(), after=after, grade=4, kind="new", reviewed_at=NOW, study_day=DAY)
    assert b.state(cid) == after
    b.close()
