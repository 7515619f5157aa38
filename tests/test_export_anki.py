"""``quizkit export``: packages checked by importing them into a real Anki collection."""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from quizkit.cli import cli
from quizkit.exporters.anki import ExportLedger, export_apkg, note_guid
from quizkit.model import CardKind, CardSpec, CardState, CardStyle, Choice, DeckInfo
from quizkit.storage.bank import Bank, open_bank

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
SECTION = ("Kubernetes", "容器", "Docker 命令")


def make_specs(ps_meaning: str = "列出当前系统里运行的容器") -> list[CardSpec]:
    common: dict[str, Any] = {"section": SECTION, "source_file": "chapters/k8s.md", "tags": ("docker",)}
    return [
        CardSpec(
            kind=CardKind.COMMAND, style=CardStyle.BASIC, front="docker ps", back=ps_meaning,
            fact="command:docker ps:meaning", source_line=10, media=("../picture/ps.png",), **common,
        ),
        CardSpec(
            kind=CardKind.COMMAND, style=CardStyle.TYPE, front="删除所有容器",
            back="docker rm -f $(docker ps -aq)", fact="command:docker rm:recall", source_line=20,
            aliases=("docker ps -a -q|xargs docker rm",),
            media=("../picture/missing.png", "../../outside.png"), **common,
        ),
        CardSpec(
            kind=CardKind.OPTION, style=CardStyle.BASIC, front="docker run --name=<name>",
            back="容器名称：a && b", fact="option:docker run:--name", source_line=30, **common,
        ),
        CardSpec(
            kind=CardKind.CONCEPT, style=CardStyle.CLOZE,
            front="Pod 是 {{c1::最小调度单元::单元}}，由 {{c2::kubelet}} 管理",
            back="", fact="concept:pod", section=("Kubernetes", "核心概念"), source_file="chapters/k8s.md",
            source_line=40, extra="`kubectl get pods` 列出 Pod",
        ),
        CardSpec(
            kind=CardKind.CONCEPT, style=CardStyle.CHOICE, front="哪个命令列出本地镜像？", back="",
            fact="quiz:images", section=("Kubernetes", "核心概念"), source_file="chapters/k8s.md",
            source_line=50, choices=(Choice("docker ps", False), Choice("docker images", True)),
        ),
    ]


@pytest.fixture
def deck_dir(tmp_path: Path) -> Path:
    root = tmp_path / "deck"
    (root / "chapters").mkdir(parents=True)
    (root / "picture").mkdir()
    (root / "picture" / "ps.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    return root


@pytest.fixture
def bank(tmp_path: Path, deck_dir: Path) -> Iterator[Bank]:
    with open_bank(str(tmp_path / "bank.sqlite3"), learner="tester") as b:
        b.sync_deck(DeckInfo(key="k8s", name="Kubernetes", source_dir=str(deck_dir)), make_specs(), now=NOW)
        yield b


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Any]:
    from anki.collection import Collection

    (tmp_path / "anki").mkdir()
    c = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        yield c
    finally:
        c.close()


def import_package(col: Any, path: Path, *, with_scheduling: bool = False) -> Any:
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    options = ImportAnkiPackageOptions(with_scheduling=with_scheduling, merge_notetypes=True)
    return col.import_anki_package(ImportAnkiPackageRequest(package_path=str(path), options=options))


def cards_by_guid(col: Any) -> dict[str, Any]:
    return {col.get_card(cid).note().guid: col.get_card(cid) for cid in col.find_cards("")}


def export(bank: Bank, path: Path, stamp_file: Path, **kw: Any) -> Any:
    return export_apkg(bank, path, now=NOW, stamp_file=stamp_file, **kw)


def test_import_gives_one_card_per_quizkit_card_rendering_the_text(
    bank: Bank, col: Any, tmp_path: Path
) -> None:
    result = export(bank, tmp_path / "k8s.apkg", tmp_path / "stamp.json")
    views = {note_guid(v.id): v for v in bank.iter_cards(deck="Kubernetes")}
    assert result.cards == result.notes == len(views) == 5

    log = import_package(col, tmp_path / "k8s.apkg")
    assert len(log.log.new) == 5
    cards = cards_by_guid(col)
    assert set(cards) == set(views)

    for guid, card in cards.items():
        q, a = card.question(), card.answer()
        assert q.strip() and a.strip()
        spec = views[guid].spec
        deck = col.decks.name(card.did)
        assert deck == "Kubernetes::" + "::".join(spec.section[1:3])
        tags = card.note().tags
        assert f"quizkit::{spec.kind}" in tags and all(t in tags for t in spec.tags)

    by_fact = {views[g].spec.fact: c for g, c in cards.items()}
    ps = by_fact["command:docker ps:meaning"]
    assert 'class="qk-cmd">docker ps</code>' in ps.question()
    assert "列出当前系统里运行的容器" in ps.answer() and "列出" not in ps.question()
    assert '<img src="ps.png">' in ps.answer()

    rm = by_fact["command:docker rm:recall"]
    assert "删除所有容器" in rm.question() and "[[type:Answer]]" in rm.question()
    assert rm.note()["Answer"] == "docker rm -f $(docker ps -aq)"
    assert "docker ps -a -q|xargs docker rm" in rm.answer()

    name = by_fact["option:docker run:--name"]
    assert "docker run --name=&lt;name&gt;" in name.question()
    assert "a &amp;&amp; b" in name.answer()

    pod = by_fact["concept:pod"]
    assert pod.ord == 0 and ">[单元]<" in pod.question() and ">[...]<" in pod.question()
    assert ">kubelet<" not in pod.question() and ">kubelet<" in pod.answer()
    assert "最小调度单元" in pod.answer() and "kubelet" in pod.answer()
    assert "<code>kubectl get pods</code>" in pod.answer()

    quiz = by_fact["quiz:images"]
    assert "docker images" in quiz.question() and 'class="qk-correct"' not in quiz.question()
    assert 'class="qk-correct">B. docker images' in quiz.answer()

    assert col.media.have("ps.png")
    assert {p.target for p in result.missing_media} == {"../picture/missing.png"}
    assert {p.target for p in result.refused_media} == {"../../outside.png"}
    assert not col.media.have("outside.png")


def test_reimporting_the_same_file_adds_nothing(bank: Bank, col: Any, tmp_path: Path) -> None:
    export(bank, tmp_path / "k8s.apkg", tmp_path / "stamp.json")
    import_package(col, tmp_path / "k8s.apkg")
    again = import_package(col, tmp_path / "k8s.apkg")
    assert len(again.log.new) == 0 and len(again.log.updated) == 0
    assert col.card_count() == 5 and col.note_count() == 5


def test_edited_chapter_updates_the_note_in_place(
    bank: Bank, col: Any, tmp_path: Path, deck_dir: Path
) -> None:
    stamp_file = tmp_path / "stamp.json"
    first = export(bank, tmp_path / "v1.apkg", stamp_file)
    import_package(col, tmp_path / "v1.apkg")
    ps_guid = next(note_guid(v.id) for v in bank.iter_cards() if v.spec.fact == "command:docker ps:meaning")
    before = cards_by_guid(col)
    # Learner progress made in Anki must survive the update.
    card = before[ps_guid]
    card.type, card.queue, card.ivl, card.due, card.factor = 2, 2, 9, col.sched.today + 9, 2650
    col.update_card(card)

    report = bank.sync_deck(
        DeckInfo(key="k8s", name="Kubernetes", source_dir=str(deck_dir)),
        make_specs("列出正在运行的容器 <running>"), now=NOW,
    )
    assert len(report.updated) == 1
    second = export(bank, tmp_path / "v2.apkg", stamp_file)  # same QUIZKIT_NOW-like clock
    assert second.timestamp > first.timestamp

    log = import_package(col, tmp_path / "v2.apkg")
    assert len(log.log.new) == 0
    assert len(log.log.updated) == 1
    after = cards_by_guid(col)
    assert {g: c.id for g, c in after.items()} == {g: c.id for g, c in before.items()}
    assert "列出正在运行的容器 &lt;running&gt;" in after[ps_guid].answer()
    assert (after[ps_guid].ivl, after[ps_guid].factor) == (9, 2650)
    assert col.card_count() == 5


def test_with_scheduling_carries_interval_ease_and_log(bank: Bank, col: Any, tmp_path: Path) -> None:
    views = {v.spec.fact: v for v in bank.iter_cards()}
    ps, rm = views["command:docker ps:meaning"], views["command:docker rm:recall"]
    day = NOW.date()
    first = CardState(due=day + timedelta(days=1), interval=1, ef=2500, repetitions=1, last_review=NOW)
    bank.record_review(ps.id, before=CardState(), after=first, grade=4, kind="new", reviewed_at=NOW,
                       study_day=day, duration_ms=4200)
    later = NOW + timedelta(days=1)
    second = CardState(due=day + timedelta(days=7), interval=6, ef=2360, repetitions=2, lapses=0,
                       last_review=later)
    bank.record_review(ps.id, before=first, after=second, grade=3, kind="review", reviewed_at=later,
                       study_day=day + timedelta(days=1))
    failed = CardState(due=day + timedelta(days=1), interval=1, ef=1960, repetitions=0, lapses=3,
                       leech=True, suspended=True, last_review=NOW)
    bank.record_review(rm.id, before=CardState(), after=failed, grade=1, kind="new", reviewed_at=NOW,
                       study_day=day)

    result = export(bank, tmp_path / "sched.apkg", tmp_path / "stamp.json", with_scheduling=True)
    assert (result.scheduled_cards, result.reviews) == (2, 3)
    with zipfile.ZipFile(tmp_path / "sched.apkg") as z:
        (tmp_path / "col.anki2").write_bytes(z.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "col.anki2") as raw:
        assert json.loads(raw.execute("SELECT conf FROM col").fetchone()[0])["schedVer"] == 2

    import_package(col, tmp_path / "sched.apkg", with_scheduling=True)
    cards = cards_by_guid(col)
    got = cards[note_guid(ps.id)]
    assert (got.type, got.queue, got.ivl, got.factor, got.reps, got.lapses) == (2, 2, 6, 2360, 2, 0)
    anki_today = (datetime.now().astimezone() - timedelta(hours=4)).date()  # Anki's day starts at 4 a.m.
    assert got.due - col.sched.today == (day + timedelta(days=7) - anki_today).days
    leech = cards[note_guid(rm.id)]
    assert (leech.queue, leech.ivl, leech.factor, leech.lapses) == (-1, 1, 1960, 3)
    assert "leech" in leech.note().tags
    sql = "SELECT ease, ivl, lastIvl, factor, time, type FROM revlog WHERE cid = ? ORDER BY id"
    log = col.db.all(sql, got.id)
    assert log == [[3, 1, 0, 2500, 4200, 0], [2, 6, 1, 2360, 0, 1]]
    assert cards[next(note_guid(v.id) for v in views.values() if v.spec.fact == "concept:pod")].type == 0


def test_stamp_goes_up_within_one_second_and_notes_keep_theirs(tmp_path: Path) -> None:
    path = tmp_path / "s" / "anki-export.json"
    base = int(NOW.timestamp())
    stamps, mtimes = [], []
    for i in range(3):
        ledger = ExportLedger(path)
        stamps.append(ledger.begin(NOW))
        mtimes.append((ledger.note_mtime("a", 1, ["same"], []), ledger.note_mtime("b", 1, [f"v{i}"], [])))
        ledger.save()
    assert stamps == [base, base + 1, base + 2]
    assert mtimes == [(base, base), (base, base + 1), (base, base + 2)]
    ledger = ExportLedger(path)
    assert ledger.begin(NOW + timedelta(days=1)) == int((NOW + timedelta(days=1)).timestamp())
    assert ledger.note_mtime("a", 1, ["same"], ["new-tag"]) == ledger.stamp


def test_depth_zero_gives_one_deck_with_section_tags(bank: Bank, col: Any, tmp_path: Path) -> None:
    export(bank, tmp_path / "flat.apkg", tmp_path / "stamp.json", depth=0)
    import_package(col, tmp_path / "flat.apkg")
    decks = {col.decks.name(col.get_card(cid).did) for cid in col.find_cards("")}
    assert decks == {"Kubernetes"}
    assert col.find_cards('"tag:section::Kubernetes::容器::Docker_命令"')


def test_same_basename_in_two_folders_gets_two_names(tmp_path: Path, deck_dir: Path) -> None:
    (deck_dir / "other").mkdir()
    (deck_dir / "other" / "ps.png").write_bytes(b"other")
    specs = make_specs()
    specs[2] = replace(specs[2], media=("../other/ps.png",))
    with open_bank(str(tmp_path / "b2.sqlite3"), learner="tester") as b:
        b.sync_deck(DeckInfo(key="k8s", name="Kubernetes", source_dir=str(deck_dir)), specs, now=NOW)
        result = export(b, tmp_path / "two.apkg", tmp_path / "stamp.json")
    assert len(result.media) == 2 and "ps.png" in result.media
    with zipfile.ZipFile(tmp_path / "two.apkg") as z:
        assert sorted(json.loads(z.read("media")).values()) == sorted(result.media)


# -- the command ------------------------------------------------------------------
def test_cli_export_json_summary_and_warnings(bank: Bank, tmp_path: Path) -> None:
    db = str(tmp_path / "bank.sqlite3")
    out = tmp_path / "k8s.apkg"
    result = CliRunner().invoke(cli, ["export", "Kubernetes", "-o", str(out), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["file"], data["cards"], data["notes"], data["media"]) == (str(out), 5, 5, ["ps.png"])
    assert {m["target"]: m["reason"] for m in data["missing_media"]} == {
        "../picture/missing.png": "missing",
        "../../outside.png": "outside the deck directory",
    }
    assert "1 image(s) not found" in result.stderr
    assert "chapters/k8s.md:20: ../picture/missing.png (missing)" in result.stderr
    assert "outside the deck directory, refused" in result.stderr
    assert out.exists()


def test_cli_export_plain_message(bank: Bank, tmp_path: Path) -> None:
    out = tmp_path / "all.apkg"
    result = CliRunner().invoke(
        cli, ["export", "-o", str(out), "--db", str(tmp_path / "bank.sqlite3"), "--with-scheduling"]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: 5 cards, 0 with progress, 0 reviews, 1 image(s)." in result.stdout
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # shareable, not mkstemp's 0600


def test_cli_export_errors(bank: Bank, tmp_path: Path) -> None:
    db = str(tmp_path / "bank.sqlite3")
    runner = CliRunner()
    bad_suffix = runner.invoke(cli, ["export", "Kubernetes", "-o", str(tmp_path / "x.zip"), "--db", db])
    assert bad_suffix.exit_code == 2
    assert "the output file must end in .apkg" in bad_suffix.stderr
    unknown = runner.invoke(cli, ["export", "Nope", "-o", str(tmp_path / "x.apkg"), "--db", db])
    assert unknown.exit_code == 1
    assert "Error: no deck named 'Nope' (decks: Kubernetes)" in unknown.stderr
    empty_db = str(tmp_path / "empty.sqlite3")
    empty = runner.invoke(cli, ["export", "-o", str(tmp_path / "x.apkg"), "--db", empty_db])
    assert empty.exit_code == 1
    assert "Error: the bank has no cards to export (run 'quizkit compile' first)" in empty.stderr
    no_dir = runner.invoke(cli, ["export", "-o", str(tmp_path / "nope" / "x.apkg"), "--db", db])
    assert no_dir.exit_code == 1
    assert "does not exist" in no_dir.stderr


def test_genanki_and_anki_are_not_imported_on_startup() -> None:
    import subprocess
    import sys

    code = (
        "import sys, quizkit.cli, quizkit.commands.export_cmds, quizkit.exporters.templates;"
        "print('genanki' in sys.modules, 'anki' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"


def test_progress_reports_every_card(bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import quizkit.exporters.anki as anki_export

    monkeypatch.setattr(anki_export, "PROGRESS_EVERY", 2)
    calls: list[int] = []
    export(bank, tmp_path / "p.apkg", tmp_path / "stamp.json", progress=calls.append)
    assert calls == [2, 2, 1]

    import quizkit.commands.export_cmds as export_cmds

    monkeypatch.setattr(export_cmds, "PROGRESS_MIN_CARDS", 1)
    args = ["export", "Kubernetes", "-o", str(tmp_path / "bar.apkg"), "--db", str(tmp_path / "bank.sqlite3")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "5 cards" in result.stdout


# -- the fast writer agrees with genanki -----------------------------------------
def test_note_guid_is_genankis_guid_for() -> None:
    from genanki import guid_for

    keys = ["", "a", "0123456789ab", "ffffffffffff", "卡片", *(f"{i:012x}" for i in range(0, 2000, 7))]
    for key in keys:
        assert note_guid(key) == guid_for("quizkit", key)


def test_card_shapes_match_genanki_notes() -> None:
    import genanki

    from quizkit.exporters.anki import _NoteShape, genanki_models
    from quizkit.exporters.templates import note_fields

    models = genanki_models()
    shapes = {key: _NoteShape(model) for key, model in models.items()}
    concept, command = {"kind": CardKind.CONCEPT, "back": ""}, {"kind": CardKind.COMMAND, "back": "b"}
    specs = [
        *make_specs(),
        CardSpec(style=CardStyle.CLOZE, front="{{c3::a}} {{c3::b}}", fact="c3", **concept),
        CardSpec(style=CardStyle.CLOZE, front="{{c1::}} x", fact="empty", **concept),
        CardSpec(style=CardStyle.CLOZE, front="no deletion", fact="plain", **concept),
        CardSpec(style=CardStyle.BASIC, front=" ", fact="blank", **command),
        CardSpec(style=CardStyle.TYPE, front="", fact="blank type", **concept),
    ]
    for s in specs:
        nt, fields = note_fields(s)
        note = genanki.Note(model=models[nt.key], fields=fields)
        assert sorted(shapes[nt.key].ords(fields)) == sorted(c.ord for c in note.cards), s


def test_lean_reader_gives_what_iter_cards_gives(bank: Bank, deck_dir: Path) -> None:
    from quizkit.exporters.anki import _iter_deck_cards

    ps = next(v for v in bank.iter_cards() if v.spec.fact == "command:docker ps:meaning")
    after = CardState(due=NOW.date() + timedelta(days=3), interval=3, ef=2400, repetitions=1, last_review=NOW)
    bank.record_review(ps.id, before=CardState(), after=after, grade=4, kind="new", reviewed_at=NOW,
                       study_day=NOW.date())
    # A retired card (its chapter lost it) stays out of both.
    info = DeckInfo(key="k8s", name="Kubernetes", source_dir=str(deck_dir))
    bank.sync_deck(info, make_specs()[:-1], now=NOW)
    info = bank.get_deck("Kubernetes")
    views = [(v.id, v.spec, v.state) for v in bank.iter_cards(deck=info.key)]
    assert len(views) == 4
    assert list(_iter_deck_cards(bank, info, with_states=True)) == views
    assert list(_iter_deck_cards(bank, info, with_states=False)) == [(i, s, None) for i, s, _ in views]


def test_package_is_what_genanki_writes(bank: Bank, tmp_path: Path, deck_dir: Path) -> None:
    """The same rows and col JSON as genanki's Deck/Note/Package writers, sub-decks and all."""
    import itertools

    import genanki

    from quizkit.exporters.anki import deck_path, genanki_models, note_tags, subdeck_id
    from quizkit.exporters.templates import note_fields

    specs = [*make_specs(), replace(make_specs()[0], fact="other", section=("Kubernetes", "网络"))]
    bank.sync_deck(DeckInfo(key="k8s", name="Kubernetes", source_dir=str(deck_dir)), specs, now=NOW)
    ours = export(bank, tmp_path / "ours.apkg", tmp_path / "stamp.json")

    info = bank.get_deck("Kubernetes")
    models = genanki_models()
    decks: dict[int, Any] = {}
    conn = sqlite3.connect(tmp_path / "theirs.anki2")
    cursor = conn.cursor()
    ids = itertools.count(ours.timestamp * 1000)
    genanki.Package([]).write_to_db(cursor, ours.timestamp, ids)
    root = decks[subdeck_id(info, ())] = genanki.Deck(subdeck_id(info, ()), "Kubernetes")
    for view in bank.iter_cards(deck=info.key):
        path = deck_path(info, view.spec.section, 2)
        for i in range(1, len(path) + 1):
            decks.setdefault(subdeck_id(info, path[:i]), genanki.Deck(
                subdeck_id(info, path[:i]), "::".join((root.name, *path[:i]))))
        names = ["ps.png"] if view.spec.media and view.spec.fact != "command:docker rm:recall" else []
        nt, fields = note_fields(view.spec, names)
        tags = note_tags(view)
        note = genanki.Note(model=models[nt.key], fields=fields, tags=tags, guid=note_guid(view.id))
        note.write_to_db(cursor, ours.timestamp, subdeck_id(info, path), ids)
    for d in decks.values():
        for m in models.values():
            d.add_model(m)
        d.write_to_db(cursor, ours.timestamp, ids)
    conn.commit()

    with zipfile.ZipFile(tmp_path / "ours.apkg") as z:
        (tmp_path / "ours.anki2").write_bytes(z.read("collection.anki2"))
    mine = sqlite3.connect(tmp_path / "ours.anki2")
    for table in ("notes", "cards", "revlog", "graves"):
        sql = f"SELECT * FROM {table} ORDER BY 1"
        assert mine.execute(sql).fetchall() == conn.execute(sql).fetchall(), table
    sql = "SELECT crt, mod, scm, ver, dty, usn, ls, conf, decks, models, dconf, tags FROM col"
    a, b = mine.execute(sql).fetchone(), conn.execute(sql).fetchone()
    assert a[:8] == b[:8] and a[10:] == b[10:]
    assert json.loads(a[8]) == json.loads(b[8])  # decks, same order
    assert list(json.loads(a[8])) == list(json.loads(b[8]))
    # genanki leaves each note type twice in its JSON text (one per rewrite); the last one counts.
    assert json.loads(a[9]) == json.loads(b[9])
    mine.close()
    conn.close()
