"""quizkit stats on a hand-made review history: every figure, --json, plain and terminal rendering.

The history (learner ``tester``, today = Friday 2026-11-27):

* 2026-10-01..05: card a new, then four young reviews (grades 3, 4, 2, 5) on
  10-02..05; card j new (grade 0) on 10-01, left suspended and leech.
  A 5-day run: the longest streak.
* 2026-11-20/21: card b mature reviews (grades 5, then 1 and a re-drill).
* 2026-11-22: card x (deck Docker, retired since) young review, no timing.
* 2026-11-23: card c mature review, undone: the day has no answer.
* 2026-11-24..27: d new, b relearn (young), e mature fail, then today a re-drill
  of e, f mature pass (interval 21), g young pass (interval 20), and h mature
  pass that is undone; then i is suspended and unsuspended.  Current streak: 4.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizkit.cli import cli
from quizkit.model import CardKind, CardSpec, CardState, CardStyle, DeckInfo
from quizkit.storage.bank import Bank, open_bank
from quizkit.storage.stats_queries import load_stats

TODAY = date(2026, 11, 27)
NOW = "2026-11-27T12:00:00+00:00"
K8S = DeckInfo(key="k8s", name="Kubernetes")
DOCKER = DeckInfo(key="docker", name="Docker")


def spec(name: str) -> CardSpec:
    return CardSpec(
        kind=CardKind.CONCEPT,
        style=CardStyle.BASIC,
        front=f"What is [{name}]?",
        back=name,
        fact=f"concept:{name}",
        source_file="ch.md",
        source_line=1,
    )


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def state(
    due: date,
    interval: int,
    ef: int = 2500,
    *,
    lapses: int = 0,
    suspended: bool = False,
    leech: bool = False,
) -> CardState:
    return CardState(
        due=due,
        interval=interval,
        ef=ef,
        repetitions=1,
        lapses=lapses,
        suspended=suspended,
        leech=leech,
        last_review=at(due - timedelta(days=interval)),
    )


def build_history(bank: Bank) -> dict[str, str]:
    """Record the history in the module docstring; returns card ids by letter."""
    k8s = [spec(n) for n in "abcdefghij"]
    docker = [spec("x"), spec("y")]
    bank.sync_deck(K8S, k8s, now=at(d(9, 1)))
    bank.sync_deck(DOCKER, docker, now=at(d(9, 1)))
    ids = {n: s.key(K8S.key) for n, s in zip("abcdefghij", k8s, strict=True)}
    ids |= {"x": docker[0].key(DOCKER.key), "y": docker[1].key(DOCKER.key)}

    def answer(
        card: str, day: date, kind: str, grade: int, before: CardState, after: CardState, ms: int | None
    ) -> None:
        bank.record_review(
            ids[card],
            before=before,
            after=after,
            grade=grade,
            kind=kind,
            reviewed_at=at(day),
            study_day=day,
            duration_ms=ms,
        )

    answer("a", d(10, 1), "new", 4, CardState(), state(d(10, 2), 1), 10_000)
    failed = state(d(10, 2), 1, 1700, suspended=True, leech=True)
    answer("j", d(10, 1), "new", 0, CardState(), failed, 7_000)
    for day, grade in ((2, 3), (3, 4), (4, 2)):
        answer("a", d(10, day), "review", grade, state(d(10, day), 1), state(d(10, day + 1), 1), 2_000)
    answer("a", d(10, 5), "review", 5, state(d(10, 5), 1), state(d(11, 20), 6), 1_000)

    answer("b", d(11, 20), "review", 5, state(d(11, 20), 30), state(d(11, 21), 40), 3_000)
    answer("b", d(11, 21), "review", 1, state(d(11, 21), 40), state(d(11, 22), 1, 2180, lapses=1), 5_000)
    answer("b", d(11, 21), "drill", 4, state(d(11, 22), 1, 2180, lapses=1), CardState(), 1_500)
    answer("x", d(11, 22), "review", 4, state(d(11, 22), 10), state(d(11, 27), 12), None)
    answer("c", d(11, 23), "review", 5, state(d(11, 23), 40), state(d(12, 31), 58), 9_000)
    assert bank.undo_last(now=at(d(11, 23), 11), study_day=d(11, 23)) is not None
    answer("d", d(11, 24), "new", 3, CardState(), state(d(11, 28), 4, 2360), 4_000)
    b_lapsed = state(d(11, 25), 1, 2180, lapses=1)
    answer("b", d(11, 25), "relearn", 3, b_lapsed, state(d(11, 27), 2, 2180, lapses=1), 2_500)
    answer("e", d(11, 26), "review", 2, state(d(11, 26), 25), state(d(11, 27), 1, 1960, lapses=2), 6_000)

    answer("e", TODAY, "drill", 3, state(d(11, 27), 1, 1960, lapses=2), CardState(), 4_000)
    answer("f", TODAY, "review", 4, state(TODAY, 21), state(d(12, 26), 29, 2600), 6_000)
    answer("g", TODAY, "review", 3, state(TODAY, 20), state(d(12, 27), 30), 8_000)
    answer("h", TODAY, "review", 5, state(TODAY, 50, 2700), state(d(12, 30), 80), 100_000)
    assert bank.undo_last(now=at(TODAY, 12), study_day=TODAY) is not None
    bank.set_suspended(ids["i"], True, now=at(TODAY, 13), study_day=TODAY)
    bank.set_suspended(ids["i"], False, now=at(TODAY, 13), study_day=TODAY)
    # Docker is recompiled without x: x is retired, its review stays in the log.
    bank.sync_deck(DOCKER, [docker[1]], now=at(TODAY, 14))
    return ids


@pytest.fixture
def ids(bank_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The history in a SQLite file and in a PostgreSQL database (the SQL must be portable)."""
    monkeypatch.setenv("QUIZKIT_DB", bank_url)
    monkeypatch.setenv("QUIZKIT_NOW", NOW)
    with open_bank(os.environ["QUIZKIT_DB"], learner="tester") as bank:
        return build_history(bank)


def stats_json(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["stats", "--json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


HEATMAP = {
    "2026-10-01": 2,
    "2026-10-02": 1,
    "2026-10-03": 1,
    "2026-10-04": 1,
    "2026-10-05": 1,
    "2026-11-20": 1,
    "2026-11-21": 2,
    "2026-11-22": 1,
    "2026-11-24": 1,
    "2026-11-25": 1,
    "2026-11-26": 1,
    "2026-11-27": 3,
}
TIME = {
    "2026-10-01": 17_000,
    "2026-10-02": 2_000,
    "2026-10-03": 2_000,
    "2026-10-04": 2_000,
    "2026-10-05": 1_000,
    "2026-11-20": 3_000,
    "2026-11-21": 6_500,
    "2026-11-22": 0,
    "2026-11-24": 4_000,
    "2026-11-25": 2_500,
    "2026-11-26": 6_000,
    "2026-11-27": 18_000,
}


def rate(reviews: int, passed: int, value: float | None) -> dict[str, object]:
    return {"reviews": reviews, "passed": passed, "rate": value}


def test_json_figures_for_the_hand_made_history(ids: dict[str, str]) -> None:
    data = stats_json()
    assert list(data) == [
        "learner",
        "deck",
        "today",
        "window",
        "streak",
        "heatmap",
        "forecast",
        "retention",
        "cards",
        "time",
        "hardest",
    ]
    assert data["learner"] == "tester"
    assert data["deck"] is None
    assert data["today"] == "2026-11-27"
    assert data["window"] == {"from": "2025-11-28", "to": "2026-11-27", "days": 365}
    # The undone review on 11-23 leaves a gap: 4 days now, 5 in October.
    assert data["streak"] == {"current": 4, "longest": 5, "longest_end": "2026-10-05"}
    assert data["heatmap"] == {"total": 16, "active_days": 12, "max": 3, "days": HEATMAP}
    due = [0] * 30
    due[0], due[1], due[29] = 5, 1, 1  # a, c overdue + b, e, h due today; d tomorrow; f on day 29
    assert data["forecast"] == {"from": "2026-11-27", "due": due, "overdue": 2, "total": 7, "new": 2}


def test_json_retention_counts_reviews_by_interval_before(ids: dict[str, str]) -> None:
    retention = stats_json()["retention"]
    assert isinstance(retention, dict)
    assert retention["mature_days"] == 21 and retention["pass_grade"] == 3
    assert retention["overall"] == {
        "mature": rate(4, 2, 0.5),
        "young": rate(7, 6, 0.8571),
        "all": rate(11, 8, 0.7273),
    }
    weeks = retention["weeks"]
    assert len(weeks) == 53
    assert weeks[0]["week"] == "2025-11-24" and weeks[-1]["week"] == "2026-11-23"
    busy = {w["week"]: (w["mature"], w["young"]) for w in weeks if w["all"]["reviews"]}
    assert busy == {
        "2026-09-28": (rate(0, 0, None), rate(3, 2, 0.6667)),
        "2026-10-05": (rate(0, 0, None), rate(1, 1, 1.0)),
        "2026-11-16": (rate(2, 1, 0.5), rate(1, 1, 1.0)),
        "2026-11-23": (rate(2, 1, 0.5), rate(2, 2, 1.0)),
    }


def test_json_cards_time_and_hardest(ids: dict[str, str]) -> None:
    data = stats_json()
    kube = {
        "deck": "Kubernetes",
        "total": 10,
        "new": 1,
        "young": 4,
        "mature": 4,
        "suspended": 1,
        "leech": 1,
        "average_ef": 2.333,
    }
    docker = {
        "deck": "Docker",
        "total": 1,
        "new": 1,
        "young": 0,
        "mature": 0,
        "suspended": 0,
        "leech": 0,
        "average_ef": None,
    }
    total = {**kube, "deck": "(all)", "total": 11, "new": 2}
    assert data["cards"] == {"total": total, "decks": [docker, kube]}
    assert data["time"] == {
        "today_ms": 18_000,
        "total_ms": 64_000,
        "days": {day: {"ms": ms, "answers": HEATMAP[day]} for day, ms in TIME.items()},
    }
    hardest = data["hardest"]
    assert isinstance(hardest, list)
    assert [(h["id"], h["lapses"], h["ef"]) for h in hardest] == [
        (ids["e"], 2, 1.96),
        (ids["b"], 1, 2.18),
        (ids["j"], 0, 1.7),
        (ids["d"], 0, 2.36),
    ]
    assert hardest[2] == {
        "id": ids["j"],
        "deck": "Kubernetes",
        "front": "What is [j]?",
        "lapses": 0,
        "ef": 1.7,
        "interval": 1,
        "suspended": True,
        "leech": True,
    }


def test_one_deck_by_name_or_key(ids: dict[str, str]) -> None:
    kube = stats_json("Kubernetes")
    assert kube["deck"] == "Kubernetes"
    assert stats_json("k8s") == kube
    assert kube["streak"] == {"current": 4, "longest": 5, "longest_end": "2026-10-05"}
    assert kube["heatmap"]["total"] == 15  # all but x's review
    assert kube["forecast"]["due"][:2] == [5, 1] and kube["forecast"]["new"] == 1
    assert kube["cards"]["decks"] == [{**kube["cards"]["total"], "deck": "Kubernetes"}]
    assert [h["id"] for h in kube["hardest"]] == [ids["e"], ids["b"], ids["j"], ids["d"]]

    docker = stats_json("Docker")
    # x is retired: its review still counts in the log figures, not in the card figures.
    assert docker["streak"] == {"current": 0, "longest": 1, "longest_end": "2026-11-22"}
    assert docker["heatmap"]["days"] == {"2026-11-22": 1}
    assert docker["retention"]["overall"]["young"] == rate(1, 1, 1.0)
    assert docker["cards"]["total"]["total"] == 1 and docker["cards"]["total"]["new"] == 1
    assert docker["forecast"]["total"] == 0 and docker["forecast"]["new"] == 1
    assert docker["hardest"] == []


def test_days_limits_heatmap_time_and_retention_not_streaks(ids: dict[str, str]) -> None:
    data = stats_json("--days", "30")
    assert data["window"] == {"from": "2026-10-29", "to": "2026-11-27", "days": 30}
    assert data["heatmap"]["total"] == 10 and data["heatmap"]["active_days"] == 7
    assert data["time"]["total_ms"] == 40_000
    assert data["retention"]["overall"]["young"] == rate(3, 3, 1.0)
    assert data["retention"]["overall"]["mature"] == rate(4, 2, 0.5)
    assert data["streak"]["longest"] == 5
    assert len(data["retention"]["weeks"]) == 5  # weeks of 10-26 .. 11-23


def test_figures_survive_recompiles(ids: dict[str, str]) -> None:
    before = stats_json()
    with open_bank(os.environ["QUIZKIT_DB"], learner="tester") as bank:
        bank.sync_deck(K8S, [spec(n) for n in "abcdefghij"], now=at(TODAY, 15))
    assert stats_json() == before


def test_retiring_a_card_keeps_its_history_but_not_its_state(ids: dict[str, str]) -> None:
    with open_bank(os.environ["QUIZKIT_DB"], learner="tester") as bank:
        bank.sync_deck(K8S, [spec(n) for n in "abcdefgh"], now=at(TODAY, 15))  # i and j retired
    data = stats_json()
    assert data["heatmap"]["days"] == HEATMAP
    assert data["cards"]["total"]["total"] == 9
    assert data["cards"]["total"]["suspended"] == 0 and data["cards"]["total"]["leech"] == 0
    assert [h["id"] for h in data["hardest"]] == [ids["e"], ids["b"], ids["d"]]


def test_another_learner_sees_nothing(ids: dict[str, str]) -> None:
    data = stats_json("--learner", "bob")
    assert data["streak"] == {"current": 0, "longest": 0, "longest_end": None}
    assert data["heatmap"] == {"total": 0, "active_days": 0, "max": 0, "days": {}}
    assert data["forecast"]["total"] == 0 and data["forecast"]["new"] == 11
    assert data["cards"]["total"]["new"] == 11
    assert data["retention"]["overall"]["all"] == rate(0, 0, None)
    assert data["hardest"] == []


def test_plain_rendering_without_a_terminal(ids: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "\x1b[" not in text
    assert not set(text) & set("█░▒▓·┃━│─")
    lines = text.splitlines()
    assert lines[0] == "Stats for tester, all decks, study day 2026-11-27"
    assert "16 answers on 12 days" in lines
    assert "Streak: current 4 days, longest 5 days (2026-10-01 to 2026-10-05)" in lines
    # The heatmap's Friday row ends with today (3 answers, the busiest day: darkest shade).
    friday = next(line for line in lines if line.startswith("Fri "))
    assert friday.endswith("#")
    assert "2 overdue counted today; 2 new cards not yet seen (not in the bars)" in lines
    assert any(line.startswith("Fri 27 Nov      5  ####") for line in lines)
    assert any(line.split()[:2] == ["2026-11-23", "50.0%"] for line in lines)
    kube = next(line for line in lines if line.split()[:1] == ["Kubernetes"])
    assert kube.split() == ["Kubernetes", "10", "1", "4", "4", "1", "1", "2.33"]
    assert "today 18s, last 7 days 37s, last 365 days 1m 04s (about 5s per study day)" in lines
    assert any(line.split()[:4] == [ids["e"], "Kubernetes", "2", "1.96"] for line in lines)
    assert "What is [j]? (leech)" in text  # card text is printed, not taken as markup


def test_unknown_deck_is_an_error(ids: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["stats", "Nope"])
    assert result.exit_code == 1
    assert "no deck named 'Nope'" in result.output


def test_days_must_be_positive() -> None:
    result = CliRunner().invoke(cli, ["stats", "--days", "0"])
    assert result.exit_code == 2
    assert "--days" in result.output


def test_empty_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZKIT_NOW", NOW)
    data = stats_json()
    assert data["cards"] == {
        "total": {
            "deck": "(all)",
            "total": 0,
            "new": 0,
            "young": 0,
            "mature": 0,
            "suspended": 0,
            "leech": 0,
            "average_ef": None,
        },
        "decks": [],
    }
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 0
    assert "The bank has no decks yet. Try: quizkit init" in result.output


def test_terminal_rendering_uses_shades_and_respects_no_color(
    ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from quizkit.commands.stats_cmds import render

    with open_bank(os.environ["QUIZKIT_DB"], learner="tester") as bank:
        report = load_stats(bank, today=TODAY)
    buf = StringIO()
    render(report, Console(file=buf, force_terminal=True, width=100, color_system="truecolor"))
    coloured = buf.getvalue()
    assert "\x1b[" in coloured and "█" in coloured and "░" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    buf = StringIO()
    render(report, Console(file=buf, force_terminal=True, width=100))
    plain = buf.getvalue()
    assert "█" in plain
    assert "\x1b[38" not in plain  # no colour codes (bold is allowed)


def test_sqlite_fast_path_gives_the_same_figures_as_sqlalchemy(ids: dict[str, str]) -> None:
    from quizkit.storage import stats_queries

    con = stats_queries.open_sqlite(os.environ["QUIZKIT_DB"])
    if con is None:  # PostgreSQL: only the SQLAlchemy path exists
        assert "://" in os.environ["QUIZKIT_DB"]
        return
    with open_bank(os.environ["QUIZKIT_DB"], learner="tester") as bank:
        for deck in (None, "Kubernetes", "docker"):
            slow = load_stats(bank, today=TODAY, deck=deck).to_json()
            fast = stats_queries.load_stats_sqlite(con, "tester", today=TODAY, deck=deck).to_json()
            assert fast == slow
    con.close()


def test_fast_path_only_for_sqlite_files_at_the_current_schema(tmp_path: Path) -> None:
    from quizkit.model import EF_INITIAL
    from quizkit.storage import stats_queries
    from quizkit.storage.db import SCHEMA_HEAD

    assert stats_queries.SCHEMA_REVISION == SCHEMA_HEAD
    assert stats_queries.EF_INITIAL == EF_INITIAL
    path = tmp_path / "bank.sqlite3"
    assert stats_queries.open_sqlite(str(path)) is None  # missing: open_bank creates it
    with open_bank(str(path), learner="tester"):
        pass
    for target in (str(path), f"sqlite:///{path}"):
        con = stats_queries.open_sqlite(target)
        assert con is not None
        con.close()
    assert stats_queries.open_sqlite(f"sqlite:///{path}?mode=ro") is None
    assert stats_queries.open_sqlite("postgresql://localhost/quizkit") is None
    not_a_bank = tmp_path / "notes.txt"
    not_a_bank.write_text("hello")
    assert stats_queries.open_sqlite(str(not_a_bank)) is None
    old = sqlite3.connect(path)
    old.execute("UPDATE alembic_version SET version_num = '0001'")
    old.commit()
    old.close()
    assert stats_queries.open_sqlite(str(path)) is None  # open_bank migrates it first


def test_piped_and_json_stats_import_neither_sqlalchemy_nor_rich(ids: dict[str, str]) -> None:
    db = os.environ["QUIZKIT_DB"]
    if "://" in db:
        return  # PostgreSQL goes through SQLAlchemy
    probe = (
        "import sys; from quizkit.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('IMPORTED', sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'rich'}))"
    )
    for args in (["stats", "--json"], ["stats"]):
        env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            env={**env, "QUIZKIT_LEARNER": "tester"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.rstrip().endswith("IMPORTED []"), done.stdout[-500:] + done.stderr[-2000:]
        assert "Stats for tester" in done.stdout or '"learner": "tester"' in done.stdout


def test_plain_tables_align_wide_characters() -> None:
    from quizkit.commands.stats_cmds import Grid, _plain_grid

    grid = Grid(("Deck", "Total"))
    grid.add("容器", "3")
    grid.add("Docker", "12")
    lines = _plain_grid(grid)
    assert lines == [" Deck    Total", " 容器    3", " Docker  12"]


def test_heatmap_caption_counts_in_the_singular(tmp_path: Path) -> None:
    from quizkit.model import CardKind, CardSpec, CardState, CardStyle, DeckInfo
    from quizkit.storage.bank import open_bank

    db = tmp_path / "one.sqlite3"
    spec = CardSpec(kind=CardKind.CONCEPT, style=CardStyle.BASIC, front="Q", back="A", fact="c:1")
    moment = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    with open_bank(str(db), learner="tester") as bank:
        bank.sync_deck(DeckInfo(key="d", name="D"), [spec], now=moment)
        after = CardState(due=date(2026, 11, 28), interval=1, ef=2600, repetitions=1, last_review=moment)
        bank.record_review(
            spec.key("d"),
            before=CardState(),
            after=after,
            grade=5,
            kind="new",
            reviewed_at=moment,
            study_day=date(2026, 11, 27),
        )
    result = CliRunner().invoke(
        cli, ["stats", "--db", str(db)], env={"QUIZKIT_NOW": "2026-11-27T12:00:00+00:00"}
    )
    assert result.exit_code == 0, result.output
    assert "1 answer on 1 day\n" in result.stdout
