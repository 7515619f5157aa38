"""Opening a bank: URL handling, SQLite pragmas, schema checks and migrations.

Alembic is imported only when a database actually needs upgrading, so opening
an up-to-date bank costs one small query.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from quizkit.errors import DatabaseError, SchemaTooNewError

# The newest migration this quizkit knows; tests check it equals Alembic's head.
SCHEMA_HEAD = "0003"
KNOWN_REVISIONS = ("0001", "0002", "0003")

BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "quizkit_write"


def migrations_dir() -> Path:
    """The Alembic scripts: inside the installed wheel, or the repo's ``migrations/``."""
    packaged = resources.files("quizkit") / "_migrations"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "migrations"


def to_url(target: str) -> str:
    """A SQLAlchemy URL for ``target``: a URL as is, a path as a SQLite file."""
    if "://" in target:
        try:
            sa.engine.make_url(target)
        except sa.exc.ArgumentError:
            raise DatabaseError(f"not a database URL: {target!r}") from None
        return target
    return "sqlite:///" + str(Path(target).expanduser())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, manage transactions (BEGIN IMMEDIATE below).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front: two studying processes queue on
    # busy_timeout instead of failing with "database is locked" on lock upgrade.
    # Readers start a plain (deferred) transaction: in WAL mode they never wait
    # for a writer, and a long `stats` never holds up a study session.
    # Straight to the driver: this runs before every transaction, and going through
    # exec_driver_sql cost a statement's worth of SQLAlchemy bookkeeping per answer.
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    dbapi.execute("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on exit."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


@dataclass
class OpenedDatabase:
    engine: Engine
    url: str
    path: Path | None  # the SQLite file, None for servers and memory
    backup: Path | None = None  # copy kept before a migration


def _private_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # A bank only this process sees until it is published (storage/staging.py): no
    # write-ahead log to copy back at the end, no syncs (the file is synced once, before
    # it gets its name).  A rollback journal in memory keeps ROLLBACK working.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=MEMORY")
    cur.execute("PRAGMA synchronous=OFF")
    cur.close()


def create_engine(url: str, *, private: bool = False) -> Engine:
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise DatabaseError(f"cannot use database {url!r}: {exc}") from None
    except ModuleNotFoundError as exc:
        raise DatabaseError(f"no driver for {url!r} ({exc.name} is not installed)") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _private_sqlite_pragmas if private else _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def open_database(target: str, *, create: bool = True, private: bool = False) -> OpenedDatabase:
    """Open (and create or migrate) the bank at ``target``; raise DatabaseError if it is not ours.

    ``private``: a new SQLite bank no other process uses yet (see ``_private_sqlite_pragmas``).
    """
    url = to_url(target)
    path: Path | None = None
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if path.is_dir():
            raise DatabaseError(f"{path}: is a directory, not a database file")
        if not path.exists():
            if not create:
                raise DatabaseError(f"{path}: no such database")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"{path}: cannot create database folder: {exc.strerror}") from None
        elif path.stat().st_size > 0:
            with path.open("rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise DatabaseError(f"{path}: not a SQLite database (nothing was changed)")
    engine = create_engine(url, private=private)
    opened = OpenedDatabase(engine=engine, url=url, path=path)
    try:
        _ensure_schema(opened)
    except DatabaseError:
        engine.dispose()
        raise
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        where = str(path) if path else url
        raise DatabaseError(f"{where}: cannot open database: {exc.orig}") from None
    return opened


def current_revision(conn: Connection) -> str | None:
    if conn.dialect.name == "sqlite":  # one query instead of the inspector (start-up cost)
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
    else:
        tables = set(sa.inspect(conn).get_table_names())
    if "alembic_version" not in tables:
        if tables - {"sqlite_sequence"}:
            raise DatabaseError("database has tables but is not a quizkit bank (no alembic_version)")
        return None
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if rows else None


def _ensure_schema(opened: OpenedDatabase) -> None:
    with opened.engine.connect() as conn:
        rev = current_revision(conn)
    where = str(opened.path) if opened.path else opened.url
    if rev == SCHEMA_HEAD:
        return
    if rev is not None and rev not in KNOWN_REVISIONS:
        raise SchemaTooNewError(
            f"{where}: written by a newer quizkit (schema {rev}); upgrade quizkit to use it. "
            "Nothing was changed."
        )
    if rev is not None and opened.path is not None:
        opened.backup = backup_file(opened.path, reason=f"pre-{SCHEMA_HEAD}")
    upgrade(opened.engine)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations on ``engine`` up to ``revision``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    with write_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def backup_file(path: Path, *, reason: str = "backup") -> Path:
    """Copy a SQLite bank next to itself (consistent even while in WAL mode)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    dest = path.with_name(f"{path.name}.{reason}-{stamp}.bak")
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{path.name}.{reason}-{stamp}-{n}.bak")
    _sqlite_copy(path, dest)
    return dest


def backup_to(engine: Engine, output: Path | None) -> Path:
    """Back up the SQLite bank behind ``engine`` to ``output`` (or next to it)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        raise DatabaseError("backups are for SQLite banks; use your server's tools (pg_dump) for others")
    path = Path(database or "")
    if output is None:
        return backup_file(path)
    if output.exists():
        raise DatabaseError(f"{output}: already exists; not overwritten")
    _sqlite_copy(path, output)
    return output


def _sqlite_copy(path: Path, dest: Path) -> None:
    """SQLite's online backup of ``path`` into ``dest`` (safe while others read and write)."""
    import sqlite3

    src = sqlite3.connect(str(path))
    try:
        dst = sqlite3.connect(str(dest))
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"{dest}: cannot write backup: {exc}") from None
    finally:
        src.close()
