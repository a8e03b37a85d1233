"""Request deadlines enforced by the database: no statement outlives its request.

A server request gets a deadline (:func:`deadline`, set by the API's middleware); the
statements it runs are then stopped by the database when the deadline has passed:

* SQLite runs a request's statements on the server's event loop (``api.deps``), where
  no timeout of the loop can interrupt them. Each pooled connection gets a progress
  handler (``sqlite3.Connection.set_progress_handler``) that SQLite calls every ten
  thousand virtual-machine steps; once the deadline of the request running the
  statement has passed, it tells SQLite to abort the statement.
* PostgreSQL gets ``SET LOCAL statement_timeout`` at the start of each transaction: the
  time left to the deadline, so that the server cancels a statement running past it.

* A write unit neither starts nor commits once the deadline has passed
  (``services.base.write`` calls :func:`check_deadline`). Statements themselves are not
  checked one by one: a statement-level event would put every statement of the
  desk on SQLAlchemy's slower event path (some microseconds each, measured), so a
  read may still run a few statements too short for SQLite's progress handler after
  its deadline; it then answers late, and writes nothing.

Either way the aborted statement raises :class:`DeadlineExceeded` in place of the
driver's error (the engine's ``handle_error`` event), the write unit around it rolls
back (``services.base.write``) and the API answers 503. Outside a request (the CLI, the
escalation sweep's thread, tests calling services) there is no deadline and nothing
changes. The deadline lives in a context variable, which the event loop's worker
threads inherit from the request that handed them a call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExceptionContext

from touchpoint.domain.errors import CodedError

__all__ = [
    "DeadlineExceeded",
    "check_deadline",
    "deadline",
    "no_deadline",
    "seconds_left",
    "watch_statements",
]

#: When the current request must be answered, on ``time.monotonic``'s clock (None:
#: no deadline).
_DEADLINE: ContextVar[float | None] = ContextVar("touchpoint_request_deadline", default=None)

# SQLite calls the progress handler every this many virtual-machine steps: a few
# hundred microseconds of work, so a statement stops within about a millisecond of the
# deadline, and the check (a context-variable read and a clock read) adds about 1-2% to
# a long statement (a 10^6-row recursive CTE, measured). Statements shorter than this
# never call it.
_SQLITE_STEPS = 10_000
# PostgreSQL's error code for a statement cancelled by ``statement_timeout``.
_QUERY_CANCELED = "57014"


class DeadlineExceeded(CodedError, RuntimeError):
    """The request ran past its time limit; its statement was stopped and everything it
    had not committed was rolled back: HTTP 503, to be retried later or narrowed down.
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "the request took longer than the server's time limit and was stopped; "
            "nothing was written. Retry later, or ask for less (a shorter period, a "
            "smaller page)",
            code="request_timeout",
        )


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within the block, statements stop ``seconds`` from now (the request's limit)."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@contextmanager
def no_deadline() -> Iterator[None]:
    """Within the block, no deadline: for answering a request that ran out of time
    (its error page reads who is looking)."""
    token = _DEADLINE.set(None)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def seconds_left() -> float | None:
    """Seconds to the current deadline (negative once passed); None without one."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def check_deadline() -> None:
    """Raise :class:`DeadlineExceeded` when the current deadline has passed: for long
    loops in Python between statements, which no database can stop."""
    left = seconds_left()
    if left is not None and left <= 0:
        raise DeadlineExceeded


def _past_deadline() -> bool:
    """SQLite's progress handler: a true value aborts the running statement."""
    at = _DEADLINE.get()
    return at is not None and time.monotonic() >= at


def _watch_sqlite_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """On every checkout (a connection pooled before the engine was watched gets it
    too): the progress handler that stops a statement past its request's deadline."""
    dbapi_connection.set_progress_handler(_past_deadline, _SQLITE_STEPS)


def _limit_postgresql_transaction(connection: Connection) -> None:
    """At a transaction's start, when there is a deadline: its statements may run only
    for the time left, rounded up so that the server cancels one no sooner than the
    deadline (at least a millisecond: 0 would mean no limit). The limit counts from each
    statement's start; a statement begun later in the transaction may thus run past the
    deadline by as long as the transaction had run, never longer."""
    left = seconds_left()
    if left is not None:
        millis = max(1, math.ceil(left * 1000))
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {millis}")


def _deadline_error(context: ExceptionContext) -> BaseException | None:
    """The driver's error for a statement the deadline stopped, as
    :class:`DeadlineExceeded` (other errors pass unchanged)."""
    left = seconds_left()
    if left is None or left > 0:
        return None
    original = context.original_exception
    stopped = (
        getattr(original, "sqlite_errorname", None) == "SQLITE_INTERRUPT"
        or getattr(original, "sqlstate", None) == _QUERY_CANCELED
    )
    if not stopped:
        return None
    return DeadlineExceeded()


def watch_statements(engine: Engine) -> None:
    """Make ``engine``'s statements stop at the deadline of the request running them.

    Safe to call again on the same engine (the app factory calls it on an engine it was
    given; ``storage.db.make_engine`` on the engines it makes)."""
    if event.contains(engine, "handle_error", _deadline_error):
        return
    if engine.dialect.name == "sqlite":
        event.listen(engine, "checkout", _watch_sqlite_connection)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _limit_postgresql_transaction)
    event.listen(engine, "handle_error", _deadline_error, retval=True)
