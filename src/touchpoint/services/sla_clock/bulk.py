"""Bulk reads of integer columns: constants inlined into the SQL, instants as epoch
seconds computed by the database, and result rows straight into numpy arrays."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime
from itertools import chain
from typing import Any, Final

import numpy as np
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Executable,
    Select,
    String,
    cast,
    extract,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import to_epoch_seconds
from touchpoint.domain.sla.vocabulary import Int64Array

__all__ = [
    "NULL_EPOCH",
    "epoch_seconds",
    "fetch_int_columns",
    "fetch_rows",
    "inline_constant",
    "int_columns",
]

#: What :func:`epoch_seconds` reads for a null instant (far below any real one).
NULL_EPOCH: Final = -(2**62)


def inline_constant(value: Any) -> ColumnElement[Any]:
    """A constant written into the SQL text rather than bound.

    In bulk reads SQLite evaluates a bound value again on every row, where it folds a
    literal once (a bound ``group_concat`` separator is the costly case).

    Only integers and strings (the code's own constants, never user input). They are
    part of the statement's text when it is compiled, so a cached statement is not
    rendered again on each execution, as it would be with ``literal_execute``.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"inline_constant: {value!r} is not an integer or a string")
    if isinstance(value, int):
        return literal_column(str(value), BigInteger)
    return literal_column("'" + value.replace("'", "''") + "'", String)


@functools.cache
def _sqlite_rounds_up() -> bool:
    """Whether this SQLite reads '…:00.9995' as the next second (see epoch_seconds);
    asked once, when a SQLite statement is first built, not at import."""
    with closing(sqlite3.connect(":memory:")) as conn:
        (seconds,) = conn.execute("SELECT strftime('%s', '2000-01-01 00:00:00.9995')").fetchone()
    return int(seconds) == to_epoch_seconds(datetime(2000, 1, 1, 0, 0, 1, tzinfo=UTC))


def epoch_seconds(session: Session, column: Any) -> ColumnElement[int]:
    """``column`` (an instant) as whole UTC epoch seconds computed by the database, rounded
    down like ``to_epoch_seconds``; null reads as :data:`NULL_EPOCH`.

    Reading integers instead of datetimes spares a Python object per value, which is
    what makes loading millions of events affordable.
    """
    if session.get_bind().dialect.name == "sqlite":
        # SQLite stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'. Its date functions round
        # that to the millisecond first up to 3.45 (later ones cap the fraction at .999),
        # so from .9995 on they read the next second; there one is taken off (the
        # fraction is compared as text), and the database rounds down exactly as the
        # domain does: an order's stored and new events make one timeline. unixepoch
        # (SQLite 3.38) is much cheaper than strftime('%s').
        value: ColumnElement[int]
        if sqlite3.sqlite_version_info >= (3, 38):
            value = func.unixepoch(column, type_=BigInteger)
        else:
            value = cast(func.strftime("%s", column), BigInteger)
        if _sqlite_rounds_up():
            rounded_up = func.substr(column, inline_constant(21)) >= inline_constant("9995")
            value = value - type_coerce(rounded_up, BigInteger)
    else:
        value = cast(func.floor(extract("epoch", column)), BigInteger)
    return func.coalesce(value, inline_constant(NULL_EPOCH))


def fetch_rows(
    session: Session, stmt: Executable, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """All rows of a Core query as the driver's plain tuples (no per-row ``Row`` objects).

    For bulk reads of integer columns (no type conversion needed) on the session's
    connection, inside its transaction.
    """
    result = session.connection().execute(stmt, params)
    try:
        rows = list(result.cursor.fetchall())
    finally:
        result.close()
    return rows


def int_columns(rows: Sequence[Any], width: int) -> Int64Array:
    """Integer result rows as an ``(n, width)`` array, without a Python list per value."""
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=width * len(rows))
    return flat.reshape(len(rows), width)


def fetch_int_columns(
    session: Session, stmt: Select[*tuple[Any, ...]], *, in_order: bool = True
) -> Int64Array:
    """A Core query of non-null integer columns as an ``(n, width)`` array, rows in its
    order (``in_order`` False: in any order, the same in every column).

    On SQLite each column comes back as one ``group_concat`` text parsed by numpy: a
    million rows then cost no Python tuple or int per value. PostgreSQL does the same
    with ``string_agg`` when the order does not matter (an aggregate's input order is
    not guaranteed there); otherwise it is :func:`fetch_rows` + :func:`int_columns`.
    """
    width = len(stmt.selected_columns)
    dialect = session.get_bind().dialect.name
    if dialect != "sqlite" and in_order:
        return int_columns(fetch_rows(session, stmt), width)
    inner = stmt.subquery()
    if dialect == "sqlite":
        # The outer query is an aggregate, so SQLite keeps the subquery's ORDER BY (it
        # never flattens an ordered subquery into an aggregate), and group_concat appends
        # in it. Its default separator is the comma; a bound one costs a value read per row.
        joined = [func.group_concat(c) for c in inner.c]
    else:
        # One aggregate node feeds every string_agg the same rows in the same order.
        joined = [func.string_agg(cast(c, String), literal_column("','")) for c in inner.c]
    texts = fetch_rows(session, select(*joined))[0]
    columns = [
        np.empty(0, dtype=np.int64)
        if text is None
        else np.fromstring(text, dtype=np.int64, sep=",")  # text mode is not deprecated
        for text in texts
    ]
    if len({len(c) for c in columns}) != 1:
        raise ValueError("fetch_int_columns: a column held nulls")
    return np.stack(columns, axis=1) if columns else np.empty((0, 0), dtype=np.int64)
