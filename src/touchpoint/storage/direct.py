"""Hot statements sent straight to SQLite's driver, compiled once by SQLAlchemy.

A Core ``connection.execute`` costs ~25 µs of Python per statement on top of the
driver's ~5 µs (an execution context, parameter processing, a result object), and an
ORM ``session.execute`` ~40 µs more; an order write sends four or five statements.
:func:`execute_write` (INSERT, UPDATE) and :func:`fetch_first` (SELECT) run the same
statement, compiled by SQLAlchemy once per statement and set of parameter names, on the
DBAPI cursor of the connection, with SQLAlchemy's bind and result processors (dates,
JSON, booleans are stored and read exactly as Core stores and reads them) and its
exception classes (``IntegrityError``, ``OperationalError``). Listeners of the engine's
``before_cursor_execute`` and ``after_cursor_execute`` events still see each statement.

Only for statements whose every value is given: one with a column default or ``onupdate``
left to fill, RETURNING, an expanding ``IN``, and every other database go through
``connection.execute`` as usual.

:func:`as_loaded` makes the ORM object a row read so would have given, without the
ORM's loading machinery.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Select, exc, inspect
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_dict, instance_state, set_committed_value
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

__all__ = ["Written", "as_loaded", "execute_write", "fetch_first", "model_columns"]


@dataclass(frozen=True, slots=True)
class Written:
    """What a write statement reports: rows matched, and the new row's id (INSERT)."""

    rowcount: int
    lastrowid: int | None


_Process = Callable[[Any], Any] | None
_AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[_Process, ...]
    results: tuple[_Process, ...] = ()  # a SELECT's, per column


# By the statement's id and the parameter names: the statement (kept alive, so that its
# id is not another's) and its compiled form, None when it goes through Core.
_compiled: dict[tuple[int, tuple[str, ...]], tuple[UpdateBase | _AnySelect, _Compiled | None]] = {}


def _bound(compiled: SQLCompiler, keys: tuple[str, ...]) -> _Compiled | None:
    """The SQL, parameter names and bind processors; None when Core must run it."""
    names = tuple(compiled.positiontup or ())
    if compiled.post_compile_params or compiled.literal_execute_params or set(names) - set(keys):
        return None  # values to expand, or left to the statement: Core does it
    processors: list[_Process] = []
    for name in names:
        process = compiled._bind_processors.get(name)
        if isinstance(process, Sequence):  # a tuple-valued parameter's, per element
            return None
        processors.append(process)
    return _Compiled(compiled.string, names, tuple(processors))


def _compile(connection: Connection, stmt: UpdateBase, keys: tuple[str, ...]) -> _Compiled | None:
    compiled = stmt.compile(dialect=connection.dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler):  # pragma: no cover - a DML's always is
        return None
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.postfetch
        or compiled.returning
    ):
        return None  # defaults to compute, values to read back: Core does it
    return _bound(compiled, keys)


def _compile_select(
    connection: Connection, stmt: _AnySelect, keys: tuple[str, ...]
) -> _Compiled | None:
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):  # pragma: no cover - a SELECT's always is
        return None
    bound = _bound(compiled, keys)
    if bound is None:
        return None
    # Each column's result processor, as Core's result object finds it (by position: a
    # compiled SELECT's columns are the cursor's, in order).
    results = tuple(
        column.type._cached_result_processor(dialect, None) for column in compiled._result_columns
    )
    return dataclasses.replace(bound, results=results)


_Statement = TypeVar("_Statement", UpdateBase, _AnySelect)


def _cached(
    connection: Connection,
    stmt: _Statement,
    keys: tuple[str, ...],
    compile: Callable[[Connection, _Statement, tuple[str, ...]], _Compiled | None],
) -> _Compiled | None:
    """``stmt`` compiled for these parameter names (once), None when Core runs it."""
    found = _compiled.get((id(stmt), keys))
    if found is None:
        found = _compiled[(id(stmt), keys)] = (stmt, compile(connection, stmt, keys))
    return found[1]


def execute_write(connection: Connection, stmt: UpdateBase, params: Mapping[str, Any]) -> Written:
    """Run the INSERT or UPDATE ``stmt`` with ``params`` in ``connection``'s transaction:
    on SQLite on the driver's cursor (see the module), elsewhere through Core.

    For statements built once (module constants, or kept in a cache like the order
    UPDATEs): each one compiled here stays in memory with its SQL for good."""
    if connection.dialect.name == "sqlite":
        compiled = _cached(connection, stmt, tuple(params), _compile)
        if compiled is not None:
            written: Written = _run(connection, compiled, params, _written)
            return written
    result = connection.execute(stmt, params)
    key = result.inserted_primary_key if stmt.is_insert else None  # (None,) when inline
    return Written(result.rowcount, None if key is None else key[0])


def _written(cursor: Any, _compiled: _Compiled) -> Written:
    return Written(cursor.rowcount, cursor.lastrowid)


def fetch_first(
    connection: Connection, stmt: _AnySelect, params: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of the SELECT ``stmt`` with ``params`` as a tuple of its columns'
    values (as Core reads them), None without rows: on SQLite on the driver's cursor
    (see the module), elsewhere through Core. Statements built once, as for
    :func:`execute_write`."""
    if connection.dialect.name == "sqlite":
        compiled = _cached(connection, stmt, tuple(params), _compile_select)
        if compiled is not None:
            row: tuple[Any, ...] | None = _run(connection, compiled, params, _first)
            return row
    first = connection.execute(stmt, params).first()
    return None if first is None else tuple(first)


def _first(cursor: Any, compiled: _Compiled) -> tuple[Any, ...] | None:
    row = cursor.fetchone()
    if row is None:
        return None
    return tuple(
        value if process is None else process(value)
        for value, process in zip(row, compiled.results, strict=True)
    )


_R = TypeVar("_R")


def _run(
    connection: Connection,
    compiled: _Compiled,
    params: Mapping[str, Any],
    answer: Callable[[Any, _Compiled], _R],
) -> _R:
    values = tuple(
        params[name] if process is None else process(params[name])
        for name, process in zip(compiled.names, compiled.processors, strict=True)
    )
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("storage.direct: the connection is closed")
    cursor = dbapi.cursor()
    sql = compiled.sql
    events = connection._has_events or connection.engine._has_events
    try:
        if events:
            connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
        cursor.execute(sql, values)
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
        return answer(cursor, compiled)
    except connection.dialect.loaded_dbapi.Error as err:
        raise exc.DBAPIError.instance(
            sql, values, err, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
        ) from err
    finally:
        cursor.close()


_M = TypeVar("_M")


@functools.cache
def model_columns(model: type[Any]) -> tuple[tuple[str, ...], tuple[Column[Any], ...]]:
    """A mapped class's column attributes' keys and their table columns, in one order:
    select the columns, and give :func:`as_loaded` the values under the keys."""
    props = inspect(model).column_attrs
    return tuple(p.key for p in props), tuple(p.columns[0] for p in props)


@functools.cache
def _column_keys(mapper: Mapper[Any]) -> frozenset[str]:
    """The attribute keys of a mapper's columns."""
    return frozenset(p.key for p in mapper.column_attrs)


@functools.cache
def _primary_keys(mapper: Mapper[Any]) -> tuple[str, ...]:
    """The attribute keys of a mapper's primary key columns, in the key's order."""
    return tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


def as_loaded(session: Session, model: type[_M], values: Mapping[str, Any]) -> _M:
    """The ``model`` object of a row with these column ``values`` (every column, by
    attribute key, as read), persistent in ``session`` and unmodified, as the ORM
    would have loaded it, without the ORM's loading machinery (~10 µs against ~60).

    An object of that identity already in the session is given the values (as a query
    with ``populate_existing`` would) and returned: a session holds one object per row.
    """
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key([values[k] for k in _primary_keys(mapper)])
    existing = session.identity_map.get(key)
    if existing is not None:
        for name, value in values.items():
            set_committed_value(existing, name, value)
        found: _M = existing
        return found
    if values.keys() != _column_keys(mapper):
        given, wanted = set(values), _column_keys(mapper)
        raise ValueError(
            f"as_loaded({model.__name__}): values for {sorted(given - wanted)} are not "
            f"columns; no value for {sorted(wanted - given)}"
        )
    obj = mapper.class_manager.new_instance()
    state = instance_state(obj)
    state.key = key
    instance_dict(obj).update(values)
    # What make_transient_to_detached and Session.add would do, less two walks that find
    # nothing here (~7 µs of the ~17): with every column given there is nothing to
    # expire (the ORM does not expire a loaded row's relationships either; they load
    # when first read), and a fresh object has no related objects for the save-update
    # cascade to add. A fresh state has no history to reset.
    session._update_impl(state)
    built: _M = obj
    return built
