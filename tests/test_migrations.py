"""Migrations: blank and previous schemas reach the models; foreign databases are refused untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from quizkit.errors import DatabaseError, SchemaTooNewError
from quizkit.storage.db import KNOWN_REVISIONS, SCHEMA_HEAD, migrations_dir, open_database, upgrade
from quizkit.storage.schema import metadata


def _script() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return ScriptDirectory.from_config(cfg)


def _diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def test_head_constant_matches_alembic() -> None:
    script = _script()
    assert script.get_current_head() == SCHEMA_HEAD
    assert sorted(r.revision for r in script.walk_revisions()) == sorted(KNOWN_REVISIONS)


def test_blank_database_migrates_to_the_models(tmp_path: Path) -> None:
    opened = open_database(str(tmp_path / "b.sqlite3"))
    assert _diff(opened.engine) == []
    with opened.engine.connect() as conn:
        assert conn.exec_driver_sql("select version_num from alembic_version").scalar() == SCHEMA_HEAD
    opened.engine.dispose()


@pytest.mark.parametrize("revision", [r.revision for r in _script().walk_revisions()])
def test_every_revision_upgrades_to_head(tmp_path: Path, revision: str) -> None:
    """From each earlier schema (and from blank for the first), upgrading reaches the models."""
    script = _script()
    down = script.get_revision(revision).down_revision
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    if down is not None:
        upgrade(engine, str(down))
    upgrade(engine, "head")
    assert _diff(engine) == []
    engine.dispose()


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    from alembic import command

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    upgrade(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert _diff(engine) == []
    engine.dispose()


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    open_database(str(path)).engine.dispose()
    con = sqlite3.connect(path)
    con.execute("update alembic_version set version_num = '9999'")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNewError, match=r"written by a newer quizkit \(schema 9999\)"):
        open_database(str(path))
    assert path.read_bytes() == before


def test_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n")
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        open_database(str(path))
    assert path.read_text() == "these are my notes, not a database\n"


def test_someone_elses_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.execute("create table things (x)")
    con.commit()
    con.close()
    with pytest.raises(DatabaseError, match="not a quizkit bank"):
        open_database(str(path))
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("select name from sqlite_master")] == ["things"]
    con.close()


def test_open_without_create_does_not_make_files(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no such database"):
        open_database(str(tmp_path / "missing.sqlite3"), create=False)
    assert not (tmp_path / "missing.sqlite3").exists()


def test_revision_0003_gives_its_indexes_planner_statistics(tmp_path: Path) -> None:
    """On an analysed SQLite bank the new indexes get statistics (without, `stats` chose a worse plan)."""
    from datetime import UTC, date, datetime

    from alembic import command

    from quizkit import sm2
    from quizkit.model import CardKind, CardSpec, CardState, CardStyle, DeckInfo
    from quizkit.storage.bank import open_bank

    now, day = datetime(2026, 11, 27, 9, tzinfo=UTC), date(2026, 11, 27)
    with open_bank(str(tmp_path / "b.sqlite3"), learner="ann") as bank:
        specs = [
            CardSpec(kind=CardKind.CONCEPT, style=CardStyle.BASIC, front=f"q{n}", back="b", fact=f"f{n}")
            for n in range(3)
        ]
        bank.sync_deck(DeckInfo(key="k", name="K"), specs, now=now)
        for view in bank.new_cards():
            after = sm2.review(CardState(), 4, day, now=now)
            bank.record_review(
                view.id, before=CardState(), after=after, grade=4, kind="new", reviewed_at=now, study_day=day
            )
        bank.undo_last(now=now, study_day=day)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
        conn.exec_driver_sql("ANALYZE")
    upgrade(engine)
    with engine.connect() as conn:
        analysed = set(conn.exec_driver_sql("SELECT idx FROM sqlite_stat1").scalars())
    assert {"ix_card_states_learner_first_day", "ix_reviews_undoes"} <= analysed
    engine.dispose()
