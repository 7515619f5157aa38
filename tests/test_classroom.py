"""Many learners on one bank (SQLite and PostgreSQL): isolation, class report, db copy, load."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from quizkit.cli import cli
from quizkit.model import CardKind, CardSpec, CardState, CardStyle, DeckInfo
from quizkit.storage.bank import Bank, open_bank
from quizkit.storage.classroom import class_report
from quizkit.storage.transfer import copy_bank

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 27)
DECK = DeckInfo(key="k8s", name="Kubernetes")


def _specs(n: int) -> list[CardSpec]:
    return [
        CardSpec(
            kind=CardKind.COMMAND,
            style=CardStyle.BASIC,
            front=f"cmd{i}",
            back=f"does {i}",
            fact=f"command:cmd{i}:meaning",
            section=("S",),
            source_file="c.md",
            source_line=i + 1,
        )
        for i in range(n)
    ]


def _review(
    bank: Bank, card_id: str, grade: int, day: date, *, interval: int = 1, kind: str = "review"
) -> None:
    before = bank.get_card(card_id).state
    after = replace(
        before,
        due=day + timedelta(interval),
        interval=interval,
        repetitions=before.repetitions + 1,
        last_review=datetime.combine(day, datetime.min.time(), UTC).replace(hour=9),
    )
    bank.record_review(
        card_id,
        before=before,
        after=after,
        grade=grade,
        kind=kind,
        reviewed_at=after.last_review or NOW,
        study_day=day,
    )


def test_class_report_per_learner_and_hardest_cards(bank_url: str) -> None:
    ann, bob, cat = (open_bank(bank_url, learner=n) for n in ("ann", "bob", "cat"))
    specs = _specs(4)
    ann.sync_deck(DECK, specs, now=NOW)
    ids = [s.key("k8s") for s in specs]
    # ann: learnt two cards 10 days ago, reviewed them today: one pass, one fail.
    for cid in ids[:2]:
        _review(ann, cid, 5, DAY - timedelta(10), kind="new")
    _review(ann, ids[0], 4, DAY, interval=6)
    _review(ann, ids[1], 1, DAY, interval=1)
    # bob: learnt card 1 yesterday and failed it today; then undid an extra review.
    _review(bob, ids[1], 4, DAY - timedelta(1), kind="new")
    _review(bob, ids[1], 2, DAY, interval=1)
    _review(bob, ids[2], 5, DAY, kind="new")
    bob.undo_last(now=NOW, study_day=DAY)
    # cat never studied but exists as a learner via a suspension.
    cat.set_suspended(ids[3], True, now=NOW, study_day=DAY)

    rep = class_report(ann, DAY)
    rows = {r.learner: r for r in rep.learners}
    assert set(rows) == {"ann", "bob", "cat"}
    assert (rows["ann"].reviews_7d, rows["ann"].retention, rows["ann"].never_seen) == (2, 0.5, 2)
    assert (rows["bob"].reviews_7d, rows["bob"].retention, rows["bob"].never_seen) == (2, 0.0, 3)
    assert (rows["cat"].reviews_7d, rows["cat"].retention, rows["cat"].never_seen) == (0, None, 4)
    assert rows["ann"].due_now == 0 and rows["bob"].due_now == 0
    assert [(c.card_id, c.failures, c.attempts, c.learners_failing) for c in rep.hardest] == [
        (ids[1], 2, 2, 2)
    ]
    for b in (ann, bob, cat):
        b.close()


def test_class_report_cli_json(bank_url: str) -> None:
    bank = open_bank(bank_url, learner="ann")
    specs = _specs(2)
    bank.sync_deck(DECK, specs, now=NOW)
    _review(bank, specs[0].key("k8s"), 4, DAY, kind="new")
    bank.close()
    result = CliRunner().invoke(
        cli,
        ["class", "report", "Kubernetes", "--json", "--db", bank_url],
        env={"QUIZKIT_NOW": "2026-11-27T12:00:00+00:00"},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["deck"] == "Kubernetes"
    assert data["learners"] == [
        {"learner": "ann", "reviews_7d": 1, "due_now": 0, "retention": None, "never_seen": 1}
    ]
    assert data["hardest"] == []


def test_db_copy_round_trip_keeps_history_and_is_idempotent(tmp_path, pg_url: str) -> None:
    local = str(tmp_path / "mine.sqlite3")
    bank = open_bank(local, learner="ann")
    specs = _specs(3)
    bank.sync_deck(DECK, specs, now=NOW)
    cid = specs[0].key("k8s")
    _review(bank, cid, 5, DAY - timedelta(1), kind="new")
    _review(bank, cid, 3, DAY, interval=6)
    bank.undo_last(now=NOW, study_day=DAY)
    bank.close()

    runner = CliRunner()
    first = runner.invoke(cli, ["db", "copy", "--from", local, "--to", pg_url, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"decks": 1, "cards": 3, "states": 1, "reviews": 3}
    again = runner.invoke(cli, ["db", "copy", "--from", local, "--to", pg_url, "--json"])
    assert json.loads(again.output) == {"decks": 0, "cards": 0, "states": 0, "reviews": 0}

    back = str(tmp_path / "back.sqlite3")
    assert runner.invoke(cli, ["db", "copy", "--from", pg_url, "--to", back]).exit_code == 0
    for url in (pg_url, back):
        b = open_bank(url, learner="ann")
        log = list(b.review_log())
        assert [r.kind for r in log] == ["new", "review", "undo"]
        assert log[2].undoes == log[1].id
        assert b.get_card(cid).state.interval == 1  # the undone review stays undone
        assert b.get_card(cid[:6]).spec.back == "does 0"
        b.close()


def test_copy_merges_newer_state_into_existing_bank(tmp_path) -> None:
    a, b = (
        open_bank(str(tmp_path / "a.sqlite3"), learner="ann"),
        open_bank(str(tmp_path / "b.sqlite3"), learner="ann"),
    )
    specs = _specs(1)
    cid = specs[0].key("k8s")
    for bank in (a, b):
        bank.sync_deck(DECK, specs, now=NOW)
    _review(b, cid, 4, DAY - timedelta(3), kind="new")
    _review(a, cid, 4, DAY - timedelta(3), kind="new")
    _review(a, cid, 5, DAY, interval=6)
    report = copy_bank(a, b)
    assert (report.decks, report.cards, report.states, report.reviews) == (0, 0, 1, 1)
    assert b.get_card(cid).state.interval == 6
    a.close()
    b.close()


def test_fifty_learners_review_concurrently_on_postgresql(
    pg_url: str, figures: Callable[[str], None]
) -> None:
    """Load test: 50 learners at once, every review recorded exactly once, no deadlock."""
    setup = open_bank(pg_url, learner="teacher")
    specs = _specs(20)
    setup.sync_deck(DECK, specs, now=NOW)
    setup.close()
    ids = [s.key("k8s") for s in specs]
    done: dict[str, int] = {}
    errors: list[BaseException] = []
    deadline = time.monotonic() + 20

    def learner(n: int) -> None:
        name = f"learner{n:02d}"
        bank = open_bank(pg_url, learner=name)
        count = 0
        try:
            for cid in ids:
                if time.monotonic() > deadline:
                    break
                before = CardState()
                after = CardState(due=DAY + timedelta(1), interval=1, ef=2600, repetitions=1, last_review=NOW)
                bank.record_review(
                    cid, before=before, after=after, grade=5, kind="new", reviewed_at=NOW, study_day=DAY
                )
                count += 1
        except BaseException as exc:  # reported below, with the learner's name
            errors.append(exc)
        finally:
            done[name] = count
            bank.close()

    threads = [threading.Thread(target=learner, args=(n,)) for n in range(50)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.perf_counter() - start
    assert not errors, errors[:3]
    assert all(not t.is_alive() for t in threads)
    total = sum(done.values())
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        logged = conn.exec_driver_sql("select count(*) from reviews").scalar_one()
        dupes = conn.exec_driver_sql(
            "select count(*) from (select card_id, learner from reviews group by card_id, learner "
            "having count(*) > 1) d"
        ).scalar_one()
        states = conn.exec_driver_sql("select count(*) from card_states").scalar_one()
    engine.dispose()
    figures(
        f"PostgreSQL load: 50 learners, {total} reviews in {elapsed:.2f} s = {total / elapsed:.0f} reviews/s"
    )
    assert logged == total == states
    assert dupes == 0
    assert total == 50 * len(ids)


def test_sqlite_two_processes_worth_of_writers_do_not_lose_reviews(tmp_path) -> None:
    """Two writers on one SQLite file (as two terminals would be): busy timeout, every review kept."""
    path = str(tmp_path / "shared.sqlite3")
    setup = open_bank(path, learner="x")
    specs = _specs(30)
    setup.sync_deck(DECK, specs, now=NOW)
    setup.close()
    ids = [s.key("k8s") for s in specs]
    errors: list[BaseException] = []

    def run(name: str) -> None:
        bank = open_bank(path, learner=name)
        try:
            for cid in ids:
                after = CardState(due=DAY + timedelta(1), interval=1, ef=2600, repetitions=1, last_review=NOW)
                bank.record_review(
                    cid, before=CardState(), after=after, grade=4, kind="new", reviewed_at=NOW, study_day=DAY
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            bank.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    bank = open_bank(path, learner="ann")
    assert len(list(bank.review_log())) == 30
    bank.close()


@pytest.mark.parametrize("learner", ["ann", "bob"])
def test_learner_option_selects_state(bank_url: str, learner: str) -> None:
    bank = open_bank(bank_url, learner="ann")
    specs = _specs(1)
    bank.sync_deck(DECK, specs, now=NOW)
    _review(bank, specs[0].key("k8s"), 5, DAY, kind="new")
    bank.close()
    result = CliRunner().invoke(cli, ["cards", "--json", "--db", bank_url, "--learner", learner])
    assert result.exit_code == 0, result.output
    (card,) = json.loads(result.output)
    assert card["state"]["new"] is (learner == "bob")


def test_publish_and_republish_keep_every_students_progress(tmp_path, pg_url: str) -> None:
    import shutil

    from tests.conftest import REPO

    deck = tmp_path / "kubernetes"
    shutil.copytree(REPO / "decks" / "kubernetes", deck)
    runner = CliRunner()
    first = runner.invoke(cli, ["publish", str(deck), "--db", pg_url, "--json"])
    assert first.exit_code == 0, first.output
    (report,) = json.loads(first.stdout)
    assert report["added"] > 100 and report["retired"] == 0

    ids = {}
    for learner in ("ann", "bob"):
        bank = open_bank(pg_url, learner=learner)
        ps = next(v for v in bank.iter_cards() if v.spec.front == "docker ps")
        ids[learner] = ps.id
        _review(bank, ps.id, 5 if learner == "ann" else 2, DAY, kind="new")
        bank.close()

    states = {}
    for learner, cid in ids.items():
        with open_bank(pg_url, learner=learner) as bank:
            states[learner] = bank.get_card(cid).state
    chapter = deck / "01-docker.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8").replace("列出当前系统里运行的容器", "列出正在运行的容器"),
        encoding="utf-8",
    )
    again = runner.invoke(cli, ["publish", str(deck), "--db", pg_url, "--json"])
    assert again.exit_code == 0, again.output
    (report,) = json.loads(again.stdout)
    assert (report["added"], report["updated"], report["retired"]) == (0, 2, 0)  # the card and its reverse

    ann, bob = open_bank(pg_url, learner="ann"), open_bank(pg_url, learner="bob")
    assert ann.get_card(ids["ann"]).spec.back == "列出正在运行的容器"
    assert [r.grade for r in ann.review_log()] == [5]
    assert [r.grade for r in bob.review_log()] == [2]
    assert ann.get_card(ids["ann"]).state == states["ann"] and bob.get_card(ids["bob"]).state == states["bob"]
    assert ids["ann"] == ids["bob"]
    ann.close()
    bob.close()

    not_a_deck = runner.invoke(cli, ["publish", str(tmp_path), "--db", pg_url])
    assert not_a_deck.exit_code == 1
    assert not_a_deck.stderr == f"Error: {tmp_path}: not a deck folder (no deck.toml); see 'quizkit new'\n"
