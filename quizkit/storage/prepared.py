"""Statements compiled once by SQLAlchemy and run on the pooled DBAPI connection.

For the one write path that runs once per answer.  SQLAlchemy still writes the
SQL (for the bank's dialect) and converts every value with the column types'
own bind processors; what is skipped is the per-execution machinery (statement
cache lookup, parameter construction, result objects, transaction and pool
bookkeeping), which cost three times the SQL itself on SQLite
(benchmarks/README.md, "one answered review").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine


@dataclass(frozen=True)
class Prepared:
    """One compiled statement: its SQL, and how to turn named values into driver parameters."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    fixed: Mapping[str, Any]  # values compiled into the statement's own bind parameters (LIMIT 1 ...)
    positional: bool

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        out = []
        for name, proc in zip(self.names, self.processors, strict=True):
            value = values[name] if name in values else self.fixed[name]
            out.append(proc(value) if proc is not None and value is not None else value)
        return out if self.positional else dict(zip(self.names, out, strict=True))


def prepare(stmt: sa.Executable, dialect: Dialect, column_keys: Sequence[str] | None = None) -> Prepared:
    """Compile ``stmt`` for ``dialect`` (with ``column_keys`` for an INSERT/UPDATE's columns)."""
    compiled: Any = stmt.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
    positional = compiled.positiontup is not None
    names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
    binds = compiled.binds
    processors = tuple(binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
    fixed = {n: binds[n].effective_value for n in names if not binds[n].required}
    return Prepared(str(compiled), names, processors, fixed, positional)


class RawTransaction:
    """A DBAPI cursor inside one write transaction (see :func:`raw_write`)."""

    def __init__(self, cursor: Any, dbapi_error: type[Exception]) -> None:
        self.cursor = cursor
        self._error = dbapi_error

    def run(self, stmt: Prepared, values: Mapping[str, Any]) -> Any:
        """Execute; the driver's cursor (``fetchone``, ``rowcount``) is returned."""
        params = stmt.params(values)
        try:
            self.cursor.execute(stmt.sql, params)
        except self._error as exc:
            # The same exception SQLAlchemy would raise, so callers and the CLI handle it alike.
            raise sa.exc.DBAPIError.instance(stmt.sql, params, exc, self._error) from exc
        return self.cursor


@contextmanager
def raw_write(engine: Engine) -> Iterator[RawTransaction]:
    """A write transaction on a pooled DBAPI connection, committed on exit, rolled back on error.

    SQLite takes the write lock first (``BEGIN IMMEDIATE``, as storage.db's writers do);
    other drivers open their transaction themselves.
    """
    dialect = engine.dialect
    dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
    raw = engine.raw_connection()
    try:
        tx = RawTransaction(raw.cursor(), dbapi_error)
        try:
            if dialect.name == "sqlite":
                tx.cursor.execute("BEGIN IMMEDIATE")
            yield tx
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            tx.cursor.close()
    except dbapi_error as exc:  # BEGIN or COMMIT failed (locked past the busy timeout, disk full...)
        raise sa.exc.DBAPIError.instance(None, None, exc, dbapi_error) from exc
    finally:
        raw.close()
