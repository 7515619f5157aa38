"""Shared test set-up: every test gets its own bank and data dir, never the user's."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "kubernetes-01.md"
CORPUS = SHARED / "corpus"

pytest_plugins = ("tests.compile_helpers",)  # the no_cuts_yet fixture


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default bank, the data dirs and the learner at temp values."""
    data = tmp_path / "_data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("QUIZKIT_DB", str(tmp_path / "bank.sqlite3"))
    monkeypatch.setenv("QUIZKIT_LEARNER", "tester")
    monkeypatch.delenv("QUIZKIT_NOW", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path / "bank.sqlite3"


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server: QUIZKIT_TEST_PG_URL (CI starts one), else a throwaway cluster."""
    url = os.environ.get("QUIZKIT_TEST_PG_URL")
    if url:
        yield url
        return
    cluster = Path(tempfile.mkdtemp(prefix="quizkit-pg-"))
    script = REPO / "scripts" / "pg-test-server"
    env = dict(os.environ)
    started = subprocess.run([str(script), "start", str(cluster)], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"could not start PostgreSQL for the tests: {started.stderr.strip()}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([str(script), "stop", str(cluster)], env=env, capture_output=True)


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    import sqlalchemy as sa

    name = f"qk_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = str(sa.engine.make_url(pg_server_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def bank_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test against a SQLite file and a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "param.sqlite3")
    return str(request.getfixturevalue("pg_url"))


_FIGURES: list[str] = []


@pytest.fixture
def figures() -> Callable[[str], None]:
    """Record a measured figure (recall, reviews/s, peak RSS): shown at the end of every run."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("quizkit figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
