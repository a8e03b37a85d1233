"""Hot INSERTs and UPDATEs sent straight to SQLite's driver, compiled once by SQLAlchemy.

A Core ``connection.execute`` costs ~25 µs of Python per statement on top of the
driver's ~5 µs (an execution context, parameter processing, a result object), and an
order write sends three or four such statements. :func:`execute_write` runs the same
statement, compiled by SQLAlchemy once per statement and set of parameter names, on the
DBAPI cursor of the connection's own transaction, with SQLAlchemy's bind processors
(dates, JSON, booleans are stored exactly as Core stores them) and its exception
classes (``IntegrityError``, ``OperationalError``). Listeners of the engine's
``before_cursor_execute`` and ``after_cursor_execute`` events still see each statement.

Only for statements whose every value is given: one with a column default or ``onupdate``
left to fill, a statement with RETURNING, and every other database go through
``connection.execute`` as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.sql.dml import UpdateBase

__all__ = ["Written", "execute_write"]


@dataclass(frozen=True, slots=True)
class Written:
    """What a write statement reports: rows matched, and the new row's id (INSERT)."""

    rowcount: int
    lastrowid: int | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


# By the statement's id and the parameter names: the statement (kept alive, so that its
# id is not another's) and its compiled form, None when it goes through Core.
_compiled: dict[tuple[int, tuple[str, ...]], tuple[UpdateBase, _Compiled | None]] = {}


def _compile(connection: Connection, stmt: UpdateBase, keys: tuple[str, ...]) -> _Compiled | None:
    compiled = stmt.compile(dialect=connection.dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ())
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.postfetch
        or compiled.returning
        or set(names) - set(keys)
    ):
        return None  # defaults to compute, values to read back: Core does it
    processors: list[Callable[[Any], Any] | None] = []
    for name in names:
        process = compiled._bind_processors.get(name)
        if isinstance(process, Sequence):  # a tuple-valued parameter's, per element
            return None
        processors.append(process)
    return _Compiled(compiled.string, names, tuple(processors))


def execute_write(connection: Connection, stmt: UpdateBase, params: Mapping[str, Any]) -> Written:
    """Run the INSERT or UPDATE ``stmt`` with ``params`` in ``connection``'s transaction:
    on SQLite on the driver's cursor (see the module), elsewhere through Core.

    For statements built once (module constants, or kept in a cache like the order
    UPDATEs): each one compiled here stays in memory with its SQL for good."""
    if connection.dialect.name == "sqlite":
        keys = tuple(params)
        found = _compiled.get((id(stmt), keys))
        if found is None:
            found = _compiled[(id(stmt), keys)] = (stmt, _compile(connection, stmt, keys))
        if found[1] is not None:
            return _direct(connection, found[1], params)
    result = connection.execute(stmt, params)
    key = result.inserted_primary_key if stmt.is_insert else None  # (None,) when inline
    return Written(result.rowcount, None if key is None else key[0])


def _direct(connection: Connection, compiled: _Compiled, params: Mapping[str, Any]) -> Written:
    values = tuple(
        params[name] if process is None else process(params[name])
        for name, process in zip(compiled.names, compiled.processors, strict=True)
    )
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("execute_write: the connection is closed")
    cursor = dbapi.cursor()
    sql = compiled.sql
    events = connection._has_events or connection.engine._has_events
    try:
        if events:
            connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
        cursor.execute(sql, values)
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
        return Written(cursor.rowcount, cursor.lastrowid)
    except connection.dialect.loaded_dbapi.Error as err:
        raise exc.DBAPIError.instance(
            sql, values, err, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
        ) from err
    finally:
        cursor.close()
