"""Engine factory and session scope: SQLite (WAL, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["make_engine", "make_session_factory", "session_scope"]


try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone
    fcntl = None  # type: ignore[assignment]

_BUSY_SECONDS: Final = 10


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={_BUSY_SECONDS * 1000}")
    cur.close()


# Statements that make a SQLite transaction a write transaction.
_WRITES: Final = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"})


class _WriterGate:
    """Queues the writers of one SQLite file, across threads and processes.

    SQLite lets one writer in at a time and makes the others retry in its busy handler,
    which sleeps with back-off (1, 2, 5, 10… ms): under load the file's lock is free
    most of that time and the CPUs idle. Here a writer instead waits for the gate when
    its transaction first writes, and leaves it right after its commit or rollback: a
    thread lock for this process's threads, then ``flock`` on ``<file>-writer.lock`` for
    other processes (the kernel wakes the next one at once, and frees the lock of a
    process that dies). Reads never wait. Waiting longer than the busy timeout raises
    ``database is locked``, as SQLite would.
    """

    def __init__(self, database: str) -> None:
        self._path = f"{database}-writer.lock"
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = os.getpid()
        self._holders: set[int] = set()  # id() of the DBAPI connections inside

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            # A forked process opens its own: flock belongs to the open file, which a
            # fork would share with the parent.
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def before_execute(
        self,
        _conn: Any,
        cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        dbapi_conn = cursor.connection
        if id(dbapi_conn) in self._holders:
            return
        head = statement.lstrip()[:8].split(None, 1)
        if not head or head[0].upper() not in _WRITES:
            return
        if not self._lock.acquire(timeout=_BUSY_SECONDS):
            raise sqlite3.OperationalError("database is locked (writer gate)")
        try:
            if fcntl is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise
        self._holders.add(id(dbapi_conn))

    def leave(self, dbapi_conn: Any) -> None:
        # The dialect is handed the pool's proxy; the cursor knows the driver's connection.
        key = id(getattr(dbapi_conn, "dbapi_connection", dbapi_conn))
        if key not in self._holders:
            return
        self._holders.discard(key)
        try:
            if fcntl is not None and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()


# One gate per file and process, shared by every engine on it (a second ``flock`` on
# another descriptor of the same file would wait for the first).
_gates: dict[str, _WriterGate] = {}


def _install_writer_gate(engine: Engine, database: str) -> None:
    """Make the writers of ``engine`` queue on a :class:`_WriterGate`.

    The gate is entered before a transaction's first write statement and left after the
    DBAPI commit or rollback, which every path goes through: ``Connection.commit`` and
    ``rollback``, and the pool's reset of a returned or closed connection.
    """
    path = os.path.realpath(database)
    gate = _gates.get(path)
    if gate is None:
        gate = _gates.setdefault(path, _WriterGate(path))
    event.listen(engine, "before_cursor_execute", gate.before_execute)
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_conn: Any) -> None:
        try:
            commit(dbapi_conn)
        finally:
            gate.leave(dbapi_conn)

    def do_rollback(dbapi_conn: Any) -> None:
        try:
            rollback(dbapi_conn)
        finally:
            gate.leave(dbapi_conn)

    setattr(dialect, "do_commit", do_commit)  # noqa: B010 (an instance, not the class)
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys, a busy timeout and a
    pool that never makes a caller wait."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
            # Never make a caller wait for a pooled connection: the API runs SQLite calls
            # on its event loop, where waiting for a connection that only another request
            # on the same loop can give back would never end. A SQLite connection is an
            # open file; keep as many as the thread pool has threads (anyio: 40).
            kwargs.setdefault("pool_size", 40)
            kwargs.setdefault("max_overflow", -1)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if db and db != ":memory:":
            _install_writer_gate(engine, db)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session, closed on exit (services open and commit their own transactions)."""
    session = factory()
    try:
        yield session
    finally:
        session.close()
