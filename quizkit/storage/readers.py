"""Read-only access to a bank through plain SQL text: ``sqlite3`` directly, or SQLAlchemy.

Read-only commands on the start-up budget (``quizkit due``, ``quizkit stats``)
run portable SQL with ``:name`` parameters through a :class:`Reader`.  On a
SQLite file already at the current schema, :func:`open_sqlite` gives them a
``sqlite3`` connection and SQLAlchemy is never imported (its import alone is
most of such a command's time); anything else (PostgreSQL, a bank that must be
created or migrated) goes through :func:`quizkit.storage.bank.open_bank` and
:class:`SqlAlchemyReader`.  Both run the same SQL text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# The schema these queries are written for (quizkit.storage.db.SCHEMA_HEAD; a test keeps them
# equal).  A SQLite bank at any other revision goes through open_bank, which migrates it.
SCHEMA_REVISION = "0003"
BUSY_TIMEOUT_MS = 10_000


class Reader(Protocol):
    """Runs one SQL text with ``:name`` parameters and returns its rows as tuples."""

    sqlite: bool  # the bank is SQLite: dates are stored (and bound) as ISO text

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Sequence[Sequence[Any]]: ...


@dataclass
class SqliteReader:
    """A ``sqlite3`` connection (see :func:`open_sqlite`)."""

    con: sqlite3.Connection
    sqlite: bool = True

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Sequence[Sequence[Any]]:
        return self.con.execute(sql, dict(params or {})).fetchall()


@dataclass
class SqlAlchemyReader:
    """A SQLAlchemy connection (any dialect)."""

    conn: Connection
    sqlite: bool = False

    def __post_init__(self) -> None:
        self.sqlite = self.conn.dialect.name == "sqlite"

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Sequence[Sequence[Any]]:
        import sqlalchemy as sa

        return [tuple(r) for r in self.conn.execute(sa.text(sql), dict(params or {}))]



def sqlite_file(target: str) -> Path | None:
    """The SQLite file behind a ``--db`` value (a path or a plain ``sqlite:///`` URL), else None."""
    if "://" in target:
        prefix = "sqlite:///"
        if not target.startswith(prefix) or "?" in target or target == prefix:
            return None
        target = target[len(prefix) :]
    return Path(target).expanduser()


def open_sqlite(target: str) -> sqlite3.Connection | None:
    """A read-only ``sqlite3`` connection to the bank at ``target``, in a read transaction.

    Only for an existing SQLite file already at :data:`SCHEMA_REVISION`;
    anything else (a server URL, a missing file, another schema, not a
    database) returns None, and the caller goes through ``open_bank``, which
    creates, checks and migrates banks and reports errors.
    """
    path = sqlite_file(target)
    if path is None or str(path) in ("", ":memory:"):
        return None
    try:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return None
    except OSError:
        return None
    con = sqlite3.connect(str(path), isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA query_only=ON")  # readers never write
        # One snapshot for every query (deferred: never waits for a studying writer in WAL mode).
        con.execute("BEGIN")
        rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        con.close()
        return None
    if [r[0] for r in rows] != [SCHEMA_REVISION]:
        con.close()
        return None
    return con
