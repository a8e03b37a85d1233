"""Execute one aggregation expression and return its rows as dictionaries.

On DuckDB and PySpark the SQL that Ibis compiles is run on the backend's own
connection or session: this skips Ibis's pandas-based result conversion
(importing pandas would be a large share of a short CLI run) and lets us poll
DuckDB's query progress for the progress bar.
Other backends, and expressions over in-memory tables, go through ``to_pyarrow``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from touchpoint.engine._compat import quiet_backend_deprecations
from touchpoint.engine.errors import InputError

__all__ = ["Progress", "fetch_rows", "fetch_sql"]

#: Called with the completed fraction (0..1) while a query runs.
Progress = Callable[[float], None]

_POLL_SECONDS = 0.1


def fetch_rows(
    backend: Any, expr: Any, label: str, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Run ``expr`` on ``backend``; a failing query becomes :class:`InputError`."""
    with quiet_backend_deprecations():
        return _fetch(backend, expr, label, progress)


def _fetch(backend: Any, expr: Any, label: str, progress: Progress | None) -> list[dict[str, Any]]:
    try:
        name = getattr(backend, "name", "")
        if name not in ("duckdb", "pyspark") or _has_memtables(expr):
            # In-memory tables (memtables) are registered with the backend only
            # by its own execution methods, so an expression over them runs
            # through ``to_pyarrow``.
            rows = list(backend.to_pyarrow(expr).to_pylist())
            if progress is not None:
                progress(1.0)
            return rows
        sql = backend.compile(expr)
        if name == "pyspark":
            # Collect Spark rows directly: a one-row (or few-row) result needs no
            # pandas round trip.
            return [row.asDict() for row in backend.raw_sql(sql).collect()]
        return _run_duckdb(backend.con, sql, progress)
    except InputError:
        raise
    except Exception as exc:  # the backends raise their own error types
        raise _read_error(label, exc) from exc


def _has_memtables(expr: Any) -> bool:
    import ibis.expr.operations as ops

    return bool(expr.op().find(ops.InMemoryTable))


def fetch_sql(
    connection: Any, sql: str, label: str, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Run compiled ``sql`` on a DuckDB connection; a failing query becomes :class:`InputError`."""
    try:
        return _run_duckdb(connection, sql, progress)
    except Exception as exc:  # DuckDB raises its own error types
        raise _read_error(label, exc) from exc


def _read_error(label: str, exc: Exception) -> InputError:
    text = str(exc).strip().splitlines()
    return InputError(label, f"cannot read the data: {text[0] if text else exc!r}")


def _run_duckdb(connection: Any, sql: str, progress: Progress | None) -> list[dict[str, Any]]:
    if progress is None:
        return _as_dicts(connection.execute(sql))
    return _with_progress(connection, sql, progress)


def _as_dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _with_progress(connection: Any, sql: str, progress: Progress) -> list[dict[str, Any]]:
    connection.execute("SET enable_progress_bar = true")
    connection.execute("SET enable_progress_bar_print = false")
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["rows"] = _as_dicts(connection.execute(sql))
        except Exception as exc:  # re-raised in the calling thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="touchpoint-query", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(_POLL_SECONDS)
        done = connection.query_progress()
        if done is not None and done >= 0:
            progress(min(float(done) / 100.0, 1.0))
    if "error" in outcome:
        raise outcome["error"]
    progress(1.0)
    rows: list[dict[str, Any]] = outcome["rows"]
    return rows
